/*
 * The blob scanning pool of the git sources. Blobs are read in the workers, not on the walking
 * thread: inflating and applying deltas is most of the cost of reading history. Each worker owns
 * an engine scratch and a findings list with a parallel array of ranks, merged at the end.
 *
 * Two ways in. A blob that a pack holds is only collected during the walk; when the walk is over,
 * the pack reader (git_pack.h) rebuilds the packs' delta trees, one task per tree spread over the
 * workers, and each wanted blob is scanned on the worker that rebuilt it: every base is inflated
 * once and every blob is read once, with no per-object lookup. Whatever the reader did not produce
 * (loose objects, alternates, a damaged entry, a pack it does not read) goes through libgit2, which
 * is safe from several threads only through separate repository handles, so each worker opens its
 * own; libgit2 also gives the error for a missing or corrupt blob.
 */
#include "sources/git_int.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* Findings with a number each: a commit rank, or (for the prescan) a blob's number in the packs. */
typedef struct numbered {
    ak_findings found;
    uint32_t *nums;
    size_t cap;
} numbered;

struct ak_gworker {
    ak_pwork *pwork;
    git_repository *repo;
    git_odb *odb;
    ak_scratch *scratch;
    numbered found, pre; /* pre: the prescan's, numbered by blob */
    ak_scan_summary sum;
    int failed;
};

/* The prescan's outcome for each blob of the packs, by its number. */
enum { PRE_NONE, PRE_SCANNED, PRE_LFS };

/* A blob read through libgit2, a pack task, or a batch of commit messages (one wake-up of a
 * worker per batch, not per commit). */
typedef struct gjob {
    git_oid id;
    uint32_t rank;
    char *path;      /* a blob read through libgit2 */
    ak_buf text;     /* commit messages, each followed by a NUL */
    uint32_t *ranks; /* the rank of each message */
    size_t n_msgs, cap_msgs;
    size_t task; /* a pack task, when neither a blob nor messages; SIZE_MAX: the prescan's */
    int spread;  /* ak_gscan_spread's tasks */
} gjob;

#define MESSAGE_BATCH 256

static void numbered_push(numbered *l, size_t from, uint32_t num)
{
    if (l->found.len > l->cap) {
        l->cap = l->found.cap;
        l->nums = ak_realloc(l->nums, l->cap * sizeof *l->nums);
    }
    for (size_t i = from; i < l->found.len; i++) l->nums[i] = num;
}

/* -1 when the chunk could not be fully scanned (reported and counted). */
static int scan_bytes(ak_gscan *s, ak_gworker *w, numbered *into, const ak_chunk *c, uint32_t num)
{
    ak_buf err = AK_BUF_INIT;
    size_t from = into->found.len;
    int rc =
        ak_scan_buffer(s->engine, w->scratch, c, s->opts->scan.max_file_size, &into->found, &err);
    if (rc) {
        ak_git_note_error(&w->sum, "%s", ak_buf_cstr(&err));
        w->failed = 1;
    }
    numbered_push(into, from, num);
    ak_buf_free(&err);
    return rc ? -1 : 0;
}

/* Windows closer than this are scanned as one: a call of the fast pass costs about as much as
 * scanning this many bytes. */
#define SEAM_GAP 1024

/* Whether a blob built from a clean base (see ak_pdelta) may hold a literal of the fast pass:
 * only around the places its delta did not copy from that base, each widened by the longest
 * literal less one byte on both sides (a literal there could straddle the place). */
static int seams_hold_literal(ak_gscan *s, ak_gworker *w, const uint8_t *data, size_t len,
                              const ak_pdelta *d)
{
    size_t wide = ak_engine_max_literal(s->engine), from = 0, to = 0;
    wide = wide ? wide - 1 : 0;
    for (size_t i = 0; i < d->n; i++) {
        size_t a = d->at[2 * i], b = d->at[2 * i + 1];
        size_t wa = a > wide ? a - wide : 0, wb = len - b > wide ? b + wide : len;
        if (to && wa <= to + SEAM_GAP) { /* near the window being grown */
            to = wb > to ? wb : to;
            continue;
        }
        if (to > from && ak_engine_literal_in(s->engine, w->scratch, data + from, to - from))
            return 1;
        from = wa;
        to = wb;
    }
    return to > from && ak_engine_literal_in(s->engine, w->scratch, data + from, to - from);
}

