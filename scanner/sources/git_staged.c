/*
 * `akhound scan --staged`: the pre-commit check, so it must cost about what `git diff --cached`
 * costs. Change detection has two ways, giving the same list of changed files:
 *
 *   the index reader (git_index.h) walks the index and HEAD's tree together, directory by
 *   directory, and skips every directory whose cache-tree entry is valid and names the tree HEAD
 *   has at that path, as git does: only the directories a change invalidated are compared entry
 *   by entry, so the work follows the size of the change, not of the repository. HEAD's trees
 *   come from the pack reader (git_pack.h) or libgit2.
 *   libgit2, for any index the reader does not handle (git_index.h lists them) or any object the
 *   walk cannot read (libgit2 then gives the canonical error): the index is turned into a tree
 *   and compared with HEAD's tree by id, descending only into subtrees whose ids differ.
 *
 * Each changed file is scanned whole (an ID and its secret may sit on lines the change did not
 * touch), then only credentials the change brought in are kept: those on added lines, and those
 * whose key material the old version did not hold (a secret added next to an existing ID). A file
 * that is new at its path is compared with the files the change deletes, so a rename does not
 * blame an old key on this commit. --all-staged-lines keeps everything in the changed files.
 */
#include "sources/git_index.h"
#include "sources/git_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

typedef struct change {
    char *path;
    git_oid old_id, new_id;
    int has_old;
} change;

typedef struct gone {
    git_oid id;
    size_t path; /* offset into staged.gone_paths */
} gone;

typedef struct staged {
    git_repository *repo;
    const ak_engine *engine;
    const ak_git_opts *opts;
    ak_scan_summary *sum;
    ak_scratch *scratch;
    change *changes;
    size_t n_changes, cap_changes;
    gone *deleted; /* blobs the change deletes (or replaces with a tree) */
    size_t n_deleted, cap_deleted;
    ak_buf gone_paths;
    ak_findings deleted_found; /* findings of the deleted blobs, scanned on first need */
    int deleted_scanned;
    ak_buf path;
    int failed;
} staged;

/* ---------- tree against tree ---------- */

static void diff_trees(staged *s, const git_oid *old_id, const git_oid *new_id);

/* The file at s->path is to be scanned: new at its path (old NULL) or changed from old. */
static void note_change(staged *s, const git_oid *old, const git_oid *new_id)
{
    const ak_ignore *ex = s->opts->scan.excludes;
    if (ex && ak_ignore_match_path(ex, ak_buf_cstr(&s->path), 0)) return;
    AK_GROW(s->changes, s->cap_changes, s->n_changes);
    change *c = &s->changes[s->n_changes++];
    c->path = ak_strdup(ak_buf_cstr(&s->path));
    c->new_id = *new_id;
    c->has_old = old != NULL;
    if (old) c->old_id = *old;
}

/* The blob at s->path is deleted by the change. */
static void note_gone(staged *s, const git_oid *id)
{
    AK_GROW(s->deleted, s->cap_deleted, s->n_deleted);
    s->deleted[s->n_deleted].id = *id;
    s->deleted[s->n_deleted++].path = s->gone_paths.len;
    ak_buf_append(&s->gone_paths, ak_buf_cstr(&s->path), s->path.len + 1);
}

static void path_push(staged *s, const char *name, size_t len)
{
    if (s->path.len) ak_buf_putc(&s->path, '/');
    ak_buf_append(&s->path, name, len);
}

static void path_pop(staged *s, size_t base)
{
    s->path.len = base;
    if (s->path.data) s->path.data[base] = 0;
}

static void add_change(staged *s, const git_tree_entry *o, const git_tree_entry *n)
{
    int has_old = o && git_tree_entry_type(o) == GIT_OBJECT_BLOB;
    note_change(s, has_old ? git_tree_entry_id(o) : NULL, git_tree_entry_id(n));
}

static void add_deleted(staged *s, const git_tree_entry *o)
{
    if (git_tree_entry_type(o) == GIT_OBJECT_TREE) return diff_trees(s, git_tree_entry_id(o), NULL);
    if (git_tree_entry_type(o) == GIT_OBJECT_BLOB) note_gone(s, git_tree_entry_id(o));
}

