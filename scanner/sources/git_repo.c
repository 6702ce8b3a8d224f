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

/* An all-zero id marks an empty slot (the null id itself, which no object has but a damaged tree
 * may name, is kept apart), so a probe reads one 24-byte slot: no separate "used" array. */
static int same(const git_oid *a, const git_oid *b)
{
    uint64_t a0, b0, a1, b1;
    uint32_t a2, b2;
    memcpy(&a0, a->id, 8);
    memcpy(&b0, b->id, 8);
    memcpy(&a1, a->id + 8, 8);
    memcpy(&b1, b->id + 8, 8);
    memcpy(&a2, a->id + 16, 4);
    memcpy(&b2, b->id + 16, 4);
    return a0 == b0 && a1 == b1 && a2 == b2;
}

static int is_zero(const git_oid *id)
{
    static const git_oid zero;
    return same(id, &zero);
}

static ak_oidslot *find_slot(const ak_oidset *s, const git_oid *id)
{
    size_t i = ak_oidset_slot(s, id);
    while (!is_zero(&s->slots[i].id) && !same(&s->slots[i].id, id)) i = (i + 1) & (s->cap - 1);
    return &s->slots[i];
}

static void rehash(ak_oidset *s, size_t cap)
{
    ak_oidset n = *s;
    n.cap = cap;
    /* Written now rather than calloc'ed: a large zeroed block is mapped to the shared zero page,
     * and the first write to each page after a read (a probe) then costs a copy plus a TLB
     * flush on every core running a worker. */
    n.slots = ak_malloc(cap * sizeof *n.slots);
    memset(n.slots, 0, cap * sizeof *n.slots);
    for (size_t i = 0; i < s->cap; i++)
        if (!is_zero(&s->slots[i].id)) *find_slot(&n, &s->slots[i].id) = s->slots[i];
    free(s->slots);
    *s = n;
}

void ak_oidset_reserve(ak_oidset *s, size_t n)
{
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < 2 * n) cap *= 2;
    if (cap > s->cap) rehash(s, cap);
}

int ak_oidset_get(const ak_oidset *s, const git_oid *id, uint32_t *val)
{
    const ak_oidslot *e;
    if (is_zero(id)) {
        if (s->has_zero && val) *val = s->zero_val;
        return s->has_zero;
    }
    if (!s->len || is_zero(&(e = find_slot(s, id))->id)) return 0;
    if (val) *val = e->val;
    return 1;
}

int ak_oidset_add(ak_oidset *s, const git_oid *id, uint32_t val)
{
    if (is_zero(id)) {
        if (s->has_zero) return 0;
        s->has_zero = 1;
        s->zero_val = val;
        return 1;
    }
    if ((s->len + 1) * 2 > s->cap) ak_oidset_reserve(s, s->len + 1);
    ak_oidslot *e = find_slot(s, id);
    if (!is_zero(&e->id)) return 0;
    *e = (ak_oidslot){*id, val};
    s->len++;
    return 1;
}

void ak_oidset_set(ak_oidset *s, const git_oid *id, uint32_t val)
{
    if (ak_oidset_add(s, id, val)) return;
    if (is_zero(id))
        s->zero_val = val;
    else
        find_slot(s, id)->val = val;
}

void ak_oidset_clear(ak_oidset *s)
{
    if (s->len) memset(s->slots, 0, s->cap * sizeof *s->slots);
    s->len = 0;
    s->has_zero = 0;
}

void ak_oidset_free(ak_oidset *s)
{
    free(s->slots);
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

/* The object format named by the configuration of the repository at path, or 0 when it names
 * none (SHA-1). libgit2 1.5 reads SHA-1 repositories only, reports any other as an unknown
 * extension, and leaks on that error path: so the format is read before opening. */
static int object_format(const char *path, ak_buf *fmt)
{
    git_buf dir = {0}, val = {0};
    git_config *cfg = NULL;
    ak_buf file = AK_BUF_INIT;
    int found = 0;
    if (!git_repository_discover(&dir, path, 0, NULL)) {
        ak_buf_printf(&file, "%sconfig", dir.ptr);
        found = !git_config_open_ondisk(&cfg, file.data) &&
                !git_config_get_string_buf(&val, cfg, "extensions.objectformat");
    }
    if (found) ak_buf_puts(fmt, val.ptr);
    git_config_free(cfg);
    git_buf_dispose(&val);
    git_buf_dispose(&dir);
    ak_buf_free(&file);
    return found;
}

int ak_git_open(git_repository **out, const char *path, ak_buf *err)
{
    const char *p = path ? path : ".";
    ak_buf fmt = AK_BUF_INIT;
    int other = object_format(p, &fmt) && strcmp(ak_buf_cstr(&fmt), "sha1");
    if (other)
        ak_buf_printf(err,
                      "%s: a %s repository (extensions.objectformat), which akhound cannot read "
                      "yet: only SHA-1 repositories are supported",
                      p, ak_buf_cstr(&fmt));
    ak_buf_free(&fmt);
    if (other) return -1;
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
