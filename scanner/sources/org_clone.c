/*
 * Bare mirrors of an organization's repositories, kept in the cache directory between runs.
 *
 * A mirror fetches every ref to the same name (pruned, all tags), so a re-run transfers only the
 * objects that changed and the history scan sees every branch, tag and pull-request head the
 * server publishes. A first clone goes to "<dir>.tmp" and is renamed into place when complete,
 * so a crash never leaves a partial mirror that looks whole.
 *
 * Credentials: a forge token (GitHub: x-access-token, GitLab: oauth2) is offered only to the
 * forge's git host (ak_org_auth), over https (or http to loopback), whatever host the clone URL
 * names, and at most twice per transfer (so a rejected token fails instead of looping); ssh URLs
 * use the ssh agent; git:// needs none. Redirects to another host are never followed: libgit2
 * would offer the credentials of the first host to the second.
 *
 * Eviction: each mirror's "akhound-used" file is touched when the mirror is used; when the
 * mirrors' total size exceeds --max-cache, the least recently used are removed first (their
 * small .akstate files stay, so a re-clone still scans only new blobs).
 */
#include "sources/org.h"
#include "sources/org_http.h"
#include "util/log.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct cred_ctx {
    const ak_org_repo *repo;
    const ak_org_auth *auth;
    unsigned tries;
} cred_ctx;

/* The token for url's host, or NULL. */
static const char *token_for(const cred_ctx *c, const char *url, const char **user)
{
    const ak_org_auth *a = c->auth;
    if (!ak_org_url_transport_ok(url)) return NULL;
    if (a->github_token && ak_org_url_host_is(url, a->github_host)) {
        *user = "x-access-token";
        return a->github_token;
    }
    if (a->gitlab_token && ak_org_url_host_is(url, a->gitlab_host)) {
        *user = "oauth2";
        return a->gitlab_token;
    }
    return NULL;
}

static int on_credentials(git_credential **out, const char *url, const char *user_from_url,
                          unsigned int allowed, void *payload)
{
    cred_ctx *c = payload;
    if (c->tries++ >= 2) return GIT_EUSER; /* the offered credentials were rejected */
    /* both the URL libgit2 names and the repository's own must be on the token's host */
    const char *user = NULL, *token = token_for(c, url, &user);
    if (token && !token_for(c, c->repo->clone_url, &user)) token = NULL;
    if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && token)
        return git_credential_userpass_plaintext_new(out, user, token);
    if (allowed & GIT_CREDENTIAL_SSH_KEY)
        return git_credential_ssh_key_from_agent(out, user_from_url ? user_from_url : "git");
    if (allowed & GIT_CREDENTIAL_USERNAME)
        return git_credential_username_new(out, user_from_url ? user_from_url : "git");
    return GIT_PASSTHROUGH;
}

static void fetch_options(git_fetch_options *fo, cred_ctx *c)
{
    fo->callbacks.credentials = on_credentials;
    fo->callbacks.payload = c;
    fo->prune = GIT_FETCH_PRUNE;
    fo->download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    fo->follow_redirects = GIT_REMOTE_REDIRECT_NONE; /* same-host redirects only */
}

static void libgit2_reason(ak_buf *err, const char *what)
{
    const git_error *e = git_error_last();
    ak_buf_printf(err, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) && errno != ENOENT ? -1 : 0;
}