static void diff_entry(staged *s, const git_tree_entry *o, const git_tree_entry *n)
{
    if (o && !git_oid_cmp(git_tree_entry_id(o), git_tree_entry_id(n)) &&
        git_tree_entry_filemode(o) == git_tree_entry_filemode(n))
        return;
    int otree = o && git_tree_entry_type(o) == GIT_OBJECT_TREE;
    switch (git_tree_entry_type(n)) {
    case GIT_OBJECT_TREE:
        if (o && !otree) add_deleted(s, o);
        diff_trees(s, otree ? git_tree_entry_id(o) : NULL, git_tree_entry_id(n));
        break;
    case GIT_OBJECT_BLOB:
        if (otree) add_deleted(s, o);
        add_change(s, o, n);
        break;
    default: /* submodule links hold no content of this repository */
        break;
    }
}

static int lookup_tree(staged *s, const git_oid *id, git_tree **out)
{
    *out = NULL;
    if (!id || !git_tree_lookup(out, s->repo, id)) return 0;
    char hex[GIT_OID_HEXSZ + 1];
    ak_git_note_error(s->sum, "tree %s: missing or corrupt: %s", git_oid_tostr(hex, sizeof hex, id),
                      ak_git_errmsg());
    return -1;
}

static void diff_trees(staged *s, const git_oid *old_id, const git_oid *new_id)
{
    git_tree *o, *n;
    if (lookup_tree(s, old_id, &o) || lookup_tree(s, new_id, &n)) return git_tree_free(o);
    size_t base = s->path.len;
    for (size_t i = 0, len = n ? git_tree_entrycount(n) : 0; i < len; i++) {
        const git_tree_entry *ne = git_tree_entry_byindex(n, i);
        const char *name = git_tree_entry_name(ne);
        path_push(s, name, strlen(name));
        diff_entry(s, o ? git_tree_entry_byname(o, name) : NULL, ne);
        path_pop(s, base);
    }
    for (size_t i = 0, len = o ? git_tree_entrycount(o) : 0; i < len; i++) {
        const git_tree_entry *oe = git_tree_entry_byindex(o, i);
        const char *name = git_tree_entry_name(oe);
        if (n && git_tree_entry_byname(n, name)) continue;
        path_push(s, name, strlen(name));
        add_deleted(s, oe);
        path_pop(s, base);
    }
    git_tree_free(o);
    git_tree_free(n);
}

/* ---------- which findings the change brought in ---------- */

typedef struct lines {
    uint32_t *items;
    size_t len, cap;
} lines;

static int on_line(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l,
                   void *payload)
{
    (void)d;
    (void)h;
    lines *ls = payload;
    if (l->origin != GIT_DIFF_LINE_ADDITION || l->new_lineno <= 0) return 0;
    AK_GROW(ls->items, ls->cap, ls->len);
    ls->items[ls->len++] = (uint32_t)l->new_lineno;
    return 0;
}

static int has_line(const lines *ls, uint32_t line)
{
    for (size_t i = 0; i < ls->len; i++)
        if (ls->items[i] == line) return 1;
    return 0;
}

static int same_material(const ak_finding *a, const ak_finding *b)
{
#define EQ(x) ((!a->x && !b->x) || (a->x && b->x && !strcmp(a->x, b->x)))
    return a->kind == b->kind && EQ(access_key_id) && EQ(secret) && EQ(security_token);
#undef EQ
}

static int scan_blob(staged *s, const git_blob *b, const char *path, ak_findings *out)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, git_blob_id(b));
    ak_chunk c = {git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), path, hex, 1, path};
    ak_buf err = AK_BUF_INIT;
    int rc = ak_scan_buffer(s->engine, s->scratch, &c, s->opts->scan.max_file_size, out, &err);
    if (rc) {
        ak_git_note_error(s->sum, "%s", ak_buf_cstr(&err));
        s->failed = 1;
    }
    ak_buf_free(&err);
    return rc;
}

static void scan_old(staged *s, const git_oid *id, ak_findings *out)
{
    git_blob *b;
    if (git_blob_lookup(&b, s->repo, id)) return;
    scan_blob(s, b, "<old>", out);
    git_blob_free(b);
}

