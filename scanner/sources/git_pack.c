/*
 * The pack reader (see git_pack.h for what it offers and why it exists). Layout:
 *
 *   maps      each objects/pack/pack-*.idx (v2, SHA-1 sized) and its .pack, checked against each
 *             other (object count, pack checksum); anything else is left to libgit2.
 *   entries   an entry header gives the type, the inflated size (so libdeflate's one-shot
 *             decompressor fits, with no guessing of buffer sizes) and, for a delta, its base:
 *             an offset back into the pack (OFS_DELTA) or an object id (REF_DELTA, resolved in the
 *             same pack only).
 *   on demand ak_pread follows a delta chain down to a cached object or a whole one, then builds
 *             it back up, caching every step: the next read of a neighbouring version costs one
 *             delta. The cache is a hash of (pack, offset) with an LRU list and a byte budget.
 *   the batch the plan orders each pack's entries by offset, reads every header, marks the
 *             entries a wanted blob depends on, and builds each needed base's list of needed
 *             children. A task is one delta tree rooted at a whole blob; it is rebuilt depth
 *             first with an explicit stack, the last child of a base taking the base's place, so
 *             a chain holds two buffers at a time. Past a per-thread budget, the buffers of
 *             shallow frames are dropped and rebuilt from the nearest kept ancestor on return.
 *
 * Every check that fails (a header running off the pack, a zlib stream that does not inflate to
 * the announced size or fails its checksum, a delta whose base size or result size disagrees, a
 * copy outside the base) makes the object, and what is built on it, "not produced".
 */
#include "sources/git_pack.h"
#include "util/buf.h"
#include "util/mem.h"

#include <dirent.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define OID_LEN 20
#define MAX_OBJECT ((uint64_t)256 << 20) /* larger objects are left to libgit2 */
#define MAX_CHAIN 65536                  /* a longer chain is a damaged (cyclic) pack */

enum { T_OFS = 6, T_REF = 7 };

typedef struct pack {
    const uint8_t *data, *idx;
    size_t len, idx_len;
    uint32_t n;
    const uint8_t *fanout, *oids, *offs, *offs64;
    size_t n64;
    /* the batch */
    uint32_t *want_pos; /* wanted number by idx position, NULL until a blob is wanted */
    uint64_t *off;      /* by ordinal (pack order) */
    uint8_t *type;      /* entry type (6, 7 for deltas), 0 for an unreadable header */
    uint32_t *want;     /* wanted number by ordinal */
    uint32_t *base;     /* base ordinal of a delta, AK_PACK_NONE for whole or unresolved */
    uint32_t *kid_at;   /* needed children of ordinal i: kids[kid_at[i] .. kid_at[i + 1]) */
    uint32_t *kids;
    /* every blob (ak_packs_want_all): wanted numbers are first + the blob's idx position */
    uint32_t first;
} pack;

typedef struct task {
    uint32_t pack, root;
    uint64_t weight;
} task;

struct ak_packs {
    pack *packs;
    size_t n;
    task *tasks;
    size_t n_tasks;
    int all; /* every blob is wanted */
};

/* ---------- maps ---------- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static const uint8_t *map_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    void *m = MAP_FAILED;
    if (!fstat(fd, &st) && st.st_size > 0)
        m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return NULL;
    *len = (size_t)st.st_size;
    return m;
}

static int check_fanout(const pack *p)
{
    for (unsigned i = 1; i < 256; i++)
        if (be32(p->fanout + 4 * i) < be32(p->fanout + 4 * (i - 1))) return -1;
    return 0;
}

/* Validates the .idx v2 layout against the .pack; SHA-256 and v1 indexes fail here. */
static int check_pack(pack *p)
{
    const uint8_t *x = p->idx;
    if (p->idx_len < 8 + 1024 + 40 || memcmp(x, "\377tOc", 4) || be32(x + 4) != 2) return -1;
    p->fanout = x + 8;
    p->n = be32(p->fanout + 4 * 255);
    size_t fixed = 8 + 1024 + (size_t)p->n * (OID_LEN + 8);
    if (p->idx_len < fixed + 40 || (p->idx_len - fixed - 40) % 8) return -1;
    p->n64 = (p->idx_len - fixed - 40) / 8;
    p->oids = x + 8 + 1024;
    p->offs = p->oids + (size_t)p->n * (OID_LEN + 4);
    p->offs64 = p->offs + (size_t)p->n * 4;
    const uint8_t *d = p->data;
    if (p->len < 12 + OID_LEN || memcmp(d, "PACK", 4) || (be32(d + 4) != 2 && be32(d + 4) != 3) ||
        be32(d + 8) != p->n)
        return -1;
    if (memcmp(x + p->idx_len - 40, d + p->len - OID_LEN, OID_LEN)) return -1;
    return check_fanout(p);
}

