/*
 * `akhound scan --range BASE..HEAD`: what a push or a pull request introduces. The commits are
 * those reachable from HEAD and not from BASE; a blob is new unless the tree of a commit on the
 * base side of the range (the boundary: hidden parents of range commits) already holds it, so
 * those trees are marked seen before the range is walked. Each new blob is scanned once and
 * attributed to the first range commit holding it, exactly as in a full history scan.
 *
 * BASE as hooks pass it: all zeros for a new branch (then what no remote-tracking ref reaches, or
 * on a server what no other branch reaches), and possibly a full id this clone never had (a
 * shallow CI clone, a force push): then every commit reachable from HEAD that is present is
 * scanned, which is more than asked, never less. A name that does not resolve is a typo: an error.
 */
#include "sources/git_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <string.h>

static int resolve_commit(git_repository *repo, const char *spec, git_oid *out)
{
    git_object *obj, *c;
    if (git_revparse_single(&obj, repo, spec)) return -1;
    int rc = git_object_peel(&c, obj, GIT_OBJECT_COMMIT);
    git_object_free(obj);
    if (rc) return -1;
    *out = *git_object_id(c);
    git_object_free(c);
    return 0;
}

static int all_zero(const char *s)
{
    return *s && strspn(s, "0") == strlen(s);
}

/* A full object id (what hooks and CI pass), as opposed to a name typed by a person. */
static int full_id(const char *s)
{
    size_t n = strspn(s, "0123456789abcdefABCDEF");
    return !s[n] && (n == 40 || n == 64);
}

typedef struct bases {
    git_oid *ids;
    size_t len, cap;
} bases;

/* A tip hides commits from the range unless it already reaches head (the branch's own tracking
 * ref in a CI clone says nothing about what is new). */
static void add_base(git_repository *repo, const git_oid *head, const git_oid *tip, bases *b)
{
    if (!git_oid_cmp(tip, head) || git_graph_descendant_of(repo, tip, head) == 1) return;
    AK_GROW(b->ids, b->cap, b->len);
    b->ids[b->len++] = *tip;
}

/* A new branch: what no remote-tracking ref reaches (works in a single-branch clone as well as a
 * full one); on a server (bare) what no other branch reaches, the pushed ref not yet moved. */