static int in_findings(const ak_findings *list, const ak_finding *f)
{
    for (size_t i = 0; i < list->len; i++)
        if (same_material(&list->items[i], f)) return 1;
    return 0;
}

/* Drops the findings of c (in found[from..]) the change did not bring in. */
static void keep_new(staged *s, const change *c, const git_blob *nb, ak_findings *found,
                     size_t from)
{
    lines added = {0};
    ak_findings old = {0};
    const ak_findings *before = &old;
    git_blob *ob = NULL;
    if (c->has_old && !git_blob_lookup(&ob, s->repo, &c->old_id)) {
        git_diff_options o;
        git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
        o.context_lines = 0;
        git_diff_blobs(ob, c->path, nb, c->path, &o, NULL, NULL, NULL, on_line, &added);
        scan_blob(s, ob, c->path, &old);
    } else if (!c->has_old) {
        for (size_t i = 0; !s->deleted_scanned && i < s->n_deleted; i++)
            scan_old(s, &s->deleted[i].id, &s->deleted_found);
        s->deleted_scanned = 1;
        before = &s->deleted_found;
    }
    size_t out = from;
    for (size_t i = from; i < found->len; i++) {
        ak_finding *f = &found->items[i];
        if (has_line(&added, f->line) || !in_findings(before, f))
            found->items[out++] = *f;
        else
            ak_finding_free(f);
    }
    found->len = out;
    git_blob_free(ob);
    ak_findings_free(&old);
    free(added.items);
}

static void scan_change(staged *s, const change *c, ak_findings *out)
{
    git_blob *b;
    char hex[GIT_OID_HEXSZ + 1];
    if (git_blob_lookup(&b, s->repo, &c->new_id))
        return ak_git_note_error(s->sum, "blob %s (%s): missing or corrupt: %s",
                                 git_oid_tostr(hex, sizeof hex, &c->new_id), c->path,
                                 ak_git_errmsg());
    const uint8_t *data = git_blob_rawcontent(b);
    size_t len = (size_t)git_blob_rawsize(b);
    if (ak_git_is_lfs_pointer(data, len)) {
        ak_info("%s: Git LFS pointer, content stored outside git, not scanned", c->path);
        s->sum->skipped++;
    } else {
        size_t from = out->len;
        s->sum->files++;
        s->sum->bytes += len;
        if (!scan_blob(s, b, c->path, out) && out->len > from && !s->opts->all_staged_lines)
            keep_new(s, c, b, out, from);
    }
    git_blob_free(b);
}

/* ---------- libgit2: the index as a tree, against HEAD's ---------- */

static int open_index(git_repository *repo, git_index **out, ak_buf *err)
{
    /* `git commit -a` and `git commit PATH` stage into a temporary index named here. */
    const char *file = getenv("GIT_INDEX_FILE");
    int rc = file && *file ? git_index_open(out, file) : git_repository_index(out, repo);
    if (rc) ak_buf_printf(err, "cannot read the index: %s", ak_git_errmsg());
    return rc;
}

static int index_tree(git_repository *repo, git_oid *new_tree, ak_buf *err)
{
    git_index *idx;
    if (open_index(repo, &idx, err)) return -1;
    int rc = git_index_write_tree_to(new_tree, idx, repo);
    git_index_free(idx);
    if (rc)
        ak_buf_printf(err, "cannot make a tree of the index (unresolved conflicts?): %s",
                      ak_git_errmsg());
    return rc ? -1 : 0;
}

/* HEAD's tree; *has_old is 0 before the first commit. */
static int head_tree(git_repository *repo, git_oid *old_tree, int *has_old, ak_buf *err)
{
    git_object *head;
    *has_old = 0;
    int rc = git_revparse_single(&head, repo, "HEAD^{tree}");
    if (!rc) {
        *old_tree = *git_object_id(head);
        *has_old = 1;
        git_object_free(head);
    } else if (rc != GIT_ENOTFOUND && rc != GIT_EUNBORNBRANCH) {
        ak_buf_printf(err, "cannot read HEAD: %s", ak_git_errmsg());
        return -1;
    }
    return 0;
}

