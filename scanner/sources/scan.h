/*
 * Scanning files, directories and standard input: the filesystem source and the driver that
 * spreads files over the thread pool. Each worker has its own engine scratch and findings list;
 * the lists are merged and sorted at the end, so output never depends on thread timing.
 */
#ifndef AK_SOURCES_SCAN_H
#define AK_SOURCES_SCAN_H

#include "detect/detect.h"
#include "report/report.h"
#include "util/ignore.h"

/* The default window: memory per worker stays a few MiB whatever the file's size. */
#define AK_DEFAULT_WINDOW (8ull << 20)
/* Windows overlap by twice this (or by half the window when smaller), so that every pair within
 * AK_PAIR_MAX_BYTES, and the text rules look at around it, is seen whole by one window. */
#define AK_WINDOW_HALF_OVERLAP (2 * AK_PAIR_MAX_BYTES)

typedef struct ak_scan_opts {
    unsigned threads;          /* 0: one per core */
    uint64_t max_file_size;    /* files are read and scanned in overlapping windows of this size */
    const ak_ignore *excludes; /* --exclude patterns, applied under every root */
    int verbose;
} ak_scan_opts;

void ak_scan_opts_default(ak_scan_opts *o);

/* Scans files and directories (recursively; .git directories, symlinks and special files are not
 * followed or read; .akhoundignore at each root applies). Findings are appended unsorted; the
 * summary counts files, bytes, skipped inputs and errors (each error is reported on stderr with the
 * path). Returns 0, or -1 when the engine failed. */
int ak_scan_paths(const ak_engine *engine, char *const *paths, size_t n_paths,
                  const ak_scan_opts *opts, ak_findings *out, ak_scan_summary *sum);

/* Scans a file descriptor to its end (stdin, pipes) under the display name `name`. */
int ak_scan_fd(const ak_engine *engine, int fd, const char *name, const ak_scan_opts *opts,
               ak_findings *out, ak_scan_summary *sum);

/* Scans one in-memory chunk, in overlapping windows when larger than max_window; for sources
 * that hold the bytes already (git blobs). Each finding is reported once, by the window whose
 * share of the overlap it starts in; lines and columns count from the chunk's start. */
int ak_scan_buffer(const ak_engine *engine, ak_scratch *scratch, const ak_chunk *chunk,
                   uint64_t max_window, ak_findings *out, ak_buf *err);

#endif
