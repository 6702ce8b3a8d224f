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
    pthread_mutex_t lock; /* out, res, busy, eviction */
    ak_findings *out;
    ak_org_result *res;
    char **busy; /* per worker: the cache name of the mirror in use, or NULL */
    atomic_ulong done, failed, findings, blobs, bytes, skipped;
    atomic_int stop;
    double start;
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
    run->res->sum.incomplete = 1;
    pthread_mutex_unlock(&run->lock);
    atomic_fetch_add(&run->failed, 1);
}

/* Clone or fetch, with retries; the last attempt starts from scratch. */
static int mirror_with_retries(org_run *run, const ak_org_repo *r, const char *dir)
{
    const ak_org_opts *o = run->opts;
    ak_buf err = AK_BUF_INIT;
    unsigned long pause = o->backoff_ms;
    int rc = -1;
    for (unsigned attempt = 0; rc && attempt <= o->retries; attempt++) {
        if (attempt && attempt == o->retries) ak_org_rm_tree(dir);
        ak_buf_reset(&err);
        rc = ak_org_mirror(r, dir, &o->auth, &err);
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
} want_ctx;

static int want_blob(const struct git_oid *id, void *ctx)
{
    want_ctx *w = ctx;
    pthread_mutex_lock(&w->lock);
    int seen = ak_org_state_has_blob(w->state, id->id);
    if (!seen) ak_org_state_add_blob(w->state, id->id);
    pthread_mutex_unlock(&w->lock);
    if (seen) atomic_fetch_add(&w->run->skipped, 1);
    return !seen;
}

/* Keeps the findings not reported before, tagged with the repository and a link. */
static void tag_findings(const ak_org_repo *r, ak_org_state *st, ak_findings *found)
{
    size_t k = 0;
    for (size_t i = 0; i < found->len; i++) {
        ak_finding *f = &found->items[i];
        if (ak_org_state_has_fp(st, f->fingerprint)) {
            ak_finding_free(f);
            continue;
        }
        ak_org_state_add_fp(st, f->fingerprint);
        free(f->repository);
        f->repository = ak_strdup(r->name);
        free(f->link);
        f->link = ak_org_link(r, f->commit ? f->commit->id : NULL, f->path, f->line);
        found->items[k++] = *f;
    }
    found->len = k;
}

/* Scans a mirror; findings and totals go to the run. */
static void scan_mirror(org_run *run, const ak_org_repo *r, const char *dir, const char *state_path)
{
    ak_org_state st;
    if (!ak_org_state_load(&st, state_path, run->rules_version) || run->opts->full) {
        ak_org_state_free(&st);
        memset(&st, 0, sizeof st);
        snprintf(st.rules_version, sizeof st.rules_version, "%s", run->rules_version);
    }
    want_ctx wc = {&st, run, PTHREAD_MUTEX_INITIALIZER};
    ak_git_opts go = run->opts->git;
    go.want_blob = want_blob;
    go.want_ctx = &wc;
    ak_findings found = {0};
    ak_scan_summary sum = {0};
    int rc = ak_git_scan_history(run->engine, dir, &go, &found, &sum);
    tag_findings(r, &st, &found);
    ak_buf err = AK_BUF_INIT;
    if (rc || sum.incomplete || sum.errors)
        ak_warn("org: %s: the scan met errors; its state is kept for a full re-scan", r->name);
    else if (ak_org_state_save(&st, state_path, &err))
        ak_error("org: %s", ak_buf_cstr(&err));
    if (rc) sum.incomplete = 1;
    atomic_fetch_add(&run->findings, found.len);
    atomic_fetch_add(&run->blobs, sum.blobs);
    atomic_fetch_add(&run->bytes, sum.bytes);
    pthread_mutex_lock(&run->lock);
    ak_findings_move(run->out, &found);
    ak_summary_add(&run->res->sum, &sum);
    run->res->scanned++;
    pthread_mutex_unlock(&run->lock);
    ak_buf_free(&err);
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

static void do_repo(void *item, unsigned worker, void *ctx)
{
    org_run *run = ctx;
    const ak_org_repo *r = &run->repos->items[*(size_t *)item];
    free(item);
    ak_buf cn = AK_BUF_INIT, dir = AK_BUF_INIT, state = AK_BUF_INIT;
    ak_org_cache_name(r->name, &cn);
    ak_buf_printf(&dir, "%s/%s.git", run->opts->cache, cn.data);
    ak_buf_printf(&state, "%s/%s.akstate", run->opts->cache, cn.data);
    ak_buf_puts(&cn, ".git");
    set_busy(run, worker, cn.data);
    if (!mirror_with_retries(run, r, dir.data)) scan_mirror(run, r, dir.data, state.data);
    set_busy(run, worker, NULL);
    atomic_fetch_add(&run->done, 1);
    ak_buf_free(&cn);
    ak_buf_free(&dir);
    ak_buf_free(&state);
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
               ak_findings *out, ak_org_result *res)
{
    memset(res, 0, sizeof *res);
    if (mkdir(opts->cache, 0700) && access(opts->cache, W_OK)) {
        ak_error("org: cannot use the cache directory %s", opts->cache);
        return -1;
    }
    org_run run = {.engine = engine, .repos = repos, .opts = opts, .out = out, .res = res};
    run.rules_version = ak_rules_version(ak_engine_rules(engine)); /* computed once, here */
    pthread_mutex_init(&run.lock, NULL);
    run.busy = ak_calloc(opts->jobs ? opts->jobs : 1, sizeof *run.busy);
    run.start = ak_mono_seconds();
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
    res->sum.seconds = ak_mono_seconds() - run.start;
    for (unsigned i = 0; i < opts->jobs; i++) free(run.busy[i]);
    free(run.busy);
    pthread_mutex_destroy(&run.lock);
    return 0;
}