static int detect_libgit2(staged *s, ak_buf *err)
{
    git_oid old_tree, new_tree;
    int has_old;
    if (index_tree(s->repo, &new_tree, err) || head_tree(s->repo, &old_tree, &has_old, err))
        return -1;
    diff_trees(s, has_old ? &old_tree : NULL, &new_tree);
    return 0;
}

/* ---------- the index reader: the index against HEAD's trees ---------- */

typedef struct oentry {
    const char *name;
    size_t len;
    unsigned mode; /* normalised as libgit2 does, so modes compare as in diff_entry */
    git_object_t type;
    git_oid id;
} oentry;

typedef struct otree { /* one of HEAD's trees, parsed */
    oentry *ents;
    size_t n;
    uint8_t *matched; /* matched[i]: the index has an entry of that name */
    ak_pobj obj;      /* the pack reader's object, or */
    git_tree *tree;   /* libgit2's */
} otree;

typedef struct fast {
    staged *s;
    const ak_gindex *ix;
    ak_packs *packs;
    ak_pread *pread;
} fast;

static unsigned norm_mode(unsigned m)
{
    unsigned fmt = m & 0170000;
    if (fmt == 0040000) return 0040000;
    if (m & 0111) return 0100755;
    return fmt == 0160000 || fmt == 0120000 ? fmt : 0100644;
}

static git_object_t mode_type(unsigned m)
{
    unsigned fmt = m & 0170000;
    return fmt == 0160000 ? GIT_OBJECT_COMMIT : fmt == 0040000 ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB;
}

/* git's tree order: a directory's name sorts as if it ended with '/'. */
static int tree_cmp(const char *a, size_t alen, int adir, const char *b, size_t blen, int bdir)
{
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c) return c;
    int ca = alen > n ? (unsigned char)a[n] : adir ? '/' : 0;
    int cb = blen > n ? (unsigned char)b[n] : bdir ? '/' : 0;
    return ca - cb;
}

/* "MODE NAME\0ID" entries, as strictly as libgit2 parses them; -1 when malformed. */
static int parse_raw(otree *t, const uint8_t *p, const uint8_t *end)
{
    size_t cap = 0;
    while (p < end) {
        unsigned mode = 0;
        const uint8_t *m = p;
        for (; p < end && *p >= '0' && *p <= '7' && mode <= 0xffff; p++)
            mode = mode * 8 + (*p - '0');
        if (p == m || p >= end || *p != ' ' || mode > 0xffff) return -1;
        const uint8_t *name = ++p, *nul = memchr(p, 0, (size_t)(end - p));
        if (!nul || nul == name || nul - name > 0xffff || end - nul - 1 < GIT_OID_RAWSZ) return -1;
        AK_GROW(t->ents, cap, t->n);
        oentry *e = &t->ents[t->n++];
        e->name = (const char *)name;
        e->len = (size_t)(nul - name);
        e->mode = norm_mode(mode);
        e->type = mode_type(mode);
        memcpy(e->id.id, nul + 1, GIT_OID_RAWSZ);
        p = nul + 1 + GIT_OID_RAWSZ;
    }
    return 0;
}

static void from_libgit2(otree *t)
{
    t->n = git_tree_entrycount(t->tree);
    t->ents = ak_malloc((t->n ? t->n : 1) * sizeof *t->ents);
    for (size_t i = 0; i < t->n; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(t->tree, i);
        const char *name = git_tree_entry_name(e);
        t->ents[i] = (oentry){name, strlen(name), git_tree_entry_filemode(e),
                              git_tree_entry_type(e), *git_tree_entry_id(e)};
    }
}

static void otree_free(fast *f, otree *t)
{
    if (t->obj.pin) ak_pread_put(f->pread, &t->obj);
    git_tree_free(t->tree);
    free(t->ents);
    free(t->matched);
}

/* Reads and parses a tree of HEAD; -1 when it cannot be read or is not in git's order (the
 * libgit2 way then reports or handles it). */
