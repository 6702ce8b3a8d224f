/*
 * The index reader (see git_index.h for why it exists and what it refuses). One pass over the
 * mapped file: the header, every entry (checked and recorded in place: no copy of a path except
 * for version 4), then the extensions, of which only the cache-tree is read. Every read goes
 * through a cursor that knows where the entries and each extension end.
 */
#include "sources/git_index.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_LEN 12
#define ENTRY_FIXED 62      /* stat data, mode, id and flags, before the optional extended flags */
#define MAX_TREE_DEPTH 4096 /* deeper cache-trees are refused rather than recursed into */

/* Flags of an on-disk entry. */
#define F_EXTENDED 0x4000
#define F_STAGE 0x3000
#define F_NAMEMASK 0x0fff
#define X_KNOWN (AK_GINDEX_SKIP_WORKTREE | AK_GINDEX_INTENT_TO_ADD)

typedef struct cursor {
    const uint8_t *p, *end;
} cursor;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static int fail(ak_buf *why, const char *what)
{
    ak_buf_puts(why, what);
    return -1;
}

/* ---------- entries ---------- */

/* git's variable-length offset: 7 bits a byte, most significant first, each continuation adding
 * one so that every value has a single encoding. */
static int read_varint(cursor *c, size_t *out)
{
    size_t v = 0;
    for (int n = 0; c->p < c->end; n++) {
        uint8_t b = *c->p++;
        if (n && (v + 1 == 0 || (v + 1) >> (sizeof v * 8 - 7))) return -1;
        v = n ? ((v + 1) << 7) | (b & 0x7f) : (b & 0x7fu);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int is_git_alias(const char *c, size_t len)
{
    /* libgit2 refuses ".git" in a tree, with trailing dots or spaces (NTFS), and "git~1"; refusing
     * a little more (".git" followed by any punctuation but '-' and '_') keeps this simple. */
    if (len < 4 || (c[0] != '.' && c[0] != 'g' && c[0] != 'G')) return 0;
    if (!strncasecmp(c, "git~", 4)) return 1;
    if (strncasecmp(c, ".git", 4)) return 0;
    if (len == 4) return 1;
    char n = c[4];
    return !((n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || (n >= '0' && n <= '9') ||
             n == '-' || n == '_' || (unsigned char)n >= 0x80);
}

static int component_ok(const char *c, size_t n)
{
    return n && !(c[0] == '.' && (n == 1 || (n == 2 && c[1] == '.'))) && !is_git_alias(c, n);
}

/* A path git would record in a tree: no NUL, components neither empty, ".", ".." nor a ".git"
 * alias. Only the bytes from `from` on (a component's start) are checked: the previous path
 * shares those before. */
static int path_ok(const char *p, size_t len, size_t from)
{
    size_t start = from;
    for (size_t i = from; i < len; i++) {
        if (!p[i]) return 0;
        if (p[i] != '/') continue;
        if (!component_ok(p + start, i - start)) return 0;
        start = i + 1;
    }
    return component_ok(p + start, len - start);
}

static int mode_ok(uint32_t m)
{
    return m == 0100644 || m == 0100755 || m == 0120000 || m == 0160000;
}

/* Makes room for `need` more bytes of version 4 paths; when the arena moves, the paths already
 * read move with it (they lie end to end, in entry order). */
static void arena_reserve(ak_gindex *ix, size_t at, size_t need)
{
    if (at + need <= ix->arena_cap) return;
    size_t cap = ix->arena_cap ? ix->arena_cap : 4096;
    while (cap < at + need) cap *= 2;
    ix->arena = ak_realloc(ix->arena, cap);
    ix->arena_cap = cap;
    const char *p = ix->arena;
    for (size_t i = 0; i < ix->n_entries; i++) {
        ix->entries[i].path = p;
        p += ix->entries[i].len + 1;
    }
}

static int path_v4(ak_gindex *ix, cursor *c, size_t *at, ak_buf *why)
{
    size_t strip, prev_len = ix->n_entries ? ix->entries[ix->n_entries - 1].len : 0;
    if (read_varint(c, &strip) || strip > prev_len) return fail(why, "bad v4 path prefix");
    const uint8_t *nul = memchr(c->p, 0, (size_t)(c->end - c->p));
    if (!nul) return fail(why, "entry path runs past the entries");
    size_t keep = prev_len - strip, suffix = (size_t)(nul - c->p);
    arena_reserve(ix, *at, keep + suffix + 1);
    if (keep) memcpy(ix->arena + *at, ix->entries[ix->n_entries - 1].path, keep);
    memcpy(ix->arena + *at + keep, c->p, suffix);
    ix->arena[*at + keep + suffix] = 0;
    c->p = nul + 1;
    return 0;
}

/* Where an entry's path ends: the flags give its length below 0xfff (path_ok then refuses a NUL
 * inside), a NUL ends it above. NULL when it runs past the entries. */
static const uint8_t *path_end(const cursor *c, uint16_t flags)
{
    size_t avail = (size_t)(c->end - c->p), len = flags & F_NAMEMASK;
    if (len < F_NAMEMASK) return len < avail && !c->p[len] ? c->p + len : NULL; /* NULs: path_ok */
    return len < avail ? memchr(c->p + len, 0, avail - len) : NULL;
}

/* The path of one entry; for versions 2 and 3 also skips the padding (1 to 8 NULs, not read:
 * git does not read them either). */
static int read_path(ak_gindex *ix, cursor *c, const uint8_t *start, size_t *at, ak_buf *why)
{
    ak_gindex_entry *e = &ix->entries[ix->n_entries];
    if (ix->version == 4) {
        if (path_v4(ix, c, at, why)) return -1;
        e->path = ix->arena + *at;
        e->len = (uint32_t)strlen(e->path);
        *at += e->len + 1;
        return 0;
    }
    const uint8_t *nul = path_end(c, e->flags);
    if (!nul) return fail(why, "entry path runs past the entries");
    e->path = (const char *)c->p;
    e->len = (uint32_t)(nul - c->p);
    size_t size = ((size_t)(nul - start) + 8) & ~(size_t)7;
    if (size > (size_t)(c->end - start)) return fail(why, "entry padding runs past the entries");
    c->p = start + size;
    return 0;
}

/* The length of the common prefix of a and b (n bytes at most), eight bytes at a time. */
static size_t common_prefix(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    for (uint64_t x, y; i + 8 <= n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y) break;
    }
    while (i < n && a[i] == b[i]) i++;
    return i;
}

/* Entries are sorted by path, each once; *from is set to where e's path starts to differ from
 * the previous one's, at a component boundary. */
static int check_order(const ak_gindex *ix, const ak_gindex_entry *e, size_t *from)
{
    *from = 0;
    if (!ix->n_entries) return 0;
    const ak_gindex_entry *p = e - 1;
    size_t n = p->len < e->len ? p->len : e->len, i = common_prefix(p->path, e->path, n);
    if (i == n ? p->len >= e->len : (unsigned char)p->path[i] > (unsigned char)e->path[i])
        return -1;
    while (i && e->path[i - 1] != '/') i--;
    *from = i;
    return 0;
}

static int check_entry(const ak_gindex *ix, const ak_gindex_entry *e, ak_buf *why)
{
    size_t from;
    if ((e->flags & F_NAMEMASK) != (e->len < F_NAMEMASK ? e->len : F_NAMEMASK))
        return fail(why, "entry name length disagrees with its path");
    if (e->flags & F_STAGE) return fail(why, "unmerged entries (a conflict in progress)");
    if (e->xflags & ~X_KNOWN) return fail(why, "unknown extended entry flags");
    if (e->xflags & AK_GINDEX_INTENT_TO_ADD) return fail(why, "intent-to-add entries");
    if (!mode_ok(e->mode)) return fail(why, "an entry mode other than file, link or gitlink");
    if (check_order(ix, e, &from)) return fail(why, "entries out of order");
    if (!path_ok(e->path, e->len, from)) return fail(why, "a path git would not record in a tree");
    return 0;
}

static int read_entry(ak_gindex *ix, cursor *c, size_t *at, ak_buf *why)
{
    const uint8_t *start = c->p;
    if (c->end - c->p < ENTRY_FIXED) return fail(why, "truncated entry");
    ak_gindex_entry *e = &ix->entries[ix->n_entries];
    memset(e, 0, sizeof *e);
    e->mode = be32(start + 24);
    e->id = start + 40;
    e->flags = be16(start + 60);
    c->p += ENTRY_FIXED;
    if (e->flags & F_EXTENDED) {
        if (ix->version < 3) return fail(why, "extended flags in a version 2 index");
        if (c->end - c->p < 2) return fail(why, "truncated entry");
        e->xflags = be16(c->p);
        c->p += 2;
    }
    if (read_path(ix, c, start, at, why) || check_entry(ix, e, why)) return -1;
    ix->n_entries++;
    return 0;
}

static int read_entries(ak_gindex *ix, cursor *c, uint32_t count, ak_buf *why)
{
    size_t avail = (size_t)(c->end - c->p);
    if (count > avail / (ENTRY_FIXED + 2)) return fail(why, "more entries than the file holds");
    ix->entries = ak_malloc((count ? count : 1) * sizeof *ix->entries);
    size_t at = 0; /* version 4: where the next rebuilt path goes in the arena */
    for (uint32_t i = 0; i < count; i++)
        if (read_entry(ix, c, &at, why)) return -1;
    return 0;
}

/* ---------- the cache-tree ---------- */

static int read_count(cursor *c, char stop, long *out)
{
    int neg = c->p < c->end && *c->p == '-';
    if (neg) c->p++;
    long v = 0;
    const uint8_t *digits = c->p;
    for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
        if (v > (1L << 30)) return -1;
        v = v * 10 + (*c->p - '0');
    }
    if (c->p == digits || c->p >= c->end || *c->p != stop) return -1;
    c->p++;
    *out = neg ? -v : v;
    return neg && v != 1 ? -1 : 0; /* the only negative count is -1 (invalidated) */
}

static int read_node(ak_gindex *ix, cursor *c, int depth)
{
    const uint8_t *nul = memchr(c->p, 0, (size_t)(c->end - c->p));
    if (!nul || depth > MAX_TREE_DEPTH) return -1;
    size_t name_len = (size_t)(nul - c->p);
    if ((depth == 0) != (name_len == 0) || memchr(c->p, '/', name_len)) return -1;
    const char *name = (const char *)c->p;
    c->p = nul + 1;
    long entries, subs;
    if (read_count(c, ' ', &entries) || read_count(c, '\n', &subs)) return -1;
    if (entries > (long)ix->n_entries || subs > (long)ix->n_entries) return -1;
    if (entries >= 0 && c->end - c->p < AK_GINDEX_IDLEN) return -1;
    AK_GROW(ix->trees, ix->cap_trees, ix->n_trees);
    size_t me = ix->n_trees++;
    ix->trees[me] = (ak_gindex_tree){
        name, (uint32_t)name_len, (int32_t)entries, (uint32_t)subs, 0, entries >= 0 ? c->p : NULL};
    if (entries >= 0) c->p += AK_GINDEX_IDLEN;
    for (long i = 0; i < subs; i++)
        if (read_node(ix, c, depth + 1)) return -1;
    ix->trees[me].next = (uint32_t)ix->n_trees;
    return 0;
}

static int read_tree_ext(ak_gindex *ix, const uint8_t *data, size_t len, ak_buf *why)
{
    cursor c = {data, data + len};
    ix->n_trees = 0;
    if (len && (read_node(ix, &c, 0) || c.p != c.end)) {
        ix->n_trees = 0;
        return fail(why, "malformed cache-tree extension");
    }
    return 0;
}

/* ---------- extensions ---------- */

static int read_extensions(ak_gindex *ix, cursor *c, ak_buf *why)
{
    while (c->p < c->end) {
        if (c->end - c->p < 8) return fail(why, "truncated extension header");
        const uint8_t *sig = c->p;
        size_t len = be32(c->p + 4);
        c->p += 8;
        if (len > (size_t)(c->end - c->p)) return fail(why, "extension runs past the file");
        if (!memcmp(sig, "TREE", 4)) {
            if (read_tree_ext(ix, c->p, len, why)) return -1;
        } else if (sig[0] < 'A' || sig[0] > 'Z') {
            /* Required: a split index ("link"), a sparse index ("sdir"), or one not known here. */
            ak_buf_printf(why, "required extension \"%.4s\"", (const char *)sig);
            return -1;
        }
        c->p += len;
    }
    return 0;
}

/* ---------- the file ---------- */

static int map_file(ak_gindex *ix, const char *path, ak_buf *why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        ak_buf_printf(why, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    if (st.st_size < HEADER_LEN + AK_GINDEX_IDLEN || (uint64_t)st.st_size > SIZE_MAX / 2) {
        close(fd);
        return fail(why, "index file too small or too large");
    }
    ix->map_len = (size_t)st.st_size;
    /* Every page is read: map them all at once rather than fault them in one by one. */
    void *m = mmap(NULL, ix->map_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return fail(why, "cannot map the index");
    ix->map = m;
    return 0;
}

int ak_gindex_open(ak_gindex *ix, const char *path, ak_buf *why)
{
    memset(ix, 0, sizeof *ix);
    if (map_file(ix, path, why)) return -1;
    const uint8_t *b = ix->map;
    cursor c = {b + HEADER_LEN, b + ix->map_len - AK_GINDEX_IDLEN};
    if (memcmp(b, "DIRC", 4)) return fail(why, "not an index file");
    ix->version = be32(b + 4);
    if (ix->version < 2 || ix->version > 4) return fail(why, "index version other than 2, 3, 4");
    if (read_entries(ix, &c, be32(b + 8), why) || read_extensions(ix, &c, why)) return -1;
    return 0;
}

void ak_gindex_free(ak_gindex *ix)
{
    if (ix->map) munmap(ix->map, ix->map_len);
    free(ix->entries);
    free(ix->trees);
    free(ix->arena);
    memset(ix, 0, sizeof *ix);
}

static int kid_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static int kid_sort_cmp(const void *a, const void *b)
{
    const ak_gindex_kid *x = a, *y = b;
    return kid_cmp(x->name, x->len, y->name, y->len);
}

void ak_gindex_kids_of(const ak_gindex *ix, long node, ak_gindex_kids *k)
{
    memset(k, 0, sizeof *k);
    if (node < 0 || (size_t)node >= ix->n_trees || !ix->trees[node].n_sub) return;
    const ak_gindex_tree *t = &ix->trees[node];
    k->items = ak_malloc(t->n_sub * sizeof *k->items);
    for (size_t c = (size_t)node + 1; k->n < t->n_sub && c < ix->n_trees; c = ix->trees[c].next)
        k->items[k->n++] = (ak_gindex_kid){ix->trees[c].name, ix->trees[c].name_len, (uint32_t)c};
    qsort(k->items, k->n, sizeof *k->items, kid_sort_cmp);
}

void ak_gindex_kids_free(ak_gindex_kids *k)
{
    free(k->items);
    memset(k, 0, sizeof *k);
}

long ak_gindex_kid_find(const ak_gindex_kids *k, const char *name, size_t len)
{
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = kid_cmp(k->items[mid].name, k->items[mid].len, name, len);
        if (!c) return k->items[mid].node;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
