/*
 * A reader of git pack files for the history scan: it maps every pack of a repository's object
 * directory (pack + .idx v2, SHA-1) and produces objects two ways.
 *
 *   ak_pread   on demand, one thread: an object by id, through a cache of recently produced
 *              objects so that a chain of deltas is applied once, not once per object read from
 *              it (the walk reads trees oldest first, the reverse of their delta chains).
 *   the batch  every wanted blob exactly once: the caller marks blobs with ak_packs_want (or all
 *              of them with ak_packs_want_all), then
 *              ak_packs_plan groups them by delta tree (a base and every delta built on it,
 *              directly or not), and ak_packs_run, called from any thread for distinct tasks,
 *              rebuilds one delta tree depth first, each base inflated once and used while hot.
 *
 * Why a hand-written reader: libgit2 reads one object at a time, re-inflates a shared delta base
 * for every object that needs it once its small cache has let it go, and cannot spread one
 * object's chain over threads; no Debian library reads packs in parallel. Whatever this reader
 * does not handle (loose objects, alternates, .idx v1, SHA-256, a damaged entry, a delta whose
 * base lies in another pack) it reports as not produced, and the caller falls back to libgit2,
 * which also gives the canonical error for a damaged object.
 *
 * Thread safety: ak_packs_want and ak_packs_plan on one thread; after the plan, ak_packs_run from
 * any number of threads, each with its own ak_pwork. An ak_pread belongs to one thread.
 */
#ifndef AK_SOURCES_GIT_PACK_H
#define AK_SOURCES_GIT_PACK_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#define AK_PACK_NONE UINT32_MAX

typedef struct ak_packs ak_packs;
typedef struct ak_pread ak_pread;
typedef struct ak_pwork ak_pwork;

/* Maps every usable pack of `objects_dir` (the repository's objects/ directory). Never fails:
 * unusable packs are left out (their objects come from libgit2); *out is NULL only when there is
 * no usable pack at all. */
void ak_packs_open(ak_packs **out, const char *objects_dir);
void ak_packs_free(ak_packs *ps);
/* The number of objects in the packs (0 for NULL). */
size_t ak_packs_count(const ak_packs *ps);

/* ---------- on demand ---------- */

typedef struct ak_pobj {
    int type; /* GIT_OBJECT_COMMIT, _TREE, _BLOB or _TAG */
    const uint8_t *data;
    size_t len;
    void *pin; /* keeps data alive until ak_pread_put */
} ak_pobj;

/* A reader whose cache holds at most `cache_bytes` of unpinned objects. */
ak_pread *ak_pread_new(const ak_packs *ps, size_t cache_bytes);
void ak_pread_free(ak_pread *r);
/* 0 and *out filled (release it with ak_pread_put); 1 if no pack holds the object; -1 if a pack
 * holds it but it cannot be produced here (damaged, or a form this reader does not handle). */
int ak_pread_get(ak_pread *r, const git_oid *id, ak_pobj *out);
void ak_pread_put(ak_pread *r, ak_pobj *obj);
/* As ak_pread_get, for an object read once (a commit): a whole entry is inflated into a buffer
 * of the reader's, valid until its next call, and not cached; a delta goes through the cache. */
int ak_pread_once(ak_pread *r, const git_oid *id, ak_pobj *out);
/* The type of the object id (GIT_OBJECT_COMMIT ...) from its entry headers alone, nothing
 * inflated; -1 if no pack holds it or its headers are damaged. */
int ak_pread_type(ak_pread *r, const git_oid *id);

/* ---------- the batch ---------- */

/* Marks the blob `id` as wanted, under the caller's number `want`; 1 if a pack holds it (it may
 * still fail to be produced), 0 if not. A blob marked twice keeps its first number. */
int ak_packs_want(ak_packs *ps, const git_oid *id, uint32_t want);
/* Wants every blob of the packs instead, each once, numbered by its place in the packs (a number
 * below ak_packs_count): for a scan of everything, planned before anyone knows what is reachable.
 */
void ak_packs_want_all(ak_packs *ps);
/* 1 and the number ak_packs_want_all gives the blob id (if a pack holds it), else 0. Needs no
 * plan: safe on one thread while another runs ak_packs_plan. */
int ak_packs_number(const ak_packs *ps, const git_oid *id, uint32_t *num);
/* Reads every entry header and groups the wanted blobs into tasks, largest first. Returns the
 * number of tasks. */
size_t ak_packs_plan(ak_packs *ps);

/* How a blob produced by the batch was built from its delta base, when the caller said that base
 * was clean (see ak_pack_emit_fn): the places in the blob that are not inside one run of bytes
 * copied from the base, as ranges [at[2i], at[2i + 1]) in increasing order: the inserted bytes,
 * and an empty range where two copied runs meet that are not one run of the base. Any string of
 * the blob that covers no such place lies inside a copied run: it is a string of the base. */
typedef struct ak_pdelta {
    const size_t *at;
    size_t n; /* ranges */
} ak_pdelta;

/* Called once for each wanted blob that was produced, on the thread that produced it. `d` is
 * NULL unless the blob was built from a base emitted as clean. Returns 1 to call the blob clean
 * (the blobs built on it then get their ak_pdelta), else 0. */
typedef int (*ak_pack_emit_fn)(void *ctx, unsigned worker, uint32_t want, const uint8_t *data,
                               size_t len, const ak_pdelta *d);

/* A batch thread's state; it holds at most about `budget` bytes of bases (past it, bases are
 * dropped and rebuilt when needed again: slower, never wrong). */
ak_pwork *ak_pwork_new(size_t budget);
void ak_pwork_free(ak_pwork *w);
/* Produces the wanted blobs of task `task` (0 <= task < the plan's count), calling emit for each.
 * Blobs that cannot be produced (a damaged entry and everything built on it) are skipped
 * silently: the caller reads whatever was not emitted through libgit2. */
void ak_packs_run(const ak_packs *ps, size_t task, ak_pwork *w, ak_pack_emit_fn emit, void *ctx,
                  unsigned worker);

#endif
