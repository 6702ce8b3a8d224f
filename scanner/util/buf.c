/* ak_buf: see buf.h. */
#include "util/buf.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

void ak_buf_reserve(ak_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->data = ak_realloc(b->data, cap);
    b->cap = cap;
}

void ak_buf_append(ak_buf *b, const void *data, size_t len)
{
    ak_buf_reserve(b, len);
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void ak_buf_puts(ak_buf *b, const char *s)
{
    ak_buf_append(b, s, strlen(s));
}

void ak_buf_putc(ak_buf *b, char c)
{
    ak_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void ak_buf_vprintf(ak_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n <= 0) return;
    ak_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void ak_buf_printf(ak_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ak_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void ak_buf_reset(ak_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void ak_buf_free(ak_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *ak_buf_detach(ak_buf *b)
{
    char *s = b->data ? b->data : ak_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

const char *ak_buf_cstr(const ak_buf *b)
{
    return b->data ? b->data : "";
}

int ak_buf_read_stream(ak_buf *b, FILE *f)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) ak_buf_append(b, chunk, n);
    return ferror(f) ? -1 : 0;
}