/* The one place where a blob's content is handed to the scanner, whichever way it was read.
 * Returns 1 for a Git LFS pointer, which is not scanned. *clean: the blob holds no literal of the
 * fast pass (hence no finding). A blob built from a clean base (d) is scanned whole only when
 * the places where it differs from that base hold a literal: most versions of a file differ from
 * the last by a few lines, and none of a clean base's text can hold a finding. */
static int scan_content(ak_gscan *s, ak_gworker *w, numbered *into, const char *hex,
                        const char *path, uint32_t num, const uint8_t *data, size_t len,
                        const ak_pdelta *d, int *clean)
{
    *clean = 0;
    if (ak_git_is_lfs_pointer(data, len)) return 1;
    ak_progress_add(1, len);
    if (d && ak_engine_plain_only(data, len) && !seams_hold_literal(s, w, data, len, d)) {
        *clean = 1;
        return 0;
    }
    ak_chunk c = {data, len, path, hex, 1, path};
    ak_scratch_take_clean(w->scratch);
    int failed = scan_bytes(s, w, into, &c, num);
    *clean = ak_scratch_take_clean(w->scratch) && !failed; /* a failed scan proves nothing */
    return 0;
}

/* Counts a blob as scanned, or as skipped with a note when it was a Git LFS pointer. */
static void count_blob(ak_scan_summary *sum, const char *hex, const char *path, int lfs, size_t len)
{
    if (lfs) {
        ak_info("%s (blob %s): Git LFS pointer, content stored outside git, not scanned", path,
                hex);
        sum->skipped++;
        return;
    }
    sum->blobs++;
    sum->bytes += len;
}

static void scan_blob(ak_gscan *s, ak_gworker *w, const gjob *j)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &j->id);
    git_odb_object *obj;
    if (git_odb_read(&obj, w->odb, &j->id)) {
        ak_git_note_error(&w->sum, "blob %s (%s): missing or corrupt: %s", hex, j->path,
                          ak_git_errmsg());
        return;
    }
    size_t len = git_odb_object_size(obj);
    int clean;
    int lfs = scan_content(s, w, &w->found, hex, j->path, j->rank, git_odb_object_data(obj), len,
                           NULL, &clean);
    count_blob(&w->sum, hex, j->path, lfs, len);
    git_odb_object_free(obj);
}

/* The pack reader's callback: one wanted blob, rebuilt on this worker. In the prescan, `want`
 * is the blob's number in the packs and its path is not known yet: findings are numbered by
 * blob and given their paths when the walk is over. */
static int emit_blob(void *ctx, unsigned index, uint32_t want, const uint8_t *data, size_t len,
                     const ak_pdelta *d)
{
    ak_gscan *s = ctx;
    ak_gworker *w = &s->workers[index];
    int clean;
    if (s->pre_state) {
        s->pre_size[want] = (uint32_t)len;
        s->pre_state[want] = scan_content(s, w, &w->pre, NULL, "", want, data, len, d, &clean)
                                 ? PRE_LFS
                                 : PRE_SCANNED;
        return clean;
    }
    const ak_gwant *g = &s->wants[want];
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &g->id);
    const char *path = s->paths.data + g->path;
    count_blob(&w->sum, hex, path,
               scan_content(s, w, &w->found, hex, path, g->rank, data, len, d, &clean), len);
    s->done[want] = 1;
    return clean;
}

static void run_task(ak_gscan *s, ak_gworker *w, unsigned index, size_t task)
{
    if (!w->pwork) w->pwork = ak_pwork_new((size_t)96 << 20);
    ak_packs_run(s->packs, task, w->pwork, emit_blob, s, index);
}

/* The prescan's tasks, taken one at a time by whichever thread is free. The first thread here
 * makes the plan (reading every entry header of the packs) while the walk goes on; the others
 * wait for it. */
static void run_prescan(ak_gscan *s, unsigned index)
{
    pthread_mutex_lock(&s->plan_lock);
    if (!s->planned) s->n_tasks = ak_packs_plan(s->packs);
    s->planned = 1;
    pthread_mutex_unlock(&s->plan_lock);
    for (size_t t; (t = atomic_fetch_add(&s->next_task, 1)) < s->n_tasks;)
        run_task(s, &s->workers[index], index, t);
}

