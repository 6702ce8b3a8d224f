/* Compiled-database cache: see dbcache.h. */
#include "detect/dbcache.h"
#include "util/buf.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

uint64_t ak_dbcache_key(char *const *lits, const size_t *lens, const unsigned *flags,
                        const unsigned *ids, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    const char *v = hs_version();
    h = fnv(h, v, strlen(v));
    for (size_t i = 0; i < n; i++) {
        h = fnv(h, &lens[i], sizeof lens[i]);
        h = fnv(h, lits[i], lens[i]);
        h = fnv(h, &flags[i], sizeof flags[i]);
        h = fnv(h, &ids[i], sizeof ids[i]);
    }
    return h;
}

/* Returns 0 with the directory in dir, or -1 when there is no cache. */
static int cache_dir(ak_buf *dir)
{
    const char *off = getenv("AKHOUND_NO_CACHE");
    if (off && *off && strcmp(off, "0")) return -1;
    const char *d = getenv("AKHOUND_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    if (d && *d)
        ak_buf_puts(dir, d);
    else if (xdg && *xdg)
        ak_buf_printf(dir, "%s/akhound", xdg);
    else if (home && *home)
        ak_buf_printf(dir, "%s/.cache/akhound", home);
    else
        return -1;
    return 0;
}

static int cache_path(uint64_t key, ak_buf *path)
{
    if (cache_dir(path)) return -1;
    ak_buf_printf(path, "/hs-%016llx.db", (unsigned long long)key);
    return 0;
}

hs_database_t *ak_dbcache_load(uint64_t key)
{
    ak_buf path = AK_BUF_INIT, data = AK_BUF_INIT;
    hs_database_t *db = NULL;
    FILE *f = cache_path(key, &path) ? NULL : fopen(path.data, "rb");
    if (f) {
        char tmp[65536];
        size_t n;
        while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) ak_buf_append(&data, tmp, n);
        fclose(f);
        if (data.len && hs_deserialize_database(data.data, data.len, &db) != HS_SUCCESS) db = NULL;
    }
    ak_buf_free(&path);
    ak_buf_free(&data);
    return db;
}

static void mkdirs(char *dir)
{
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
    mkdir(dir, 0700);
}

void ak_dbcache_store(uint64_t key, const hs_database_t *db)
{
    ak_buf dir = AK_BUF_INIT, path = AK_BUF_INIT, tmp = AK_BUF_INIT;
    char *bytes = NULL;
    size_t len = 0;
    if (cache_dir(&dir) || cache_path(key, &path) ||
        hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        goto out;
    mkdirs(dir.data);
    ak_buf_printf(&tmp, "%s.%ld.tmp", path.data, (long)getpid());
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) goto out;
    int ok = write(fd, bytes, len) == (ssize_t)len;
    ok &= close(fd) == 0;
    if (!ok || rename(tmp.data, path.data) != 0) unlink(tmp.data);
out:
    free(bytes);
    ak_buf_free(&dir);
    ak_buf_free(&path);
    ak_buf_free(&tmp);
}
