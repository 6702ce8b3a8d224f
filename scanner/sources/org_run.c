/*
 * The organization scan driver: `jobs` repositories at a time, each mirrored (org_clone.c), its
 * history scanned by the git source with the blobs of earlier runs skipped (org_state.c), its
 * findings tagged with the repository and a web link, then merged into one list.
 *
 * Parallelism is by repository (a pool of `jobs` threads), and each repository's scan has its own
 * blob threads (opts->git.scan.threads). libgit2 is initialised once for the whole run, so the
 * per-scan init/shutdown of the git source only bumps its reference count; every repository has
 * its own libgit2 handles.
 *
 * Failures: a clone or fetch that fails is retried with a doubling pause; the last attempt starts
 * from a fresh clone (a damaged mirror heals). A repository that still fails is listed in the
 * result and the others go on. A scan that met errors keeps its findings but not its state, so
 * the next run scans that repository again.
 *
 * Incremental runs report only findings whose fingerprint the repository's state has not seen:
 * a nightly run alerts on what is new; the complete set is the merge of all runs' JSONL files
 * (`akhound report merge`), or a run with `full`.
 */
#include "sources/org.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/pool.h"
#include "util/clock.h"

#include <git2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct org_run {
    const ak_engine *engine;
    const ak_org_list *repos;
    const ak_org_opts *opts;
    const char *rules_version;
    pthread_mutex_t lock; /* res, busy, eviction */
    ak_org_result *res;
    char **busy; /* per worker: the cache name of the mirror in use, or NULL */
    atomic_ulong done, failed, findings, blobs, bytes, skipped, unchanged, rescanned, not_contacted;
    char now[21]; /* ISO 8601 UTC: first_seen / last_seen of what this run finds */
    atomic_int stop, rules_said;
    double start;
    long long started; /* epoch second: before any listing of refs or fetch of this run */
} org_run;

void ak_org_opts_default(ak_org_opts *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = 2;
    ak_git_opts_default(&o->git);
    o->retries = 2;
    o->backoff_ms = 500;
    o->progress_secs = 30;
}

void ak_org_result_free(ak_org_result *r)
{
    for (size_t i = 0; i < r->failed; i++) free(r->failures[i]);
    free(r->failures);
    memset(r, 0, sizeof *r);
}

/* Replaces every occurrence of a token in s by "***" (libgit2 messages may echo a URL). */
static void redact(ak_buf *s, const char *token)
{
    if (!token || strlen(token) < 4 || !s->data) return;
    size_t tl = strlen(token);
    for (char *p; (p = strstr(s->data, token));) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + tl, strlen(p + tl) + 1);
        s->len -= tl - 3;
    }
}

static void record_failure(org_run *run, const ak_org_repo *r, ak_buf *reason)
{
    redact(reason, run->opts->auth.github_token);
    redact(reason, run->opts->auth.gitlab_token);
    ak_error("org: %s: %s", r->name, ak_buf_cstr(reason));
    pthread_mutex_lock(&run->lock);
    AK_GROW(run->res->failures, run->res->cap_failures, run->res->failed);
    ak_buf line = AK_BUF_INIT;
    ak_buf_printf(&line, "%s: %s", r->name, ak_buf_cstr(reason));
    run->res->failures[run->res->failed++] = ak_buf_detach(&line);
    pthread_mutex_unlock(&run->lock);
    atomic_fetch_add(&run->failed, 1);
}

/* Clone or fetch, with retries. A failed fetch keeps the mirror (the next run fetches again). */
static int mirror_with_retries(org_run *run, const ak_org_repo *r, const char *dir)
{
    const ak_org_opts *o = run->opts;
    ak_buf err = AK_BUF_INIT;
    unsigned long pause = o->backoff_ms;
    int rc = -1;
    for (unsigned attempt = 0; rc && attempt <= o->retries; attempt++) {
        ak_buf_reset(&err);
        rc = ak_org_mirror(r, dir, &o->auth, o->detect == AK_DETECT_FETCH, &err);
        if (rc && attempt < o->retries) {
            redact(&err, o->auth.github_token);
            redact(&err, o->auth.gitlab_token);
            ak_warn("org: %s: %s (attempt %u of %u, retrying)", r->name, ak_buf_cstr(&err),
                    attempt + 1, o->retries + 1);
            ak_sleep_ms(pause);
            pause *= 2;
        }
    }
    if (rc) record_failure(run, r, &err);
    ak_buf_free(&err);
    return rc;
}

