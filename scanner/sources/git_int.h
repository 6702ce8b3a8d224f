/*
 * Internals shared by the git sources (git_*.c). Three pieces:
 *
 *   ak_oidset   a flat open-addressing hash map from object id to a 32-bit value: the seen-sets
 *               of commits, trees and blobs. Object ids are already uniformly random, so their
 *               first bytes are the hash; a probe reads one 24-byte slot (id and value together).
 *   ak_gwalk    the walk: commits in topological order (parents first), each commit's tree read
 *               once per distinct tree, each new blob handed to the scan pool with the rank (index
 *               in that order) of the first commit that holds it.
 *   ak_gscan    the pool: worker threads, each with its own libgit2 repository handle and engine
 *               scratch, reading and scanning blobs and commit messages. Blobs held in packs are
 *               collected during the walk and produced afterwards by the pack reader
 *               (git_pack.h), delta tree by delta tree on every worker; libgit2 reads the rest.
 *
 * Everything except the workers runs on the calling thread.
 */
#ifndef AK_SOURCES_GIT_INT_H
#define AK_SOURCES_GIT_INT_H

#include "sources/git.h"
#include "sources/git_pack.h"
#include "util/pool.h"

#include <git2.h>
#include <pthread.h>
#include <string.h>

#define AK_RANK_NONE UINT32_MAX

typedef struct ak_oidslot {
    git_oid id; /* all zero: empty */
    uint32_t val;
} ak_oidslot;

typedef struct ak_oidset {
    ak_oidslot *slots;
    size_t cap, len;
    int has_zero; /* the null id, which cannot have a slot of its own */
    uint32_t zero_val;
} ak_oidset;

/* The slot where a probe for id starts (the id's first bytes are its hash). */
static inline size_t ak_oidset_slot(const ak_oidset *s, const git_oid *id)
{
    uint64_t h;
    memcpy(&h, id->id, sizeof h);
    return (size_t)h & (s->cap - 1);
}

/* Makes room for n ids in all without growing again (sized up front from the packs' counts). */
void ak_oidset_reserve(ak_oidset *s, size_t n);
/* 1 and *val set when present, else 0. */
int ak_oidset_get(const ak_oidset *s, const git_oid *id, uint32_t *val);
/* Inserts id -> val; returns 1 when id was new, 0 when it was present (its value is kept). */
int ak_oidset_add(ak_oidset *s, const git_oid *id, uint32_t val);
/* Sets the value of a present or new id. */
void ak_oidset_set(ak_oidset *s, const git_oid *id, uint32_t val);
/* Empties the set, keeping its room. */
void ak_oidset_clear(ak_oidset *s);
void ak_oidset_free(ak_oidset *s);

/* Sets the libgit2 options a scan wants (no re-hashing of each object read: the scan trusts the
 * pack checksums git verified on fetch) and initialises the library. Pair with ak_git_done. */
void ak_git_init(void);
void ak_git_done(void);
/* Opens the repository containing `path` (NULL: "."), adding the object directories git names in
 * the environment (a pre-receive hook's quarantine). */
