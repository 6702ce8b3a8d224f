/*
 * The filesystem source and scan driver (see scan.h). The walk runs on the calling thread and
 * feeds paths into a bounded queue; workers read each file with read(2) into a reused buffer, large
 * ones in overlapping windows, and scan it. Files are not mapped: a mapped file truncated by
 * another process kills the reader with SIGBUS, while read(2) just ends early.
 */
#include "sources/scan.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/progress.h"
#include "util/pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SMALL_FILE (1u << 20)

void ak_scan_opts_default(ak_scan_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_file_size = AK_DEFAULT_WINDOW;
}

typedef struct worker {
    ak_scratch *scratch;
    ak_findings found;
    ak_scan_summary sum;
    ak_buf buf;
    int failed;
} worker;

typedef struct driver {
    const ak_engine *engine;
    const ak_scan_opts *opts;
    worker *workers;
    unsigned n_workers;
} driver;

static uint32_t count_newlines(const uint8_t *d, size_t n)
{
    uint32_t lines = 0;
    for (const uint8_t *p = d, *end = d + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) lines++;
    return lines;
}

/* A place in a file: line, and column (bytes from the line's start, 1-based). */
typedef struct place {
    uint32_t line;
    uint64_t column;
} place;

/* The place n bytes after `at`, the place of d[0]. */
static place place_after(place at, const uint8_t *d, size_t n)
{
    const uint8_t *nl = n ? memrchr(d, '\n', n) : NULL;
    if (!nl) return (place){at.line, at.column + n};
    return (place){at.line + count_newlines(d, n), (uint64_t)(d + n - nl)};
}

static int before(const ak_finding *f, place p)
{
    return f->line < p.line || (f->line == p.line && f->column < p.column);
}

/* A run of windows over one file or buffer, each scanned as a chunk of its own. Consecutive windows
 * overlap by 2 * half bytes and the middle of the overlap is the border between them: a window
 * keeps only the findings that start on its side of its borders. A finding is kept by exactly one
 * window, and that window holds everything within `half` bytes of the finding's start, so a pair
 * less than half bytes apart (minus the length of the secret and of what rules look at around it)
 * is seen whole by the window that keeps it. */
typedef struct windows {
    const ak_engine *engine;
    ak_scratch *scratch;
    ak_chunk chunk; /* path, blob and fingerprint path of every window */
    ak_findings *out;
    size_t size, half;
    place at;   /* of the next window's first byte */
    place from; /* the border before the next window (findings before it belong to the previous) */
    int first;
} windows;

static void windows_start(windows *ws, const ak_engine *e, ak_scratch *s, const ak_chunk *c,
                          uint64_t max_window, ak_findings *out)
{
    ws->engine = e;
    ws->scratch = s;
    ws->chunk = *c;
    ws->out = out;
    ws->size = max_window && max_window < SIZE_MAX / 2 ? (size_t)max_window : SIZE_MAX / 2;
    ws->half = ws->size / 4 < AK_WINDOW_HALF_OVERLAP ? ws->size / 4 : AK_WINDOW_HALF_OVERLAP;
    ws->at = ws->from = (place){c->first_line ? c->first_line : 1, 1};
    ws->first = 1;
}

/* Scans data[0..n) (n = ws->size unless last) as the next window; *advance is where the next
 * window starts (the caller drops the bytes before it). */
static int windows_scan(windows *ws, const uint8_t *data, size_t n, int last, size_t *advance,
                        ak_buf *err)
{
    ws->chunk.data = data;
    ws->chunk.len = n;
    ws->chunk.first_line = ws->at.line;
    size_t from = ws->out->len, keep = from;
    if (ak_engine_scan(ws->engine, ws->scratch, &ws->chunk, ws->out, err)) return -1;
    *advance = last ? n : n - 2 * ws->half;
    place next = ws->at, to = ws->at; /* where the next window starts, and the border before it */
    if (!last) {
        next = place_after(ws->at, data, *advance);
        to = place_after(next, data + *advance, ws->half);
    }
    for (size_t i = from; i < ws->out->len; i++) {
        ak_finding *f = &ws->out->items[i];
        if (f->line == ws->at.line) /* the window's first line started before it */
            f->column = (uint32_t)(f->column + ws->at.column - 1);
        if ((ws->first || !before(f, ws->from)) && (last || before(f, to)))
            ws->out->items[keep++] = *f;
        else
            ak_finding_free(f);
    }
    ws->out->len = keep;
    ws->at = next;
    ws->from = to;
    ws->first = 0;
    return 0;
}

