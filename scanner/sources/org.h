/*
 * Organization scans (`akhound org`): enumerate an organization's repositories (GitHub, GitLab or
 * a file of clone URLs), keep one bare mirror of each in a cache directory, scan each mirror's
 * history with the git source, only the blobs not scanned before with the same rules, and attach
 * the repository name and a web link to every finding.
 *
 *   org_list.c    the repository list: repos files, filters, the shard partition, web links
 *   org_http.c    a small libcurl GET client for the forge APIs (pagination, rate limits, retries)
 *   org_github.c  GitHub REST enumeration (Link headers)
 *   org_gitlab.c  GitLab REST enumeration (X-Next-Page), subgroups included
 *   org_clone.c   bare mirrors: clone, fetch, token / ssh-agent credentials, cache eviction
 *   org_state.c   the per-repository incremental state (<cache>/<name>.akstate)
 *   org_inventory.c  the per-repository findings over time (<cache>/<name>.inventory.jsonl)
 *   org_run.c     the driver: N repositories in parallel, retries, progress, summary
 *
 * Tokens are borrowed from the caller (the CLI reads GITHUB_TOKEN / GITLAB_TOKEN): they travel
 * only in request headers and libgit2 credential callbacks, never in a URL, a message or a file,
 * and never over plain http to a host that is not a loopback address.
 *
 * Convention: 0 on success, negative on error with one line in the caller's ak_buf.
 */
#ifndef AK_SOURCES_ORG_H
#define AK_SOURCES_ORG_H

#include "detect/detect.h"
#include "report/report.h"
#include "sources/git.h"
#include "util/buf.h"

#include <stdint.h>

typedef enum { AK_FORGE_OTHER = 0, AK_FORGE_GITHUB, AK_FORGE_GITLAB } ak_forge;

typedef struct ak_org_repo {
    char *name;      /* canonical "host/owner/repo" (GitLab: host/group/sub/repo): cache key, shard
                        key and the `repository` of findings */
    char *clone_url; /* https://, http:// (loopback), ssh://, user@host:path or git:// */
    char *web_url;   /* the repository's web page, for links; NULL when unknown */
    ak_forge forge;  /* link style and which token applies */
    int fork, archived;
    char *pushed_at; /* the forge's last push time as listed (GitHub pushed_at, GitLab
                        last_activity_at), compared as text; NULL when unknown (a repos file) */
} ak_org_repo;

struct json_t;

typedef struct ak_org_list {
    ak_org_repo *items;
    size_t len, cap;
} ak_org_list;

void ak_org_list_free(ak_org_list *l);
/* Appends a repository (strings copied; web_url may be NULL). */
void ak_org_list_add(ak_org_list *l, const char *name, const char *clone_url, const char *web_url,
                     ak_forge forge, int fork, int archived);
/* Sorts by name and drops duplicates (the same name listed twice). */
void ak_org_list_sort(ak_org_list *l);

/* ---------- enumeration ---------- */

typedef struct ak_org_api {
    const char *api_url; /* NULL: https://api.github.com or https://gitlab.com/api/v4 */
    const char *token;   /* borrowed; NULL: anonymous */
    const char *ca_file; /* extra CA for https; NULL: system bundle */
    unsigned max_wait;   /* longest rate-limit wait in seconds before giving up (default 900) */
    unsigned retries;    /* retries of network errors and 5xx (default 3) */
    unsigned max_pages; /* pages per listing before it fails (default 2000: 200,000 repositories) */
    uint64_t max_bytes; /* bytes of answers per listing before it fails (default 2 GiB) */
    unsigned long requests, waits; /* out: requests sent, rate-limit waits */
    unsigned long pages;           /* out: pages read */
    uint64_t bytes;                /* out: bytes of answers read */
    long long pause_until;         /* internal: epoch second the next request must wait for */
} ak_org_api;