static void scan_messages(ak_gscan *s, ak_gworker *w, const gjob *j)
{
    const char *m = j->text.data;
    for (size_t i = 0; i < j->n_msgs; i++) {
        size_t len = strlen(m);
        ak_chunk c = {(const uint8_t *)m, len, "<commit message>", NULL, 1, NULL};
        scan_bytes(s, w, &w->found, &c, j->ranks[i]);
        m += len + 1;
    }
}

static void flush_messages(ak_gscan *s)
{
    if (s->messages) ak_pool_push(s->pool, s->messages);
    s->messages = NULL;
}

/* Spread tasks, taken one at a time by whichever thread is free. */
static void run_spread(ak_gscan *s, unsigned index)
{
    for (size_t t; (t = atomic_fetch_add(&s->next_spread, 1)) < s->n_spread;) {
        s->spread_fn(s->spread_ctx, t, index, s->workers[index].repo);
        pthread_mutex_lock(&s->spread_lock);
        s->spread_done[t] = 1;
        pthread_cond_broadcast(&s->spread_cond);
        pthread_mutex_unlock(&s->spread_lock);
    }
}

void ak_gscan_spread(ak_gscan *s, size_t n,
                     void (*fn)(void *ctx, size_t task, unsigned index, git_repository *repo),
                     void *ctx)
{
    int inline_only = s->spread_fn || !s->pool;
    if (inline_only) {
        for (size_t t = 0; t < n; t++) fn(ctx, t, s->n_workers, s->workers[s->n_workers].repo);
        return;
    }
    s->spread_fn = fn;
    s->spread_ctx = ctx;
    s->n_spread = n;
    s->spread_done = ak_calloc(n ? n : 1, 1);
    pthread_mutex_init(&s->spread_lock, NULL);
    pthread_cond_init(&s->spread_cond, NULL);
    flush_messages(s);
    for (unsigned i = 0; i < s->n_workers; i++) {
        gjob *j = ak_calloc(1, sizeof *j);
        j->spread = 1;
        ak_pool_push(s->pool, j);
    }
    run_spread(s, s->n_workers);
    /* What is left are tasks other threads hold: help with the prescan meanwhile. */
    if (s->pre_state) run_prescan(s, s->n_workers);
}

void ak_gscan_spread_wait(ak_gscan *s, size_t task)
{
    if (!s->spread_done || task >= s->n_spread) return; /* run inline */
    pthread_mutex_lock(&s->spread_lock);
    while (!s->spread_done[task]) pthread_cond_wait(&s->spread_cond, &s->spread_lock);
    pthread_mutex_unlock(&s->spread_lock);
}

static void worker_fn(void *item, unsigned index, void *ctx)
{
    ak_gscan *s = ctx;
    ak_gworker *w = &s->workers[index];
    gjob *j = item;
    if (j->spread)
        run_spread(s, index);
    else if (j->path)
        scan_blob(s, w, j);
    else if (j->n_msgs)
        scan_messages(s, w, j);
    else if (j->task == SIZE_MAX)
        run_prescan(s, index);
    else
        run_task(s, w, index, j->task);
    free(j->path);
    ak_buf_free(&j->text);
    free(j->ranks);
    free(j);
}

static int open_worker(ak_gscan *s, ak_gworker *w)
{
    ak_buf err = AK_BUF_INIT;
    int rc = ak_scratch_new(&w->scratch, s->engine, &err);
    if (!rc) rc = ak_git_reopen(&w->repo, s->repo, &err);
    if (!rc && git_repository_odb(&w->odb, w->repo)) {
        ak_buf_printf(&err, "cannot open the object database: %s", ak_git_errmsg());
        rc = -1;
    }
    if (rc) ak_error("%s", ak_buf_cstr(&err));
    ak_buf_free(&err);
    return rc;
}

