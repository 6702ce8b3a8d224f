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
}

void ak_gwalk_free(ak_gwalk *w)
{
    ak_oidset_free(&w->shallow);
    ak_oidset_free(&w->commits);
    ak_oidset_free(&w->trees);
    ak_oidset_free(&w->blobs);
    ak_oidset_free(&w->gitlinks);
    free(w->order);
    free(w->boundary);
    ak_buf_free(&w->path);
}

static int excluded(const ak_gwalk *w, int is_dir)
{
    const ak_ignore *ex = w->opts->scan.excludes;
    return ex && ak_ignore_match(ex, ak_buf_cstr(&w->path), is_dir);
}

static void visit_tree(ak_gwalk *w, const git_oid *id, uint32_t rank);

static void note_gitlink(ak_gwalk *w, const git_oid *id)
{
    if (!w->scan || !ak_oidset_add(&w->gitlinks, id, 0)) return;
    char hex[GIT_OID_HEXSZ + 1];
    ak_info("%s: submodule (commit %s), not scanned", ak_buf_cstr(&w->path),
            git_oid_tostr(hex, sizeof hex, id));
    w->sum->skipped++;
}

static void visit_entry(ak_gwalk *w, const git_tree_entry *e, uint32_t rank)
{
    const git_oid *id = git_tree_entry_id(e);
    switch (git_tree_entry_type(e)) {
    case GIT_OBJECT_TREE:
        if (!excluded(w, 1)) visit_tree(w, id, rank);
        break;
    case GIT_OBJECT_BLOB:
        if (excluded(w, 0) || !ak_oidset_add(&w->blobs, id, rank)) break;
        if (w->scan) ak_gscan_blob(w->scan, id, ak_buf_cstr(&w->path), rank);
        break;
    case GIT_OBJECT_COMMIT:
        note_gitlink(w, id);
        break;
    default:
        break;
    }
}

static void visit_tree(ak_gwalk *w, const git_oid *id, uint32_t rank)
{
    if (!ak_oidset_add(&w->trees, id, 0)) return;
    git_tree *t;
    if (git_tree_lookup(&t, w->repo, id)) {
        char hex[GIT_OID_HEXSZ + 1];
        ak_git_note_error(w->sum, "tree %s (%s/): missing or corrupt: %s",
                          git_oid_tostr(hex, sizeof hex, id), ak_buf_cstr(&w->path),
                          ak_git_errmsg());
        return;
    }
    size_t n = git_tree_entrycount(t);
    for (size_t i = 0; i < n; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(t, i);
        size_t base = w->path.len;
        if (base) ak_buf_putc(&w->path, '/');
        ak_buf_puts(&w->path, git_tree_entry_name(e));
        visit_entry(w, e, rank);
        w->path.len = base;
        w->path.data[base] = 0;
    }
    git_tree_free(t);
}

void ak_gwalk_tree(ak_gwalk *w, const git_oid *tree, const char *prefix, uint32_t rank)
{
    ak_buf_reset(&w->path);
    ak_buf_puts(&w->path, prefix);
    visit_tree(w, tree, rank);
}

/* ---------- commits ---------- */

typedef struct frame {
    git_commit *c;
    unsigned next, nparents;
} frame;

typedef struct stack {
    frame *items;
    size_t len, cap;
} stack;

static void missing_commit(ak_gwalk *w, const git_oid *id, const git_commit *child)
{
    char hex[GIT_OID_HEXSZ + 1], chex[GIT_OID_HEXSZ + 1] = "";
    git_oid_tostr(hex, sizeof hex, id);
    if (child) git_oid_tostr(chex, sizeof chex, git_commit_id(child));
    ak_git_note_error(w->sum, "commit %s%s%s: missing or corrupt: %s", hex,
                      child ? ", parent of " : "", chex, ak_git_errmsg());
}

static void add_boundary(ak_gwalk *w, const git_oid *id)
{
    AK_GROW(w->boundary, w->cap_boundary, w->n_boundary);
    w->boundary[w->n_boundary++] = *id;
}

/* Pushes a frame for id unless it was seen, is hidden or cannot be read. */
static void enter(ak_gwalk *w, stack *st, const git_oid *id, const git_commit *child)
{
    if (w->hidden && ak_oidset_get(w->hidden, id, NULL)) {
        if (ak_oidset_add(&w->commits, id, AK_RANK_NONE)) add_boundary(w, id);
        return;
    }
    if (!ak_oidset_add(&w->commits, id, AK_RANK_NONE)) return;
    git_commit *c;
    if (git_commit_lookup(&c, w->repo, id)) return missing_commit(w, id, child);
    AK_GROW(st->items, st->cap, st->len);
    frame *f = &st->items[st->len++];
    f->c = c;
    f->next = 0;
    f->nparents = ak_oidset_get(&w->shallow, id, NULL) ? 0 : git_commit_parentcount(c);
}

static void number(ak_gwalk *w, git_commit *c)
{
    uint32_t rank = (uint32_t)w->n_order;
    AK_GROW(w->order, w->cap_order, w->n_order);
    w->order[w->n_order++] = *git_commit_id(c);
    ak_oidset_set(&w->commits, git_commit_id(c), rank);
    w->sum->commits++;
    const char *msg = git_commit_message(c);
    if (w->scan && msg) ak_gscan_message(w->scan, msg, rank);
    ak_gwalk_tree(w, git_commit_tree_id(c), "", rank);
}

void ak_gwalk_commits(ak_gwalk *w, const git_oid *tip)
{
    stack st = {0};
    enter(w, &st, tip, NULL);
    while (st.len) {
        frame *f = &st.items[st.len - 1];
        if (f->next < f->nparents) {
            git_commit *c = f->c; /* enter may move the stack */
            enter(w, &st, git_commit_parent_id(c, f->next++), c);
            continue;
        }
        number(w, f->c);
        git_commit_free(f->c);
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
