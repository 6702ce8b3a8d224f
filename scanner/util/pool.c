/* Thread pool: see pool.h. */
#include "util/pool.h"
#include "util/mem.h"

#include <pthread.h>
#include <unistd.h>

struct ak_pool {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    void **ring;
    size_t cap, head, count;
    int closing;
    ak_pool_fn fn;
    void *ctx;
    pthread_t *threads;
    unsigned n_threads;
};

typedef struct start_arg {
    ak_pool *pool;
    unsigned index;
} start_arg;

unsigned ak_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void *worker_main(void *arg)
{
    start_arg a = *(start_arg *)arg;
    free(arg);
    ak_pool *p = a.pool;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->count && !p->closing) pthread_cond_wait(&p->not_empty, &p->lock);
        if (!p->count) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        void *item = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->count--;
        pthread_cond_signal(&p->not_full);
        pthread_mutex_unlock(&p->lock);
        p->fn(item, a.index, p->ctx);
    }
}

ak_pool *ak_pool_new(unsigned workers, size_t queue_len, ak_pool_fn fn, void *ctx)
{
    ak_pool *p = ak_calloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->not_empty, NULL);
    pthread_cond_init(&p->not_full, NULL);
    p->cap = queue_len ? queue_len : 1024;
    p->ring = ak_calloc(p->cap, sizeof *p->ring);
    p->fn = fn;
    p->ctx = ctx;
    p->n_threads = workers ? workers : ak_cpu_count();
    p->threads = ak_calloc(p->n_threads, sizeof *p->threads);
    for (unsigned i = 0; i < p->n_threads; i++) {
        start_arg *a = ak_malloc(sizeof *a);
        a->pool = p;
        a->index = i;
        pthread_create(&p->threads[i], NULL, worker_main, a);
    }
    return p;
}

void ak_pool_push(ak_pool *p, void *item)
{
    pthread_mutex_lock(&p->lock);
    while (p->count == p->cap) pthread_cond_wait(&p->not_full, &p->lock);
    p->ring[(p->head + p->count) % p->cap] = item;
    p->count++;
    pthread_cond_signal(&p->not_empty);
    pthread_mutex_unlock(&p->lock);
}

void ak_pool_finish(ak_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->closing = 1;
    pthread_cond_broadcast(&p->not_empty);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->not_empty);
    pthread_cond_destroy(&p->not_full);
    free(p->ring);
    free(p->threads);
    free(p);
}