static void add_pack(ak_packs *ps, size_t *cap, const char *dir, const char *name)
{
    size_t nl = strlen(name);
    if (nl < 5 || strcmp(name + nl - 4, ".idx")) return;
    pack p = {0};
    ak_buf path = AK_BUF_INIT;
    ak_buf_printf(&path, "%s/%.*s.pack", dir, (int)(nl - 4), name);
    p.data = map_file(path.data, &p.len);
    ak_buf_reset(&path);
    ak_buf_printf(&path, "%s/%s", dir, name);
    p.idx = map_file(path.data, &p.idx_len);
    ak_buf_free(&path);
    if (p.data && p.idx && !check_pack(&p)) {
        AK_GROW(ps->packs, *cap, ps->n);
        ps->packs[ps->n++] = p;
        return;
    }
    if (p.data) munmap((void *)p.data, p.len);
    if (p.idx) munmap((void *)p.idx, p.idx_len);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ak_packs_open(ak_packs **out, const char *objects_dir)
{
    *out = NULL;
    ak_buf dir = AK_BUF_INIT;
    ak_buf_printf(&dir, "%s/pack", objects_dir);
    DIR *d = opendir(dir.data);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        AK_GROW(names, cap, n);
        names[n++] = ak_strdup(e->d_name);
    }
    if (d) closedir(d);
    if (n > 1) qsort(names, n, sizeof *names, name_cmp); /* a fixed order of packs */
    ak_packs *ps = ak_calloc(1, sizeof *ps);
    size_t pcap = 0;
    for (size_t i = 0; i < n; i++) {
        add_pack(ps, &pcap, dir.data, names[i]);
        free(names[i]);
    }
    free(names);
    ak_buf_free(&dir);
    if (!ps->n) return ak_packs_free(ps);
    for (size_t i = 1; i < ps->n; i++)
        ps->packs[i].first = ps->packs[i - 1].first + ps->packs[i - 1].n;
    *out = ps;
}

static void free_plan(pack *p)
{
    free(p->want_pos);
    free(p->off);
    free(p->type);
    free(p->want);
    free(p->base);
    free(p->kid_at);
    free(p->kids);
}

void ak_packs_free(ak_packs *ps)
{
    if (!ps) return;
    for (size_t i = 0; i < ps->n; i++) {
        munmap((void *)ps->packs[i].data, ps->packs[i].len);
        munmap((void *)ps->packs[i].idx, ps->packs[i].idx_len);
        free_plan(&ps->packs[i]);
    }
    free(ps->packs);
    free(ps->tasks);
    free(ps);
}

size_t ak_packs_count(const ak_packs *ps)
{
    size_t n = 0;
    for (size_t i = 0; ps && i < ps->n; i++) n += ps->packs[i].n;
    return n;
}

/* ---------- the index ---------- */

/* Bytes 1-8 of an id as a number: ids are uniformly random, so within a fan-out bucket (same
 * first byte) an id's place is about proportional to it. */
static uint64_t key8(const uint8_t *oid)
{
    return be64(oid + 1);
}

/* One interpolation guess (within a fan-out bucket, bytes 1-8 of uniformly random ids are
 * uniform: the guess lands next to the id, one cache miss where a binary search over a large
 * index has several), then a binary search over the side it leaves, narrowed by doubling steps
 * from the guess, so a skewed table costs no more than before. */