int ak_scan_buffer(const ak_engine *engine, ak_scratch *scratch, const ak_chunk *chunk,
                   uint64_t max_window, ak_findings *out, ak_buf *err)
{
    if (!max_window || chunk->len <= max_window)
        return ak_engine_scan(engine, scratch, chunk, out, err);
    windows ws;
    windows_start(&ws, engine, scratch, chunk, max_window, out);
    for (size_t start = 0, adv; start < chunk->len; start += adv) {
        size_t n = chunk->len - start > ws.size ? ws.size : chunk->len - start;
        if (windows_scan(&ws, chunk->data + start, n, start + n == chunk->len, &adv, err))
            return -1;
    }
    return 0;
}

/* Reads fd into b until b holds `want` bytes, `*total` reaches `limit` or the input ends.
 * Returns 1 at the end, 0 when b is full, -1 on a read error (errno set). */
static int fill(int fd, ak_buf *b, size_t want, uint64_t *total, uint64_t limit)
{
    while (b->len < want && *total < limit) {
        size_t room = want - b->len;
        if (limit - *total < room) room = (size_t)(limit - *total);
        ssize_t n = read(fd, b->data + b->len, room);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return 1;
        b->len += (size_t)n;
        *total += (uint64_t)n;
    }
    return *total >= limit;
}

/* Reads and scans fd window by window through b (which may hold the input's first bytes already),
 * so memory stays bounded by the window whatever the input's size; one byte is read ahead so the
 * last window is known as such. `expect` is the size fstat reported, or UINT64_MAX for a stream: a
 * file that ends before it or runs on past it changed while being read (truncated or appended to)
 * and is reported as not fully scanned; reading stops one byte past it. Returns 0, -1 (the engine
 * failed) or -2 (an error, in err). */
static int scan_stream(const ak_engine *e, const ak_scan_opts *o, worker *w, int fd,
                       const ak_chunk *c, uint64_t expect, ak_buf *err)
{
    windows ws;
    windows_start(&ws, e, w->scratch, c, o->max_file_size, &w->found);
    ak_buf *b = &w->buf;
    uint64_t total = b->len, limit = expect == UINT64_MAX ? expect : expect + 1;
    if (b->len <= ws.size) ak_buf_reserve(b, ws.size + 1 - b->len);
    int end = 0;
    for (size_t off = 0, adv;; off += adv) {
        if (!end && b->len - off <= ws.size) {
            memmove(b->data, b->data + off, b->len - off);
            b->len -= off;
            off = 0;
            end = fill(fd, b, ws.size + 1, &total, limit);
            if (end < 0) {
                ak_buf_printf(err, "%s: cannot read: %s", c->path, strerror(errno));
                break;
            }
        }
        size_t avail = b->len - off, n = avail > ws.size ? ws.size : avail;
        int last = end && n == avail;
        if (windows_scan(&ws, (const uint8_t *)b->data + off, n, last, &adv, err)) return -1;
        if (last) break;
    }
    w->sum.files++;
    w->sum.bytes += total;
    ak_progress_add(1, total);
    if (end < 0) return -2;
    if (expect == UINT64_MAX || total == expect) return 0;
    ak_buf_printf(err, "%s: %s while being read (%llu bytes when opened), not fully scanned",
                  c->path, total < expect ? "shrank" : "grew", (unsigned long long)expect);
    return -2;
}

typedef struct file_item {
    char *path;     /* as shown: root + '/' + rel */
    size_t rel_off; /* path + rel_off is the path inside the scanned tree */
    int regular;    /* the walk saw a regular file (no fstat needed for small ones) */
} file_item;

