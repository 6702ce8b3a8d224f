/*
 * The incremental state of one repository of an organization scan: which blobs were scanned and
 * which commits the refs pointed at then (the tips), under which rule-set version. One small binary
 * file per repository (<cache>/<name>.akstate) rather than a shared database: repositories are
 * scanned in parallel and on different machines (shards), each worker touches only its own files,
 * nothing needs a lock, and a file is replaced atomically, so a crash keeps the previous state.
 *
 * Layout (integers little-endian):
 *   "AKSTATE3\n"  rules version (64 hex digits) "\n"  u64 n_blobs  u64 n_tips
 *   48-byte push time (NUL-padded; empty: unknown)  i64 epoch second the check that listed it began
 *   n_blobs sorted 20-byte blob ids  n_tips sorted 20-byte commit ids  u64 FNV-1a of the above
 * "AKSTATE2" files (no push time) are still read; they are written as version 3.
 * A file that is damaged, truncated or from another rules version is ignored: the repository is
 * then scanned whole, which is always correct, merely slower.
 */
#include "sources/org.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "AKSTATE3\n"
#define MAGIC_V2 "AKSTATE2\n"
#define MAGIC_LEN 9
#define HEAD_LEN_V2 (MAGIC_LEN + 65 + 16)
#define HEAD_LEN (HEAD_LEN_V2 + AK_ORG_PUSHED_MAX + 8)

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void ak_org_state_free(ak_org_state *st)
{
    free(st->blobs);
    free(st->tips);
    free(st->new_blobs);
    memset(st, 0, sizeof *st);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat sb;
    uint8_t *data = NULL;
    if (!fstat(fileno(f), &sb) && sb.st_size >= HEAD_LEN_V2 + 8) {
        data = ak_malloc((size_t)sb.st_size);
        *len = fread(data, 1, (size_t)sb.st_size, f);
        if (*len != (size_t)sb.st_size) {
            free(data);
            data = NULL;
        }
    }
    fclose(f);
    return data;
}

/* Fills st from a file's bytes; 0, 1 when they are a state of other rules, or -1 when they are
 * not a state. */
static int parse(ak_org_state *st, const uint8_t *d, size_t len, const char *rules_version)
{
    size_t head = !memcmp(d, MAGIC, MAGIC_LEN)      ? HEAD_LEN
                  : !memcmp(d, MAGIC_V2, MAGIC_LEN) ? HEAD_LEN_V2
                                                    : 0;
    if (!head) return -1;
    if (memcmp(d + MAGIC_LEN, rules_version, 64)) return 1;
    uint64_t nb = get_u64(d + MAGIC_LEN + 65), nt = get_u64(d + MAGIC_LEN + 73);
    if (nb > len / 20 || nt > len / 20 || head + (nb + nt) * 20 + 8 != len) return -1;
    if (fnv(d, len - 8) != get_u64(d + len - 8)) return -1;
    if (head == HEAD_LEN) { /* the field is NUL-padded; a full one is not a push time we wrote */
        memcpy(st->pushed_at, d + HEAD_LEN_V2, AK_ORG_PUSHED_MAX);
        if (st->pushed_at[AK_ORG_PUSHED_MAX - 1]) st->pushed_at[0] = '\0';
        st->checked_at = (long long)get_u64(d + HEAD_LEN_V2 + AK_ORG_PUSHED_MAX);
    }
    st->n_blobs = (size_t)nb;
    st->n_tips = (size_t)nt;
    st->blobs = ak_malloc(nb * 20 + 1);
    st->tips = ak_malloc(nt * 20 + 1);
    memcpy(st->blobs, d + head, nb * 20);
    memcpy(st->tips, d + head + nb * 20, nt * 20);
    return 0;
}

int ak_org_state_load(ak_org_state *st, const char *path, const char *rules_version)
{
    memset(st, 0, sizeof *st);
    snprintf(st->rules_version, sizeof st->rules_version, "%s", rules_version);
    if (strlen(st->rules_version) != 64) return 0; /* not a digest: never matches a file */
    size_t len = 0;
    uint8_t *d = read_all(path, &len);
    int rc = d ? parse(st, d, len, st->rules_version) : -1;
    free(d);
    return rc == 0 ? 1 : rc == 1 ? 2 : 0;
}

static int cmp20(const void *a, const void *b)
{
    return memcmp(a, b, 20);
}

int ak_org_state_has_blob(const ak_org_state *st, const uint8_t id[20])
{
    return st->n_blobs && bsearch(id, st->blobs, st->n_blobs, 20, cmp20) != NULL;
}

