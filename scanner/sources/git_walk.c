/*
 * The history walk (see git_int.h). Commits are visited depth-first from each tip and numbered in
 * post-order, so every commit gets its rank after all of its parents: that is a topological order,
 * and the first commit to meet a blob is the first one, in that order, whose tree holds it. That
 * is the commit that introduced it, known without any per-finding search.
 *
 * Trees are walked as each commit is numbered, skipping every tree seen before (a commit that
 * changes one file costs one tree per directory level on its path), and new blobs go straight to
 * the pool, so reading blobs overlaps the walk. The DFS stack lives on the heap: a linear history
 * of a million commits is a million frames deep.
 *
 * Trees are most of the walk's cost: every new tree is read whole, and a history's trees often
 * outweigh its blobs. They come from the pack reader when a pack holds them (its cache keeps each
 * delta chain's intermediate versions, so reading trees oldest first applies each delta once) and
 * are parsed here in place, with no allocation per entry; libgit2 reads and parses the rest, and
 * gives the error for a tree that neither can read. An entry whose object was seen already is
 * dropped before its path is built: most entries of a new tree are unchanged from the last one.
 */
#include "sources/git_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <string.h>

void ak_gwalk_init(ak_gwalk *w, git_repository *repo, ak_gscan *scan, const ak_git_opts *opts,
                   ak_scan_summary *sum)
{
    memset(w, 0, sizeof *w);
    w->repo = repo;
    w->scan = scan;
    w->opts = opts;
    w->sum = sum;
    ak_git_read_shallow(repo, &w->shallow);
    if (!scan || !scan->packs) return;
    w->pread = ak_pread_new(scan->packs, (size_t)64 << 20);
    /* Sized once for every packed object: no rehash of a large set in the middle of the walk.
     * The trees' set only when trees are walked here, not in parts with sets of their own. */
    ak_oidset_reserve(&w->blobs, ak_packs_count(scan->packs));
}

static void size_trees(ak_gwalk *w)
{
    if (w->pread && !w->trees.cap) ak_oidset_reserve(&w->trees, ak_packs_count(w->scan->packs));
}

/* What a walker of a part of the tree phase owns too (the rest it borrows from the whole walk). */
static void free_tree_state(ak_gwalk *w)
{
    ak_oidset_free(&w->trees);
    ak_oidset_free(&w->blobs);
    ak_oidset_free(&w->gitlinks);
    ak_buf_free(&w->path);
    ak_pread_free(w->pread);
    free(w->ents);
}

void ak_gwalk_free(ak_gwalk *w)
{
    free_tree_state(w);
    ak_oidset_free(&w->shallow);
    ak_oidset_free(&w->commits);
    free(w->order);
    free(w->roots);
    free(w->bases);
    free(w->tips);
    ak_buf_free(&w->tip_names);
    free(w->boundary);
    ak_buf_free(&w->cstack);
}

static int excluding(const ak_gwalk *w)
{
    const ak_ignore *ex = w->opts->scan.excludes;
    return ex && ex->len;
}

static int excluded(const ak_gwalk *w, int is_dir)
{
    return excluding(w) && ak_ignore_match(w->opts->scan.excludes, ak_buf_cstr(&w->path), is_dir);
}

static void visit_tree(ak_gwalk *w, const git_oid *id, const git_oid *base, uint32_t rank);
static void walk_tree(ak_gwalk *w, const git_oid *id, const git_oid *base, uint32_t rank);

static void note_gitlink(ak_gwalk *w, const git_oid *id)
{
    if (!w->scan || !ak_oidset_add(&w->gitlinks, id, 0)) return;
    char hex[GIT_OID_HEXSZ + 1];
    ak_info("%s: submodule (commit %s), not scanned", ak_buf_cstr(&w->path),
            git_oid_tostr(hex, sizeof hex, id));
    w->sum->skipped++;
}

/* ---------- a part of a spread tree phase ---------- */

/* A blob or gitlink a part of the tree phase met first (within that part): the whole walk's
 * first meeting is the one of the lowest rank, as a walk in rank order would have met it. */
typedef struct cand {
    git_oid id;
    uint32_t rank;
    uint32_t gitlink;
    size_t path; /* offset into ak_gpart.paths */
} cand;

struct ak_gpart {
    size_t from, to; /* ranks */
    cand *c;
    size_t n, cap;
    ak_buf paths;
    unsigned errors; /* trees that could not be read: the phase is run again in order */
};

