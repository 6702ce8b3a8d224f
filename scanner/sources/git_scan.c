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

#include <string.h>

struct ak_gworker {
    ak_pwork *pwork;
    git_repository *repo;
    git_odb *odb;
    ak_scratch *scratch;
    ak_findings found;
    uint32_t *ranks;
    size_t ranks_cap;
    ak_scan_summary sum;
    int failed;
};

/* A blob read through libgit2, a pack task, or a batch of commit messages (one wake-up of a
 * worker per batch, not per commit). */
typedef struct gjob {
    git_oid id;
    uint32_t rank;
    char *path;      /* a blob read through libgit2 */
    ak_buf text;     /* commit messages, each followed by a NUL */
    uint32_t *ranks; /* the rank of each message */
    size_t n_msgs, cap_msgs;
    size_t task; /* a pack task, when neither a blob nor messages */
} gjob;

#define MESSAGE_BATCH 256

static void record_ranks(ak_gworker *w, size_t from, uint32_t rank)
{
    if (w->found.len > w->ranks_cap) {
        w->ranks_cap = w->found.cap;
        w->ranks = ak_realloc(w->ranks, w->ranks_cap * sizeof *w->ranks);
    }
    for (size_t i = from; i < w->found.len; i++) w->ranks[i] = rank;
}

static void scan_bytes(ak_gscan *s, ak_gworker *w, const ak_chunk *c, uint32_t rank)
{
    ak_buf err = AK_BUF_INIT;
    size_t from = w->found.len;
    if (ak_scan_buffer(s->engine, w->scratch, c, s->opts->scan.max_file_size, &w->found, &err)) {
        ak_git_note_error(&w->sum, "%s", ak_buf_cstr(&err));
        w->failed = 1;
    }
    record_ranks(w, from, rank);
    ak_buf_free(&err);
}

static void scan_content(ak_gscan *s, ak_gworker *w, const char *hex, const char *path,
                         uint32_t rank, const uint8_t *data, size_t len)
{
    if (ak_git_is_lfs_pointer(data, len)) {
        ak_info("%s (blob %s): Git LFS pointer, content stored outside git, not scanned", path,
                hex);
        w->sum.skipped++;
        return;
    }
    ak_chunk c = {data, len, path, hex, 1, path};
    scan_bytes(s, w, &c, rank);
    w->sum.blobs++;
    w->sum.bytes += len;
    ak_progress_add(1, len);
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
    scan_content(s, w, hex, j->path, j->rank, git_odb_object_data(obj), git_odb_object_size(obj));
    git_odb_object_free(obj);
}

/* The pack reader's callback: one wanted blob, rebuilt on this worker. */
static void emit_blob(void *ctx, unsigned index, uint32_t want, const uint8_t *data, size_t len)
{
    ak_gscan *s = ctx;
    const ak_gwant *g = &s->wants[want];
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &g->id);
    scan_content(s, &s->workers[index], hex, s->paths.data + g->path, g->rank, data, len);
    s->done[want] = 1;
}

static void run_task(ak_gscan *s, ak_gworker *w, unsigned index, size_t task)
{
    if (!w->pwork) w->pwork = ak_pwork_new((size_t)96 << 20);
    ak_packs_run(s->packs, task, w->pwork, emit_blob, s, index);
}

static void scan_messages(ak_gscan *s, ak_gworker *w, const gjob *j)
{
    const char *m = j->text.data;
    for (size_t i = 0; i < j->n_msgs; i++) {
        size_t len = strlen(m);
        ak_chunk c = {(const uint8_t *)m, len, "<commit message>", NULL, 1, NULL};
        scan_bytes(s, w, &c, j->ranks[i]);
        m += len + 1;
    }
}

static void worker_fn(void *item, unsigned index, void *ctx)
{
    ak_gscan *s = ctx;
    ak_gworker *w = &s->workers[index];
    gjob *j = item;
    if (j->path)
        scan_blob(s, w, j);
    else if (j->n_msgs)
        scan_messages(s, w, j);
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
    s->workers = ak_calloc(s->n_workers, sizeof *s->workers);
    for (unsigned i = 0; i < s->n_workers; i++)
        if (open_worker(s, &s->workers[i])) return -1;
    ak_buf dir = AK_BUF_INIT;
    ak_buf_printf(&dir, "%sobjects", git_repository_commondir(repo));
    ak_packs_open(&s->packs, ak_buf_cstr(&dir));
    ak_buf_free(&dir);
    s->pool = ak_pool_new(s->n_workers, 1024, worker_fn, s);
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

void ak_gscan_blob(ak_gscan *s, const git_oid *id, const char *path, uint32_t rank)
{
    if (s->opts->want_blob && !s->opts->want_blob(id, s->opts->want_ctx)) return;
    /* Decided: scanned. A blob in a pack waits for the pack reader (ak_gscan_finish); any other
     * is read through libgit2 now, overlapping the walk. */
    if (s->n_wants >= UINT32_MAX - 1 || !ak_packs_want(s->packs, id, (uint32_t)s->n_wants))
        return push_blob(s, id, path, rank);
    AK_GROW(s->wants, s->cap_wants, s->n_wants);
    s->wants[s->n_wants++] = (ak_gwant){*id, rank, s->paths.len};
    ak_buf_append(&s->paths, path, strlen(path) + 1);
}

static void flush_messages(ak_gscan *s)
{
    if (s->messages) ak_pool_push(s->pool, s->messages);
    s->messages = NULL;
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

static void move_found(ak_gworker *w, ak_findings *out, uint32_t **ranks)
{
    size_t base = out->len;
    ak_findings_move(out, &w->found);
    *ranks = ak_realloc(*ranks, (out->len ? out->len : 1) * sizeof **ranks);
    if (out->len > base) memcpy(*ranks + base, w->ranks, (out->len - base) * sizeof **ranks);
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
    if (s->pool) ak_pool_finish(s->pool);
    s->pool = NULL;
    if (s->n_wants && s->workers) scan_wanted(s);
    int failed = s->failed;
    for (unsigned i = 0; s->workers && i < s->n_workers; i++) {
        ak_gworker *w = &s->workers[i];
        move_found(w, out, ranks);
        ak_summary_add(sum, &w->sum);
        failed |= w->failed;
        free(w->ranks);
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
    ak_buf_free(&s->paths);
    return failed ? -1 : 0;
}