void ak_org_api_default(ak_org_api *a);
/* Every repository of a GitHub organization (or user, when no such organization exists). */
int ak_org_list_github(ak_org_list *out, const char *org, ak_org_api *api, ak_buf *err);
/* Every project of a GitLab group and its subgroups. */
int ak_org_list_gitlab(ak_org_list *out, const char *group, ak_org_api *api, ak_buf *err);
/* One clone URL per line; blank lines and '#' comments ignored. Names and web links are derived
 * from the URL (links only for github.com and gitlab.com https URLs). */
int ak_org_list_file(ak_org_list *out, const char *path, ak_buf *err);
/* How one forge's API names the facts about a repository. */
typedef struct ak_forge_fields {
    const char *full_name, *clone_url, *web_url, *pushed_at; /* JSON keys */
    const char *what; /* "repositories", "projects" (for messages) */
    ak_forge forge;
    int (*is_fork)(const struct json_t *repo);
} ak_forge_fields;

/* Adds the repositories of one page of an API answer (a JSON array). An entry without a usable
 * name, or whose clone URL is not https (or http to a literal loopback address), is skipped with a
 * warning naming it. Returns the number of entries of the page (0: the listing is over), or -1
 * with the reason when the answer is not such an array. */
int ak_org_parse_page(ak_org_list *out, const ak_buf *body, const ak_forge_fields *f, ak_buf *err);
/* Derives the canonical name, forge and web URL of a clone URL; 0, or -1 when it names no
 * repository. *name and *web_url are malloc'ed (*web_url may be NULL). */
int ak_org_url_parse(const char *url, char **name, char **web_url, ak_forge *forge);

typedef struct ak_org_filter {
    int include_forks, include_archived;
    const char *const *excludes; /* globs over "owner/repo" (the name without host) or "repo" */
    size_t n_excludes;
} ak_org_filter;

/* Drops forks, archived repositories and excluded names (unless included); returns how many. */
size_t ak_org_list_filter(ak_org_list *l, const ak_org_filter *f);

/* ---------- shards ---------- */

/* FNV-1a 64 of the lower-cased canonical name: stable across machines, versions and list order. */
uint64_t ak_org_shard_hash(const char *name);
/* 1 when `name` belongs to shard k of n (0 <= k < n). */
int ak_org_shard_has(const char *name, unsigned k, unsigned n);
/* Keeps the repositories of shard k of n; returns how many were dropped. */
size_t ak_org_list_shard(ak_org_list *l, unsigned k, unsigned n);
/* Parses "K/N" (0 <= K < N <= 65536); 0 or -1. */
int ak_org_shard_parse(const char *s, unsigned *k, unsigned *n);

/* Web link to a finding: GitHub WEB/blob/COMMIT/PATH#Lline, GitLab WEB/-/blob/COMMIT/PATH#Lline,
 * a commit message to WEB/commit/COMMIT (GitLab WEB/-/commit/COMMIT). NULL without a web URL. */
char *ak_org_link(const ak_org_repo *r, const char *commit, const char *path, uint32_t line);

/* ---------- mirrors ---------- */

/* Cache file name of a repository: bytes other than [A-Za-z0-9.-] become "_XX" (hex), so
 * distinct names never share a file. Appended to out. */
void ak_org_cache_name(const char *name, ak_buf *out);

typedef struct ak_org_auth {
    const char *github_token, *gitlab_token; /* borrowed; NULL: none */
    /* The only hosts each token is offered to (over https, or http to loopback): the forge's git
     * host, whatever host a clone URL names. NULL: the token is never offered. */
    const char *github_host, *gitlab_host;
    const char *ca_file;
} ak_org_auth;

/* Clones `r` as a bare mirror at `dir`, or fetches into the existing one (all refs, pruned). A
 * clone goes to <dir>.tmp and replaces dir only once complete (a mirror that cannot be opened is
 * replaced that way); a failed fetch leaves the mirror as it was. Unless `always_fetch`, a mirror
 * whose refs all match the remote's ref listing is not fetched. Returns 0 or -1 with the
 * reason. */
int ak_org_mirror(const ak_org_repo *r, const char *dir, const ak_org_auth *auth, int always_fetch,
                  ak_buf *err);
