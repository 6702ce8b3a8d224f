/*
 * ak_buf: the one growable byte buffer used everywhere (JSON building, decoded text, report lines).
 * It always keeps a NUL after the last byte so its contents can be used as a C string when they
 * hold text. Growth doubles, so appending n bytes one at a time costs O(n). Not thread-safe; each
 * owner keeps its own.
 */
#ifndef AK_UTIL_BUF_H
#define AK_UTIL_BUF_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ak_buf {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
} ak_buf;

#define AK_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Makes room for at least `extra` more bytes (plus the trailing NUL). Aborts on out-of-memory. */
void ak_buf_reserve(ak_buf *b, size_t extra);
void ak_buf_append(ak_buf *b, const void *data, size_t len);
void ak_buf_puts(ak_buf *b, const char *s);
void ak_buf_putc(ak_buf *b, char c);
void ak_buf_printf(ak_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ak_buf_vprintf(ak_buf *b, const char *fmt, va_list ap);
void ak_buf_reset(ak_buf *b);
void ak_buf_free(ak_buf *b);
/* Hands the contents to the caller (free() it) and leaves the buffer empty. Never NULL. */
char *ak_buf_detach(ak_buf *b);
/* Empty string when nothing was appended yet, so callers never see NULL. */
const char *ak_buf_cstr(const ak_buf *b);
/* Appends everything left in f; -1 on a read error (errno set). */
int ak_buf_read_stream(ak_buf *b, FILE *f);

#endif