/* Files go to the workers in batches: one queue operation (and thread wake-up) per file cost
 * about a tenth of the CPU time of a scan of small files. */
#define BATCH 64
typedef struct file_batch {
    file_item items[BATCH];
    size_t n;
} file_batch;

static void note_error(worker *w, const char *msg)
{
    ak_error("%s", msg);
    w->sum.errors++;
    w->sum.incomplete = 1;
}

static int open_file(worker *w, const char *path)
{
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno == ENOENT) { /* removed between the walk and now: nothing left to leak */
        ak_warn("%s: vanished during the scan, not scanned", path);
        w->sum.skipped++;
        return -1;
    }
    ak_buf err = AK_BUF_INIT;
    ak_buf_printf(&err, "%s: cannot open: %s", path, strerror(errno));
    note_error(w, err.data);
    ak_buf_free(&err);
    return -1;
}

static ak_chunk file_chunk(const file_item *it, const ak_buf *b)
{
    ak_chunk c = {(const uint8_t *)b->data, b->len, it->path, NULL, 1, it->path + it->rel_off};
    return c;
}

/* A file the walk saw as regular is read straight into the worker's buffer: one read that comes
 * back short is a whole small file, without an fstat. Returns 1 when the file may be larger than
 * the read (the caller streams the rest), 0 when scanned, negative on error. */
static int scan_small(const ak_engine *e, const ak_scan_opts *o, worker *w, int fd,
                      const file_item *it, ak_buf *err)
{
    ak_buf_reserve(&w->buf, SMALL_FILE);
    ssize_t n;
    do n = read(fd, w->buf.data, SMALL_FILE);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        ak_buf_printf(err, "%s: cannot read: %s", it->path, strerror(errno));
        return -2;
    }
    w->buf.len = (size_t)n;
    if ((size_t)n == SMALL_FILE) return 1;
    w->sum.files++;
    w->sum.bytes += w->buf.len;
    ak_progress_add(1, w->buf.len);
    ak_chunk c = file_chunk(it, &w->buf);
    return ak_scan_buffer(e, w->scratch, &c, o->max_file_size, &w->found, err);
}

static int scan_stat(const ak_engine *e, const ak_scan_opts *o, worker *w, int fd,
                     const file_item *it, ak_buf *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ak_warn("%s: not a regular file, not scanned", it->path);
        w->sum.skipped++;
        return 0;
    }
    ak_chunk c = file_chunk(it, &w->buf);
    return scan_stream(e, o, w, fd, &c, (uint64_t)st.st_size, err);
}

static void scan_one_file(const ak_engine *e, const ak_scan_opts *o, worker *w, const file_item *it)
{
    int fd = open_file(w, it->path);
    if (fd < 0) return;
    ak_buf err = AK_BUF_INIT;
    ak_buf_reset(&w->buf);
    int rc = it->regular ? scan_small(e, o, w, fd, it, &err) : 1;
    if (rc == 1) rc = scan_stat(e, o, w, fd, it, &err);
    close(fd);
    if (rc == -1) w->failed = 1;
    if (rc) note_error(w, ak_buf_cstr(&err));
    ak_buf_free(&err);
}

static void worker_fn(void *item, unsigned index, void *ctx)
{
    driver *d = ctx;
    file_batch *b = item;
    for (size_t i = 0; i < b->n; i++) {
        scan_one_file(d->engine, d->opts, &d->workers[index], &b->items[i]);
        free(b->items[i].path);
    }
    free(b);
}

/* ---------- the walk ---------- */

/* The walk has no depth limit of its own: it recurses one level per directory (a few hundred bytes
 * of stack each) and opens paths whole, so PATH_MAX (4096 bytes) bounds it near 2048 levels of
 * one-letter names, where opening the next directory fails with an error naming it (an
 * incomplete scan). */
typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

typedef struct walk {
    driver *d;
    ak_pool *pool;
    ak_scan_summary *sum; /* the walk's own counters (main thread only) */
    ak_ignore local;      /* .akhoundignore of the current root */
    file_batch *batch;    /* being filled */
    const char *root;
    dir_id *stack; /* the directories being walked, root first, for loop detection */
    size_t depth, cap;
} walk;