int ak_git_open(git_repository **out, const char *path, ak_buf *err);
/* Opens the same repository again (a worker's own handle). */
int ak_git_reopen(git_repository **out, git_repository *repo, ak_buf *err);
/* The last libgit2 error message, never NULL. */
const char *ak_git_errmsg(void);
/* Reports an error (naming the object) and counts it; the scan goes on but is incomplete. */
void ak_git_note_error(ak_scan_summary *sum, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reads <gitdir>/shallow into `set`: those commits' parents are absent on purpose. */
void ak_git_read_shallow(git_repository *repo, ak_oidset *set);
/* ak_commit_info for a commit id, or NULL if it cannot be read. */
ak_commit_info *ak_git_commit_info(git_repository *repo, const git_oid *id);
/* True if data is a Git LFS pointer file. */
int ak_git_is_lfs_pointer(const uint8_t *data, size_t len);

/* ---------- the scan pool ---------- */

typedef struct ak_gworker ak_gworker;

typedef struct ak_gwant {
    git_oid id;
    uint32_t rank;
    size_t path;  /* offset into ak_gscan.paths */
    uint32_t num; /* the prescan's number of the blob (ak_packs_number) */
} ak_gwant;

typedef struct ak_gscan {
    const ak_engine *engine;
    const ak_git_opts *opts;
    git_repository *repo;
    ak_pool *pool;
    ak_gworker *workers;
    unsigned n_workers;
    int failed;
    ak_packs *packs; /* NULL: no usable pack, every blob is read through libgit2 */
    ak_gwant *wants; /* blobs held in packs, produced by the pack reader in ak_gscan_finish */
    size_t n_wants, cap_wants;
    ak_buf paths;   /* their paths, NUL-terminated */
    uint8_t *done;  /* done[i]: wants[i] was produced and scanned */
    void *messages; /* the batch of commit messages being filled */
    /* the prescan (ak_gscan_prescan): every blob of the packs, by its number */
    uint8_t *pre_state; /* NULL: no prescan; else produced and scanned, or an LFS pointer */
    uint32_t *pre_size;
    size_t n_tasks;
    _Atomic size_t next_task;
    pthread_mutex_t plan_lock; /* the first prescan thread plans; the others wait */
    int planned;
    /* ak_gscan_spread's tasks (one spread per scan) */
    void (*spread_fn)(void *ctx, size_t task, unsigned index, git_repository *repo);
    void *spread_ctx;
    size_t n_spread;
    uint8_t *spread_done; /* by task, under spread_lock */
    _Atomic size_t next_spread;
    pthread_mutex_t spread_lock;
    pthread_cond_t spread_cond;
} ak_gscan;

int ak_gscan_start(ak_gscan *s, const ak_engine *engine, git_repository *repo,
                   const ak_git_opts *opts);
/* For a scan of the whole history: starts scanning every blob of the packs at once, in pack
 * order on the workers, before the walk has said which are reachable and where; the walk then
 * only decides which of them count (and gives their paths and ranks), so it is no longer on the
 * critical path. Call right after ak_gscan_start. */
void ak_gscan_prescan(ak_gscan *s);
/* Queues a blob: scanned with `path` (copied), findings ranked `rank`. The one place where each
 * blob of a walk is decided: a blob in a pack is collected for the pack reader, any other is read
 * through libgit2 at once. */
void ak_gscan_blob(ak_gscan *s, const git_oid *id, const char *path, uint32_t rank);
/* Queues a commit message (copied); its findings belong to the commit of rank `rank`. */
void ak_gscan_message(ak_gscan *s, const char *msg, uint32_t rank);
/* Runs fn(ctx, task, index, repo) for every task in [0, n) on the workers as they come free and
 * on the calling thread, and returns when every task has been started (other threads may still
 * be running theirs: see ak_gscan_spread_wait). `index` is the thread's (0 to n_workers, the
 * calling thread's is n_workers) and `repo` its own libgit2 handle. Once per scan; a second call
 * runs its tasks on the calling thread. */
void ak_gscan_spread(ak_gscan *s, size_t n,
                     void (*fn)(void *ctx, size_t task, unsigned index, git_repository *repo),
                     void *ctx);
/* Waits until task `task` of the spread is done. */
void ak_gscan_spread_wait(ak_gscan *s, size_t task);
/* Waits for every queued item and appends the findings to out with their ranks (ranks grows
 * with out: (*ranks)[i] is the rank of out->items[i]). Returns -1 if the engine failed. */
int ak_gscan_finish(ak_gscan *s, ak_findings *out, uint32_t **ranks, ak_scan_summary *sum);

/* ---------- the walk ---------- */

typedef struct ak_gpart ak_gpart;
typedef struct ak_gtip ak_gtip;

typedef struct ak_gwalk {
    git_repository *repo;
    ak_gscan *scan; /* NULL: mark what is seen without scanning (range boundaries) */
    const ak_git_opts *opts;
    ak_scan_summary *sum;
    ak_oidset shallow;
    ak_oidset commits;       /* commit id -> rank, or AK_RANK_NONE while on the DFS stack */
    const ak_oidset *hidden; /* commits not to enter (a range's base side), or NULL */
    ak_oidset trees, blobs, gitlinks;
    git_oid *order;       /* commit ids by rank */
    git_oid *roots;       /* their root trees (capacity cap_order) */
    uint32_t *bases;      /* the rank of each one's first parent, AK_RANK_NONE if not walked */
    unsigned tree_errors; /* trees that could not be read */
    size_t n_order, cap_order;
    git_oid *boundary; /* hidden parents met by the walk */
    size_t n_boundary, cap_boundary;
    ak_buf path;
    ak_buf cstack;   /* parents and messages of the commits on the DFS stack (git_walk.c) */
    ak_pread *pread; /* trees from the packs (the scan's), NULL: through libgit2 only */
    void *ents;      /* the entries of the raw trees being walked, a stack (git_walk.c) */
    size_t n_ents, cap_ents;
    /* The tree phase. With `defer` set, commits are only numbered as they are walked; their trees
     * (and the trees and blobs refs point at, `tips`) wait for ak_gwalk_flush, which may spread
     * them over the scan's threads when `parallel` is set too. */
    int defer, parallel;
    size_t n_treed; /* ranks whose trees were walked */
    ak_gtip *tips;
    size_t n_tips, cap_tips;
    ak_buf tip_names;
    ak_gpart *part; /* a part of a spread tree phase: what would be queued is kept here */
} ak_gwalk;

void ak_gwalk_init(ak_gwalk *w, git_repository *repo, ak_gscan *scan, const ak_git_opts *opts,
                   ak_scan_summary *sum);
void ak_gwalk_free(ak_gwalk *w);
/* Walks every commit reachable from tip not seen yet, parents first; each commit gets the next
 * rank, its message and its tree's new blobs are queued. */
void ak_gwalk_commits(ak_gwalk *w, const git_oid *tip);
/* Walks one tree under `prefix` ("" for a root), queueing new blobs with `rank`. */
void ak_gwalk_tree(ak_gwalk *w, const git_oid *tree, const char *prefix, uint32_t rank);
/* A tree or blob a ref points at (with --all-objects, a loose blob nothing reaches): walked at
 * once, or in its place in the order of the walk when trees are deferred. */
void ak_gwalk_tree_tip(ak_gwalk *w, const git_oid *tree);
void ak_gwalk_blob_tip(ak_gwalk *w, const git_oid *blob, const char *name);
/* Walks the deferred trees: every commit's numbered so far, and the tips, in their order. */
void ak_gwalk_flush(ak_gwalk *w);
/* Collects every commit reachable from tip into `set` (no trees read); with `hidden` set, stops
 * at hidden commits and lists them in `boundary`. */
void ak_gwalk_reach(ak_gwalk *w, const git_oid *tip, ak_oidset *set);

/* ---------- the staged change (git_staged.c) ---------- */

/* --staged's change detection alone, for tests: one line per file, in the order found, "C OLD NEW
 * PATH" for a file to scan (OLD "-" when new at its path) and "D ID PATH" for a deleted blob.
 * fast_way: the index reader (returns 1 when it cannot handle this index), else libgit2 (returns
 * -1 with a reason in err when the index cannot be made a tree). -1 too when an object could not
 * be read. */
int ak_git_staged_list(git_repository *repo, int fast_way, ak_buf *out, ak_buf *err);

/* ---------- attribution ---------- */

/* Keeps, for each fingerprint, the findings of its earliest-ranked blob (a key that lived through
 * many versions of a file is reported once, at the commit that introduced it) and fills `commit`
 * of each kept finding from the ranked commit ids. */
void ak_git_attribute(git_repository *repo, const git_oid *order, size_t n_order,
                      ak_findings *found, uint32_t *ranks);

#endif