static void keep(ak_gwalk *w, const git_oid *id, uint32_t rank, int gitlink)
{
    ak_gpart *p = w->part;
    AK_GROW(p->c, p->cap, p->n);
    p->c[p->n++] = (cand){*id, rank, (uint32_t)gitlink, p->paths.len};
    ak_buf_append(&p->paths, w->path.data, w->path.len + 1);
}

/* `prev`: the tree at the same path in the first parent, for a tree entry (or NULL). */
static void visit_entry(ak_gwalk *w, const char *name, const git_oid *id, git_object_t type,
                        const git_oid *prev, uint32_t rank)
{
    /* Seen already: nothing to do, whatever the path (a seen tree is skipped, a seen blob is not
     * queued again), so the path and the exclusions are not even looked at. With no exclusions,
     * the probe that finds the object new also marks it seen. */
    int ex = excluding(w);
    if (type == GIT_OBJECT_TREE &&
        (ex ? ak_oidset_get(&w->trees, id, NULL) : !ak_oidset_add(&w->trees, id, 0)))
        return;
    if (type == GIT_OBJECT_BLOB &&
        (ex ? ak_oidset_get(&w->blobs, id, NULL) : !ak_oidset_add(&w->blobs, id, rank)))
        return;
    size_t base = w->path.len;
    if (base) ak_buf_putc(&w->path, '/');
    ak_buf_puts(&w->path, name);
    switch (type) {
    case GIT_OBJECT_TREE:
        if (!ex)
            walk_tree(w, id, prev, rank);
        else if (!excluded(w, 1))
            visit_tree(w, id, prev, rank);
        break;
    case GIT_OBJECT_BLOB:
        if (ex && (excluded(w, 0) || !ak_oidset_add(&w->blobs, id, rank))) break;
        if (w->part)
            keep(w, id, rank, 0);
        else if (w->scan)
            ak_gscan_blob(w->scan, id, ak_buf_cstr(&w->path), rank);
        break;
    case GIT_OBJECT_COMMIT:
        if (w->part && ak_oidset_add(&w->gitlinks, id, 0))
            keep(w, id, rank, 1);
        else if (!w->part)
            note_gitlink(w, id);
        break;
    default:
        break;
    }
    w->path.len = base;
    w->path.data[base] = 0;
}

/* ---------- raw trees (from the pack reader) ---------- */

typedef struct raw_entry {
    const uint8_t *start; /* the whole entry: start[0 .. len) */
    const char *name;
    const uint8_t *id; /* GIT_OID_RAWSZ bytes, in the tree's buffer */
    size_t len;
    git_object_t type;
} raw_entry;

/* One entry, "MODE NAME\0ID", as strictly as libgit2 reads it (an octal mode of at most 16 bits,
 * a name of 1 to 65535 bytes); -1 when malformed. */
static int raw_next(const uint8_t **at, const uint8_t *end, raw_entry *e)
{
    const uint8_t *p = *at;
    unsigned mode = 0;
    if (p >= end || *p == ' ') return -1;
    for (; p < end && *p != ' '; p++) {
        if (*p < '0' || *p > '7' || mode > 0xffff) return -1;
        mode = mode * 8 + (unsigned)(*p - '0');
    }
    if (p >= end || mode > 0xffff) return -1;
    p++;
    const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
    if (!nul || nul == p || nul - p > 0xffff || end - nul - 1 < GIT_OID_RAWSZ) return -1;
    e->start = *at;
    e->name = (const char *)p;
    e->id = nul + 1;
    e->len = (size_t)(nul + 1 + GIT_OID_RAWSZ - *at);
    unsigned fmt = mode & 0170000;
    e->type = fmt == 0160000   ? GIT_OBJECT_COMMIT
              : fmt == 0040000 ? GIT_OBJECT_TREE
                               : GIT_OBJECT_BLOB;
    *at = nul + 1 + GIT_OID_RAWSZ;
    return 0;
}

/* Parses a tree onto the entry stack (from *first on), so a malformed tree is rejected before any
 * of its entries has an effect. It stops at the first entry that starts within the last `tail`
 * bytes; *rest: the bytes left unparsed. */
