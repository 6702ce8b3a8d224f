/* Compiled-database cache: see dbcache.h. */
#include "detect/dbcache.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* 1 when st (of the cache directory or a file in it) belongs to this user and no one else can
 * write it: anyone else who can would choose what the scanner looks for. */
static int ours_alone(const struct stat *st)
{
    return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* The cache directory, opened (not through a symlink) when it is ours alone, created mode 0700
 * first if `create`; -1 when there is none or it is refused (said once, on stderr). */
static int open_dir(int create)
{
    static int warned;
    ak_buf dir = AK_BUF_INIT;
    if (cache_dir(&dir)) return -1;
    if (create) mkdirs(dir.data);
    int fd = open(dir.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !ours_alone(&st))) {
        if (!warned++)
            ak_warn("%s: not used as the rule cache: owned by another user or writable by others",
                    dir.data);
        close(fd);
        fd = -1;
    }
    ak_buf_free(&dir);
    return fd;
}

static void file_name(uint64_t key, char name[32])
{
    snprintf(name, 32, "hs-%016llx.db", (unsigned long long)key);
}

hs_database_t *ak_dbcache_load(uint64_t key)
{
    char name[32];
    file_name(key, name);
    int dfd = open_dir(0);
    int fd = dfd >= 0 ? openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    ak_buf data = AK_BUF_INIT;
    hs_database_t *db = NULL;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ours_alone(&st)) {
        char tmp[65536];
        ssize_t n;
        while ((n = read(fd, tmp, sizeof tmp)) > 0) ak_buf_append(&data, tmp, (size_t)n);
        if (n == 0 && data.len && hs_deserialize_database(data.data, data.len, &db) != HS_SUCCESS)
            db = NULL;
    }
    if (fd >= 0) close(fd);
    if (dfd >= 0) close(dfd);
    ak_buf_free(&data);
    return db;
}

/* Writes bytes to a new file (O_EXCL, never through a symlink planted at its name) in the cache
 * directory, then renames it over the cache file. */
void ak_dbcache_store(uint64_t key, const hs_database_t *db)
{
    char *bytes = NULL, name[32], tmp[80];
    size_t len = 0;
    int dfd = open_dir(1);
    if (dfd < 0 || hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) goto out;
    file_name(key, name);
    unsigned long long nonce = 0;
    FILE *r = fopen("/dev/urandom", "rb");
    if (!r || fread(&nonce, sizeof nonce, 1, r) != 1) nonce ^= (unsigned long long)time(NULL);
    if (r) fclose(r);
    snprintf(tmp, sizeof tmp, "%s.%ld.%016llx.tmp", name, (long)getpid(), nonce);
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) goto out;
    int ok = write(fd, bytes, len) == (ssize_t)len;
    ok &= close(fd) == 0;
    if (!ok || renameat(dfd, tmp, dfd, name) != 0) unlinkat(dfd, tmp, 0);
out:
    if (dfd >= 0) close(dfd);
    free(bytes);
}
