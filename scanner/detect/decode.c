/* Decoders: see decode.h. Hand-written because they must record an offset map per output byte,
 * which no decoding library offers, and they run on small windows where a call costs more than
 * the loop. */
#include "detect/decode.h"
#include "util/mem.h"

#include <string.h>

void ak_u32vec_push(ak_u32vec *v, uint32_t x)
{
    AK_GROW(v->items, v->cap, v->len);
    v->items[v->len++] = x;
}

void ak_u32vec_free(ak_u32vec *v)
{
    free(v->items);
    memset(v, 0, sizeof *v);
}

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

size_t ak_base64_decode(const uint8_t *in, size_t n, ak_buf *out)
{
    size_t before = out->len;
    uint32_t acc = 0;
    int bits = 0;
    ak_buf_reserve(out, n / 4 * 3 + 3);
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i]);
        if (v < 0) break;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (char)((acc >> bits) & 0xff);
        }
    }
    out->data[out->len] = '\0';
    return out->len - before;
}

void ak_base64_encode(const uint8_t *in, size_t n, ak_buf *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        ak_buf_putc(out, abc[(v >> 18) & 63]);
        ak_buf_putc(out, abc[(v >> 12) & 63]);
        ak_buf_putc(out, i + 1 < n ? abc[(v >> 6) & 63] : '=');
        ak_buf_putc(out, i + 2 < n ? abc[v & 63] : '=');
    }
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static void emit(ak_buf *out, ak_u32vec *map, uint8_t c, size_t src)
{
    ak_buf_putc(out, (char)c);
    ak_u32vec_push(map, (uint32_t)src);
}

size_t ak_percent_decode(const uint8_t *in, size_t n, size_t base, ak_buf *out, ak_u32vec *map)
{
    size_t escapes = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '%' && i + 2 < n && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
            emit(out, map, (uint8_t)(hexval(in[i + 1]) * 16 + hexval(in[i + 2])), base + i);
            i += 2;
            escapes++;
        } else {
            emit(out, map, in[i], base + i);
        }
    }
    return escapes;
}

static void emit_utf8(ak_buf *out, ak_u32vec *map, uint32_t cp, size_t src)
{
    if (cp < 0x80) {
        emit(out, map, (uint8_t)cp, src);
    } else if (cp < 0x800) {
        emit(out, map, (uint8_t)(0xc0 | (cp >> 6)), src);
        emit(out, map, (uint8_t)(0x80 | (cp & 0x3f)), src);
    } else if (cp < 0x10000) {
        emit(out, map, (uint8_t)(0xe0 | (cp >> 12)), src);
        emit(out, map, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), src);
        emit(out, map, (uint8_t)(0x80 | (cp & 0x3f)), src);
    } else {
        emit(out, map, (uint8_t)(0xf0 | (cp >> 18)), src);
        emit(out, map, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)), src);
        emit(out, map, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), src);
        emit(out, map, (uint8_t)(0x80 | (cp & 0x3f)), src);
    }
}

static int hex_run(const uint8_t *p, size_t avail, size_t digits, uint32_t *out)
{
    if (avail < digits) return 0;
    uint32_t v = 0;
    for (size_t k = 0; k < digits; k++) {
        int h = hexval(p[k]);
        if (h < 0) return 0;
        v = v * 16 + (uint32_t)h;
    }
    *out = v;
    return 1;
}

/* Decodes the escape starting at in[i] == '\\'; returns input bytes consumed (0: not an escape). */
static size_t unescape_one(const uint8_t *in, size_t n, size_t i, size_t base, ak_buf *out,
                           ak_u32vec *map)
{
    if (i + 1 >= n) return 0;
    static const char from[] = "ntrbfv0\"'\\/";
    static const char to[] = "\n\t\r\b\f\v\0\"'\\/";
    const char *k = memchr(from, in[i + 1], sizeof from - 1);
    uint32_t cp;
    if (k) {
        emit(out, map, (uint8_t)to[k - from], base + i);
        return 2;
    }
    if (in[i + 1] == 'u' && hex_run(in + i + 2, n - i - 2, 4, &cp)) {
        emit_utf8(out, map, cp, base + i);
        return 6;
    }
    if (in[i + 1] == 'x' && hex_run(in + i + 2, n - i - 2, 2, &cp)) {
        emit(out, map, (uint8_t)cp, base + i);
        return 4;
    }
    return 0;
}