static int raw_parse(ak_gwalk *w, const uint8_t *data, size_t len, size_t tail, size_t *first,
                     size_t *rest)
{
    *first = w->n_ents;
    raw_entry e, *ents = w->ents;
    const uint8_t *p = data, *end = data + len;
    while (p < end && (size_t)(end - p) > tail) {
        if (raw_next(&p, end, &e)) {
            w->n_ents = *first;
            return -1;
        }
        AK_GROW(ents, w->cap_ents, w->n_ents);
        w->ents = ents;
        ents[w->n_ents++] = e;
    }
    *rest = (size_t)(end - p);
    return 0;
}

/* Starts loading the seen-set slot an entry will probe (the set's own hash: the id's first
 * bytes), so the probes of a tree's entries overlap instead of waiting one by one. */
static void prefetch_seen(const ak_gwalk *w, const raw_entry *e)
{
    const ak_oidset *s = e->type == GIT_OBJECT_TREE ? &w->trees : &w->blobs;
    if (!s->cap) return;
    git_oid id;
    memcpy(id.id, e->id, GIT_OID_RAWSZ);
    __builtin_prefetch(&s->slots[ak_oidset_slot(s, &id)]);
}

#define PREFETCH_AHEAD 8

/* Git's order of tree entries: by name, a tree's name compared as if it ended with '/'. */
static int entry_order(const raw_entry *a, const raw_entry *b)
{
    size_t la = (size_t)(a->id - 1 - (const uint8_t *)a->name);
    size_t lb = (size_t)(b->id - 1 - (const uint8_t *)b->name);
    int c = memcmp(a->name, b->name, la < lb ? la : lb);
    if (c || la == lb) return c;
    unsigned ca = la < lb ? (a->type == GIT_OBJECT_TREE ? '/' : 0) : (uint8_t)a->name[lb];
    unsigned cb = lb < la ? (b->type == GIT_OBJECT_TREE ? '/' : 0) : (uint8_t)b->name[la];
    return (ca > cb) - (ca < cb);
}

/* Whether the entries of the previous version of a tree may stand for "seen": only when every
 * entry of every tree walked so far was followed (no exclusions, which depend on the path, and
 * no tree that could not be read). */
static int bases_usable(const ak_gwalk *w)
{
    return !excluding(w) && !w->tree_errors;
}

/* The base tree, pinned in *b, when it may be used; else 0. */
static int get_base(ak_gwalk *w, const git_oid *base, ak_pobj *b)
{
    if (!base || !bases_usable(w) || ak_pread_get(w->pread, base, b)) return 0;
    if (b->type == GIT_OBJECT_TREE) return 1;
    ak_pread_put(w->pread, b);
    return 0;
}

/* The length of the longest run of whole entries at the start of tree a that are byte for byte
 * those of tree b, a valid tree (its entries end at each NUL + the id). */
static size_t same_entries(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen, same = 0, at = 0;
    uint64_t x, y;
    for (; same + 8 <= n; same += 8) {
        memcpy(&x, a + same, 8);
        memcpy(&y, b + same, 8);
        if (x != y) break;
    }
    while (same < n && a[same] == b[same]) same++;
    for (const uint8_t *nul; (nul = memchr(b + at, 0, blen - at));) {
        size_t next = (size_t)(nul - b) + 1 + GIT_OID_RAWSZ;
        if (next > same) break;
        at = next;
    }
    return at;
}

/* The number of bytes at the end of a[0 .. alen) equal to those at the end of b[0 .. blen). */
static size_t same_tail(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen, same = 0;
    uint64_t x, y;
    for (; same + 8 <= n; same += 8) {
        memcpy(&x, a + alen - same - 8, 8);
        memcpy(&y, b + blen - same - 8, 8);
        if (x != y) break;
    }
    while (same < n && a[alen - same - 1] == b[blen - same - 1]) same++;
    return same;
}

/* Parses the tree o and its base b from `skip` on (both begin with the same `skip` bytes of whole
 * entries), b first, leaving out the longest run of whole entries at their end that are byte for
 * byte the same: b is a valid tree, so then is that part of o, and they are seen already. Falls
 * back to parsing the rest of both when the entries do not line up at the end. 0: the entries
 * of b are [*bfirst, *bend), those of o [*first, n_ents). */
static int parse_pair(ak_gwalk *w, const ak_pobj *o, const ak_pobj *b, size_t skip, size_t *bfirst,
                      size_t *bend, size_t *first)
{
    size_t tail = same_tail(o->data + skip, o->len - skip, b->data + skip, b->len - skip);
    size_t orest = 0, brest = 0;
    for (;; tail = 0) {
        if (raw_parse(w, b->data + skip, b->len - skip, tail, bfirst, &brest)) return -1;
        *bend = w->n_ents;
        if (raw_parse(w, o->data + skip, o->len - skip, tail, first, &orest)) {
            w->n_ents = *bfirst;
            return -1;
        }
        if (orest == brest || !tail) return 0;
        w->n_ents = *bfirst;
    }
}