int ak_gscan_start(ak_gscan *s, const ak_engine *engine, git_repository *repo,
                   const ak_git_opts *opts)
{
    memset(s, 0, sizeof *s);
    s->engine = engine;
    s->opts = opts;
    s->repo = repo;
    s->n_workers = opts->scan.threads ? opts->scan.threads : ak_cpu_count();
    /* and one more for the calling thread, which joins the prescan when its walk is done */
    s->workers = ak_calloc(s->n_workers + 1, sizeof *s->workers);
    for (unsigned i = 0; i <= s->n_workers; i++)
        if (open_worker(s, &s->workers[i])) return -1;
    ak_buf dir = AK_BUF_INIT;
    ak_buf_printf(&dir, "%sobjects", git_repository_commondir(repo));
    ak_packs_open(&s->packs, ak_buf_cstr(&dir));
    ak_buf_free(&dir);
    /* Room for every batch of commit messages of a large history, so the walk does not wait for
     * the prescan to free the workers. */
    s->pool = ak_pool_new(s->n_workers, 1 << 16, worker_fn, s);
    return 0;
}

static void push_blob(ak_gscan *s, const git_oid *id, const char *path, uint32_t rank)
{
    gjob *j = ak_calloc(1, sizeof *j);
    j->id = *id;
    j->rank = rank;
    j->path = ak_strdup(path);
    ak_pool_push(s->pool, j);
}

void ak_gscan_prescan(ak_gscan *s)
{
    if (!s->packs) return;
    ak_packs_want_all(s->packs);
    pthread_mutex_init(&s->plan_lock, NULL);
    size_t n = ak_packs_count(s->packs);
    s->pre_state = ak_calloc(n ? n : 1, 1);
    s->pre_size = ak_calloc(n ? n : 1, sizeof *s->pre_size);
    for (unsigned i = 0; i < s->n_workers; i++) {
        gjob *j = ak_calloc(1, sizeof *j);
        j->task = SIZE_MAX;
        ak_pool_push(s->pool, j);
    }
}

void ak_gscan_blob(ak_gscan *s, const git_oid *id, const char *path, uint32_t rank)
{
    if (s->opts->want_blob && !s->opts->want_blob(id, s->opts->want_ctx)) return;
    /* Decided: scanned. A blob in a pack is scanned by the pack reader (the prescan has it or
     * will have it; else ak_gscan_finish runs the reader); any other is read through libgit2
     * now, overlapping the walk. */
    uint32_t num = AK_PACK_NONE;
    if (s->n_wants >= UINT32_MAX - 1 ||
        (s->pre_state ? !ak_packs_number(s->packs, id, &num)
                      : !ak_packs_want(s->packs, id, (uint32_t)s->n_wants)))
        return push_blob(s, id, path, rank);
    AK_GROW(s->wants, s->cap_wants, s->n_wants);
    s->wants[s->n_wants++] = (ak_gwant){*id, rank, s->paths.len, num};
    ak_buf_append(&s->paths, path, strlen(path) + 1);
}

void ak_gscan_message(ak_gscan *s, const char *msg, uint32_t rank)
{
    gjob *j = s->messages;
    if (!j) j = s->messages = ak_calloc(1, sizeof *j);
    AK_GROW(j->ranks, j->cap_msgs, j->n_msgs);
    j->ranks[j->n_msgs++] = rank;
    ak_buf_append(&j->text, msg, strlen(msg) + 1);
    if (j->n_msgs == MESSAGE_BATCH) flush_messages(s);
}

static void move_found(numbered *l, ak_findings *out, uint32_t **ranks)
{
    size_t base = out->len;
    ak_findings_move(out, &l->found);
    *ranks = ak_realloc(*ranks, (out->len ? out->len : 1) * sizeof **ranks);
    if (out->len > base) memcpy(*ranks + base, l->nums, (out->len - base) * sizeof **ranks);
    free(l->nums);
    l->nums = NULL;
}

/* The prescan's findings of blobs the walk reached, with their paths and ranks; the others are
 * dropped (unreachable, excluded, or not wanted). */
static void place_prescanned(ak_gscan *s, numbered *pre, const uint32_t *want_of, numbered *into)
{
    for (size_t i = 0; i < pre->found.len; i++) {
        ak_finding *f = &pre->found.items[i];
        uint32_t k = want_of[pre->nums[i]];
        if (k == AK_PACK_NONE) {
            ak_finding_free(f);
            continue;
        }
        char hex[GIT_OID_HEXSZ + 1];
        const char *path = s->paths.data + s->wants[k].path;
        free(f->path);
        free(f->blob);
        f->path = ak_strdup(path);
        f->blob = ak_strdup(git_oid_tostr(hex, sizeof hex, &s->wants[k].id));
        ak_finding_fingerprint_at(f, path);
        size_t at = into->found.len;
        ak_findings_push(&into->found, f);
        numbered_push(into, at, s->wants[k].rank);
    }
    pre->found.len = 0;
}

