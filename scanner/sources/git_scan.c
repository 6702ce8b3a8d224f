/*
 * The blob scanning pool of the git sources. Blobs are read in the workers, not on the walking
 * thread: inflating and applying deltas is most of the cost of reading history, and libgit2 is
 * safe to use from several threads only through separate repository handles, so each worker opens
 * its own (with its own pack windows and delta-base cache). Each worker also owns an engine
 * scratch and a findings list with a parallel array of ranks, merged at the end.
 */
#include "sources/git_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <string.h>

struct ak_gworker {
    git_repository *repo;
    git_odb *odb;
    ak_scratch *scratch;
    ak_findings found;
    uint32_t *ranks;
    size_t ranks_cap;
    ak_scan_summary sum;
    int failed;
};

typedef struct gjob {
    git_oid id;
    uint32_t rank;
    char *path; /* NULL for a commit message */
    char *text; /* the commit message */
} gjob;

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
    const uint8_t *data = git_odb_object_data(obj);
    size_t len = git_odb_object_size(obj);
    if (ak_git_is_lfs_pointer(data, len)) {
        ak_info("%s (blob %s): Git LFS pointer, content stored outside git, not scanned", j->path,
                hex);
        w->sum.skipped++;
    } else {
        ak_chunk c = {data, len, j->path, hex, 1, j->path};
        scan_bytes(s, w, &c, j->rank);
        w->sum.blobs++;
        w->sum.bytes += len;
    }
    git_odb_object_free(obj);
}

static void worker_fn(void *item, unsigned index, void *ctx)
{
    ak_gscan *s = ctx;
    ak_gworker *w = &s->workers[index];
    gjob *j = item;
    if (j->path) {
        scan_blob(s, w, j);
    } else {
        ak_chunk c = {(const uint8_t *)j->text, strlen(j->text), "<commit message>", NULL, 1, NULL};
        scan_bytes(s, w, &c, j->rank);
    }
    free(j->path);
    free(j->text);
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
    s->pool = ak_pool_new(s->n_workers, 1024, worker_fn, s);
    return 0;
}

void ak_gscan_blob(ak_gscan *s, const git_oid *id, const char *path, uint32_t rank)
{
    if (s->opts->want_blob && !s->opts->want_blob(id, s->opts->want_ctx)) return;
    gjob *j = ak_calloc(1, sizeof *j);
    j->id = *id;
    j->rank = rank;
    j->path = ak_strdup(path);
    ak_pool_push(s->pool, j);
}

void ak_gscan_message(ak_gscan *s, const char *msg, uint32_t rank)
{
    gjob *j = ak_calloc(1, sizeof *j);
    j->rank = rank;
    j->text = ak_strdup(msg);
    ak_pool_push(s->pool, j);
}

static void merge_sum(ak_scan_summary *into, const ak_scan_summary *s)
{
    into->blobs += s->blobs;
    into->bytes += s->bytes;
    into->skipped += s->skipped;
    into->errors += s->errors;
    into->incomplete |= s->incomplete;
}

static void move_found(ak_gworker *w, ak_findings *out, uint32_t **ranks)
{
    size_t base = out->len;
    ak_findings_move(out, &w->found);
    *ranks = ak_realloc(*ranks, (out->len ? out->len : 1) * sizeof **ranks);
    if (out->len > base) memcpy(*ranks + base, w->ranks, (out->len - base) * sizeof **ranks);
}

int ak_gscan_finish(ak_gscan *s, ak_findings *out, uint32_t **ranks, ak_scan_summary *sum)
{
    if (s->pool) ak_pool_finish(s->pool);
    s->pool = NULL;
    int failed = s->failed;
    for (unsigned i = 0; s->workers && i < s->n_workers; i++) {
        ak_gworker *w = &s->workers[i];
        move_found(w, out, ranks);
        merge_sum(sum, &w->sum);
        failed |= w->failed;
        free(w->ranks);
        ak_scratch_free(w->scratch);
        git_odb_free(w->odb);
        git_repository_free(w->repo);
    }
    free(s->workers);
    s->workers = NULL;
    return failed ? -1 : 0;
}