/* Whether the rest of the tree from entry e on is the rest of the base from entry old on. */
static int same_rest(const ak_pobj *o, const raw_entry *e, const ak_pobj *b, const raw_entry *old)
{
    size_t n = (size_t)(o->data + o->len - e->start);
    return n == (size_t)(b->data + b->len - old->start) && !memcmp(e->start, old->start, n);
}

/* 1 when the pack reader produced the tree and it was walked; 0: libgit2's turn.
 *
 * `base` is the tree at the same path in the first parent, walked already. An entry equal byte
 * for byte to one of the base is an object seen already and is skipped without a probe of the
 * seen-sets: that is most of a new tree. The equal entries at the start are found with one
 * comparison of the two buffers and not even parsed (the base is a valid tree, and so is that
 * part of this one), and so are the equal entries at the end (parse_pair); in between, both are
 * parsed and merged in git's order of entries, until the rest of both is equal again. */
static int visit_packed(ak_gwalk *w, const git_oid *id, const git_oid *base, uint32_t rank)
{
    ak_pobj o, b = {0};
    size_t first = 0, bfirst = w->n_ents, bend = bfirst, rest;
    if (!w->pread || ak_pread_get(w->pread, id, &o)) return 0;
    int ok = 0;
    if (o.type == GIT_OBJECT_TREE && get_base(w, base, &b)) {
        size_t skip = same_entries(o.data, o.len, b.data, b.len);
        ok = !parse_pair(w, &o, &b, skip, &bfirst, &bend, &first);
        if (!ok) bend = bfirst = w->n_ents; /* o is read whole below, with no base */
    }
    if (!ok) ok = o.type == GIT_OBJECT_TREE && !raw_parse(w, o.data, o.len, 0, &first, &rest);
    size_t end = ok ? w->n_ents : first, j = bfirst;
    for (size_t i = first, differed = 0; i < end; i++) {
        const raw_entry *ents = w->ents; /* the stack grows under nested trees */
        raw_entry e = ents[i];
        const raw_entry *old = NULL;
        while (j < bend && entry_order(&ents[j], &e) < 0) j++;
        if (j < bend && !entry_order(&ents[j], &e)) old = &ents[j++];
        if (old && old->len == e.len && !memcmp(old->start, e.start, e.len)) {
            if (differed && same_rest(&o, &e, &b, old)) break;
            differed = 0;
            continue;
        }
        differed = 1;
        if (bend == bfirst && i + PREFETCH_AHEAD < end) prefetch_seen(w, &ents[i + PREFETCH_AHEAD]);
        git_oid eid, oid;
        memcpy(eid.id, e.id, GIT_OID_RAWSZ);
        if (old && old->type == GIT_OBJECT_TREE) memcpy(oid.id, old->id, GIT_OID_RAWSZ);
        visit_entry(w, e.name, &eid, e.type, old && old->type == GIT_OBJECT_TREE ? &oid : NULL,
                    rank);
    }
    w->n_ents = bfirst;
    ak_pread_put(w->pread, &b);
    ak_pread_put(w->pread, &o);
    return ok;
}

/* Walks a tree already marked seen. */
static void walk_tree(ak_gwalk *w, const git_oid *id, const git_oid *base, uint32_t rank)
{
    if (visit_packed(w, id, base, rank)) return;
    git_tree *t;
    if (git_tree_lookup(&t, w->repo, id)) {
        char hex[GIT_OID_HEXSZ + 1];
        w->tree_errors++;
        if (w->part) {
            w->part->errors++;
            return;
        }
        ak_git_note_error(w->sum, "tree %s (%s/): missing or corrupt: %s",
                          git_oid_tostr(hex, sizeof hex, id), ak_buf_cstr(&w->path),
                          ak_git_errmsg());
        return;
    }
    size_t n = git_tree_entrycount(t);
    for (size_t i = 0; i < n; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(t, i);
        visit_entry(w, git_tree_entry_name(e), git_tree_entry_id(e), git_tree_entry_type(e), NULL,
                    rank);
    }
    git_tree_free(t);
}

