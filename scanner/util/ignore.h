/*
 * Path exclusion with gitignore semantics, for --exclude GLOB and .akhoundignore files:
 * '#' comments, '!' re-includes, a trailing '/' matches directories only, a pattern with a '/'
 * is anchored at the scan root, one without matches the name at any depth, '*' and '?' stop at
 * '/', '**' spans directories, '[a-z]' classes. The last matching pattern wins, as in git.
 */
#ifndef AK_UTIL_IGNORE_H
#define AK_UTIL_IGNORE_H

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
/* Adds every line of a file; returns 0, or -1 when the file exists but cannot be read. A missing
 * file is not an error. */
int ak_ignore_add_file(ak_ignore *ig, const char *path);
/* 1 when `rel` (relative to the scan root, '/'-separated) is excluded. */
int ak_ignore_match(const ak_ignore *ig, const char *rel, int is_dir);
/* The same for a whole path met without walking to it (a path from a git index or diff): its
 * parent directories are tested too, as a walk that skips excluded directories would. */
int ak_ignore_match_path(const ak_ignore *ig, const char *rel, int is_dir);
void ak_ignore_free(ak_ignore *ig);
/* Glob match with the semantics above ('*' does not cross '/', '**' does). */
int ak_glob_match(const char *pat, const char *s);

#endif