/* Removes a directory tree (no symlinks followed); 0 when it is gone. */
int ak_org_rm_tree(const char *dir);
/* Disk use of a directory tree in bytes. */
uint64_t ak_org_du(const char *dir);
/* Removes mirrors (*.git directories of cache) least recently used first (by the mtime of their
 * "akhound-used" stamp) until their total is at most max_bytes; `busy(dir, ctx)` protects mirrors
 * in use. Returns the number removed. */
size_t ak_org_cache_evict(const char *cache, uint64_t max_bytes,
                          int (*busy)(const char *name, void *ctx), void *ctx);

/* ---------- incremental state ---------- */

/* What was scanned in one repository: blob ids, and the commits its refs pointed at (the tips),
 * under one rule-set version, and the forge's push time listed before that scan. */
#define AK_ORG_PUSHED_MAX 48
typedef struct ak_org_state {
    char rules_version[65];
    char pushed_at[AK_ORG_PUSHED_MAX]; /* "" when unknown */
    long long checked_at; /* epoch second the run that listed pushed_at began (before its fetch) */
    uint8_t *blobs;       /* sorted 20-byte ids */
    size_t n_blobs;
    uint8_t *tips; /* sorted 20-byte commit ids */
    size_t n_tips;
    /* added by this run (unsorted, merged by ak_org_state_save) */
    uint8_t *new_blobs;
    size_t n_new_blobs, cap_new_blobs;
} ak_org_state;

/* Loads path; a missing file, a damaged one or another rules version gives an empty state for
 * `rules_version` (everything is scanned again). Returns 1 when a usable state was loaded, 2 when
 * the file was written under other rules, else 0. */
int ak_org_state_load(ak_org_state *st, const char *path, const char *rules_version);
void ak_org_state_free(ak_org_state *st);
/* 1 when the blob was scanned before. */
int ak_org_state_has_blob(const ak_org_state *st, const uint8_t id[20]);
void ak_org_state_add_blob(ak_org_state *st, const uint8_t id[20]);
/* Records the listed push time (NULL or too long: unknown) and when the run that listed it began.
 */
void ak_org_state_set_pushed(ak_org_state *st, const char *pushed_at, long long checked_at);
/* Replaces the tips (n 20-byte ids, copied). */
void ak_org_state_set_tips(ak_org_state *st, const uint8_t *tips, size_t n);
/* Writes old and new entries, sorted, atomically (temporary file, fsync, rename), mode 0600. */
int ak_org_state_save(ak_org_state *st, const char *path, ak_buf *err);
/* Replaces path by `data` atomically: a temporary file beside it (mode 0600), fsync, rename. */
int ak_org_write_atomic(const char *path, const void *data, size_t len, ak_buf *err);

/* ---------- the inventory (org_inventory.c) ---------- */

/* One repository's findings over time: every finding ever found in it, one per fingerprint, with
 * its status, first_seen and last_seen (<cache>/<name>.inventory.jsonl, secrets included, 0600).
 * `run` marks the run that made an entry new or reappeared: in a later run it reads as open. */
typedef struct ak_org_inventory {
    ak_findings items;
    char **runs; /* runs[i]: the run id of items[i]'s last change of status */
} ak_org_inventory;

/* Loads path (missing: empty); an unreadable or damaged entry is an error naming the file. */
int ak_org_inventory_load(ak_org_inventory *inv, const char *path, ak_buf *err);
int ak_org_inventory_save(const ak_org_inventory *inv, const char *path, ak_buf *err);
void ak_org_inventory_free(ak_org_inventory *inv);
/* Merges the findings of one scan (consumed): new fingerprints become "new", resolved ones found
 * again "reappeared", every one found gets last_seen = now. With `complete` (the scan read all
 * reachable history), entries not found become "resolved"; otherwise they are still reachable
 * (no ref lost a commit) and get last_seen = now. */
void ak_org_inventory_merge(ak_org_inventory *inv, ak_findings *found, int complete,
                            const char *run_id, const char *now);
