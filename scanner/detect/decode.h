/*
 * Decoders that turn encoded text back into the bytes a key was written as: base64, percent
 * encoding, JSON/C escapes, UTF-16LE, and string literals split into adjacent pieces. Each appends
 * to `out` and, where the mapping from output to input is not a simple ratio, records for every
 * output byte the input offset it came from
 * (`map`), so a finding in decoded text still points at the right line and column of the file.
 * The engine calls them only around fast-pass hits, never over whole files (except UTF-16 files).
 */
#ifndef AK_DETECT_DECODE_H
#define AK_DETECT_DECODE_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ak_u32vec {
    uint32_t *items;
    size_t len;
    size_t cap;
} ak_u32vec;

void ak_u32vec_push(ak_u32vec *v, uint32_t x);
void ak_u32vec_free(ak_u32vec *v);

static inline int ak_is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static inline int ak_is_b64(uint8_t c)
{
    return ak_is_alnum(c) || c == '+' || c == '/';
}

/* Decodes standard base64 from in[0..n) (n is truncated to a multiple of 4; '=' ends it).
 * Returns the number of bytes appended. */
size_t ak_base64_decode(const uint8_t *in, size_t n, ak_buf *out);
/* Standard base64 encoding (for rule examples and tests). */
void ak_base64_encode(const uint8_t *in, size_t n, ak_buf *out);

/* Percent-decodes in[0..n); `map` gets the input offset (plus `base`) of every output byte.
 * Returns the number of escapes decoded. */
size_t ak_percent_decode(const uint8_t *in, size_t n, size_t base, ak_buf *out, ak_u32vec *map);
/* Undoes JSON / C string escapes (\n \t \" \\ \/ \uXXXX \xXX); non-ASCII \u escapes become
 * UTF-8. Returns the number of escapes decoded. */
size_t ak_unescape(const uint8_t *in, size_t n, size_t base, ak_buf *out, ak_u32vec *map);
/* String literals split over adjacent pieces ("ab" "cd", "ab""cd", 'ab' + 'cd', "ab" . "cd", over
 * lines too) joined: at in[i], the length of a closing quote, blanks, at most one of + . & .. ||
 * and an opening quote of the same kind, when key material stands on both sides; else 0. */
size_t ak_join_at(const uint8_t *in, size_t n, size_t i);
/* Copies in[0..n) with every join of ak_join_at removed. Returns the number of joins. */
size_t ak_join_literals(const uint8_t *in, size_t n, size_t base, ak_buf *out, ak_u32vec *map);
/* Transcodes UTF-16LE to UTF-8 (unpaired surrogates become U+FFFD). Output byte i maps to input
 * via `map`. */
void ak_utf16le_decode(const uint8_t *in, size_t n, size_t base, ak_buf *out, ak_u32vec *map);

/* The cheap test before anything UTF-16: a UTF-16LE byte order mark (text that is all CJK has no
 * NUL bytes), or a NUL byte in the first kilobyte. */
static inline int ak_maybe_utf16(const uint8_t *data, size_t len)
{
    if (len >= 2 && data[0] == 0xff && data[1] == 0xfe) return 1;
    return memchr(data, 0, len < 1024 ? len : 1024) != NULL;
}

/* 1 when the buffer looks like UTF-16LE text: a FF FE byte order mark, or mostly ASCII code
 * units (even bytes printable, odd bytes zero) in its first kilobytes. */
int ak_looks_utf16le(const uint8_t *data, size_t len);

#endif