static void visit_tree(ak_gwalk *w, const git_oid *id, const git_oid *base, uint32_t rank)
{
    if (ak_oidset_add(&w->trees, id, 0)) walk_tree(w, id, base, rank);
}

void ak_gwalk_tree(ak_gwalk *w, const git_oid *tree, const char *prefix, uint32_t rank)
{
    ak_buf_reset(&w->path);
    ak_buf_puts(&w->path, prefix);
    visit_tree(w, tree, NULL, rank);
}

/* ---------- tips and the deferred tree phase ---------- */

static void walk_rank(ak_gwalk *w, uint32_t rank);

struct ak_gtip {
    git_oid id;
    size_t at;   /* walked after the trees of ranks below `at` */
    size_t name; /* offset into ak_gwalk.tip_names; SIZE_MAX: a tree */
};

static void run_tip(ak_gwalk *w, const ak_gtip *t)
{
    if (t->name == SIZE_MAX) return ak_gwalk_tree(w, &t->id, "", AK_RANK_NONE);
    if (ak_oidset_add(&w->blobs, &t->id, AK_RANK_NONE) && w->scan)
        ak_gscan_blob(w->scan, &t->id, w->tip_names.data + t->name, AK_RANK_NONE);
}

static void add_tip(ak_gwalk *w, const git_oid *id, const char *name)
{
    ak_gtip t = {*id, w->n_order, SIZE_MAX};
    if (name) {
        t.name = w->tip_names.len;
        ak_buf_append(&w->tip_names, name, strlen(name) + 1);
    }
    if (!w->defer) {
        run_tip(w, &t);
        ak_buf_reset(&w->tip_names);
        return;
    }
    AK_GROW(w->tips, w->cap_tips, w->n_tips);
    w->tips[w->n_tips++] = t;
}

void ak_gwalk_tree_tip(ak_gwalk *w, const git_oid *tree)
{
    add_tip(w, tree, NULL);
}

void ak_gwalk_blob_tip(ak_gwalk *w, const git_oid *blob, const char *name)
{
    add_tip(w, blob, name);
}

/* The tree phase in order, on this thread: each rank's trees, each tip in its place. */
static void flush_in_order(ak_gwalk *w, size_t from, size_t tip)
{
    size_trees(w);
    for (size_t r = from; r < w->n_order; r++) {
        for (; tip < w->n_tips && w->tips[tip].at <= r; tip++) run_tip(w, &w->tips[tip]);
        walk_rank(w, (uint32_t)r);
    }
    for (; tip < w->n_tips; tip++) run_tip(w, &w->tips[tip]);
}

/* A spread tree phase: the ranks cut into parts, each walked by whichever thread takes it with
 * seen-sets of its own, starting empty. Within a part that is the walk in order; across parts a
 * blob may be met again, and the merge keeps its first meeting in rank order. Entries equal to
 * the first parent's are skipped as in the walk in order: that parent was walked by some part. */
typedef struct spread {
    ak_gwalk *w;
    ak_gpart *parts;
    size_t n_parts;
    ak_gwalk *subs; /* each thread's walker, by thread index */
} spread;

static void walk_part(void *ctx, size_t task, unsigned index, git_repository *repo)
{
    spread *sp = ctx;
    ak_gwalk *sub = &sp->subs[index], *w = sp->w;
    ak_gpart *part = &sp->parts[task];
    if (!sub->pread) {
        sub->opts = w->opts;
        sub->sum = w->sum;
        sub->scan = w->scan;
        sub->roots = w->roots;
        sub->bases = w->bases;
        sub->pread = ak_pread_new(w->scan->packs, (size_t)32 << 20);
        ak_oidset_reserve(&sub->trees, 1 << 16);
        ak_oidset_reserve(&sub->blobs, 1 << 16);
    }
    sub->repo = repo;
    sub->part = part;
    ak_oidset_clear(&sub->trees);
    ak_oidset_clear(&sub->blobs);
    ak_oidset_clear(&sub->gitlinks);
    for (size_t r = part->from; r < part->to && !part->errors; r++) walk_rank(sub, (uint32_t)r);
}

/* Part i's blobs and gitlinks, each the first time it is met in rank order, with the tips in
 * their places: what the walk in order would have queued, in the same order. */