static int excluded(const walk *wk, const char *rel, int is_dir)
{
    if (!*rel) return 0;
    return (wk->d->opts->excludes && ak_ignore_match(wk->d->opts->excludes, rel, is_dir)) ||
           ak_ignore_match(&wk->local, rel, is_dir);
}

static void walk_error(walk *wk, const char *path, const char *what)
{
    ak_error("%s: %s: %s", path, what, strerror(errno));
    wk->sum->errors++;
    wk->sum->incomplete = 1;
}

static void walk_dir(walk *wk, const char *path, const char *rel);

static void flush_batch(walk *wk)
{
    if (wk->batch && wk->batch->n)
        ak_pool_push(wk->pool, wk->batch);
    else
        free(wk->batch);
    wk->batch = NULL;
}

static void push_file(walk *wk, const char *path, size_t rel_off, int regular)
{
    if (!wk->batch) wk->batch = ak_calloc(1, sizeof *wk->batch);
    file_item *it = &wk->batch->items[wk->batch->n++];
    it->path = ak_strdup(path);
    it->rel_off = rel_off;
    it->regular = regular;
    if (wk->batch->n == BATCH) flush_batch(wk);
}

static int is_loop(walk *wk, const struct stat *st)
{
    for (size_t i = 0; i < wk->depth; i++)
        if (wk->stack[i].dev == st->st_dev && wk->stack[i].ino == st->st_ino) return 1;
    return 0;
}

static void visit(walk *wk, const char *path, const char *rel, unsigned char dtype)
{
    struct stat st;
    if (dtype == DT_UNKNOWN) {
        if (lstat(path, &st) != 0) {
            walk_error(wk, path, "cannot stat");
            return;
        }
        dtype = S_ISDIR(st.st_mode)   ? DT_DIR
                : S_ISREG(st.st_mode) ? DT_REG
                : S_ISLNK(st.st_mode) ? DT_LNK
                                      : DT_FIFO;
    }
    if (dtype == DT_DIR) {
        if (!excluded(wk, rel, 1)) walk_dir(wk, path, rel);
    } else if (dtype == DT_REG) {
        if (!excluded(wk, rel, 0)) push_file(wk, path, strlen(path) - strlen(rel), 1);
    } else if (dtype == DT_LNK) {
        /* Symbolic links are not followed: a target inside the tree is scanned at its own path,
         * and one outside it is not ours to read. */
        if (wk->d->opts->verbose) ak_info("%s: symbolic link, not followed", path);
    } else if (!excluded(wk, rel, 0)) {
        ak_warn("%s: not a regular file (FIFO, socket or device), not scanned", path);
        wk->sum->skipped++;
    }
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    int slash = na && a[na - 1] != '/';
    char *p = ak_malloc(na + nb + 2);
    memcpy(p, a, na);
    if (slash) p[na++] = '/';
    memcpy(p + na, b, nb + 1);
    return p;
}

/* What the walk keeps of a directory entry. A struct dirent is not copied whole: readdir may hand
 * back a record shorter than sizeof(struct dirent) at the end of its buffer. */
typedef struct entry {
    char *name;
    unsigned char type;
} entry;

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void walk_dir(walk *wk, const char *path, const char *rel)
{
    struct stat st;
    if (stat(path, &st) != 0) return walk_error(wk, path, "cannot stat");
    if (is_loop(wk, &st)) { /* a bind mount of an ancestor: everything in it is walked already */
        ak_warn("%s: directory loop, not descended", path);
        wk->sum->skipped++;
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) return walk_error(wk, path, "cannot open directory");
    AK_GROW(wk->stack, wk->cap, wk->depth);
    wk->stack[wk->depth++] = (dir_id){st.st_dev, st.st_ino};
    entry *ents = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (errno = 0, e = readdir(dir));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".git"))
            continue;
        AK_GROW(ents, cap, n);
        ents[n].name = ak_strdup(e->d_name);
        ents[n++].type = e->d_type;
    }
    if (errno) walk_error(wk, path, "cannot read directory");
    closedir(dir);
    if (n > 1) qsort(ents, n, sizeof *ents, name_cmp); /* stable order for --verbose and errors */
    for (size_t i = 0; i < n; i++) {
        char *child = join(path, ents[i].name);
        char *child_rel = *rel ? join(rel, ents[i].name) : ak_strdup(ents[i].name);
        visit(wk, child, child_rel, ents[i].type);
        free(child);
        free(child_rel);
        free(ents[i].name);
    }
    free(ents);
    wk->depth--;
}

