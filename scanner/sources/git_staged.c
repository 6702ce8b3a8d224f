/*
 * `akhound scan --staged`: the pre-commit check, so it must cost about what `git diff --cached`
 * costs. The index is turned into a tree (libgit2 reuses the index's cached subtree ids, so only
 * directories with staged changes are hashed) and compared with HEAD's tree by id, descending only
 * into subtrees whose ids differ: the work follows the size of the change, not of the repository.
 *
 * Each changed file is scanned whole (an ID and its secret may sit on lines the change did not
 * touch), then only credentials the change brought in are kept: those on added lines, and those
 * whose key material the old version did not hold (a secret added next to an existing ID). A file
 * that is new at its path is compared with the files the change deletes, so a rename does not
 * blame an old key on this commit. --all-staged-lines keeps everything in the changed files.
 */
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

typedef struct staged {
    git_repository *repo;
    const ak_engine *engine;
    const ak_git_opts *opts;
    ak_scan_summary *sum;
    ak_scratch *scratch;
    change *changes;
    size_t n_changes, cap_changes;
    git_oid *deleted;
    size_t n_deleted, cap_deleted;
    ak_findings deleted_found; /* findings of the deleted blobs, scanned on first need */
    int deleted_scanned;
    ak_buf path;
    int failed;
} staged;

/* ---------- tree against tree ---------- */

static void diff_trees(staged *s, const git_oid *old_id, const git_oid *new_id);

static void add_change(staged *s, const git_tree_entry *o, const git_tree_entry *n)
{
    const ak_ignore *ex = s->opts->scan.excludes;
    if (ex && ak_ignore_match(ex, ak_buf_cstr(&s->path), 0)) return;
    AK_GROW(s->changes, s->cap_changes, s->n_changes);
    change *c = &s->changes[s->n_changes++];
    c->path = ak_strdup(ak_buf_cstr(&s->path));
    c->new_id = *git_tree_entry_id(n);
    c->has_old = o && git_tree_entry_type(o) == GIT_OBJECT_BLOB;
    if (c->has_old) c->old_id = *git_tree_entry_id(o);
}

static void add_deleted(staged *s, const git_tree_entry *o)
{
    if (git_tree_entry_type(o) == GIT_OBJECT_TREE) return diff_trees(s, git_tree_entry_id(o), NULL);
    if (git_tree_entry_type(o) != GIT_OBJECT_BLOB) return;
    AK_GROW(s->deleted, s->cap_deleted, s->n_deleted);
    s->deleted[s->n_deleted++] = *git_tree_entry_id(o);
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
        ak_buf_printf(&s->path, "%s%s", base ? "/" : "", name);
        diff_entry(s, o ? git_tree_entry_byname(o, name) : NULL, ne);
        s->path.len = base;
        s->path.data[base] = 0;
    }
    for (size_t i = 0, len = o ? git_tree_entrycount(o) : 0; i < len; i++) {
        const git_tree_entry *oe = git_tree_entry_byindex(o, i);
        if (!n || !git_tree_entry_byname(n, git_tree_entry_name(oe))) add_deleted(s, oe);
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
            scan_old(s, &s->deleted[i], &s->deleted_found);
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

/* ---------- the trees to compare ---------- */

static int open_index(git_repository *repo, git_index **out, ak_buf *err)
{
    /* `git commit -a` and `git commit PATH` stage into a temporary index named here. */
    const char *file = getenv("GIT_INDEX_FILE");
    int rc = file && *file ? git_index_open(out, file) : git_repository_index(out, repo);
    if (rc) ak_buf_printf(err, "cannot read the index: %s", ak_git_errmsg());
    return rc;
}

static int staged_trees(git_repository *repo, git_oid *old_tree, int *has_old, git_oid *new_tree,
                        ak_buf *err)
{
    git_index *idx;
    if (open_index(repo, &idx, err)) return -1;
    int rc = git_index_write_tree_to(new_tree, idx, repo);
    git_index_free(idx);
    if (rc) {
        ak_buf_printf(err, "cannot make a tree of the index (unresolved conflicts?): %s",
                      ak_git_errmsg());
        return -1;
    }
    git_object *head;
    *has_old = 0;
    rc = git_revparse_single(&head, repo, "HEAD^{tree}");
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

static int scan_staged(staged *s, ak_findings *out)
{
    ak_buf err = AK_BUF_INIT;
    git_oid old_tree, new_tree;
    int has_old;
    int rc = git_repository_is_bare(s->repo) ? -1 : 0;
    if (rc) ak_buf_puts(&err, "--staged needs a work tree (this repository is bare)");
    if (!rc) rc = staged_trees(s->repo, &old_tree, &has_old, &new_tree, &err);
    if (!rc) rc = ak_scratch_new(&s->scratch, s->engine, &err);
    if (rc) {
        ak_error("%s", ak_buf_cstr(&err));
        ak_buf_free(&err);
        return -1;
    }
    ak_buf_free(&err);
    diff_trees(s, has_old ? &old_tree : NULL, &new_tree);
    for (size_t i = 0; i < s->n_changes; i++) scan_change(s, &s->changes[i], out);
    return s->failed ? -1 : 0;
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
    for (size_t i = 0; i < s.n_changes; i++) free(s.changes[i].path);
    free(s.changes);
    free(s.deleted);
    ak_findings_free(&s.deleted_found);
    ak_buf_free(&s.path);
    ak_scratch_free(s.scratch);
    git_repository_free(s.repo);
    ak_git_done();
    return rc;
}