typedef struct want_ctx {
    ak_org_state *state;
    org_run *run;
    pthread_mutex_t lock;
    int all;            /* a complete pass: every blob is scanned */
    const uint8_t *inv; /* sorted 20-byte blob ids of resolved entries: always rescanned */
    size_t n_inv;
} want_ctx;

static int cmp20(const void *a, const void *b)
{
    return memcmp(a, b, 20);
}

/* A blob is scanned when the pass is complete, when it was never scanned, or when it holds a
 * resolved entry (a key removed and re-added has the same blob id: it must be found again). */
static int want_blob(const struct git_oid *id, void *ctx)
{
    want_ctx *w = ctx;
    int again = w->n_inv && bsearch(id->id, w->inv, w->n_inv, 20, cmp20);
    pthread_mutex_lock(&w->lock);
    int seen = ak_org_state_has_blob(w->state, id->id);
    if (!seen) ak_org_state_add_blob(w->state, id->id);
    pthread_mutex_unlock(&w->lock);
    if (w->all || again || !seen) return 1;
    atomic_fetch_add(&w->run->skipped, 1);
    return 0;
}

/* Tags findings with the repository, a link and the scoped fingerprint. */
static void tag_findings(const ak_org_repo *r, ak_findings *found)
{
    for (size_t i = 0; i < found->len; i++) {
        ak_finding *f = &found->items[i];
        free(f->repository);
        f->repository = ak_strdup(r->name);
        free(f->link);
        f->link = ak_org_link(r, f->commit ? f->commit->id : NULL, f->path, f->line);
        ak_finding_scope(f);
    }
    ak_findings_sort(found); /* the same entry wins on every run */
}

/* The blob ids of the inventory's resolved entries, sorted. */
static uint8_t *inventory_blobs(const ak_org_inventory *inv, size_t *n)
{
    uint8_t *ids = ak_malloc(inv->items.len * 20 + 1);
    *n = 0;
    for (size_t i = 0; i < inv->items.len; i++) {
        git_oid id;
        const char *b = inv->items.items[i].blob;
        if (b && !strcmp(inv->items.items[i].status, "resolved") && !git_oid_fromstr(&id, b))
            memcpy(ids + 20 * (*n)++, id.id, 20);
    }
    if (*n > 1) qsort(ids, *n, 20, cmp20);
    return ids;
}

/* 1 when a commit that introduced an open entry is no longer reachable from the tips (a force
 * push or a deleted ref): the repository's whole history must then be read to tell which keys
 * are gone. An old tip missing from the mirror counts as such a loss. */
static int lost_entries(const char *dir, const ak_org_state *st, const git_oid *tips, size_t n,
                        const ak_org_inventory *inv)
{
    git_repository *repo = NULL;
    git_revwalk *rw = NULL;
    if (git_repository_open_bare(&repo, dir) || git_revwalk_new(&rw, repo)) {
        git_repository_free(repo);
        return 1;
    }
    int lost = 0;
    for (size_t i = 0; i < st->n_tips && !lost; i++) {
        git_oid id;
        git_oid_fromraw(&id, st->tips + 20 * i);
        lost = git_revwalk_push(rw, &id) != 0;
    }
    for (size_t i = 0; i < n && !lost; i++) git_revwalk_hide(rw, &tips[i]);
    for (git_oid id; !lost && !git_revwalk_next(&id, rw);) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, &id);
        for (size_t i = 0; i < inv->items.len && !lost; i++) {
            const ak_finding *e = &inv->items.items[i];
            lost = e->commit && e->commit->id && strcmp(e->status, "resolved") &&
                   !strcmp(e->commit->id, hex);
        }
    }
    git_revwalk_free(rw);
    git_repository_free(repo);
    return lost;
}

static int same_tips(const ak_org_state *st, const git_oid *tips, size_t n)
{
    if (st->n_tips != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(st->tips + 20 * i, tips[i].id, 20)) return 0;
    return 1;
}

