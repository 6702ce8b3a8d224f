/* The progress line: see progress.h. */
#include "util/progress.h"
#include "util/buf.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic uint64_t done_items, done_bytes, expected;

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running, stopping;
    int on_screen; /* the line is drawn now (guarded by the stream's lock) */
    FILE *tty;
    const char *unit;
    unsigned delay_ms;
    double start;
} pg = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

void ak_progress_add(uint64_t items, uint64_t bytes)
{
    atomic_fetch_add_explicit(&done_items, items, memory_order_relaxed);
    atomic_fetch_add_explicit(&done_bytes, bytes, memory_order_relaxed);
}

void ak_progress_expect(uint64_t items)
{
    uint64_t now = atomic_load_explicit(&done_items, memory_order_relaxed);
    atomic_store_explicit(&expected, now + items, memory_order_relaxed);
}

/* "1,234,567": counts of files and blobs run into the millions. */
static void put_count(ak_buf *b, uint64_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) ak_buf_putc(b, ',');
        ak_buf_putc(b, digits[i]);
    }
}

static void draw(void)
{
    uint64_t items = atomic_load_explicit(&done_items, memory_order_relaxed);
    uint64_t bytes = atomic_load_explicit(&done_bytes, memory_order_relaxed);
    uint64_t total = atomic_load_explicit(&expected, memory_order_relaxed);
    double secs = ak_mono_seconds() - pg.start, mib = (double)bytes / (1024.0 * 1024.0);
    ak_buf b = AK_BUF_INIT;
    ak_buf_puts(&b, "\rakhound: ");
    put_count(&b, items);
    ak_buf_printf(&b, " %s", pg.unit);
    if (total >= items && total > 0)
        ak_buf_printf(&b, " of %llu (%d%%)", (unsigned long long)total, (int)(100 * items / total));
    ak_buf_printf(&b, ", %.1f MiB, %.1f MiB/s", mib, secs > 0 ? mib / secs : 0.0);
    if (total > items && items > 0)
        ak_buf_printf(&b, ", ETA %.0f s", (double)(total - items) * secs / (double)items);
    ak_buf_puts(&b, "\033[K"); /* erase what a longer previous line left */
    flockfile(pg.tty);
    fputs(b.data, pg.tty);
    fflush(pg.tty);
    pg.on_screen = 1;
    funlockfile(pg.tty);
    ak_buf_free(&b);
}

void ak_progress_erase(void)
{
    if (!pg.running) return;
    flockfile(pg.tty);
    if (pg.on_screen) fputs("\r\033[K", pg.tty);
    pg.on_screen = 0;
    funlockfile(pg.tty);
}

/* Waits until `ms` from now or until stopped; 1 when stopped. */
static int wait_ms(unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&pg.lock);
    while (!pg.stopping && pthread_cond_timedwait(&pg.wake, &pg.lock, &until) == 0) continue;
    int stop = pg.stopping;
    pthread_mutex_unlock(&pg.lock);
    return stop;
}

static void *run(void *arg)
{
    (void)arg;
    if (wait_ms(pg.delay_ms)) return NULL;
    do draw();
    while (!wait_ms(500));
    return NULL;
}

void ak_progress_start(FILE *tty, const char *unit)
{
    if (pg.running) return;
    const char *d = getenv("AKHOUND_PROGRESS_DELAY_MS");
    pg.delay_ms = d && *d ? (unsigned)strtoul(d, NULL, 10) : 1000;
    pg.tty = tty;
    pg.unit = unit;
    pg.start = ak_mono_seconds();
    pg.stopping = pg.on_screen = 0;
    pg.running = pthread_create(&pg.thread, NULL, run, NULL) == 0;
}

void ak_progress_stop(void)
{
    if (!pg.running) return;
    pthread_mutex_lock(&pg.lock);
    pg.stopping = 1;
    pthread_cond_signal(&pg.wake);
    pthread_mutex_unlock(&pg.lock);
    pthread_join(pg.thread, NULL);
    ak_progress_erase();
    fflush(pg.tty);
    pg.running = 0;
}