static int otree_read(fast *f, const git_oid *id, otree *t)
{
    memset(t, 0, sizeof *t);
    if (f->pread && !ak_pread_get(f->pread, id, &t->obj)) {
        if (t->obj.type != GIT_OBJECT_TREE || parse_raw(t, t->obj.data, t->obj.data + t->obj.len)) {
            otree_free(f, t);
            memset(t, 0, sizeof *t);
        }
    }
    if (!t->obj.pin) {
        if (git_tree_lookup(&t->tree, f->s->repo, id)) return -1;
        from_libgit2(t);
    }
    t->matched = ak_calloc(t->n ? t->n : 1, 1);
    for (size_t i = 1; i < t->n; i++) {
        const oentry *a = &t->ents[i - 1], *b = &t->ents[i];
        if (tree_cmp(a->name, a->len, a->type == GIT_OBJECT_TREE, b->name, b->len,
                     b->type == GIT_OBJECT_TREE) >= 0)
            return -1;
    }
    return 0;
}

static oentry *find_as(otree *t, const char *name, size_t len, int dir)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const oentry *e = &t->ents[mid];
        int c = tree_cmp(e->name, e->len, e->type == GIT_OBJECT_TREE, name, len, dir);
        if (!c) return &t->ents[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* HEAD's entry of that name (a file or a directory), marked as matched; NULL if none. */
static const oentry *find_old(otree *t, const char *name, size_t len)
{
    oentry *e = find_as(t, name, len, 0);
    if (!e) e = find_as(t, name, len, 1);
    if (e) t->matched[e - t->ents] = 1;
    return e;
}

static int gone_entry(fast *f, const oentry *o);

/* Every blob under a tree HEAD has and the index does not. */
static int gone_tree(fast *f, const git_oid *id)
{
    otree t;
    int rc = otree_read(f, id, &t);
    size_t base = f->s->path.len;
    for (size_t i = 0; !rc && i < t.n; i++) {
        path_push(f->s, t.ents[i].name, t.ents[i].len);
        rc = gone_entry(f, &t.ents[i]);
        path_pop(f->s, base);
    }
    otree_free(f, &t);
    return rc;
}

static int gone_entry(fast *f, const oentry *o)
{
    if (o->type == GIT_OBJECT_TREE) return gone_tree(f, &o->id);
    if (o->type == GIT_OBJECT_BLOB) note_gone(f->s, &o->id);
    return 0;
}

static int walk_dir(fast *f, const git_oid *old, size_t lo, size_t hi, size_t plen, long node);

/* A file of the index against HEAD's entry of that name, as diff_entry does it. */
static int walk_file(fast *f, const oentry *o, const ak_gindex_entry *e)
{
    if (o && !memcmp(o->id.id, e->id, GIT_OID_RAWSZ) && o->mode == e->mode) return 0;
    if (e->mode == 0160000) return 0; /* submodule links hold no content of this repository */
    if (o && o->type == GIT_OBJECT_TREE && gone_tree(f, &o->id)) return -1;
    git_oid id;
    git_oid_fromraw(&id, e->id);
    note_change(f->s, o && o->type == GIT_OBJECT_BLOB ? &o->id : NULL, &id);
    return 0;
}

static int has_prefix(const ak_gindex_entry *e, const char *prefix, size_t len)
{
    return e->len > len && !memcmp(e->path, prefix, len);
}

/* The end of the directory whose entries start at i (prefix: its path and '/'); a valid
 * cache-tree node gives it, checked at both ends. 0 when the node disagrees with the entries. */
static size_t dir_end(const fast *f, size_t i, size_t hi, size_t plen, long node)
{
    const ak_gindex_entry *es = f->ix->entries;
    const char *prefix = es[i].path;
    if (node >= 0 && f->ix->trees[node].id) {
        size_t j = i + (size_t)f->ix->trees[node].entries;
        int ok = j > i && j <= hi && has_prefix(&es[j - 1], prefix, plen) &&
                 (j == hi || !has_prefix(&es[j], prefix, plen));
        return ok ? j : 0;
    }
    size_t j = i + 1;
    while (j < hi && has_prefix(&es[j], prefix, plen)) j++;
    return j;
}

/* A directory of the index (entries i..) against HEAD's entry of that name. */
static int walk_subdir(fast *f, const oentry *o, size_t i, size_t hi, size_t plen, long node,
                       size_t *next)
{
    *next = dir_end(f, i, hi, plen, node);
    if (!*next) return -1;
    int otree = o && o->type == GIT_OBJECT_TREE;
    if (o && !otree && gone_entry(f, o)) return -1;
    return walk_dir(f, otree ? &o->id : NULL, i, *next, plen, node);
}

static int walk_children(fast *f, otree *t, size_t lo, size_t hi, size_t plen, long node)
{
    const ak_gindex_entry *es = f->ix->entries;
    size_t base = f->s->path.len;
    int rc = 0;
    ak_gindex_kids kids;
    ak_gindex_kids_of(f->ix, node, &kids);
    for (size_t i = lo; !rc && i < hi;) {
        const char *name = es[i].path + plen;
        const char *slash = memchr(name, '/', es[i].len - plen);
        size_t len = slash ? (size_t)(slash - name) : es[i].len - plen;
        const oentry *o = t ? find_old(t, name, len) : NULL;
        path_push(f->s, name, len);
        if (slash) {
            long sub = ak_gindex_kid_find(&kids, name, len);
            rc = walk_subdir(f, o, i, hi, plen + len + 1, sub, &i);
        } else {
            rc = walk_file(f, o, &es[i++]);
        }
        path_pop(f->s, base);
    }
    ak_gindex_kids_free(&kids);
    return rc;
}

/* The index's entries lo..hi, all under one directory (plen: its path's length with the '/'),
 * against HEAD's tree there (old, NULL if none); `node` is the directory's cache-tree node. */
static int walk_dir(fast *f, const git_oid *old, size_t lo, size_t hi, size_t plen, long node)
{
    const ak_gindex_tree *c = node >= 0 ? &f->ix->trees[node] : NULL;
    if (c && c->id && (size_t)c->entries != hi - lo) return -1;
    if (c && c->id && old && !memcmp(old->id, c->id, GIT_OID_RAWSZ)) return 0; /* unchanged */
    otree t = {0};
    if (old && otree_read(f, old, &t)) {
        otree_free(f, &t);
        return -1;
    }
    int rc = walk_children(f, old ? &t : NULL, lo, hi, plen, node);
    size_t base = f->s->path.len;
    for (size_t i = 0; !rc && i < t.n; i++) {
        if (t.matched[i]) continue;
        path_push(f->s, t.ents[i].name, t.ents[i].len);
        rc = gone_entry(f, &t.ents[i]);
        path_pop(f->s, base);
    }
    otree_free(f, &t);
    return rc;
}

static void reset_changes(staged *s)
{
    for (size_t i = 0; i < s->n_changes; i++) free(s->changes[i].path);
    s->n_changes = s->n_deleted = 0;
    ak_buf_reset(&s->gone_paths);
    path_pop(s, 0);
}

static void index_path(git_repository *repo, ak_buf *out)
{
    /* `git commit -a` and `git commit PATH` stage into a temporary index named here. */
    const char *file = getenv("GIT_INDEX_FILE");
    if (file && *file)
        ak_buf_puts(out, file);
    else
        ak_buf_printf(out, "%sindex", git_repository_path(repo));
}

static int fast_walk(staged *s, const ak_gindex *ix)
{
    git_oid old;
    int has_old;
    ak_buf err = AK_BUF_INIT;
    int rc = head_tree(s->repo, &old, &has_old, &err);
    ak_buf_free(&err);
    if (rc) return -1;
    fast f = {.s = s, .ix = ix};
    ak_buf dir = AK_BUF_INIT;
    ak_buf_printf(&dir, "%sobjects", git_repository_commondir(s->repo));
    ak_packs_open(&f.packs, ak_buf_cstr(&dir));
    ak_buf_free(&dir);
    if (f.packs) f.pread = ak_pread_new(f.packs, (size_t)8 << 20);
    rc = walk_dir(&f, has_old ? &old : NULL, 0, ix->n_entries, 0, ix->n_trees ? 0 : -1);
    ak_pread_free(f.pread);
    ak_packs_free(f.packs);
    return rc;
}

/* The index reader's way; 1 (and nothing listed) when it cannot handle this index. */
static int detect_fast(staged *s)
{
    ak_gindex ix;
    ak_buf path = AK_BUF_INIT, why = AK_BUF_INIT;
    index_path(s->repo, &path);
    int rc = ak_gindex_open(&ix, ak_buf_cstr(&path), &why);
    if (rc) ak_debug("--staged: index read by libgit2: %s", ak_buf_cstr(&why));
    if (!rc && (rc = fast_walk(s, &ix))) ak_debug("--staged: HEAD compared by libgit2");
    if (rc) reset_changes(s);
    ak_gindex_free(&ix);
    ak_buf_free(&path);
    ak_buf_free(&why);
    return rc ? 1 : 0;
}

/* ---------- the staged scan ---------- */

static int detect(staged *s, int fast_ok, ak_buf *err)
{
    if (git_repository_is_bare(s->repo)) {
        ak_buf_puts(err, "--staged needs a work tree (this repository is bare)");
        return -1;
    }
    /* AKHOUND_STAGED_LIBGIT2 (set, non-empty) turns the index reader off: for benchmarks and
     * for comparing the two ways on a repository. */
    const char *off = getenv("AKHOUND_STAGED_LIBGIT2");
    if (fast_ok && !(off && *off) && !detect_fast(s)) return 0;
    return detect_libgit2(s, err);
}

static int scan_staged(staged *s, ak_findings *out)
{
    ak_buf err = AK_BUF_INIT;
    int rc = detect(s, 1, &err);
    if (!rc) rc = ak_scratch_new(&s->scratch, s->engine, &err);
    if (rc) {
        ak_error("%s", ak_buf_cstr(&err));
        ak_buf_free(&err);
        return -1;
    }
    ak_buf_free(&err);
    for (size_t i = 0; i < s->n_changes; i++) scan_change(s, &s->changes[i], out);
    return s->failed ? -1 : 0;
}

static void staged_free(staged *s)
{
    for (size_t i = 0; i < s->n_changes; i++) free(s->changes[i].path);
    free(s->changes);
    free(s->deleted);
    ak_buf_free(&s->gone_paths);
    ak_findings_free(&s->deleted_found);
    ak_buf_free(&s->path);
    ak_scratch_free(s->scratch);
}

int ak_git_staged_list(git_repository *repo, int fast_way, ak_buf *out, ak_buf *err)
{
    ak_git_opts opts;
    ak_git_opts_default(&opts);
    ak_scan_summary sum = {0};
    staged s = {.repo = repo, .opts = &opts, .sum = &sum};
    int rc = fast_way ? detect_fast(&s) : detect(&s, 0, err);
    char hex[GIT_OID_HEXSZ + 1], old[GIT_OID_HEXSZ + 1];
    for (size_t i = 0; !rc && i < s.n_changes; i++) {
        const change *c = &s.changes[i];
        git_oid_tostr(hex, sizeof hex, &c->new_id);
        if (c->has_old) git_oid_tostr(old, sizeof old, &c->old_id);
        ak_buf_printf(out, "C %s %s %s\n", c->has_old ? old : "-", hex, c->path);
    }
    for (size_t i = 0; !rc && i < s.n_deleted; i++)
        ak_buf_printf(out, "D %s %s\n", git_oid_tostr(hex, sizeof hex, &s.deleted[i].id),
                      s.gone_paths.data + s.deleted[i].path);
    if (!rc && sum.errors) rc = -1;
    staged_free(&s);
    return rc;
}

int ak_git_scan_staged(const ak_engine *engine, const char *repo_path, const ak_git_opts *opts,
                       ak_findings *out, ak_scan_summary *sum)
{
    ak_git_init();
    staged s = {.engine = engine, .opts = opts, .sum = sum};
    ak_buf err = AK_BUF_INIT;
    int rc = ak_git_open(&s.repo, repo_path, &err);
    if (rc)
        ak_error("%s", ak_buf_cstr(&err));
    else
        rc = scan_staged(&s, out);
    ak_buf_free(&err);
    staged_free(&s);
    git_repository_free(s.repo);
    ak_git_done();
    return rc;
}
