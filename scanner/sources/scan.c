/*
 * The filesystem source and scan driver (see scan.h). The walk runs on the calling thread and
 * feeds paths into a bounded queue; workers read each file (read(2) into a reused buffer for small
 * files, mmap for large ones, where copying would cost more than page faults) and scan it.
 */
#include "sources/scan.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/mem.h"
#include "util/pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SMALL_FILE (1u << 20)
#define WINDOW_OVERLAP (64u * 1024)

void ak_scan_opts_default(ak_scan_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_file_size = 256ull << 20;
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

/* Keeps each distinct (fingerprint, line) once: window overlaps report some findings twice. */
static void drop_window_duplicates(ak_findings *out, size_t from)
{
    size_t keep = from;
    for (size_t i = from; i < out->len; i++) {
        int dup = 0;
        for (size_t k = from; k < keep && !dup; k++)
            dup = out->items[k].line == out->items[i].line &&
                  !strcmp(out->items[k].fingerprint, out->items[i].fingerprint);
        if (dup)
            ak_finding_free(&out->items[i]);
        else
            out->items[keep++] = out->items[i];
    }
    out->len = keep;
}

static uint32_t count_newlines(const uint8_t *d, size_t n)
{
    uint32_t lines = 0;
    for (const uint8_t *p = d, *end = d + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) lines++;
    return lines;
}

int ak_scan_buffer(const ak_engine *engine, ak_scratch *scratch, const ak_chunk *chunk,
                   uint64_t max_window, ak_findings *out, ak_buf *err)
{
    ak_chunk c = *chunk;
    const uint8_t *data = chunk->data;
    size_t len = chunk->len;
    if (!max_window || len <= max_window) return ak_engine_scan(engine, scratch, &c, out, err);
    size_t from = out->len, start = 0;
    uint32_t line = 1;
    while (start < len) {
        size_t n = len - start > max_window ? (size_t)max_window : len - start;
        c.data = data + start;
        c.len = n;
        c.first_line = line;
        if (ak_engine_scan(engine, scratch, &c, out, err)) return -1;
        if (start + n >= len) break;
        size_t next = start + n - (n > 2 * WINDOW_OVERLAP ? WINDOW_OVERLAP : n / 2);
        line += count_newlines(data + start, next - start);
        start = next;
    }
    drop_window_duplicates(out, from);
    return 0;
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

static int scan_mapped(const ak_engine *e, worker *w, int fd, const file_item *it, size_t size,
                       uint64_t max_window, ak_buf *err)
{
    const char *path = it->path;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        ak_buf_printf(err, "%s: cannot map file: %s", path, strerror(errno));
        return -2;
    }
    madvise(map, size, MADV_SEQUENTIAL);
    ak_chunk c = {map, size, path, NULL, 1, it->path + it->rel_off};
    int rc = ak_scan_buffer(e, w->scratch, &c, max_window, &w->found, err);
    munmap(map, size);
    return rc;
}

/* Reads fd to its end into b (appending after b->len); returns 0 or -1 with errno set. */
static int read_rest(int fd, ak_buf *b)
{
    for (;;) {
        ak_buf_reserve(b, 65536);
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return 0;
        b->len += (size_t)n;
    }
}

static int read_all(int fd, ak_buf *b)
{
    ak_buf_reset(b);
    return read_rest(fd, b);
}

/* A file whose size is known is read with one call of size + 1 bytes: a short read is the end of
 * the file, so the usual second read that returns 0 is saved. */
static int read_sized(int fd, size_t size, ak_buf *b)
{
    ak_buf_reset(b);
    ak_buf_reserve(b, size + 1);
    ssize_t n;
    do n = read(fd, b->data, size + 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    b->len = (size_t)n;
    b->data[b->len] = '\0';
    return (size_t)n <= size ? 0 : read_rest(fd, b); /* it grew: read the rest */
}

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

static int scan_read(const ak_engine *e, const ak_scan_opts *o, worker *w, const file_item *it,
                     ak_buf *err)
{
    ak_chunk c = {(const uint8_t *)w->buf.data, w->buf.len, it->path, NULL, 1,
                  it->path + it->rel_off};
    w->sum.files++;
    w->sum.bytes += w->buf.len;
    ak_progress_add(1, w->buf.len);
    return ak_scan_buffer(e, w->scratch, &c, o->max_file_size, &w->found, err);
}

/* A file the walk saw as regular is read straight into the worker's buffer: one read that comes
 * back short is a whole small file, without an fstat. Returns 1 when the file is larger than the
 * buffer (the caller then maps it), 0 when scanned, negative on error. */
static int scan_small(const ak_engine *e, const ak_scan_opts *o, worker *w, int fd,
                      const file_item *it, ak_buf *err)
{
    ak_buf_reset(&w->buf);
    ak_buf_reserve(&w->buf, SMALL_FILE);
    ssize_t n;
    do n = read(fd, w->buf.data, SMALL_FILE);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        ak_buf_printf(err, "%s: cannot read: %s", it->path, strerror(errno));
        return -2;
    }
    if ((size_t)n == SMALL_FILE) return 1;
    w->buf.len = (size_t)n;
    return scan_read(e, o, w, it, err);
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
    if ((size_t)st.st_size < SMALL_FILE) {
        if (read_sized(fd, (size_t)st.st_size, &w->buf) != 0) {
            ak_buf_printf(err, "%s: cannot read: %s", it->path, strerror(errno));
            return -2;
        }
        return scan_read(e, o, w, it, err);
    }
    int rc = scan_mapped(e, w, fd, it, (size_t)st.st_size, o->max_file_size, err);
    if (rc != -2) {
        w->sum.files++;
        w->sum.bytes += (uint64_t)st.st_size;
        ak_progress_add(1, (uint64_t)st.st_size);
    }
    return rc;
}

static void scan_one_file(const ak_engine *e, const ak_scan_opts *o, worker *w, const file_item *it)
{
    int fd = open_file(w, it->path);
    if (fd < 0) return;
    ak_buf err = AK_BUF_INIT;
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

typedef struct walk {
    driver *d;
    ak_pool *pool;
    ak_scan_summary *sum; /* the walk's own counters (main thread only) */
    ak_ignore local;      /* .akhoundignore of the current root */
    file_batch *batch;    /* being filled */
    const char *root;
    dev_t dev_stack[256];
    ino_t ino_stack[256];
    unsigned depth;
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
    for (unsigned i = 0; i < wk->depth; i++)
        if (wk->dev_stack[i] == st->st_dev && wk->ino_stack[i] == st->st_ino) return 1;
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
    if (wk->depth >= 256 || is_loop(wk, &st)) {
        ak_warn("%s: directory loop or too deep, not descended", path);
        wk->sum->skipped++;
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) return walk_error(wk, path, "cannot open directory");
    wk->dev_stack[wk->depth] = st.st_dev;
    wk->ino_stack[wk->depth++] = st.st_ino;
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
    if (ak_ignore_add_file(&wk->local, ign) != 0) walk_error(wk, ign, "cannot read");
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
    if (read_all(fd, &w->buf) != 0) {
        ak_buf_printf(&err, "%s: cannot read: %s", name, strerror(errno));
        note_error(w, err.data);
    } else {
        ak_chunk c = {(const uint8_t *)w->buf.data, w->buf.len, name, NULL, 1, NULL};
        if (ak_scan_buffer(engine, w->scratch, &c, opts->max_file_size, &w->found, &err)) {
            note_error(w, ak_buf_cstr(&err));
            w->failed = 1;
        }
        w->sum.files++;
        w->sum.bytes += w->buf.len;
    }
    ak_buf_free(&err);
    return finish_workers(&d, out, sum);
}