int ak_org_rm_tree(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st)) return errno == ENOENT ? 0 : -1;
    return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void touch_stamp(const char *dir)
{
    ak_buf p = AK_BUF_INIT;
    ak_buf_printf(&p, "%s/akhound-used", dir);
    int fd = open(p.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
    ak_buf_free(&p);
}

/* 1 when every ref the remote advertises is already in the mirror with the same id, and the
 * mirror has no other ref: nothing to fetch. One ref listing instead of a fetch, whose
 * negotiation (libgit2 offers the mirror's history as "have" lines) costs seconds on a large
 * repository even when nothing changed. */
static int up_to_date(git_repository *repo, git_remote *remote, const git_fetch_options *fo)
{
    git_remote_connect_options co;
    git_remote_connect_options_init(&co, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
    co.callbacks = fo->callbacks;
    co.follow_redirects = fo->follow_redirects;
    const git_remote_head **heads;
    size_t n, listed = 0, local = 0;
    if (git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &co) ||
        git_remote_ls(&heads, &n, remote))
        return 0;
    int same = 1;
    for (size_t i = 0; i < n && same; i++) {
        const char *name = heads[i]->name;
        size_t len = strlen(name);
        if (strncmp(name, "refs/", 5) || (len > 3 && !strcmp(name + len - 3, "^{}"))) continue;
        git_oid id;
        listed++;
        same = !git_reference_name_to_id(&id, repo, name) && git_oid_equal(&id, &heads[i]->oid);
    }
    git_remote_disconnect(remote);
    git_reference_iterator *it = NULL;
    const char *name;
    if (same && !git_reference_iterator_glob_new(&it, repo, "refs/*"))
        while (!git_reference_next_name(&name, it)) local++;
    git_reference_iterator_free(it);
    return same && local == listed;
}

/* Fetches every ref of the clone URL into the bare repository at `dir`, through an anonymous
 * remote: the URL always comes from the current repository list, never from a stored config. */
static int fetch_all(const ak_org_repo *r, const char *dir, int init, int always, cred_ctx *c,
                     ak_buf *err)
{
    static char spec[] = "+refs/*:refs/*";
    char *specs[] = {spec};
    git_strarray refspecs = {specs, 1};
    git_repository *repo = NULL;
    git_remote *remote = NULL;
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    fetch_options(&fo, c);
    int rc = init ? git_repository_init(&repo, dir, 1) : git_repository_open_bare(&repo, dir);
    if (rc) libgit2_reason(err, init ? "cannot create the mirror" : "cannot open the mirror");
    if (!rc && (rc = git_remote_create_anonymous(&remote, repo, r->clone_url)))
        libgit2_reason(err, "bad clone URL");
    if (!rc && !init && !always && up_to_date(repo, remote, &fo)) {
        git_remote_free(remote);
        git_repository_free(repo);
        return 0;
    }
    c->tries = 0; /* the listing may have used the credentials once */
    if (!rc && (rc = git_remote_fetch(remote, &refspecs, &fo, NULL)))
        libgit2_reason(err, init ? "clone failed" : "fetch failed");
    git_remote_free(remote);
    git_repository_free(repo);
    return rc ? -1 : 0;
}

static int clone_fresh(const ak_org_repo *r, const char *dir, cred_ctx *c, ak_buf *err)
{
    ak_buf tmp = AK_BUF_INIT;
    ak_buf_printf(&tmp, "%s.tmp", dir);
    ak_org_rm_tree(tmp.data);
    int rc = fetch_all(r, tmp.data, 1, 1, c, err);
    if (!rc && (ak_org_rm_tree(dir) || rename(tmp.data, dir))) {
        ak_buf_printf(err, "cannot move the clone into place: %s", strerror(errno));
        rc = -1;
    }
    if (rc) ak_org_rm_tree(tmp.data);
    ak_buf_free(&tmp);
    return rc;
}

/* 1 when dir holds a repository libgit2 can open (a damaged one is cloned afresh beside it). */
static int mirror_usable(const char *dir)
{
    git_repository *repo = NULL;
    int ok = !git_repository_open_bare(&repo, dir);
    git_repository_free(repo);
    return ok;
}

/* Loose ref files and directories counted by nftw (per thread: jobs fetch in parallel). */
static __thread unsigned loose_refs, ref_dirs;

static int count_ref(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)st;
    (void)ftw;
    loose_refs += flag == FTW_F;
    ref_dirs += flag == FTW_D;
    return 0;
}

/* Depth first: every directory under refs/ that is empty goes (rmdir fails on the others). */
static int rm_empty_dir(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    if (flag == FTW_DP && ftw->level > 1) rmdir(path);
    return 0;
}