static void new_branch_bases(git_repository *repo, const git_oid *head, bases *b)
{
    git_reference_iterator *it;
    const char *glob = git_repository_is_bare(repo) ? "refs/heads/*" : "refs/remotes/*";
    if (git_reference_iterator_glob_new(&it, repo, glob)) return;
    git_reference *ref;
    while (!git_reference_next(&ref, it)) {
        git_reference *resolved;
        if (!git_reference_resolve(&resolved, ref)) {
            add_base(repo, head, git_reference_target(resolved), b);
            git_reference_free(resolved);
        }
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    if (b->len)
        ak_info("--range: new branch: scanning the commits no %s reaches",
                git_repository_is_bare(repo) ? "other branch" : "remote-tracking ref");
    else
        ak_info("--range: new branch and nothing to compare it with: scanning all of it");
}

/* Finds what BASE stands for: the commits hidden from the range (none: the whole history of head
 * is scanned). A name that does not resolve is an error; a full id that is absent is expected in
 * shallow clones and after force pushes, and falls back to scanning more. */
static int resolve_base(git_repository *repo, const char *spec, const git_oid *head, bases *b)
{
    if (all_zero(spec)) {
        new_branch_bases(repo, head, b);
        return 0;
    }
    git_oid base;
    if (!resolve_commit(repo, spec, &base)) {
        AK_GROW(b->ids, b->cap, b->len);
        b->ids[b->len++] = base;
        return 0;
    }
    if (!full_id(spec)) {
        ak_error("--range: '%s' is not a commit in this repository: %s", spec, ak_git_errmsg());
        return -1;
    }
    ak_warn("--range: base '%s' is not in this repository (a shallow clone, or history "
            "rewritten by a force push): scanning every commit of the head that is present",
            spec);
    return 0;
}

static int parse_range(const char *range, char **base, char **head)
{
    const char *dots = strstr(range, "..");
    if (!dots) {
        *base = ak_strdup(range);
        *head = ak_strdup("HEAD");
        return 0;
    }
    if (dots[2] == '.') return -1; /* A...B (symmetric difference) means nothing to a push */
    *base = ak_strndup(range, (size_t)(dots - range));
    *head = ak_strdup(dots[2] ? dots + 2 : "HEAD");
    return **base ? 0 : -1;
}

/* Marks everything the base side already holds, then walks the range. */
static void walk_range(ak_gwalk *w, const git_oid *head, const bases *b)
{
    ak_oidset hidden = {0}, range = {0};
    if (b->len) {
        for (size_t i = 0; i < b->len; i++) ak_gwalk_reach(w, &b->ids[i], &hidden);
        /* cleared again before `hidden` goes out of scope, at the end of this function */
        w->hidden = &hidden; // cppcheck-suppress autoVariables
        ak_gwalk_reach(w, head, &range);
        ak_gscan *scan = w->scan;
        w->scan = NULL;
        for (size_t i = 0; i < w->n_boundary; i++) {
            git_commit *c;
            if (git_commit_lookup(&c, w->repo, &w->boundary[i])) continue;
            ak_gwalk_tree(w, git_commit_tree_id(c), "", AK_RANK_NONE);
            git_commit_free(c);
        }
        w->scan = scan;
    }
    ak_gwalk_commits(w, head);
    w->hidden = NULL;
    ak_oidset_free(&hidden);
    ak_oidset_free(&range);
}

static int scan_range(const ak_engine *engine, git_repository *repo, const char *base_s,
                      const char *head_s, const ak_git_opts *opts, ak_findings *out,
                      ak_scan_summary *sum)
{
    git_oid head;
    bases b = {0};
    if (resolve_commit(repo, head_s, &head)) {
        ak_error("--range: '%s' is not a commit in this repository: %s", head_s, ak_git_errmsg());
        return -1;
    }
    if (resolve_base(repo, base_s, &head, &b)) return -1;
    ak_gscan sc;
    uint32_t *ranks = NULL;
    ak_findings found = {0};
    if (ak_gscan_start(&sc, engine, repo, opts)) {
        ak_gscan_finish(&sc, out, &ranks, sum);
        free(ranks);
        free(b.ids);
        return -1;
    }
    ak_gwalk w;
    ak_gwalk_init(&w, repo, &sc, opts, sum);
    walk_range(&w, &head, &b);
    int rc = ak_gscan_finish(&sc, &found, &ranks, sum);
    ak_git_attribute(repo, w.order, w.n_order, &found, ranks);
    ak_findings_move(out, &found);
    free(ranks);
    ak_gwalk_free(&w);
    free(b.ids);
    return rc;
}

int ak_git_scan_range(const ak_engine *engine, const char *repo_path, const char *range,
                      const ak_git_opts *opts, ak_findings *out, ak_scan_summary *sum)
{
    char *base_s = NULL, *head_s = NULL;
    if (parse_range(range, &base_s, &head_s)) {
        ak_error("--range: '%s' is not BASE..HEAD", range);
        free(base_s);
        free(head_s);
        return -1;
    }
    ak_git_init();
    git_repository *repo = NULL;
    ak_buf err = AK_BUF_INIT;
    int rc = ak_git_open(&repo, repo_path, &err);
    if (rc)
        ak_error("%s", ak_buf_cstr(&err));
    else
        rc = scan_range(engine, repo, base_s, head_s, opts, out, sum);
    ak_buf_free(&err);
    git_repository_free(repo);
    ak_git_done();
    free(base_s);
    free(head_s);
    return rc;
}