static void walk_root(walk *wk, const char *root)
{
    struct stat st;
    if (stat(root, &st) != 0) return walk_error(wk, root, "cannot scan");
    if (!S_ISDIR(st.st_mode)) {
        /* A path named on the command line is read even through a symlink or as a FIFO: the user
         * asked for it explicitly. */
        push_file(wk, root, 0, 0);
        return;
    }
    ak_ignore_free(&wk->local);
    char *ign = join(root, ".akhoundignore");
    ak_buf err = AK_BUF_INIT;
    /* not applied means more is scanned, not less: a warning, not an incomplete scan */
    if (ak_ignore_add_file(&wk->local, ign, &err) != 0) ak_warn("%s", ak_buf_cstr(&err));
    ak_buf_free(&err);
    free(ign);
    wk->root = root;
    wk->depth = 0;
    walk_dir(wk, root, "");
}

static int start_workers(driver *d, const ak_engine *e, const ak_scan_opts *o, unsigned n)
{
    d->engine = e;
    d->opts = o;
    d->n_workers = n;
    d->workers = ak_calloc(n, sizeof *d->workers);
    ak_buf err = AK_BUF_INIT;
    for (unsigned i = 0; i < n; i++)
        if (ak_scratch_new(&d->workers[i].scratch, e, &err)) {
            ak_error("%s", ak_buf_cstr(&err));
            ak_buf_free(&err);
            return -1;
        }
    ak_buf_free(&err);
    return 0;
}

static int finish_workers(driver *d, ak_findings *out, ak_scan_summary *sum)
{
    int failed = 0;
    for (unsigned i = 0; i < d->n_workers; i++) {
        worker *w = &d->workers[i];
        ak_findings_move(out, &w->found);
        ak_summary_add(sum, &w->sum);
        failed |= w->failed;
        ak_scratch_free(w->scratch);
        ak_buf_free(&w->buf);
    }
    free(d->workers);
    return failed ? -1 : 0;
}

int ak_scan_paths(const ak_engine *engine, char *const *paths, size_t n_paths,
                  const ak_scan_opts *opts, ak_findings *out, ak_scan_summary *sum)
{
    driver d = {0};
    unsigned n = opts->threads ? opts->threads : ak_cpu_count();
    if (start_workers(&d, engine, opts, n)) {
        finish_workers(&d, out, sum);
        return -1;
    }
    walk wk = {.d = &d, .sum = sum};
    wk.pool = ak_pool_new(n, 64, worker_fn, &d);
    for (size_t i = 0; i < n_paths; i++) walk_root(&wk, paths[i]);
    flush_batch(&wk);
    ak_pool_finish(wk.pool);
    ak_ignore_free(&wk.local);
    free(wk.stack);
    return finish_workers(&d, out, sum);
}

int ak_scan_fd(const ak_engine *engine, int fd, const char *name, const ak_scan_opts *opts,
               ak_findings *out, ak_scan_summary *sum)
{
    driver d = {0};
    if (start_workers(&d, engine, opts, 1)) {
        finish_workers(&d, out, sum);
        return -1;
    }
    worker *w = &d.workers[0];
    ak_buf err = AK_BUF_INIT;
    ak_chunk c = {NULL, 0, name, NULL, 1, NULL};
    int rc = scan_stream(engine, opts, w, fd, &c, UINT64_MAX, &err);
    if (rc == -1) w->failed = 1;
    if (rc) note_error(w, ak_buf_cstr(&err));
    ak_buf_free(&err);
    return finish_workers(&d, out, sum);
}
