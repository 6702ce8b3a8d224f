/*
 * The small pieces every git source needs: the object-id hash map, opening a repository the way
 * git itself would see it (including a pre-receive hook's quarantined objects), the shallow list,
 * error accounting and commit metadata. Kept apart from the walk so the staged source, which never
 * walks history, links only what it uses.
 */
#include "sources/git_int.h"
#include "sources/git.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---------- ak_oidset ---------- */

static size_t slot_of(const ak_oidset *s, const git_oid *id)
{
    uint64_t h;
    memcpy(&h, id->id, sizeof h);
    return (size_t)h & (s->cap - 1);
}

static size_t find_slot(const ak_oidset *s, const git_oid *id)
{
    size_t i = slot_of(s, id);
    while (s->used[i] && memcmp(s->keys[i].id, id->id, GIT_OID_RAWSZ)) i = (i + 1) & (s->cap - 1);
    return i;
}

static void grow(ak_oidset *s)
{
    ak_oidset n = {0};
    n.cap = s->cap ? s->cap * 2 : 1024;
    n.keys = ak_malloc(n.cap * sizeof *n.keys);
    n.vals = ak_malloc(n.cap * sizeof *n.vals);
    n.used = ak_calloc(n.cap, 1);
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->used[i]) continue;
        size_t k = find_slot(&n, &s->keys[i]);
        n.used[k] = 1;
        n.keys[k] = s->keys[i];
        n.vals[k] = s->vals[i];
    }
    n.len = s->len;
    ak_oidset_free(s);
    *s = n;
}

int ak_oidset_get(const ak_oidset *s, const git_oid *id, uint32_t *val)
{
    if (!s->len) return 0;
    size_t i = find_slot(s, id);
    if (!s->used[i]) return 0;
    if (val) *val = s->vals[i];
    return 1;
}

int ak_oidset_add(ak_oidset *s, const git_oid *id, uint32_t val)
{
    if ((s->len + 1) * 2 > s->cap) grow(s);
    size_t i = find_slot(s, id);
    if (s->used[i]) return 0;
    s->used[i] = 1;
    s->keys[i] = *id;
    s->vals[i] = val;
    s->len++;
    return 1;
}

void ak_oidset_set(ak_oidset *s, const git_oid *id, uint32_t val)
{
    if (ak_oidset_add(s, id, val)) return;
    s->vals[find_slot(s, id)] = val;
}

void ak_oidset_free(ak_oidset *s)
{
    free(s->keys);
    free(s->vals);
    free(s->used);
    memset(s, 0, sizeof *s);
}

/* ---------- the library and the repository ---------- */

void ak_git_init(void)
{
    (void)ak_git_tls_enabled(); /* links git_tls.c in, so its interposer is in the executable */
    git_libgit2_init();
    /* Re-hashing every object doubles the cost of reading history; git checked pack checksums
     * when the objects arrived, and a corrupt object still fails to inflate. */
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    /* --staged turns the index into trees; checking that every one of a large index's blobs
     * exists in the object database first costs a third of that, and git add wrote them. */
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
    /* The walk reads each tree once, so a large object cache would only hold dead trees. */
    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(32 << 20));
}

void ak_git_done(void)
{
    git_libgit2_shutdown();
}

const char *ak_git_errmsg(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* git passes a pre-receive hook the pushed objects in a quarantine directory, named by these
 * variables; libgit2 does not read them unless told to. */
static int add_env_objects(git_repository *repo, ak_buf *err)
{
    const char *dir = getenv("GIT_OBJECT_DIRECTORY");
    const char *alts = getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES");
    if (!dir && !alts) return 0;
    git_odb *odb;
    if (git_repository_odb(&odb, repo)) {
        ak_buf_printf(err, "cannot open the object database: %s", ak_git_errmsg());
        return -1;
    }
    if (dir && *dir) git_odb_add_disk_alternate(odb, dir);
    char *list = alts ? ak_strdup(alts) : NULL;
    for (char *save = NULL, *p = list ? strtok_r(list, ":", &save) : NULL; p;
         p = strtok_r(NULL, ":", &save))
        git_odb_add_disk_alternate(odb, p);
    free(list);
    git_odb_free(odb);
    return 0;
}

int ak_git_open(git_repository **out, const char *path, ak_buf *err)
{
    const char *p = path ? path : ".";
    if (git_repository_open_ext(out, p, 0, NULL)) {
        ak_buf_printf(err, "%s: not a git repository: %s", p, ak_git_errmsg());
        return -1;
    }
    if (add_env_objects(*out, err)) {
        git_repository_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int ak_git_reopen(git_repository **out, git_repository *repo, ak_buf *err)
{
    return ak_git_open(out, git_repository_path(repo), err);
}

void ak_git_note_error(ak_scan_summary *sum, const char *fmt, ...)
{
    ak_buf b = AK_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    ak_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    ak_error("git: %s", ak_buf_cstr(&b));
    ak_buf_free(&b);
    sum->errors++;
    sum->incomplete = 1;
}

void ak_git_read_shallow(git_repository *repo, ak_oidset *set)
{
    ak_buf path = AK_BUF_INIT;
    ak_buf_printf(&path, "%sshallow", git_repository_commondir(repo));
    FILE *f = fopen(path.data, "r");
    ak_buf_free(&path);
    if (!f) return;
    char line[128];
    git_oid id;
    while (fgets(line, sizeof line, f))
        if (strlen(line) >= GIT_OID_HEXSZ && !git_oid_fromstrn(&id, line, GIT_OID_HEXSZ))
            ak_oidset_add(set, &id, 0);
    fclose(f);
}

ak_commit_info *ak_git_commit_info(git_repository *repo, const git_oid *id)
{
    git_commit *c;
    if (git_commit_lookup(&c, repo, id)) return NULL;
    const git_signature *a = git_commit_author(c);
    char hex[GIT_OID_HEXSZ + 1], date[21];
    git_oid_tostr(hex, sizeof hex, id);
    ak_iso8601(date, (time_t)a->when.time);
    const char *summary = git_commit_summary(c);
    ak_commit_info *info = ak_commit_info_new(hex, a->name ? a->name : "", a->email ? a->email : "",
                                              date, summary ? summary : "");
    git_commit_free(c);
    return info;
}

int ak_git_is_lfs_pointer(const uint8_t *data, size_t len)
{
    static const char magic[] = "version https://git-lfs.github.com/spec/";
    return len < 1024 && len > sizeof magic && !memcmp(data, magic, sizeof magic - 1);
}

void ak_git_opts_default(ak_git_opts *o)
{
    memset(o, 0, sizeof *o);
    ak_scan_opts_default(&o->scan);
}
