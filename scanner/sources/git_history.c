/*
 * `akhound scan --git`: the whole history. The tips are HEAD and every ref (branches, tags,
 * remote-tracking refs, the stash, notes), in a fixed order so ranks and first paths are the same
 * on every run. Annotated tags' messages are scanned too (keys get pasted into release notes),
 * each once, at the path "<tag message NAME>", with no commit. With --all-objects, the object
 * database is listed afterwards and whatever the refs did not reach is scanned too: dangling
 * commits are walked like tips (so their blobs keep paths and attribution), and the remaining loose
 * blobs are scanned without a path.
 */
#include "sources/git_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <malloc.h>
#include <string.h>

/* A ref: its name and, when it points straight at an object, that object, read in one listing
 * (resolving 17,000 pull-request refs one name at a time costs a file lookup each). */
typedef struct ref {
    char *name;
    git_oid id;
    int direct;
} ref;

typedef struct refs {
    ref *items;
    size_t len, cap;
} refs;

static int ref_cmp(const void *a, const void *b)
{
    return strcmp(((const ref *)a)->name, ((const ref *)b)->name);
}

/* Every ref libgit2 can read (it skips a loose ref file it cannot parse, as its listing of names
 * does), sorted by name, with the targets of direct refs filled in. */
static void list_refs(git_repository *repo, refs *out)
{
    git_reference_iterator *it;
    git_reference *r;
    if (git_reference_iterator_new(&it, repo)) return;
    while (!git_reference_next(&r, it)) {
        AK_GROW(out->items, out->cap, out->len);
        ref *x = &out->items[out->len++];
        *x = (ref){.name = ak_strdup(git_reference_name(r))};
        if (git_reference_type(r) == GIT_REFERENCE_DIRECT && git_reference_target(r)) {
            x->id = *git_reference_target(r);
            x->direct = 1;
        }
        git_reference_free(r);
    }
    git_reference_iterator_free(it);
    if (out->len > 1) qsort(out->items, out->len, sizeof *out->items, ref_cmp);
}

/* Annotated tags met by the walk: "<tag message NAME>" then the message, each NUL-terminated. */
typedef struct tag_texts {
    ak_buf text;
    git_oid *ids; /* tag objects already kept */
    size_t len, cap;
} tag_texts;

static void keep_tag_message(tag_texts *t, const git_tag *tag)
{
    const char *msg = git_tag_message(tag);
    if (!msg || !*msg) return;
    for (size_t i = 0; i < t->len; i++)
        if (git_oid_equal(&t->ids[i], git_tag_id(tag))) return;
    AK_GROW(t->ids, t->cap, t->len);
    t->ids[t->len++] = *git_tag_id(tag);
    ak_buf_printf(&t->text, "<tag message %s>", git_tag_name(tag));
    ak_buf_putc(&t->text, '\0');
    ak_buf_append(&t->text, msg, strlen(msg) + 1);
}

/* Scans the kept tag messages on the calling thread (there are few). */
static int scan_tag_messages(const ak_engine *engine, const tag_texts *t, ak_findings *out,
                             ak_scan_summary *sum)
{
    ak_scratch *scratch = NULL;
    ak_buf err = AK_BUF_INIT;
    int rc = t->len ? ak_scratch_new(&scratch, engine, &err) : 0;
    const char *p = ak_buf_cstr(&t->text), *end = p + t->text.len;
    while (!rc && p < end) {
        const char *path = p, *msg = p + strlen(p) + 1;
        ak_chunk c = {(const uint8_t *)msg, strlen(msg), path, NULL, 1, NULL};
        rc = ak_engine_scan(engine, scratch, &c, out, &err);
        sum->bytes += c.len;
        p = msg + c.len + 1;
    }
    if (rc) ak_git_note_error(sum, "tag messages: %s", ak_buf_cstr(&err));
    ak_scratch_free(scratch);
    ak_buf_free(&err);
    return rc;
}

/* Walks what one ref points at: a commit's history, or a tree or blob tagged directly. */
static void walk_target(ak_gwalk *w, const char *name, const git_oid *id, tag_texts *tags)
{
    git_object *obj = NULL;
    char hex[GIT_OID_HEXSZ + 1];
    /* Most refs of a large repository (tags, pull requests) point at commits walked already:
     * nothing to read. */
    if (ak_oidset_get(&w->commits, id, NULL)) return;
    /* The rest are mostly commits too (a forge's pull-request refs): typed from their pack entry
     * headers, not by libgit2, which would inflate each one more time. Anything else goes
     * through libgit2. */
    if (w->pread && ak_pread_type(w->pread, id) == GIT_OBJECT_COMMIT)
        return ak_gwalk_commits(w, id);
    git_oid_tostr(hex, sizeof hex, id);
    if (git_object_lookup(&obj, w->repo, id, GIT_OBJECT_ANY))
        return ak_git_note_error(w->sum, "%s -> %s: missing or corrupt: %s", name, hex,
                                 ak_git_errmsg());
    while (git_object_type(obj) == GIT_OBJECT_TAG) {
        keep_tag_message(tags, (const git_tag *)obj);
        git_object *next;
        int rc = git_tag_target(&next, (git_tag *)obj);
        git_object_free(obj);
        if (rc)
            return ak_git_note_error(w->sum, "%s: tag target missing or corrupt: %s", name,
                                     ak_git_errmsg());
        obj = next;
    }
    const git_oid *target = git_object_id(obj);
    switch (git_object_type(obj)) {
    case GIT_OBJECT_COMMIT:
        ak_gwalk_commits(w, target);
        break;
    case GIT_OBJECT_TREE:
        ak_gwalk_tree_tip(w, target);
        break;
    case GIT_OBJECT_BLOB:
        ak_gwalk_blob_tip(w, target, name);
        break;
    default:
        break;
    }
    git_object_free(obj);
}