/* Walks the history (only what is new since the state's tips, unless complete). */
static int scan_pass(org_run *run, const char *dir, ak_org_state *st, const ak_org_inventory *inv,
                     int complete, ak_findings *found, ak_scan_summary *sum)
{
    want_ctx wc = {st, run, PTHREAD_MUTEX_INITIALIZER, complete, NULL, 0};
    uint8_t *ids = inventory_blobs(inv, &wc.n_inv);
    wc.inv = ids;
    git_oid *hide = ak_malloc(st->n_tips * sizeof *hide + 1);
    for (size_t i = 0; i < st->n_tips; i++) git_oid_fromraw(&hide[i], st->tips + 20 * i);
    ak_git_opts go = run->opts->git;
    go.want_blob = want_blob;
    go.want_ctx = &wc;
    go.hide = complete ? NULL : hide;
    go.n_hide = complete ? 0 : st->n_tips;
    int rc = ak_git_scan_history(run->engine, dir, &go, found, sum);
    free(hide);
    free(ids);
    return rc;
}

/* Seconds a forge may take to stamp a push: GitLab refreshes last_activity_at at most once an
 * hour; GitHub stamps pushed_at as it takes the push. */
static long long stamp_lag(const ak_org_repo *r)
{
    return r->forge == AK_FORGE_GITLAB ? 3600 : 0;
}

/* 1 when the stored push time vouches for the stored state: it equals the listed one, and the
 * run that stored it began at least the forge's stamp lag after it, so any push that run's fetch
 * missed moved the push time. A time that cannot be parsed never vouches. */
static int push_vouches(const ak_org_state *st, const ak_org_repo *r)
{
    long long t = r->pushed_at ? ak_iso8601_parse(r->pushed_at) : -1;
    return t >= 0 && st->pushed_at[0] && !strcmp(st->pushed_at, r->pushed_at) &&
           st->checked_at >= t + stamp_lag(r);
}

typedef struct repo_paths {
    ak_buf dir, state, inventory;
} repo_paths;

/* Decides what to read, scans it and merges it into the inventory; 0, or -1 with the reason.
 * *keep_state: nothing the state holds changed (same tips, same push time): it is not rewritten. */
static int scan_repo(org_run *run, const ak_org_repo *r, const repo_paths *p, ak_org_state *st,
                     ak_org_inventory *inv, ak_scan_summary *sum, int *keep_state, ak_buf *err)
{
    int loaded = ak_org_state_load(st, p->state.data, run->rules_version);
    /* the push time listed before the fetch: a push after the listing makes the next run's
     * listing differ, so it errs towards contacting the repository again */
    int vouched = push_vouches(st, r);
    ak_org_state_set_pushed(st, r->pushed_at, run->started);
    if (loaded == 2 && !atomic_exchange(&run->rules_said, 1))
        ak_warn("org: the rules changed since the last scan: reading every repository's whole "
                "history again");
    if (ak_org_inventory_load(inv, p->inventory.data, err)) return -1;
    git_oid *tips = NULL;
    size_t n_tips = 0;
    if (ak_git_tips(p->dir.data, &tips, &n_tips)) {
        ak_buf_puts(err, "cannot open the mirror");
        return -1;
    }
    int complete = loaded != 1 || run->opts->full;
    int unchanged = !complete && same_tips(st, tips, n_tips);
    *keep_state = unchanged && (vouched || !r->pushed_at);
    if (unchanged) {
        atomic_fetch_add(&run->unchanged, 1);
        ak_findings none = {0}; /* nothing lost, nothing new: every entry still reachable */
        ak_org_inventory_merge(inv, &none, 0, run->opts->run_id, run->now);
    } else {
        if (!complete && lost_entries(p->dir.data, st, tips, n_tips, inv)) {
            ak_info("org: %s: a ref lost commits that held findings: reading its whole history",
                    r->name);
            complete = 1;
            atomic_fetch_add(&run->rescanned, 1);
        }
        ak_findings found = {0};
        int rc = scan_pass(run, p->dir.data, st, inv, complete, &found, sum);
        if (rc) sum->incomplete = 1;
        tag_findings(r, &found);
        atomic_fetch_add(&run->findings, found.len);
        ak_org_inventory_merge(inv, &found, complete && !sum->incomplete && !sum->errors,
                               run->opts->run_id, run->now);
        ak_findings_free(&found);
    }
    uint8_t *raw = ak_malloc(n_tips * 20 + 1);
    for (size_t i = 0; i < n_tips; i++) memcpy(raw + 20 * i, tips[i].id, 20);
    ak_org_state_set_tips(st, raw, n_tips);
    free(raw);
    free(tips);
    return 0;
}