/* Moves the entries to out (inv is freed), each with its status as seen by run `run_id`. */
void ak_org_inventory_report(ak_org_inventory *inv, const char *run_id, ak_findings *out);

/* A run of one organization scope (its options' listing and shard) that was interrupted is
 * continued by the next run of the same scope: same run id, so what it found stays "new". */
typedef struct ak_org_runmark {
    char *path, *id;
    int resumed;
    unsigned long seq; /* runs of this scope so far, this one included (a resumed run keeps it) */
} ak_org_runmark;

/* Starts or resumes the run of `scope` in cache; 0, or -1 with the reason. */
int ak_org_run_begin(ak_org_runmark *m, const char *cache, const char *scope, ak_buf *err);
/* Marks the run finished (its report was written): the next run is a new one. */
int ak_org_run_end(ak_org_runmark *m, ak_buf *err);
void ak_org_runmark_free(ak_org_runmark *m);

/* ---------- the run ---------- */

typedef enum { AK_PROGRESS_NONE = 0, AK_PROGRESS_TTY, AK_PROGRESS_LINES } ak_progress_mode;

/* How a re-run tells that a repository changed (--change-detect):
 *   REFS       one ref listing per repository; fetched only when a ref differs (the default)
 *   FETCH      always fetch (the negotiation itself decides)
 *   PUSH_TIME  a repository whose listed push time equals the one stored after its last complete
 *              scan is not contacted at all; others (and repositories without a push time) as
 *              REFS. The forge's stamp can lag or miss refs (see DESIGN): verify_every bounds it.
 */
typedef enum { AK_DETECT_REFS = 0, AK_DETECT_FETCH, AK_DETECT_PUSH_TIME } ak_change_detect;

typedef struct ak_org_opts {
    const char *cache;   /* cache directory (created 0700) */
    unsigned jobs;       /* repositories in parallel (default 2) */
    ak_git_opts git;     /* per-repository scan options (threads per repository) */
    unsigned retries;    /* clone/fetch retries per repository (default 2) */
    unsigned backoff_ms; /* first retry delay, doubled each time (default 500) */
    uint64_t max_cache;  /* bytes of mirrors to keep; 0: unbounded */
    int full;            /* ignore the incremental state (still update it) */
    ak_change_detect detect;
    unsigned verify_every; /* PUSH_TIME: each repository is contacted anyway once every N runs
                              (those whose shard hash + run_seq is a multiple of N); 0: never */
    unsigned long run_seq; /* the run's sequence number in its scope (ak_org_runmark.seq) */
    const char *run_id;    /* the run (org_inventory.c); new and reappeared findings belong to it */
    ak_progress_mode progress;
    unsigned progress_secs; /* interval of plain progress lines (default 30) */
    ak_org_auth auth;
} ak_org_opts;

void ak_org_opts_default(ak_org_opts *o);

typedef struct ak_org_result {
    size_t repos, scanned, failed, unchanged, rescanned; /* unchanged: same tips, not walked */
    size_t not_contacted; /* PUSH_TIME: same push time, neither listed nor fetched nor walked */
    char **failures;      /* "name: reason", one per failed repository */
    size_t cap_failures;
    uint64_t blobs, bytes, skipped_blobs;
    ak_scan_summary sum; /* totals over repositories */
} ak_org_result;

void ak_org_result_free(ak_org_result *r);

/* Mirrors and scans every repository of the list, merging what each scan found into the
 * repository's inventory (written before its state advances). Returns 0 (failures are listed in
 * res), or -1 when the cache cannot be used. */
int ak_org_run(const ak_engine *engine, const ak_org_list *repos, const ak_org_opts *opts,
               ak_org_result *res);
/* The cache paths of a repository: <cache>/<name><suffix> (suffix ".git", ".akstate",
 * ".inventory.jsonl"). */
void ak_org_cache_path(const char *cache, const ak_org_repo *r, const char *suffix, ak_buf *out);

#endif