void ak_org_state_set_pushed(ak_org_state *st, const char *pushed_at, long long checked_at)
{
    st->checked_at = checked_at;
    size_t n = pushed_at ? strlen(pushed_at) : 0;
    if (n >= AK_ORG_PUSHED_MAX) n = 0; /* not a time stamp: never matches */
    memcpy(st->pushed_at, pushed_at ? pushed_at : "", n);
    st->pushed_at[n] = '\0';
}

void ak_org_state_set_tips(ak_org_state *st, const uint8_t *tips, size_t n)
{
    free(st->tips);
    st->tips = ak_malloc(n * 20 + 1);
    if (n) memcpy(st->tips, tips, n * 20);
    if (n > 1) qsort(st->tips, n, 20, cmp20);
    st->n_tips = n;
}

static void push(uint8_t **arr, size_t *n, size_t *cap, const uint8_t *item, size_t size)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *arr = ak_realloc(*arr, *cap * size);
    }
    memcpy(*arr + *n * size, item, size);
    (*n)++;
}

void ak_org_state_add_blob(ak_org_state *st, const uint8_t id[20])
{
    push(&st->new_blobs, &st->n_new_blobs, &st->cap_new_blobs, id, 20);
}

/* old + new, sorted and unique, into *out; returns the count. */
static size_t merged(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, size_t size,
                     int (*cmp)(const void *, const void *), uint8_t **out)
{
    uint8_t *m = ak_malloc((na + nb) * size + 1);
    if (na) memcpy(m, a, na * size);
    if (nb) memcpy(m + na * size, b, nb * size);
    if (na + nb > 1) qsort(m, na + nb, size, cmp);
    size_t k = 0;
    for (size_t i = 0; i < na + nb; i++)
        if (!k || memcmp(m + (k - 1) * size, m + i * size, size))
            memmove(m + k++ * size, m + i * size, size);
    *out = m;
    return k;
}

int ak_org_write_atomic(const char *path, const void *data, size_t len, ak_buf *err)
{
    ak_buf tmp = AK_BUF_INIT;
    ak_buf_printf(&tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp.data); /* mode 0600 */
    int rc = fd < 0 ? -1 : 0;
    const uint8_t *d = data;
    size_t done = 0;
    while (!rc && done < len) {
        ssize_t w = write(fd, d + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) rc = -1;
        done += w > 0 ? (size_t)w : 0;
    }
    if (!rc && (fchmod(fd, 0600) || fsync(fd))) rc = -1;
    if (fd >= 0 && close(fd)) rc = -1;
    if (!rc && rename(tmp.data, path)) rc = -1;
    if (rc) {
        ak_buf_printf(err, "%s: cannot write: %s", path, strerror(errno));
        if (fd >= 0) unlink(tmp.data);
    }
    ak_buf_free(&tmp);
    return rc;
}

int ak_org_state_save(ak_org_state *st, const char *path, ak_buf *err)
{
    uint8_t *b;
    size_t nb = merged(st->blobs, st->n_blobs, st->new_blobs, st->n_new_blobs, 20, cmp20, &b);
    size_t nt = st->n_tips, len = HEAD_LEN + (nb + nt) * 20 + 8;
    uint8_t *d = ak_malloc(len);
    memcpy(d, MAGIC, MAGIC_LEN);
    memset(d + MAGIC_LEN, '0', 64);
    memcpy(d + MAGIC_LEN, st->rules_version, strnlen(st->rules_version, 64));
    d[MAGIC_LEN + 64] = '\n';
    put_u64(d + MAGIC_LEN + 65, nb);
    put_u64(d + MAGIC_LEN + 73, nt);
    memset(d + HEAD_LEN_V2, 0, AK_ORG_PUSHED_MAX);
    memcpy(d + HEAD_LEN_V2, st->pushed_at, strnlen(st->pushed_at, AK_ORG_PUSHED_MAX - 1));
    put_u64(d + HEAD_LEN_V2 + AK_ORG_PUSHED_MAX, (uint64_t)st->checked_at);
    if (nb) memcpy(d + HEAD_LEN, b, nb * 20);
    if (nt) memcpy(d + HEAD_LEN + nb * 20, st->tips, nt * 20);
    put_u64(d + len - 8, fnv(d, len - 8));
    int rc = ak_org_write_atomic(path, d, len, err);
    free(d);
    free(b);
    return rc;
}
