/*
 * `akhound scan --range BASE..HEAD`: what a push or a pull request introduces. The commits are
 * those reachable from HEAD and not from BASE; a blob is new unless the tree of a commit on the
 * base side of the range (the boundary: hidden parents of range commits) already holds it, so
 * those trees are marked seen before the range is walked. Each new blob is scanned once and
 * attributed to the first range commit holding it, exactly as in a full history scan.
 *
 * BASE as hooks pass it: all zeros for a new branch (then the merge base with the default branch,
 * found through the remote-tracking refs, or on a server the branch HEAD names), and possibly an
 * object this clone never had (a shallow CI clone, a force push): then every commit reachable from
 * HEAD that is present is scanned, which is more than asked, never less.
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

/* The default branch's tip other than head itself: what a new branch forked from. */
static int default_branch(git_repository *repo, const git_oid *head, git_oid *out, char **name)
{
    static const char *const cands[] = {"refs/remotes/origin/HEAD", "refs/remotes/origin/main",
                                        "refs/remotes/origin/master"};
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++)
        if (!git_reference_name_to_id(out, repo, cands[i]) && git_oid_cmp(out, head)) {
            *name = ak_strdup(cands[i]);
            return 0;
        }
    git_reference *h;
    /* On a server (bare), HEAD names the default branch; its tip is not yet moved by the push. */
    if (git_repository_is_bare(repo) && !git_repository_head(&h, repo)) {
        int rc = git_oid_cmp(git_reference_target(h), head) ? 0 : -1;
        *out = *git_reference_target(h);
        *name = ak_strdup(git_reference_name(h));
        git_reference_free(h);
        if (!rc) return 0;
        free(*name);
        *name = NULL;
    }
    return -1;
}

/* Finds BASE's commit; 0 and *have = 0 when the whole history of head is to be scanned. */
static void resolve_base(git_repository *repo, const char *spec, const git_oid *head, git_oid *base,
                         int *have)
{
    *have = 0;
    char hex[GIT_OID_HEXSZ + 1];
    if (!all_zero(spec)) {
        if (!resolve_commit(repo, spec, base)) {
            *have = 1;
            return;
        }
        ak_warn("--range: base '%s' is not in this repository (a shallow clone, or history "
                "rewritten by a force push): scanning every commit of the head that is present",
                spec);
        return;
    }
    git_oid tip;
    char *name = NULL;
    if (default_branch(repo, head, &tip, &name) || git_merge_base(base, repo, &tip, head)) {
        ak_info("--range: new branch with no default branch to fork from: scanning all of it");
    } else {
        ak_info("--range: new branch: scanning from its merge base %s with %s",
                git_oid_tostr(hex, sizeof hex, base), name);
        *have = 1;
    }
    free(name);
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
static void walk_range(ak_gwalk *w, const git_oid *head, const git_oid *base, int have_base)
{
    ak_oidset hidden = {0}, range = {0};
    if (have_base) {
        ak_gwalk_reach(w, base, &hidden);
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
    git_oid head, base;
    int have_base;
    if (resolve_commit(repo, head_s, &head)) {
        ak_error("--range: '%s' is not a commit in this repository: %s", head_s, ak_git_errmsg());
        return -1;
    }
    resolve_base(repo, base_s, &head, &base, &have_base);
    ak_gscan sc;
    uint32_t *ranks = NULL;
    ak_findings found = {0};
    if (ak_gscan_start(&sc, engine, repo, opts)) {
        ak_gscan_finish(&sc, out, &ranks, sum);
        free(ranks);
        return -1;
    }
    ak_gwalk w;
    ak_gwalk_init(&w, repo, &sc, opts, sum);
    walk_range(&w, &head, &base, have_base);
    int rc = ak_gscan_finish(&sc, &found, &ranks, sum);
    ak_git_attribute(repo, w.order, w.n_order, &found, ranks);
    ak_findings_move(out, &found);
    free(ranks);
    ak_gwalk_free(&w);
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