static void merge_part(ak_gwalk *w, const ak_gpart *p, size_t *tip)
{
    for (size_t k = 0; k < p->n; k++) {
        const cand *c = &p->c[k];
        for (; *tip < w->n_tips && w->tips[*tip].at <= c->rank; (*tip)++)
            run_tip(w, &w->tips[*tip]);
        ak_buf_reset(&w->path);
        ak_buf_puts(&w->path, p->paths.data + c->path);
        if (c->gitlink)
            note_gitlink(w, &c->id);
        else if (ak_oidset_add(&w->blobs, &c->id, c->rank))
            ak_gscan_blob(w->scan, &c->id, ak_buf_cstr(&w->path), c->rank);
    }
}

#define PART_RANKS 2048 /* commits per part, at least */

/* The tree phase of ranks [from, n_order) spread over the threads, merged part by part as the
 * parts are done. A part that met a tree it could not read stops the merge there: from its first
 * rank on, the walk is made in order (which reports the tree). Up to there, the blobs merged are
 * exactly those the walk in order would have queued, and that walk, resumed, only needs them. */
static void flush_spread(ak_gwalk *w, size_t from)
{
    unsigned threads = w->scan->n_workers + 1;
    size_t n = w->n_order - from, n_parts = n / PART_RANKS, tip = 0, i;
    if (n_parts > 2 * (size_t)threads) n_parts = 2 * (size_t)threads;
    spread sp = {w, ak_calloc(n_parts, sizeof *sp.parts), n_parts,
                 ak_calloc(threads, sizeof *sp.subs)};
    for (i = 0; i < n_parts; i++) {
        sp.parts[i].from = from + n * i / n_parts;
        sp.parts[i].to = from + n * (i + 1) / n_parts;
    }
    ak_info("history: the trees of %zu commits walked in %zu parts on %u threads", n, n_parts,
            threads);
    ak_gscan_spread(w->scan, n_parts, walk_part, &sp);
    for (i = 0; i < n_parts; i++) {
        ak_gscan_spread_wait(w->scan, i);
        if (sp.parts[i].errors) break;
        merge_part(w, &sp.parts[i], &tip);
    }
    if (i < n_parts) {
        ak_info("history: part %zu met a tree it could not read; walking in order from there", i);
        for (size_t k = i + 1; k < n_parts; k++) ak_gscan_spread_wait(w->scan, k);
        flush_in_order(w, sp.parts[i].from, tip);
    } else {
        for (; tip < w->n_tips; tip++) run_tip(w, &w->tips[tip]);
    }
    for (i = 0; i < threads; i++) free_tree_state(&sp.subs[i]);
    for (i = 0; i < n_parts; i++) {
        free(sp.parts[i].c);
        ak_buf_free(&sp.parts[i].paths);
    }
    free(sp.parts);
    free(sp.subs);
}

void ak_gwalk_flush(ak_gwalk *w)
{
    size_t from = w->n_treed, tip = 0;
    w->n_treed = w->n_order;
    /* Spread only when the walk in order would use first-parent bases throughout (no
     * exclusions, no unreadable tree so far) and there is enough to share. */
    int spread = w->parallel && w->scan && w->scan->packs && w->scan->n_workers &&
                 bases_usable(w) && w->n_order - from >= 2 * PART_RANKS;
    if (spread)
        flush_spread(w, from);
    else
        flush_in_order(w, from, tip);
    w->n_tips = 0;
    ak_buf_reset(&w->tip_names);
}

/* ---------- commits ---------- */

/* A commit on the DFS stack. Its parents' ids and its message are kept on a byte stack
 * (ak_gwalk.cstack) at `at`: frames are popped in the order they were pushed, so the bytes of
 * the top frame are always last and are dropped with it. */
typedef struct frame {
    git_oid id, tree;
    size_t at, msg; /* offsets of the parents' ids and of the message */
    unsigned next, nparents;
} frame;

typedef struct stack {
    frame *items;
    size_t len, cap;
} stack;

/* "NAME <40 hex>\n" at *p into *id. */
static int oid_line(const char **p, const char *end, const char *name, git_oid *id)
{
    size_t n = strlen(name);
    if ((size_t)(end - *p) < n + GIT_OID_HEXSZ + 1 || memcmp(*p, name, n) ||
        (*p)[n + GIT_OID_HEXSZ] != '\n' || git_oid_fromstrn(id, *p + n, GIT_OID_HEXSZ))
        return -1;
    *p += n + GIT_OID_HEXSZ + 1;
    return 0;
}

