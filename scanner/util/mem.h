/*
 * Allocation helpers. akhound treats out-of-memory as fatal: a scanner that silently drops a buffer
 * would silently skip input, which is worse than stopping with a clear message.
 */
#ifndef AK_UTIL_MEM_H
#define AK_UTIL_MEM_H

#include <stddef.h>
#include <stdlib.h>

void *ak_malloc(size_t n);
void *ak_calloc(size_t count, size_t size);
void *ak_realloc(void *p, size_t n);
char *ak_strdup(const char *s);
char *ak_strndup(const char *s, size_t n);
/* Grows *items (of *cap elements of `size` bytes) so that index `want` fits. */
void ak_grow(void **items, size_t *cap, size_t want, size_t size);

#define AK_GROW(arr, cap, want) ak_grow((void **)&(arr), &(cap), (want), sizeof(*(arr)))

#endif