static int idx_find(const pack *p, const uint8_t *oid, uint32_t *pos)
{
    uint32_t lo = oid[0] ? be32(p->fanout + 4 * (oid[0] - 1)) : 0;
    uint32_t hi = be32(p->fanout + 4 * oid[0]);
    if (hi - lo > 16) {
        uint32_t g = lo + (uint32_t)((double)key8(oid) * 0x1p-64 * (double)(hi - lo));
        g = g < hi ? g : hi - 1;
        int c = memcmp(p->oids + (size_t)g * OID_LEN, oid, OID_LEN);
        if (!c) {
            *pos = g;
            return 1;
        }
        for (uint32_t step = 8;; step *= 2) { /* the id is above g (c < 0) or below it */
            uint32_t probe =
                c < 0 ? (hi - g > step ? g + step : hi) : (g - lo > step ? g - step : lo);
            if (probe == hi || probe == lo) {
                if (c < 0)
                    lo = g + 1;
                else
                    hi = g;
                break;
            }
            int d = memcmp(p->oids + (size_t)probe * OID_LEN, oid, OID_LEN);
            if ((c < 0) != (d < 0) || !d) {
                if (c < 0) {
                    lo = g + 1;
                    hi = probe + 1;
                } else {
                    lo = probe;
                    hi = g;
                }
                break;
            }
            g = probe;
        }
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = memcmp(p->oids + (size_t)mid * OID_LEN, oid, OID_LEN);
        if (!c) {
            *pos = mid;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* 0 (never a valid entry offset) for a damaged table. */
static uint64_t idx_offset(const pack *p, uint32_t pos)
{
    uint32_t o = be32(p->offs + (size_t)pos * 4);
    if (!(o & 0x80000000u)) return o;
    o &= 0x7fffffffu;
    return o < p->n64 ? be64(p->offs64 + (size_t)o * 8) : 0;
}

/* ---------- entries ---------- */

typedef struct hdr {
    int type;
    uint64_t size;     /* inflated size: the object's, or the delta's */
    uint64_t data;     /* offset of the zlib stream */
    uint64_t base_off; /* OFS_DELTA */
    const uint8_t *base_oid;
} hdr;

static int parse_ofs(const uint8_t *d, uint64_t *i, uint64_t end, uint64_t off, hdr *h)
{
    if (*i >= end) return -1;
    uint8_t c = d[(*i)++];
    uint64_t rel = c & 0x7f;
    while (c & 0x80) {
        if (*i >= end || rel > (UINT64_MAX >> 8)) return -1;
        c = d[(*i)++];
        rel = ((rel + 1) << 7) | (c & 0x7f);
    }
    if (!rel || rel > off) return -1;
    h->base_off = off - rel;
    return 0;
}

static int parse_hdr(const pack *p, uint64_t off, hdr *h)
{
    const uint8_t *d = p->data;
    uint64_t end = p->len - OID_LEN, i = off;
    if (off < 12 || off >= end) return -1;
    uint8_t c = d[i++];
    h->type = (c >> 4) & 7;
    h->size = c & 15;
    for (unsigned shift = 4; c & 0x80; shift += 7) {
        if (i >= end || shift > 57) return -1;
        c = d[i++];
        h->size |= (uint64_t)(c & 0x7f) << shift;
    }
    if (h->type == T_OFS) {
        if (parse_ofs(d, &i, end, off, h)) return -1;
    } else if (h->type == T_REF) {
        if (end - i < OID_LEN) return -1;
        h->base_oid = d + i;
        i += OID_LEN;
    } else if (h->type < GIT_OBJECT_COMMIT || h->type > GIT_OBJECT_TAG) {
        return -1;
    }
    h->data = i;
    return i < end && h->size <= MAX_OBJECT ? 0 : -1;
}

/* ---------- producing objects ---------- */

typedef struct inflater {
    struct libdeflate_decompressor *z;
    uint8_t *tmp; /* a delta's instructions */
    size_t cap;
} inflater;

static void inflater_init(inflater *f)
{
    f->z = libdeflate_alloc_decompressor();
    if (!f->z) {
        fputs("akhound: out of memory\n", stderr);
        abort();
    }
    f->tmp = NULL;
    f->cap = 0;
}

static void inflater_free(inflater *f)
{
    libdeflate_free_decompressor(f->z);
    free(f->tmp);
}

static int inflate_to(inflater *f, const pack *p, const hdr *h, uint8_t *out)
{
    uint8_t none;
    const uint8_t *in = p->data + h->data;
    size_t in_len = p->len - OID_LEN - h->data;
    return libdeflate_zlib_decompress(f->z, in, in_len, h->size ? out : &none, h->size, NULL) ==
                   LIBDEFLATE_SUCCESS
               ? 0
               : -1;
}

/* Buffers recycled by size class (powers of two): the walk produces and drops hundreds of
 * thousands of tree versions of a few KiB, and glibc's malloc spent more time on them (splitting
 * and merging free chunks) than the walk spent comparing them. Classes hold at most `room`
 * bytes in all; past that, buffers go back to malloc. NULL: plain malloc and free. */
#define CLASSES 40
typedef struct freebuf {
    struct freebuf *next; /* written over the first bytes of a free buffer (malloc'ed: aligned) */
} freebuf;

typedef struct recycler {
    freebuf *free[CLASSES];
    size_t held, room;
} recycler;

static unsigned class_of(size_t n)
{
    unsigned c = 6; /* 64 bytes at least, room for the link */
    while (((size_t)1 << c) < n) c++;
    return c;
}

/* The bytes a buffer of n bytes from a recycler takes. */
static size_t buf_size(size_t n)
{
    unsigned c = class_of(n);
    return c < CLASSES ? (size_t)1 << c : n;
}

static uint8_t *buf_get(recycler *rc, size_t n)
{
    if (!rc) return ak_malloc(n ? n : 1);
    unsigned c = class_of(n);
    if (c >= CLASSES) return ak_malloc(n);
    freebuf *b = rc->free[c];
    if (!b) return ak_malloc((size_t)1 << c);
    rc->free[c] = b->next;
    rc->held -= (size_t)1 << c;
    return (uint8_t *)b;
}

static void buf_put(recycler *rc, uint8_t *b, size_t n)
{
    unsigned c = class_of(n);
    if (!b || !rc || c >= CLASSES || rc->held + ((size_t)1 << c) > rc->room) {
        free(b);
        return;
    }
    freebuf *f = (freebuf *)(void *)b;
    f->next = rc->free[c];
    rc->free[c] = f;
    rc->held += (size_t)1 << c;
}

static void recycler_free(recycler *rc)
{
    for (unsigned c = 0; c < CLASSES; c++)
        for (freebuf *b = rc->free[c], *next; b; b = next) {
            next = b->next;
            free(b);
        }
}

/* A whole (non-delta) entry in a new buffer, or NULL. */
static uint8_t *make_whole(inflater *f, recycler *rc, const pack *p, const hdr *h)
{
    uint8_t *out = buf_get(rc, h->size);
    if (!inflate_to(f, p, h, out)) return out;
    buf_put(rc, out, h->size);
    return NULL;
}

static int delta_size(const uint8_t **d, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    uint8_t c;
    unsigned shift = 0;
    do {
        if (*d >= end || shift > 57) return -1;
        c = *(*d)++;
        r |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
    } while (c & 0x80);
    *v = r;
    return 0;
}

static int delta_copy(const uint8_t **dp, const uint8_t *de, uint8_t op, uint64_t *off, uint64_t *n)
{
    const uint8_t *d = *dp;
    *off = *n = 0;
    for (unsigned b = 0; b < 4; b++)
        if (op & (1u << b)) {
            if (d >= de) return -1;
            *off |= (uint64_t)*d++ << (8 * b);
        }
    for (unsigned b = 0; b < 3; b++)
        if (op & (0x10u << b)) {
            if (d >= de) return -1;
            *n |= (uint64_t)*d++ << (8 * b);
        }
    if (!*n) *n = 0x10000;
    *dp = d;
    return 0;
}

/* The places of a delta's result not inside one copied run of its base (ak_pdelta's ranges). */
typedef struct seams {
    size_t *at;
    size_t n, cap; /* n: size_t values, two per range */
} seams;

static void seam(seams *sm, size_t from, size_t to)
{
    if (sm->n && sm->at[sm->n - 1] >= from) { /* touches the last range: extend it */
        if (to > sm->at[sm->n - 1]) sm->at[sm->n - 1] = to;
        return;
    }
    if (sm->n + 2 > sm->cap) {
        sm->cap = sm->cap ? 2 * sm->cap : 64;
        sm->at = ak_realloc(sm->at, sm->cap * sizeof *sm->at);
    }
    sm->at[sm->n++] = from;
    sm->at[sm->n++] = to;
}

/* Runs delta instructions [d, de) over base into out[olen]; every byte of out must be written.
 * With sm, records where the result is not one copied run of the base. */
static int delta_apply(const uint8_t *base, size_t blen, const uint8_t *d, const uint8_t *de,
                       uint8_t *out, size_t olen, seams *sm)
{
    size_t o = 0;
    uint64_t run_end = UINT64_MAX; /* where the last copy ended in the base; none after an insert */
    while (d < de) {
        uint8_t op = *d++;
        if (op & 0x80) {
            uint64_t off, n;
            if (delta_copy(&d, de, op, &off, &n) || off > blen || n > blen - off || n > olen - o)
                return -1;
            memcpy(out + o, base + off, n);
            if (sm && o && off != run_end) seam(sm, o, o);
            run_end = off + n;
            o += n;
        } else if (op) {
            if (op > (size_t)(de - d) || op > olen - o) return -1;
            memcpy(out + o, d, op);
            if (sm) seam(sm, o, o + op);
            run_end = UINT64_MAX;
            d += op;
            o += op;
        } else {
            return -1;
        }
    }
    return o == olen ? 0 : -1;
}

/* A delta entry applied to base, in a new buffer of *len bytes, or NULL. */
static uint8_t *make_delta(inflater *f, recycler *rc, const pack *p, const hdr *h,
                           const uint8_t *base, size_t blen, size_t *len, seams *sm)
{
    if (f->cap < h->size + 1) {
        f->cap = h->size + 1 > 2 * f->cap ? h->size + 1 : 2 * f->cap;
        free(f->tmp);
        f->tmp = ak_malloc(f->cap);
    }
    if (inflate_to(f, p, h, f->tmp)) return NULL;
    const uint8_t *d = f->tmp, *de = f->tmp + h->size;
    uint64_t src, dst;
    if (delta_size(&d, de, &src) || delta_size(&d, de, &dst) || src != blen || dst > MAX_OBJECT)
        return NULL;
    uint8_t *out = buf_get(rc, dst);
    if (sm) sm->n = 0;
    if (delta_apply(base, blen, d, de, out, dst, sm)) {
        buf_put(rc, out, dst);
        return NULL;
    }
    *len = dst;
    return out;
}

/* ---------- on demand: the cache ---------- */

typedef struct centry {
    uint64_t key;
    uint8_t *data;
    size_t len;
    int type;
    unsigned pins;
    struct centry *prev, *next, *hnext;
} centry;

#define BUCKET_BITS 16 /* chains of about one entry for 64 MiB of small objects (commits) */
#define BUCKETS ((size_t)1 << BUCKET_BITS)

/* Where an id was last found: a hit skips the search of the .idx (a tree is read once as itself
 * and again as the base of its next version). Direct-mapped by the id's first bytes. */
#define MEMO_BITS 14
typedef struct memo {
    uint8_t oid[OID_LEN];
    uint32_t pack; /* UINT32_MAX: empty */
    uint64_t off;
} memo;

struct ak_pread {
    const ak_packs *ps;
    inflater f;
    recycler rc;
    uint8_t *once; /* ak_pread_once's buffer */
    size_t once_cap;
    centry *spare; /* dropped entries, for reuse */
    memo memo[(size_t)1 << MEMO_BITS];
    centry *buckets[BUCKETS];
    centry *head, *tail; /* most recently used first */
    size_t bytes, budget;
    uint64_t *chain;
    size_t chain_cap;
};

static size_t bucket_of(uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - BUCKET_BITS));
}

static void lru_unlink(ak_pread *r, centry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        r->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        r->tail = e->prev;
}

static void lru_front(ak_pread *r, centry *e)
{
    e->prev = NULL;
    e->next = r->head;
    if (r->head) r->head->prev = e;
    r->head = e;
    if (!r->tail) r->tail = e;
}

static void cache_drop(ak_pread *r, centry *e)
{
    centry **pp = &r->buckets[bucket_of(e->key)];
    while (*pp != e) pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(r, e);
    r->bytes -= buf_size(e->len);
    buf_put(&r->rc, e->data, e->len);
    e->hnext = r->spare;
    r->spare = e;
}

static void cache_trim(ak_pread *r)
{
    for (centry *e = r->tail; e && r->bytes > r->budget;) {
        centry *prev = e->prev;
        if (!e->pins) cache_drop(r, e);
        e = prev;
    }
}

static centry *cache_get(ak_pread *r, uint64_t key)
{
    for (centry *e = r->buckets[bucket_of(key)]; e; e = e->hnext)
        if (e->key == key) {
            lru_unlink(r, e);
            lru_front(r, e);
            return e;
        }
    return NULL;
}

/* Inserts a produced object, pinned. */
static centry *cache_put(ak_pread *r, uint64_t key, uint8_t *data, size_t len, int type)
{
    centry *e = r->spare;
    if (e)
        r->spare = e->hnext;
    else
        e = ak_malloc(sizeof *e);
    e->key = key;
    e->data = data;
    e->len = len;
    e->type = type;
    e->pins = 1;
    size_t b = bucket_of(key);
    e->hnext = r->buckets[b];
    r->buckets[b] = e;
    lru_front(r, e);
    r->bytes += buf_size(len);
    cache_trim(r);
    return e;
}

ak_pread *ak_pread_new(const ak_packs *ps, size_t cache_bytes)
{
    ak_pread *r = ak_calloc(1, sizeof *r);
    r->ps = ps;
    r->budget = cache_bytes;
    r->rc.room = cache_bytes / 4;
    for (size_t i = 0; i < ((size_t)1 << MEMO_BITS); i++) r->memo[i].pack = UINT32_MAX;
    inflater_init(&r->f);
    return r;
}

void ak_pread_free(ak_pread *r)
{
    if (!r) return;
    while (r->head) cache_drop(r, r->head);
    while (r->spare) {
        centry *next = r->spare->hnext;
        free(r->spare);
        r->spare = next;
    }
    recycler_free(&r->rc);
    free(r->once);
    inflater_free(&r->f);
    free(r->chain);
    free(r);
}

static uint64_t key_of(size_t pack_index, uint64_t off)
{
    return (uint64_t)pack_index << 48 | off;
}

/* Follows the chain from off down to a cached object or a whole one; r->chain[0..*n) holds the
 * offsets to build, last first. Returns the cached base (pinned) or NULL. */
static int chain_down(ak_pread *r, size_t pi, uint64_t off, size_t *n, centry **base)
{
    const pack *p = &r->ps->packs[pi];
    *n = 0;
    *base = NULL;
    for (;;) {
        centry *e = cache_get(r, key_of(pi, off));
        if (e) {
            e->pins++;
            *base = e;
            return 0;
        }
        if (*n == MAX_CHAIN) return -1;
        AK_GROW(r->chain, r->chain_cap, *n);
        r->chain[(*n)++] = off;
        hdr h;
        uint32_t pos;
        if (parse_hdr(p, off, &h)) return -1;
        if (h.type == T_OFS) {
            off = h.base_off;
        } else if (h.type == T_REF) {
            if (!idx_find(p, h.base_oid, &pos)) return -1;
            off = idx_offset(p, pos);
        } else {
            return 0;
        }
    }
}

static void unpin(centry *e)
{
    if (e) e->pins--;
}

/* The object at off, pinned, or NULL. */
static centry *resolve(ak_pread *r, size_t pi, uint64_t off)
{
    const pack *p = &r->ps->packs[pi];
    size_t n;
    centry *base;
    if (chain_down(r, pi, off, &n, &base)) {
        unpin(base);
        return NULL;
    }
    for (size_t i = n; i-- > 0;) {
        hdr h;
        uint8_t *data;
        size_t len = 0;
        int whole = !parse_hdr(p, r->chain[i], &h) && h.type != T_OFS && h.type != T_REF;
        if (!base && whole) {
            data = make_whole(&r->f, &r->rc, p, &h);
            len = h.size;
        } else {
            data = base && !whole
                       ? make_delta(&r->f, &r->rc, p, &h, base->data, base->len, &len, NULL)
                       : NULL;
        }
        unpin(base);
        if (!data) return NULL;
        base = cache_put(r, key_of(pi, r->chain[i]), data, len, base ? base->type : h.type);
    }
    return base;
}

/* The pack and offset of id, 0 when no pack holds it. */
static int locate(ak_pread *r, const git_oid *id, size_t *pi, uint64_t *off)
{
    uint64_t h;
    memcpy(&h, id->id, sizeof h);
    memo *m = &r->memo[h & (((size_t)1 << MEMO_BITS) - 1)];
    if (m->pack != UINT32_MAX && !memcmp(m->oid, id->id, OID_LEN)) {
        *pi = m->pack;
        *off = m->off;
        return 1;
    }
    for (*pi = 0; *pi < r->ps->n; (*pi)++) {
        const pack *p = &r->ps->packs[*pi];
        uint32_t pos;
        if (!idx_find(p, id->id, &pos)) continue;
        *off = idx_offset(p, pos);
        memcpy(m->oid, id->id, OID_LEN);
        m->pack = (uint32_t)*pi;
        m->off = *off;
        return 1;
    }
    return 0;
}

int ak_pread_type(ak_pread *r, const git_oid *id)
{
    size_t pi;
    uint64_t off;
    if (!locate(r, id, &pi, &off)) return -1;
    const pack *p = &r->ps->packs[pi];
    for (unsigned depth = 0; depth < MAX_CHAIN; depth++) {
        hdr h;
        uint32_t pos;
        if (parse_hdr(p, off, &h)) return -1;
        if (h.type == T_OFS)
            off = h.base_off;
        else if (h.type == T_REF && idx_find(p, h.base_oid, &pos))
            off = idx_offset(p, pos);
        else
            return h.type == T_REF ? -1 : h.type;
    }
    return -1;
}

int ak_pread_once(ak_pread *r, const git_oid *id, ak_pobj *out)
{
    size_t pi;
    uint64_t off;
    hdr h;
    if (!locate(r, id, &pi, &off)) return 1;
    const pack *p = &r->ps->packs[pi];
    if (parse_hdr(p, off, &h)) return -1;
    if (h.type == T_OFS || h.type == T_REF) return ak_pread_get(r, id, out);
    if (r->once_cap < h.size + 1) {
        free(r->once);
        r->once_cap = h.size + 1;
        r->once = ak_malloc(r->once_cap);
    }
    if (inflate_to(&r->f, p, &h, r->once)) return -1;
    *out = (ak_pobj){h.type, r->once, h.size, NULL};
    return 0;
}

int ak_pread_get(ak_pread *r, const git_oid *id, ak_pobj *out)
{
    size_t pi;
    uint64_t off;
    if (locate(r, id, &pi, &off)) {
        centry *e = resolve(r, pi, off);
        if (!e) return -1;
        *out = (ak_pobj){e->type, e->data, e->len, e};
        return 0;
    }
    return 1;
}

void ak_pread_put(ak_pread *r, ak_pobj *obj)
{
    if (!obj->pin) return;
    unpin(obj->pin);
    obj->pin = NULL;
    cache_trim(r);
}

/* ---------- the batch: plan ---------- */

void ak_packs_want_all(ak_packs *ps)
{
    if (ps) ps->all = 1;
}

int ak_packs_number(const ak_packs *ps, const git_oid *id, uint32_t *num)
{
    for (size_t pi = 0; ps && pi < ps->n; pi++) {
        const pack *p = &ps->packs[pi];
        uint32_t pos;
        if (!idx_find(p, id->id, &pos)) continue;
        *num = p->first + pos;
        return 1;
    }
    return 0;
}

int ak_packs_want(ak_packs *ps, const git_oid *id, uint32_t want)
{
    for (size_t pi = 0; ps && pi < ps->n; pi++) {
        pack *p = &ps->packs[pi];
        uint32_t pos;
        if (!idx_find(p, id->id, &pos)) continue;
        if (!p->want_pos) {
            p->want_pos = ak_malloc((p->n ? p->n : 1) * sizeof *p->want_pos);
            memset(p->want_pos, 0xff, p->n * sizeof *p->want_pos);
        }
        if (p->want_pos[pos] == AK_PACK_NONE) p->want_pos[pos] = want;
        return 1;
    }
    return 0;
}

typedef struct byoff {
    uint64_t off;
    uint32_t pos;
} byoff;

/* Sorts v by offset: a least-significant-digit radix sort, 11 bits a pass, as many passes as
 * the largest offset needs (three for a pack under 8 GiB). qsort took a tenth of the plan on a
 * large pack, and there is nothing else to sort by. */
static void sort_by_offset(byoff *v, size_t n, uint64_t max)
{
    byoff *tmp = ak_malloc((n ? n : 1) * sizeof *tmp), *from = v, *to = tmp;
    for (unsigned shift = 0; shift < 64 && (max >> shift); shift += 11) {
        size_t count[2048] = {0};
        for (size_t i = 0; i < n; i++) count[(from[i].off >> shift) & 2047]++;
        for (size_t d = 0, at = 0; d < 2048; d++) {
            size_t c = count[d];
            count[d] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++) to[count[(from[i].off >> shift) & 2047]++] = from[i];
        byoff *t = from;
        from = to;
        to = t;
    }
    if (from != v) memcpy(v, from, n * sizeof *v);
    free(tmp);
}

/* Ordinals in pack order; pos_ord maps idx positions to them. */
static uint32_t *order_entries(pack *p)
{
    byoff *v = ak_malloc((p->n ? p->n : 1) * sizeof *v);
    uint64_t max = 0;
    for (uint32_t i = 0; i < p->n; i++) {
        v[i] = (byoff){idx_offset(p, i), i};
        max = v[i].off > max ? v[i].off : max;
    }
    sort_by_offset(v, p->n, max);
    uint32_t *pos_ord = ak_malloc((p->n ? p->n : 1) * sizeof *pos_ord);
    p->off = ak_malloc((p->n ? p->n : 1) * sizeof *p->off);
    p->want = ak_malloc((p->n ? p->n : 1) * sizeof *p->want);
    for (uint32_t i = 0; i < p->n; i++) {
        p->off[i] = v[i].off;
        pos_ord[v[i].pos] = i;
        p->want[i] = p->want_pos ? p->want_pos[v[i].pos] : AK_PACK_NONE;
    }
    free(v);
    free(p->want_pos);
    p->want_pos = NULL;
    return pos_ord;
}

static uint32_t ord_at(const pack *p, uint64_t off)
{
    uint32_t lo = 0, hi = p->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->off[mid] == off) return mid;
        if (p->off[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return AK_PACK_NONE;
}

/* Reads every header: types and each delta's base ordinal. */
static uint32_t *read_headers(pack *p, const uint32_t *pos_ord)
{
    uint32_t *base = ak_malloc((p->n ? p->n : 1) * sizeof *base);
    p->type = ak_calloc(p->n ? p->n : 1, 1);
    for (uint32_t i = 0; i < p->n; i++) {
        hdr h;
        uint32_t pos;
        base[i] = AK_PACK_NONE;
        if (parse_hdr(p, p->off[i], &h)) continue;
        p->type[i] = (uint8_t)h.type;
        if (h.type == T_OFS) base[i] = ord_at(p, h.base_off);
        if (h.type == T_REF && idx_find(p, h.base_oid, &pos)) base[i] = pos_ord[pos];
    }
    return base;
}

/* The object type of ordinal i, a delta's being its chain's root's; 0 if unknown. */
static uint8_t root_type(const pack *p, const uint32_t *base, uint8_t *memo, uint32_t i)
{
    uint32_t o = i;
    for (unsigned n = 0; !memo[o]; n++) {
        if (p->type[o] != T_OFS && p->type[o] != T_REF) {
            memo[o] = p->type[o] ? p->type[o] : 0xff;
            break;
        }
        if (base[o] == AK_PACK_NONE || n == MAX_CHAIN) {
            memo[o] = 0xff;
            break;
        }
        o = base[o];
    }
    uint8_t t = memo[o];
    for (o = i; !memo[o]; o = base[o]) memo[o] = t; /* the chain walked, for the next entry */
    return t == 0xff ? 0 : t;
}

/* Every blob this pack holds and no earlier pack does (an object in two packs is one blob), by
 * its global number. */
static void want_every_blob(const ak_packs *ps, pack *p, const uint32_t *base,
                            const uint32_t *pos_ord)
{
    uint8_t *memo = ak_calloc(p->n ? p->n : 1, 1);
    for (uint32_t pos = 0; pos < p->n; pos++) {
        uint32_t ord = pos_ord[pos], at;
        int dup = 0;
        if (root_type(p, base, memo, ord) != GIT_OBJECT_BLOB) continue;
        for (const pack *q = ps->packs; q < p && !dup; q++)
            dup = idx_find(q, p->oids + (size_t)pos * OID_LEN, &at);
        if (!dup) p->want[ord] = p->first + pos;
    }
    free(memo);
}

/* Marks each wanted entry and its chain of bases as needed. */
static uint8_t *mark_needed(const pack *p, const uint32_t *base)
{
    uint8_t *need = ak_calloc(p->n ? p->n : 1, 1);
    for (uint32_t i = 0; i < p->n; i++) {
        if (p->want[i] == AK_PACK_NONE) continue;
        for (uint32_t o = i; o != AK_PACK_NONE && !need[o]; o = base[o]) need[o] = 1;
    }
    return need;
}

/* The needed children of each needed entry, in pack order. */
static void link_kids(pack *p, const uint32_t *base, const uint8_t *need)
{
    p->kid_at = ak_calloc((size_t)p->n + 1, sizeof *p->kid_at);
    for (uint32_t i = 0; i < p->n; i++)
        if (need[i] && base[i] != AK_PACK_NONE) p->kid_at[base[i] + 1]++;
    for (uint32_t i = 0; i < p->n; i++) p->kid_at[i + 1] += p->kid_at[i];
    p->kids = ak_malloc((p->kid_at[p->n] ? p->kid_at[p->n] : 1) * sizeof *p->kids);
    uint32_t *fill = ak_malloc(((size_t)p->n + 1) * sizeof *fill);
    memcpy(fill, p->kid_at, ((size_t)p->n + 1) * sizeof *fill);
    for (uint32_t i = 0; i < p->n; i++)
        if (need[i] && base[i] != AK_PACK_NONE) p->kids[fill[base[i]]++] = i;
    free(fill);
}

/* Entries in root's delta tree: with the root's size, an estimate of the work. */
static uint64_t tree_count(const pack *p, uint32_t root, uint32_t **stack, size_t *cap)
{
    uint64_t count = 0;
    size_t n = 0;
    AK_GROW(*stack, *cap, n);
    (*stack)[n++] = root;
    while (n) {
        uint32_t o = (*stack)[--n];
        count++;
        for (uint32_t k = p->kid_at[o]; k < p->kid_at[o + 1]; k++) {
            AK_GROW(*stack, *cap, n);
            (*stack)[n++] = p->kids[k];
        }
    }
    return count;
}

static void add_tasks(ak_packs *ps, size_t pi, const uint8_t *need, size_t *cap)
{
    pack *p = &ps->packs[pi];
    uint32_t *stack = NULL;
    size_t scap = 0;
    for (uint32_t i = 0; i < p->n; i++) {
        hdr h;
        if (!need[i] || p->type[i] != GIT_OBJECT_BLOB || parse_hdr(p, p->off[i], &h)) continue;
        AK_GROW(ps->tasks, *cap, ps->n_tasks);
        uint64_t w = tree_count(p, i, &stack, &scap) * (h.size + 1024);
        ps->tasks[ps->n_tasks++] = (task){(uint32_t)pi, i, w};
    }
    free(stack);
}

static int task_cmp(const void *a, const void *b)
{
    const task *x = a, *y = b;
    if (x->weight != y->weight) return x->weight < y->weight ? 1 : -1;
    if (x->pack != y->pack) return x->pack < y->pack ? -1 : 1;
    return (x->root > y->root) - (x->root < y->root);
}

size_t ak_packs_plan(ak_packs *ps)
{
    if (!ps) return 0;
    size_t cap = 0;
    for (size_t pi = 0; pi < ps->n; pi++) {
        pack *p = &ps->packs[pi];
        if (!p->want_pos && !ps->all) continue;
        uint32_t *pos_ord = order_entries(p);
        uint32_t *base = read_headers(p, pos_ord);
        if (ps->all) want_every_blob(ps, p, base, pos_ord);
        free(pos_ord);
        uint8_t *need = mark_needed(p, base);
        link_kids(p, base, need);
        p->base = base;
        add_tasks(ps, pi, need, &cap);
        free(need);
    }
    if (ps->n_tasks > 1) qsort(ps->tasks, ps->n_tasks, sizeof *ps->tasks, task_cmp);
    return ps->n_tasks;
}

/* ---------- the batch: run ---------- */

typedef struct frame {
    uint32_t ord, next; /* next: index into kids of the next child to build */
    uint8_t *buf;       /* NULL when dropped under memory pressure */
    size_t len;
    int clean; /* emitted, and called clean by the caller */
} frame;

struct ak_pwork {
    inflater f;
    seams sm; /* of the last blob built from a base */
    frame *st;
    size_t n, cap, held, budget;
    uint32_t *chain; /* rebuild's chain of ordinals */
    size_t chain_cap;
};

ak_pwork *ak_pwork_new(size_t budget)
{
    ak_pwork *w = ak_calloc(1, sizeof *w);
    w->budget = budget;
    inflater_init(&w->f);
    return w;
}

void ak_pwork_free(ak_pwork *w)
{
    if (!w) return;
    inflater_free(&w->f);
    free(w->sm.at);
    free(w->st);
    free(w->chain);
    free(w);
}

static int entry_hdr(const pack *p, uint32_t ord, hdr *h)
{
    return parse_hdr(p, p->off[ord], h);
}

/* Builds ord from the buffer of its base (NULL: ord is the root). */
static uint8_t *build(ak_pwork *w, const pack *p, uint32_t ord, const frame *base, size_t *len)
{
    hdr h;
    if (entry_hdr(p, ord, &h)) return NULL;
    if (!base) {
        *len = h.size;
        return h.type == GIT_OBJECT_BLOB ? make_whole(&w->f, NULL, p, &h) : NULL;
    }
    if (h.type != T_OFS && h.type != T_REF) return NULL;
    return make_delta(&w->f, NULL, p, &h, base->buf, base->len, len, base->clean ? &w->sm : NULL);
}

/* The frame below k that holds ord with its buffer, or NULL. */
static const frame *held(const ak_pwork *w, size_t k, uint32_t ord)
{
    for (size_t i = 0; i < k; i++)
        if (w->st[i].ord == ord && w->st[i].buf) return &w->st[i];
    return NULL;
}

/* Gives back the buffer of frame k after it was dropped: its chain of bases is followed up to a
 * frame that kept its buffer (or to the root), then built back down. The stack is not that
 * chain: a last child takes its base's place. */
static int rebuild(ak_pwork *w, const pack *p, size_t k)
{
    const frame *from = NULL;
    size_t n = 0;
    for (uint32_t o = w->st[k].ord; o != AK_PACK_NONE && !from; o = p->base[o]) {
        AK_GROW(w->chain, w->chain_cap, n);
        w->chain[n++] = o;
        from = p->base[o] == AK_PACK_NONE ? NULL : held(w, k, p->base[o]);
    }
    frame cur = from ? *from : (frame){0};
    for (size_t i = n; i-- > 0;) {
        size_t len;
        uint8_t *b = build(w, p, w->chain[i], cur.buf ? &cur : NULL, &len);
        if (cur.buf && (!from || cur.buf != from->buf)) free(cur.buf);
        if (!b) return -1;
        cur = (frame){w->chain[i], 0, b, len, 0};
    }
    w->st[k].buf = cur.buf;
    w->st[k].len = cur.len;
    w->held += cur.len;
    return 0;
}

/* Over budget: drops the buffers of the shallowest frames, never the top one. */
static void shed(ak_pwork *w)
{
    for (size_t i = 0; w->held > w->budget && i + 1 < w->n; i++) {
        if (!w->st[i].buf) continue;
        w->held -= w->st[i].len;
        free(w->st[i].buf);
        w->st[i].buf = NULL;
    }
}

static void push(ak_pwork *w, const pack *p, uint32_t ord, uint8_t *buf, size_t len, int clean)
{
    AK_GROW(w->st, w->cap, w->n);
    w->st[w->n++] = (frame){ord, p->kid_at[ord], buf, len, clean};
    w->held += len;
    shed(w);
}

static void pop(ak_pwork *w)
{
    frame *f = &w->st[--w->n];
    if (f->buf) w->held -= f->len;
    free(f->buf);
}

/* Builds the next child of the top frame; emits it, and keeps it when it has children of its
 * own (in the parent's place when it is the parent's last child). */
static void step(ak_pwork *w, const pack *p, ak_pack_emit_fn emit, void *ctx, unsigned worker)
{
    frame *f = &w->st[w->n - 1];
    uint32_t kid = p->kids[f->next++];
    int last = f->next == p->kid_at[f->ord + 1];
    if (!f->buf && rebuild(w, p, w->n - 1)) return;
    size_t len;
    int base_clean = f->clean, clean = 0;
    uint8_t *b = build(w, p, kid, f, &len);
    if (last) pop(w);
    if (!b) return;
    ak_pdelta d = {w->sm.at, w->sm.n / 2};
    if (p->want[kid] != AK_PACK_NONE)
        clean = emit(ctx, worker, p->want[kid], b, len, base_clean ? &d : NULL);
    if (p->kid_at[kid] == p->kid_at[kid + 1])
        free(b);
    else
        push(w, p, kid, b, len, clean);
}

void ak_packs_run(const ak_packs *ps, size_t task_index, ak_pwork *w, ak_pack_emit_fn emit,
                  void *ctx, unsigned worker)
{
    const task *t = &ps->tasks[task_index];
    const pack *p = &ps->packs[t->pack];
    size_t len;
    uint8_t *b = build(w, p, t->root, NULL, &len);
    if (!b) return;
    int clean =
        p->want[t->root] != AK_PACK_NONE && emit(ctx, worker, p->want[t->root], b, len, NULL);
    w->n = w->held = 0;
    push(w, p, t->root, b, len, clean);
    while (w->n) {
        const frame *f = &w->st[w->n - 1];
        if (f->next == p->kid_at[f->ord + 1])
            pop(w);
        else
            step(w, p, emit, ctx, worker);
    }
}