/* Scans a mirror; the inventory is written first, then the state (never when the scan met
 * errors: the next run reads those blobs again). */
static void scan_mirror(org_run *run, const ak_org_repo *r, const repo_paths *p)
{
    ak_org_state st;
    ak_org_inventory inv;
    ak_scan_summary sum = {0};
    ak_buf err = AK_BUF_INIT;
    int keep_state = 0;
    int rc = scan_repo(run, r, p, &st, &inv, &sum, &keep_state, &err);
    if (!rc && inv.items.len) rc = ak_org_inventory_save(&inv, p->inventory.data, &err);
    if (!rc && (sum.incomplete || sum.errors)) {
        ak_buf_puts(&err, "the scan met errors (its history is read again next time)");
        rc = -1;
    }
    if (!rc && !keep_state) rc = ak_org_state_save(&st, p->state.data, &err);
    if (rc) record_failure(run, r, &err);
    atomic_fetch_add(&run->blobs, sum.blobs);
    atomic_fetch_add(&run->bytes, sum.bytes);
    pthread_mutex_lock(&run->lock);
    ak_summary_add(&run->res->sum, &sum);
    if (!rc) run->res->scanned++;
    pthread_mutex_unlock(&run->lock);
    ak_buf_free(&err);
    ak_org_inventory_free(&inv);
    ak_org_state_free(&st);
}

static int is_busy(const char *name, void *ctx)
{
    org_run *run = ctx;
    for (unsigned i = 0; i < run->opts->jobs; i++)
        if (run->busy[i] && !strcmp(run->busy[i], name)) return 1;
    return 0;
}

static void set_busy(org_run *run, unsigned worker, const char *name)
{
    pthread_mutex_lock(&run->lock);
    free(run->busy[worker]);
    run->busy[worker] = name ? ak_strdup(name) : NULL;
    if (!name && run->opts->max_cache)
        ak_org_cache_evict(run->opts->cache, run->opts->max_cache, is_busy, run);
    pthread_mutex_unlock(&run->lock);
}

void ak_org_cache_path(const char *cache, const ak_org_repo *r, const char *suffix, ak_buf *out)
{
    ak_buf_printf(out, "%s/", cache);
    ak_org_cache_name(r->name, out);
    ak_buf_puts(out, suffix);
}

/* PUSH_TIME: 1 when the repository's listed push time vouches for its state (push_vouches) and
 * this run is not its turn to be verified: it is not contacted, and its inventory stays as it is
 * (last_seen: when a scan last confirmed it). */
static int push_time_same(const org_run *run, const ak_org_repo *r, const char *state_path)
{
    const ak_org_opts *o = run->opts;
    if (o->detect != AK_DETECT_PUSH_TIME || o->full || !r->pushed_at) return 0;
    if (o->verify_every && (ak_org_shard_hash(r->name) + o->run_seq) % o->verify_every == 0)
        return 0;
    ak_org_state st;
    int same = ak_org_state_load(&st, state_path, run->rules_version) == 1 && push_vouches(&st, r);
    ak_org_state_free(&st);
    return same;
}

static void do_repo(void *item, unsigned worker, void *ctx)
{
    org_run *run = ctx;
    const ak_org_repo *r = &run->repos->items[*(size_t *)item];
    free(item);
    ak_buf cn = AK_BUF_INIT;
    repo_paths p = {AK_BUF_INIT, AK_BUF_INIT, AK_BUF_INIT};
    ak_org_cache_name(r->name, &cn);
    ak_org_cache_path(run->opts->cache, r, ".git", &p.dir);
    ak_org_cache_path(run->opts->cache, r, ".akstate", &p.state);
    ak_org_cache_path(run->opts->cache, r, ".inventory.jsonl", &p.inventory);
    ak_buf_puts(&cn, ".git");
    if (push_time_same(run, r, p.state.data)) {
        ak_debug("org: %s: push time unchanged (%s): not contacted", r->name, r->pushed_at);
        atomic_fetch_add(&run->not_contacted, 1);
    } else {
        set_busy(run, worker, cn.data);
        if (!mirror_with_retries(run, r, p.dir.data)) scan_mirror(run, r, &p);
        set_busy(run, worker, NULL);
    }
    atomic_fetch_add(&run->done, 1);
    ak_buf_free(&cn);
    ak_buf_free(&p.dir);
    ak_buf_free(&p.state);
    ak_buf_free(&p.inventory);
}

