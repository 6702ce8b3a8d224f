/*
 * The git sources: a repository's whole history (--git), what a commit would record (--staged)
 * and what a range of commits introduces (--range). They produce findings like the filesystem
 * source does, with `blob` and `commit` filled in, so reports, baselines and validation need no
 * knowledge of git.
 *
 * History and ranges are scanned blob by blob, not patch by patch: every distinct blob is read and
 * scanned once, however many commits and paths reach it, so the cost follows the size of the
 * object database rather than the number of commits. The commit that introduced a finding is the
 * first commit, in topological order, whose tree holds the blob; the walk visits commits in that
 * order, so it is known for free, and its metadata is looked up only for blobs with findings.
 *
 * Errors (a missing or corrupt object, a broken ref) are reported on stderr with the object id,
 * counted in the summary and mark the scan incomplete; the scan goes on. The functions return -1
 * only when the repository cannot be opened or the engine failed.
 *
 * Not thread-safe against each other: one git scan per process at a time (libgit2 global options
 * are set for the duration).
 */
#ifndef AK_SOURCES_GIT_H
#define AK_SOURCES_GIT_H

#include "sources/scan.h"

struct git_oid;

typedef struct ak_git_opts {
    ak_scan_opts scan;    /* threads, max_file_size, excludes, verbose */
    int all_objects;      /* --git: also unreachable objects of the object database */
    int all_staged_lines; /* --staged: also credentials on lines the change did not touch */
    /* Incremental scans (akhound org): asked once for each new blob before it is queued; 0 skips
     * it (not read, not counted). NULL scans everything. Called from the walking thread. */
    int (*want_blob)(const struct git_oid *id, void *ctx);
    void *want_ctx;
    /* History scans (akhound org): commits whose history was scanned before; the walk does not
     * enter them or their ancestors, so only commits new since then are walked. Missing ones are
     * ignored (their history then counts as new). */
    const struct git_oid *hide;
    size_t n_hide;
} ak_git_opts;

void ak_git_opts_default(ak_git_opts *o);

/* TLS for libgit2's https transport is off until asked for (see git_tls.c: loading the CA bundle
 * costs a pre-commit run more than its scan). Call before cloning or fetching over https; NULL
 * arguments mean the system bundle. Returns libgit2's result. */
int ak_git_tls_enable(const char *ca_file, const char *ca_dir);
int ak_git_tls_enabled(void);

/* Every blob reachable from any ref (and HEAD), plus commit messages. `repo` is a work tree, a
 * .git directory or a bare repository; NULL means the current directory. */
int ak_git_scan_history(const ak_engine *engine, const char *repo, const ak_git_opts *opts,
                        ak_findings *out, ak_scan_summary *sum);

/* The commits HEAD and every ref point at (annotated tags peeled), sorted and unique, malloc'ed
 * into *tips; 0, or -1 when the repository cannot be opened. */
int ak_git_tips(const char *repo, struct git_oid **tips, size_t *n);

/* The index against HEAD (or the empty tree before the first commit); honours GIT_INDEX_FILE as
 * set by `git commit -a` and `git commit PATH`. */
int ak_git_scan_staged(const ak_engine *engine, const char *repo, const ak_git_opts *opts,
                       ak_findings *out, ak_scan_summary *sum);

/* "BASE..HEAD" (HEAD defaults to HEAD; a bare "BASE" means BASE..HEAD). An all-zero BASE, as git
 * hooks pass for a new branch, means the merge base with the default branch, or the whole branch
 * when there is none; a BASE missing from the repository (shallow clone) falls back to every
 * commit reachable from HEAD, with a note. */
int ak_git_scan_range(const ak_engine *engine, const char *repo, const char *range,
                      const ak_git_opts *opts, ak_findings *out, ak_scan_summary *sum);

#endif
