/* Escaping of untrusted strings for every report format: see escape.h. */
#include "report/escape.h"

#include <string.h>

/* The lead byte gives the sequence length, the payload bits it carries, and the smallest code
 * point that needs that length (anything below is an overlong form). */
static size_t utf8_lead(unsigned char c, uint32_t *bits, uint32_t *min)
{
    if (c >= 0xc2 && c <= 0xdf) return *bits = c & 0x1f, *min = 0x80, 2;
    if ((c & 0xf0) == 0xe0) return *bits = c & 0x0f, *min = 0x800, 3;
    if (c >= 0xf0 && c <= 0xf4) return *bits = c & 0x07, *min = 0x10000, 4;
    return 0;
}

size_t ak_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t v = 0, min = 0;
    if (n == 0) return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = utf8_lead(s[0], &v, &min);
    if (len == 0 || len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return len;
}

/* Code points that change how a terminal shows the rest of the line, or break it. */
static int text_hidden(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x200e && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

static const char *html_entity(uint32_t cp)
{
    switch (cp) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

void ak_escape_append(ak_buf *out, const char *s, ak_esc_mode mode)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = s ? strlen(s) : 0;
    size_t i = 0;
    while (i < n) {
        uint32_t cp = 0;
        size_t len = ak_utf8_decode(p + i, n - i, &cp);
        if (len == 0) {
            ak_buf_printf(out, "\\x%02x", p[i++]);
            continue;
        }
        int text = mode != AK_ESC_JSON;
        if (mode == AK_ESC_HTML && html_entity(cp))
            ak_buf_puts(out, html_entity(cp));
        else if (text && (cp < 0x20 || cp == 0x7f))
            ak_buf_printf(out, "\\x%02x", (unsigned)cp);
        else if (text && text_hidden(cp))
            ak_buf_printf(out, "\\u{%04x}", (unsigned)cp);
        else
            ak_buf_append(out, p + i, len);
        i += len;
    }
}

json_t *ak_escape_json_string(const char *s)
{
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    ak_buf b = AK_BUF_INIT;
    ak_escape_append(&b, s, AK_ESC_JSON);
    j = json_string(ak_buf_cstr(&b));
    ak_buf_free(&b);
    return j ? j : json_null();
}

void ak_escape_uri_append(ak_buf *out, const char *path)
{
    for (const unsigned char *p = (const unsigned char *)path; p && *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
            ak_buf_putc(out, (char)c);
        else
            ak_buf_printf(out, "%%%02X", c);
    }
}