/* A mirror of a forge with pull-request refs gets one file per ref, and one directory per pull
 * request (curl: 17,887 refs), which every later fetch and ref listing pays for in stat and
 * getdents calls: past 256 loose refs they are packed into packed-refs (libgit2's refdb compress,
 * what `git pack-refs --all` does) and the directories left empty are removed. Objects need no
 * such step: fetches store what they receive as packs. */
static void pack_loose_refs(const char *dir)
{
    ak_buf p = AK_BUF_INIT;
    ak_buf_printf(&p, "%s/refs", dir);
    loose_refs = ref_dirs = 0;
    nftw(p.data, count_ref, 16, FTW_PHYS);
    git_repository *repo = NULL;
    git_refdb *db = NULL;
    if (loose_refs >= 256 && !git_repository_open_bare(&repo, dir) &&
        !git_repository_refdb(&db, repo) && git_refdb_compress(db))
        ak_warn("org: %s: cannot pack its refs: %s", dir,
                git_error_last() ? git_error_last()->message : "unknown error");
    git_refdb_free(db);
    git_repository_free(repo);
    if (ref_dirs > 64) nftw(p.data, rm_empty_dir, 16, FTW_PHYS | FTW_DEPTH);
    ak_buf_free(&p);
}

int ak_org_mirror(const ak_org_repo *r, const char *dir, const ak_org_auth *auth, int always_fetch,
                  ak_buf *err)
{
    cred_ctx c = {r, auth, 0};
    int rc = mirror_usable(dir) ? fetch_all(r, dir, 0, always_fetch, &c, err)
                                : clone_fresh(r, dir, &c, err);
    if (!rc) pack_loose_refs(dir);
    if (!rc) touch_stamp(dir);
    return rc;
}

/* ---------- disk use and eviction ---------- */

static __thread uint64_t du_total;

static int du_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F) du_total += (uint64_t)st->st_size;
    return 0;
}

uint64_t ak_org_du(const char *dir)
{
    du_total = 0;
    nftw(dir, du_entry, 16, FTW_PHYS);
    return du_total;
}

typedef struct mirror {
    char *name;
    time_t used;
    uint64_t size;
} mirror;

static int mirror_cmp(const void *a, const void *b)
{
    const mirror *x = a, *y = b;
    if (x->used != y->used) return x->used < y->used ? -1 : 1;
    return strcmp(x->name, y->name);
}

static size_t list_mirrors(const char *cache, mirror **out)
{
    DIR *d = opendir(cache);
    size_t n = 0, cap = 0;
    *out = NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".git")) continue;
        ak_buf p = AK_BUF_INIT;
        ak_buf_printf(&p, "%s/%s", cache, e->d_name);
        struct stat st;
        AK_GROW(*out, cap, n);
        mirror *m = &(*out)[n++];
        m->name = ak_strdup(e->d_name);
        m->size = ak_org_du(p.data);
        ak_buf_puts(&p, "/akhound-used");
        m->used = stat(p.data, &st) ? 0 : st.st_mtime;
        ak_buf_free(&p);
    }
    if (d) closedir(d);
    if (n > 1) qsort(*out, n, sizeof **out, mirror_cmp);
    return n;
}

size_t ak_org_cache_evict(const char *cache, uint64_t max_bytes,
                          int (*busy)(const char *name, void *ctx), void *ctx)
{
    mirror *m;
    size_t n = list_mirrors(cache, &m), removed = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += m[i].size;
    for (size_t i = 0; i < n && total > max_bytes; i++) {
        if (busy && busy(m[i].name, ctx)) continue;
        ak_buf p = AK_BUF_INIT;
        ak_buf_printf(&p, "%s/%s", cache, m[i].name);
        if (!ak_org_rm_tree(p.data)) {
            total -= m[i].size;
            removed++;
            ak_info("org: cache over its limit, removed the mirror %s", m[i].name);
        }
        ak_buf_free(&p);
    }
    for (size_t i = 0; i < n; i++) free(m[i].name);
    free(m);
    return removed;
}