/* After the prescan: counts the blobs the walk reached, places their findings, and reads through
 * libgit2 (in the pool) those the pack reader did not produce. */
static void settle_prescan(ak_gscan *s, ak_scan_summary *sum)
{
    size_t n = ak_packs_count(s->packs);
    uint32_t *want_of = ak_malloc((n ? n : 1) * sizeof *want_of);
    memset(want_of, 0xff, n * sizeof *want_of);
    s->pool = ak_pool_new(s->n_workers, 1024, worker_fn, s);
    for (size_t i = 0; i < s->n_wants; i++) {
        const ak_gwant *g = &s->wants[i];
        char hex[GIT_OID_HEXSZ + 1];
        if (s->pre_state[g->num] == PRE_NONE) {
            push_blob(s, &g->id, s->paths.data + g->path, g->rank);
            continue;
        }
        want_of[g->num] = (uint32_t)i;
        git_oid_tostr(hex, sizeof hex, &g->id);
        count_blob(sum, hex, s->paths.data + g->path, s->pre_state[g->num] == PRE_LFS,
                   s->pre_size[g->num]);
    }
    ak_pool_finish(s->pool);
    s->pool = NULL;
    for (unsigned i = 0; i <= s->n_workers; i++)
        place_prescanned(s, &s->workers[i].pre, want_of, &s->workers[i].found);
    free(want_of);
}

/* The collected pack blobs: the reader's tasks on every worker, then libgit2 for the rest. */
static void scan_wanted(ak_gscan *s)
{
    size_t n_tasks = ak_packs_plan(s->packs);
    ak_progress_expect(s->n_wants);
    s->done = ak_calloc(s->n_wants ? s->n_wants : 1, 1);
    s->pool = ak_pool_new(s->n_workers, 1024, worker_fn, s);
    for (size_t t = 0; t < n_tasks; t++) {
        gjob *j = ak_calloc(1, sizeof *j);
        j->task = t;
        ak_pool_push(s->pool, j);
    }
    ak_pool_finish(s->pool);
    s->pool = ak_pool_new(s->n_workers, 1024, worker_fn, s);
    for (size_t i = 0; i < s->n_wants; i++)
        if (!s->done[i])
            push_blob(s, &s->wants[i].id, s->paths.data + s->wants[i].path, s->wants[i].rank);
    ak_pool_finish(s->pool);
    s->pool = NULL;
}

int ak_gscan_finish(ak_gscan *s, ak_findings *out, uint32_t **ranks, ak_scan_summary *sum)
{
    if (s->pool) flush_messages(s);
    if (s->pre_state) run_prescan(s, s->n_workers); /* the walk is over: help */
    if (s->pool) ak_pool_finish(s->pool);
    s->pool = NULL;
    if (s->pre_state)
        settle_prescan(s, sum);
    else if (s->n_wants && s->workers)
        scan_wanted(s);
    int failed = s->failed;
    for (unsigned i = 0; s->workers && i <= s->n_workers; i++) {
        ak_gworker *w = &s->workers[i];
        move_found(&w->found, out, ranks);
        ak_findings_free(&w->pre.found);
        free(w->pre.nums);
        ak_summary_add(sum, &w->sum);
        failed |= w->failed;
        ak_pwork_free(w->pwork);
        ak_scratch_free(w->scratch);
        git_odb_free(w->odb);
        git_repository_free(w->repo);
    }
    free(s->workers);
    s->workers = NULL;
    ak_packs_free(s->packs);
    s->packs = NULL;
    free(s->wants);
    free(s->done);
    if (s->pre_state) pthread_mutex_destroy(&s->plan_lock);
    if (s->spread_done) {
        pthread_mutex_destroy(&s->spread_lock);
        pthread_cond_destroy(&s->spread_cond);
    }
    free(s->spread_done);
    free(s->pre_state);
    free(s->pre_size);
    ak_buf_free(&s->paths);
    return failed ? -1 : 0;
}
