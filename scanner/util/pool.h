/*
 * A fixed pool of worker threads fed through a bounded queue. The producer (for example the
 * directory walk) blocks when the queue is full, so memory stays bounded however large the tree;
 * each worker knows its index, so it can use its own scratch space without locks.
 */
#ifndef AK_UTIL_POOL_H
#define AK_UTIL_POOL_H

#include <stddef.h>

typedef void (*ak_pool_fn)(void *item, unsigned worker, void *ctx);

typedef struct ak_pool ak_pool;

/* Starts `workers` threads (0: one per online core) calling fn(item, worker, ctx) per item. */
ak_pool *ak_pool_new(unsigned workers, size_t queue_len, ak_pool_fn fn, void *ctx);
/* Queues an item; blocks while the queue is full. */
void ak_pool_push(ak_pool *pool, void *item);
/* Waits until every queued item is done, then stops the threads and frees the pool. */
void ak_pool_finish(ak_pool *pool);
/* Number of online cores (at least 1). */
unsigned ak_cpu_count(void);

#endif