/* ---------- progress ---------- */

static void progress_line(org_run *run, ak_buf *b)
{
    unsigned long done = atomic_load(&run->done), total = (unsigned long)run->repos->len;
    double secs = ak_mono_seconds() - run->start;
    double rate = secs > 0 ? (double)done / secs : 0;
    ak_buf_printf(b, "%lu/%lu repositories, %lu blobs (%lu unchanged), %.1f MiB, %lu findings, ",
                  done, total, atomic_load(&run->blobs), atomic_load(&run->skipped),
                  (double)atomic_load(&run->bytes) / (1024.0 * 1024.0),
                  atomic_load(&run->findings));
    ak_buf_printf(b, "%.2f repos/s", rate);
    if (done && done < total) ak_buf_printf(b, ", ETA %.0f s", (double)(total - done) / rate);
}

static void *progress_main(void *arg)
{
    org_run *run = arg;
    int tty = run->opts->progress == AK_PROGRESS_TTY;
    double every = tty ? 0.25 : (double)(run->opts->progress_secs ? run->opts->progress_secs : 30);
    double last = ak_mono_seconds();
    while (!atomic_load(&run->stop)) {
        ak_sleep_ms(100);
        if (ak_mono_seconds() - last < every) continue;
        last = ak_mono_seconds();
        ak_buf b = AK_BUF_INIT;
        progress_line(run, &b);
        if (tty)
            fprintf(stderr, "\r\033[K%s", b.data);
        else
            fprintf(stderr, "akhound: org: %s\n", b.data);
        fflush(stderr);
        ak_buf_free(&b);
    }
    if (tty) fputs("\r\033[K", stderr);
    return NULL;
}

/* ---------- the run ---------- */

static int uses_https(const ak_org_list *repos)
{
    for (size_t i = 0; i < repos->len; i++)
        if (!strncasecmp(repos->items[i].clone_url, "https://", 8)) return 1;
    return 0;
}

static void run_pool(org_run *run)
{
    ak_pool *pool = ak_pool_new(run->opts->jobs, run->opts->jobs * 2, do_repo, run);
    for (size_t i = 0; i < run->repos->len; i++) {
        size_t *item = ak_malloc(sizeof *item);
        *item = i;
        ak_pool_push(pool, item);
    }
    ak_pool_finish(pool);
}

int ak_org_run(const ak_engine *engine, const ak_org_list *repos, const ak_org_opts *opts,
               ak_org_result *res)
{
    memset(res, 0, sizeof *res);
    if (mkdir(opts->cache, 0700) && access(opts->cache, W_OK)) {
        ak_error("org: cannot use the cache directory %s", opts->cache);
        return -1;
    }
    org_run run = {.engine = engine, .repos = repos, .opts = opts, .res = res};
    ak_iso8601_now(run.now);
    run.rules_version = ak_rules_version(ak_engine_rules(engine)); /* computed once, here */
    pthread_mutex_init(&run.lock, NULL);
    run.busy = ak_calloc(opts->jobs ? opts->jobs : 1, sizeof *run.busy);
    run.start = ak_mono_seconds();
    run.started = (long long)time(NULL);
    res->repos = repos->len;
    git_libgit2_init(); /* held for the whole run: the per-repository scans nest inside it */
    if (uses_https(repos)) ak_git_tls_enable(opts->auth.ca_file, NULL);
    pthread_t progress;
    int with_progress =
        opts->progress != AK_PROGRESS_NONE && !pthread_create(&progress, NULL, progress_main, &run);
    run_pool(&run);
    atomic_store(&run.stop, 1);
    if (with_progress) pthread_join(progress, NULL);
    git_libgit2_shutdown();
    res->blobs = res->sum.blobs;
    res->bytes = res->sum.bytes;
    res->skipped_blobs = atomic_load(&run.skipped);
    res->unchanged = atomic_load(&run.unchanged);
    res->rescanned = atomic_load(&run.rescanned);
    res->not_contacted = atomic_load(&run.not_contacted);
    res->sum.seconds = ak_mono_seconds() - run.start;
    for (unsigned i = 0; i < opts->jobs; i++) free(run.busy[i]);
    free(run.busy);
    pthread_mutex_destroy(&run.lock);
    return 0;
}
