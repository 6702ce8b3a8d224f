/*
 * Path exclusion with gitignore semantics, for --exclude GLOB and .akhoundignore files:
 * '#' comments, '!' re-includes, a trailing '/' matches directories only, a pattern with a '/'
 * is anchored at the scan root, one without matches the name at any depth, '*' and '?' stop at
 * '/', a '**' segment spans directories (zero or more; one or more when it ends the pattern:
 * everything inside a directory), '**' within a segment is a plain '*', '[a-z]' classes. The last
 * matching pattern wins, as in git. Matching takes polynomial time whatever the pattern (no
 * exponential backtracking).
 */
#ifndef AK_UTIL_IGNORE_H
#define AK_UTIL_IGNORE_H

#include "util/buf.h"

#include <stddef.h>

typedef struct ak_ignore_pat {
    char *glob;
    int negate;
    int dir_only;
    int anchored;
} ak_ignore_pat;

typedef struct ak_ignore {
    ak_ignore_pat *items;
    size_t len, cap;
} ak_ignore;

void ak_ignore_add(ak_ignore *ig, const char *line);
/* Adds every line of a file; returns 0, or -1 with a one-line reason in err when the file exists
 * but is not read: unreadable, not a regular file (a FIFO or device would block or never end), or
 * larger than AK_IGNORE_MAX_FILE. A missing file is not an error. */
#define AK_IGNORE_MAX_FILE (1u << 20)
int ak_ignore_add_file(ak_ignore *ig, const char *path, ak_buf *err);
/* 1 when `rel` (relative to the scan root, '/'-separated) is excluded. */
int ak_ignore_match(const ak_ignore *ig, const char *rel, int is_dir);
/* The same for a whole path met without walking to it (a path from a git index or diff): its
 * parent directories are tested too, as a walk that skips excluded directories would. */
int ak_ignore_match_path(const ak_ignore *ig, const char *rel, int is_dir);
void ak_ignore_free(ak_ignore *ig);
/* Glob match with the semantics above ('*' does not cross '/', '**' does). */
int ak_glob_match(const char *pat, const char *s);

#endif