static int digits(const char *p, int n)
{
    for (int i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return 0;
    return 1;
}

/* "NAME ...<EMAIL> SECONDS +HHMM\n", the form git writes (libgit2 accepts it whatever the name
 * and email); anything else is left to libgit2. */
static int sig_line(const char **p, const char *end, const char *name)
{
    size_t n = strlen(name);
    const char *s = *p, *eol = memchr(s, '\n', (size_t)(end - s));
    if (!eol || eol - s < (ptrdiff_t)n + 9 || memcmp(s, name, n)) return -1;
    const char *tz = eol - 5, *t = tz - 1;
    if ((*tz != '+' && *tz != '-') || !digits(tz + 1, 4) || tz[-1] != ' ') return -1;
    while (t > s + n + 2 && t[-1] >= '0' && t[-1] <= '9') t--;
    if (t == tz - 1 || t[-1] != ' ' || t[-2] != '>' || !memchr(s + n, '<', (size_t)(t - 2 - s - n)))
        return -1;
    *p = eol + 1;
    return 0;
}

/* Parses a commit as libgit2 does, for the usual form only: tree, parents, one author, committer,
 * other headers up to the first empty line, then the message (up to a NUL, leading newlines
 * dropped, as git_commit_message gives it). -1: let libgit2 read it (and judge it). */
static int parse_commit(const uint8_t *data, size_t len, frame *f, ak_buf *bytes)
{
    const char *p = (const char *)data, *end = p + len;
    git_oid parent;
    if (oid_line(&p, end, "tree ", &f->tree)) return -1;
    for (f->nparents = 0; !oid_line(&p, end, "parent ", &parent); f->nparents++)
        ak_buf_append(bytes, parent.id, GIT_OID_RAWSZ);
    if (sig_line(&p, end, "author ") || sig_line(&p, end, "committer ")) return -1;
    const char *blank = p - 1; /* the first empty line ends the headers */
    while (blank && blank + 1 < end && blank[1] != '\n')
        blank = memchr(blank + 1, '\n', (size_t)(end - blank - 1));
    if (blank && blank + 1 >= end) blank = NULL;
    const char *msg = blank ? blank + 2 : end;
    const char *nul = memchr(msg, 0, (size_t)(end - msg));
    if (nul) end = nul;
    while (msg < end && *msg == '\n') msg++;
    f->msg = bytes->len;
    ak_buf_append(bytes, msg, (size_t)(end - msg));
    ak_buf_putc(bytes, '\0');
    return 0;
}

/* Reads commit id into f (tree) and the byte stack (parents, message): from the packs when it
 * is there in the usual form, else through libgit2, which also gives the error. */
static int read_commit(ak_gwalk *w, const git_oid *id, frame *f)
{
    ak_pobj o;
    f->at = w->cstack.len;
    if (w->pread && !ak_pread_once(w->pread, id, &o)) {
        int ok = o.type == GIT_OBJECT_COMMIT && !parse_commit(o.data, o.len, f, &w->cstack);
        ak_pread_put(w->pread, &o);
        if (ok) return 0;
        w->cstack.len = f->at;
    }
    git_commit *c;
    if (git_commit_lookup(&c, w->repo, id)) return -1;
    f->tree = *git_commit_tree_id(c);
    f->nparents = git_commit_parentcount(c);
    for (unsigned i = 0; i < f->nparents; i++)
        ak_buf_append(&w->cstack, git_commit_parent_id(c, i)->id, GIT_OID_RAWSZ);
    const char *msg = git_commit_message(c);
    f->msg = w->cstack.len;
    ak_buf_append(&w->cstack, msg ? msg : "", msg ? strlen(msg) + 1 : 1);
    git_commit_free(c);
    return 0;
}

static void missing_commit(ak_gwalk *w, const git_oid *id, const git_oid *child)
{
    char hex[GIT_OID_HEXSZ + 1], chex[GIT_OID_HEXSZ + 1] = "";
    git_oid_tostr(hex, sizeof hex, id);
    if (child) git_oid_tostr(chex, sizeof chex, child);
    ak_git_note_error(w->sum, "commit %s%s%s: missing or corrupt: %s", hex,
                      child ? ", parent of " : "", chex, ak_git_errmsg());
}

static void add_boundary(ak_gwalk *w, const git_oid *id)
{
    AK_GROW(w->boundary, w->cap_boundary, w->n_boundary);
    w->boundary[w->n_boundary++] = *id;
}

/* Pushes a frame for id unless it was seen, is hidden or cannot be read. */
static void enter(ak_gwalk *w, stack *st, const git_oid *id, const git_oid *child)
{
    if (w->hidden && ak_oidset_get(w->hidden, id, NULL)) {
        if (ak_oidset_add(&w->commits, id, AK_RANK_NONE)) add_boundary(w, id);
        return;
    }
    if (!ak_oidset_add(&w->commits, id, AK_RANK_NONE)) return;
    frame f = {.id = *id};
    if (read_commit(w, id, &f)) return missing_commit(w, id, child);
    if (ak_oidset_get(&w->shallow, id, NULL)) f.nparents = 0;
    AK_GROW(st->items, st->cap, st->len);
    st->items[st->len++] = f;
}

/* The rank of the first parent, when that parent was walked (it was, unless it is missing,
 * hidden or behind a shallow boundary), else AK_RANK_NONE. */
static uint32_t first_parent_rank(const ak_gwalk *w, const frame *f)
{
    git_oid parent;
    uint32_t r;
    if (f->msg - f->at < GIT_OID_RAWSZ) return AK_RANK_NONE;
    memcpy(parent.id, w->cstack.data + f->at, GIT_OID_RAWSZ);
    if (!ak_oidset_get(&w->commits, &parent, &r) || r >= w->n_order) return AK_RANK_NONE;
    return r;
}

/* Walks the root tree of the commit of that rank, against its first parent's. */
static void walk_rank(ak_gwalk *w, uint32_t rank)
{
    uint32_t b = w->bases[rank];
    ak_buf_reset(&w->path);
    visit_tree(w, &w->roots[rank], b == AK_RANK_NONE ? NULL : &w->roots[b], rank);
}

static void number(ak_gwalk *w, const frame *f)
{
    uint32_t rank = (uint32_t)w->n_order;
    uint32_t base = first_parent_rank(w, f);
    AK_GROW(w->order, w->cap_order, w->n_order);
    w->roots = ak_realloc(w->roots, w->cap_order * sizeof *w->roots);
    w->bases = ak_realloc(w->bases, w->cap_order * sizeof *w->bases);
    w->roots[w->n_order] = f->tree;
    w->bases[w->n_order] = base;
    w->order[w->n_order++] = f->id;
    ak_oidset_set(&w->commits, &f->id, rank);
    w->sum->commits++;
    if (w->scan) ak_gscan_message(w->scan, w->cstack.data + f->msg, rank);
    if (w->defer) return;
    size_trees(w);
    walk_rank(w, rank);
    w->n_treed = w->n_order;
}

void ak_gwalk_commits(ak_gwalk *w, const git_oid *tip)
{
    stack st = {0};
    enter(w, &st, tip, NULL);
    while (st.len) {
        frame *f = &st.items[st.len - 1];
        if (f->next < f->nparents) {
            git_oid parent, child = f->id; /* enter may move the stack */
            memcpy(parent.id, w->cstack.data + f->at + (size_t)f->next++ * GIT_OID_RAWSZ,
                   GIT_OID_RAWSZ);
            enter(w, &st, &parent, &child);
            continue;
        }
        number(w, f);
        w->cstack.len = f->at;
        st.len--;
    }
    free(st.items);
}

/* Adds id to the set; 1 when it should be walked further (new, and not behind the hidden line,
 * where it becomes part of the boundary instead). */
static int reach_one(ak_gwalk *w, const git_oid *id, ak_oidset *set)
{
    if (!ak_oidset_add(set, id, 0)) return 0;
    if (!w->hidden || !ak_oidset_get(w->hidden, id, NULL)) return 1;
    add_boundary(w, id);
    return 0;
}

void ak_gwalk_reach(ak_gwalk *w, const git_oid *tip, ak_oidset *set)
{
    git_oid *todo = NULL;
    size_t n = 0, cap = 0;
    if (!reach_one(w, tip, set)) return;
    AK_GROW(todo, cap, n);
    todo[n++] = *tip;
    while (n) {
        git_oid id = todo[--n];
        git_commit *c;
        if (git_commit_lookup(&c, w->repo, &id)) {
            missing_commit(w, &id, NULL);
            continue;
        }
        unsigned np = ak_oidset_get(&w->shallow, &id, NULL) ? 0 : git_commit_parentcount(c);
        for (unsigned i = 0; i < np; i++) {
            const git_oid *p = git_commit_parent_id(c, i);
            if (!reach_one(w, p, set)) continue;
            AK_GROW(todo, cap, n);
            todo[n++] = *p;
        }
        git_commit_free(c);
    }
    free(todo);
}