static void walk_refs(ak_gwalk *w, tag_texts *tags)
{
    git_oid id;
    if (!git_reference_name_to_id(&id, w->repo, "HEAD")) walk_target(w, "HEAD", &id, tags);
    refs all = {0};
    list_refs(w->repo, &all);
    for (size_t i = 0; i < all.len; i++) {
        const ref *r = &all.items[i];
        if (r->direct)
            walk_target(w, r->name, &r->id, tags);
        else if (git_reference_name_to_id(&id, w->repo, r->name))
            ak_git_note_error(w->sum, "%s: cannot resolve: %s", r->name, ak_git_errmsg());
        else
            walk_target(w, r->name, &id, tags);
        free(r->name);
    }
    free(all.items);
}

/* ---------- --all-objects ---------- */

typedef struct oids {
    git_oid *items;
    size_t len, cap;
} oids;

static int add_oid(const git_oid *id, void *payload)
{
    oids *o = payload;
    AK_GROW(o->items, o->cap, o->len);
    o->items[o->len++] = *id;
    return 0;
}

static int oid_cmp(const void *a, const void *b)
{
    return git_oid_cmp(a, b);
}

static int seen(const ak_gwalk *w, const git_oid *id)
{
    return ak_oidset_get(&w->commits, id, NULL) || ak_oidset_get(&w->trees, id, NULL) ||
           ak_oidset_get(&w->blobs, id, NULL);
}

/* Dangling commits first (as tips, oldest ids first for a fixed order), then loose blobs. */
static void walk_unreachable(ak_gwalk *w, git_odb *odb)
{
    oids all = {0}, blobs = {0};
    if (git_odb_foreach(odb, add_oid, &all))
        ak_git_note_error(w->sum, "cannot list the object database: %s", ak_git_errmsg());
    if (all.len > 1) qsort(all.items, all.len, sizeof *all.items, oid_cmp);
    for (size_t i = 0; i < all.len; i++) {
        const git_oid *id = &all.items[i];
        size_t size;
        git_object_t type;
        if (seen(w, id)) continue;
        char hex[GIT_OID_HEXSZ + 1];
        if (git_odb_read_header(&size, &type, odb, id)) {
            ak_git_note_error(w->sum, "object %s: missing or corrupt: %s",
                              git_oid_tostr(hex, sizeof hex, id), ak_git_errmsg());
        } else if (type == GIT_OBJECT_COMMIT) {
            ak_gwalk_commits(w, id);
        } else if (type == GIT_OBJECT_BLOB) {
            add_oid(id, &blobs);
        }
    }
    for (size_t i = 0; i < blobs.len; i++)
        if (ak_oidset_add(&w->blobs, &blobs.items[i], AK_RANK_NONE))
            ak_gscan_blob(w->scan, &blobs.items[i], "<unreachable blob>", AK_RANK_NONE);
    free(all.items);
    free(blobs.items);
}

/* ---------- incremental history (akhound org) ---------- */

static int add_tip(git_reference *ref, void *payload)
{
    git_object *c = NULL;
    if (!git_reference_peel(&c, ref, GIT_OBJECT_COMMIT)) add_oid(git_object_id(c), payload);
    git_object_free(c);
    git_reference_free(ref);
    return 0;
}

/* Every commit HEAD and the refs point at (tags peeled), sorted and unique. */
static void collect_tips(git_repository *repo, oids *out)
{
    git_reference *head = NULL;
    if (!git_repository_head(&head, repo)) add_tip(head, out);
    git_reference_foreach(repo, add_tip, out);
    if (out->len > 1) qsort(out->items, out->len, sizeof *out->items, oid_cmp);
    size_t k = 0;
    for (size_t i = 0; i < out->len; i++)
        if (!k || !git_oid_equal(&out->items[k - 1], &out->items[i]))
            out->items[k++] = out->items[i];
    out->len = k;
}

