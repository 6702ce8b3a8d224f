/* Allocation helpers: see mem.h. */
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "akhound: out of memory (requested %zu bytes)\n", n);
    abort();
}

void *ak_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *ak_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom(count * size);
    return p;
}

void *ak_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *ak_strdup(const char *s)
{
    return s ? ak_strndup(s, strlen(s)) : NULL;
}

char *ak_strndup(const char *s, size_t n)
{
    char *d = ak_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void ak_grow(void **items, size_t *cap, size_t want, size_t size)
{
    if (want < *cap) return;
    size_t c = *cap ? *cap : 8;
    while (c <= want) c *= 2;
    *items = ak_realloc(*items, c * size);
    *cap = c;
}