/* Reads in[i..): the input bytes one decoding step consumed (having emitted its output), or 0 when
 * in[i] is plain text. */
typedef size_t (*step_fn)(const uint8_t *in, size_t n, size_t i, size_t base, ak_buf *out,
                          ak_u32vec *map);

/* Copies in[0..n) to out, letting `step` decode what it recognises; returns how many steps did. */
static size_t transform(const uint8_t *in, size_t n, size_t base, ak_buf *out, ak_u32vec *map,
                        step_fn step)
{
    size_t steps = 0;
    for (size_t i = 0; i < n;) {
        size_t used = step(in, n, i, base, out, map);
        if (used) {
            i += used;
            steps++;
        } else {
            emit(out, map, in[i], base + i);
            i++;
        }
    }
    return steps;
}

static size_t unescape_step(const uint8_t *in, size_t n, size_t i, size_t base, ak_buf *out,
                            ak_u32vec *map)
{
    return in[i] == '\\' ? unescape_one(in, n, i, base, out, map) : 0;
}

size_t ak_unescape(const uint8_t *in, size_t n, size_t base, ak_buf *out, ak_u32vec *map)
{
    return transform(in, n, base, out, map, unescape_step);
}

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t ak_join_at(const uint8_t *in, size_t n, size_t i)
{
    uint8_t q = in[i];
    if ((q != '"' && q != '\'' && q != '`') || i == 0 || !ak_is_b64(in[i - 1])) return 0;
    size_t k = i + 1;
    int op = 0;
    while (k < n && k - i < 64) {
        if (is_blank(in[k])) {
            k++;
        } else if (in[k] == '\\' && k + 1 < n && (in[k + 1] == '\n' || in[k + 1] == '\r')) {
            k += 2; /* a line continuation */
        } else if (!op && strchr("+.&|", in[k])) {
            /* + (C-like languages), . (PHP), & (VB), .. (Lua), || (SQL) */
            op = 1;
            k += k + 1 < n && (in[k] == '.' || in[k] == '|') && in[k + 1] == in[k] ? 2 : 1;
        } else {
            break;
        }
    }
    if (k + 1 >= n || in[k] != q || !ak_is_b64(in[k + 1])) return 0;
    return k + 1 - i;
}

static size_t join_step(const uint8_t *in, size_t n, size_t i, size_t base, ak_buf *out,
                        ak_u32vec *map)
{
    (void)base, (void)out, (void)map; /* a join emits nothing: the quotes and blanks go */
    return ak_join_at(in, n, i);
}

size_t ak_join_literals(const uint8_t *in, size_t n, size_t base, ak_buf *out, ak_u32vec *map)
{
    return transform(in, n, base, out, map, join_step);
}

void ak_utf16le_decode(const uint8_t *in, size_t n, size_t base, ak_buf *out, ak_u32vec *map)
{
    size_t i = 0;
    if (n >= 2 && in[0] == 0xff && in[1] == 0xfe) i = 2;
    for (; i + 1 < n; i += 2) {
        uint32_t u = (uint32_t)in[i] | ((uint32_t)in[i + 1] << 8);
        size_t used = 2;
        if (u >= 0xd800 && u < 0xdc00 && i + 3 < n) {
            uint32_t lo = (uint32_t)in[i + 2] | ((uint32_t)in[i + 3] << 8);
            if (lo >= 0xdc00 && lo < 0xe000) {
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                used = 4;
            } else {
                u = 0xfffd;
            }
        } else if (u >= 0xd800 && u < 0xe000) {
            u = 0xfffd;
        }
        emit_utf8(out, map, u, base + i);
        i += used - 2;
    }
}

int ak_looks_utf16le(const uint8_t *data, size_t len)
{
    if (len >= 2 && data[0] == 0xff && data[1] == 0xfe) return 1;
    size_t n = len < 4096 ? len : 4096;
    if (n < 16 || !memchr(data, 0, n)) return 0; /* the common case: text without NUL bytes */
    size_t units = n / 2, ascii = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        if (data[i + 1] == 0 && data[i] >= 0x09 && data[i] < 0x7f) ascii++;
    return ascii * 10 >= units * 9;
}