int ak_git_tips(const char *repo_path, struct git_oid **tips, size_t *n)
{
    ak_git_init();
    git_repository *repo = NULL;
    ak_buf err = AK_BUF_INIT;
    oids o = {0};
    int rc = ak_git_open(&repo, repo_path, &err);
    if (!rc) collect_tips(repo, &o);
    git_repository_free(repo);
    ak_buf_free(&err);
    ak_git_done();
    *tips = o.items;
    *n = o.len;
    return rc ? -1 : 0;
}

/* The line the walk stops at when opts->hide is set: the hidden commits, every tip that is not
 * new, and the parents of new commits that are not new themselves. New commits (reachable from a
 * tip but from no hidden commit) come from libgit2's revwalk, which stops where the hidden side
 * begins, so the cost follows what changed, not the history's size. */
static void hide_known(git_repository *repo, const ak_git_opts *o, ak_oidset *hidden)
{
    oids tips = {0};
    collect_tips(repo, &tips);
    ak_oidset fresh = {0};
    git_revwalk *rw = NULL;
    if (!git_revwalk_new(&rw, repo)) {
        for (size_t i = 0; i < tips.len; i++) git_revwalk_push(rw, &tips.items[i]);
        for (size_t i = 0; i < o->n_hide; i++) git_revwalk_hide(rw, &o->hide[i]); /* gone: new */
        for (git_oid id; !git_revwalk_next(&id, rw);) ak_oidset_add(&fresh, &id, 0);
        git_revwalk_free(rw);
    }
    for (size_t i = 0; i < o->n_hide; i++) ak_oidset_add(hidden, &o->hide[i], 0);
    for (size_t i = 0; i < tips.len; i++)
        if (!ak_oidset_get(&fresh, &tips.items[i], NULL)) ak_oidset_add(hidden, &tips.items[i], 0);
    for (size_t i = 0; i < fresh.cap; i++) {
        git_commit *c;
        const git_oid *id = &fresh.slots[i].id; /* an empty slot is all zero */
        if (git_oid_is_zero(id) || git_commit_lookup(&c, repo, id)) continue;
        for (unsigned p = 0; p < git_commit_parentcount(c); p++) {
            const git_oid *pid = git_commit_parent_id(c, p);
            if (!ak_oidset_get(&fresh, pid, NULL)) ak_oidset_add(hidden, pid, 0);
        }
        git_commit_free(c);
    }
    ak_oidset_free(&fresh);
    free(tips.items);
}

static int finish(ak_gscan *sc, ak_gwalk *w, ak_findings *out, ak_scan_summary *sum)
{
    ak_findings found = {0};
    uint32_t *ranks = NULL;
    int rc = ak_gscan_finish(sc, &found, &ranks, sum);
    ak_git_attribute(w->repo, w->order, w->n_order, &found, ranks);
    ak_findings_move(out, &found);
    free(ranks);
    return rc;
}

int ak_git_scan_history(const ak_engine *engine, const char *repo_path, const ak_git_opts *opts,
                        ak_findings *out, ak_scan_summary *sum)
{
    ak_git_init();
    /* Gigabytes of objects pass through buffers of up to a few MiB: keep them in the heap rather
     * than mapping (and having the kernel zero) fresh pages for each, and do not hand freed
     * memory back only to fault it in again. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    git_repository *repo = NULL;
    ak_buf err = AK_BUF_INIT;
    int rc = ak_git_open(&repo, repo_path, &err);
    if (rc) ak_error("%s", ak_buf_cstr(&err));
    ak_buf_free(&err);
    ak_gscan sc;
    if (!rc && ak_gscan_start(&sc, engine, repo, opts)) {
        uint32_t *ranks = NULL;
        ak_gscan_finish(&sc, out, &ranks, sum);
        free(ranks);
        rc = -1;
    }
    if (!rc) {
        ak_gwalk w;
        tag_texts tags = {0};
        /* An incremental scan (want_blob) wants few blobs: not worth scanning all of them. */
        if (!opts->want_blob) ak_gscan_prescan(&sc);
        ak_gwalk_init(&w, repo, &sc, opts, sum);
        ak_oidset hidden = {0};
        if (opts->n_hide) {
            hide_known(repo, opts, &hidden);
            w.hidden = &hidden; // cppcheck-suppress autoVariables
        }
        /* The trees of a whole history are walked once every commit is numbered, spread over
         * the threads (--all-objects keeps the walk in order: it asks what was seen). */
        w.defer = !opts->n_hide;
        w.parallel = !opts->all_objects;
        walk_refs(&w, &tags);
        ak_gwalk_flush(&w);
        w.defer = 0;
        w.hidden = NULL;
        ak_oidset_free(&hidden);
        git_odb *odb;
        if (opts->all_objects && !git_repository_odb(&odb, repo)) {
            walk_unreachable(&w, odb);
            git_odb_free(odb);
        }
        rc = finish(&sc, &w, out, sum);
        scan_tag_messages(engine, &tags, out, sum); /* a failure is counted in sum */
        ak_gwalk_free(&w);
        ak_buf_free(&tags.text);
        free(tags.ids);
    }
    git_repository_free(repo);
    ak_git_done();
    return rc;
}
