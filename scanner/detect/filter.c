/* Filters: see filter.h. */
#include "detect/filter.h"
#include "detect/words.h"

#include "util/clock.h"

#include <math.h>
#include <string.h>
#include <strings.h>

double ak_entropy(const char *s, size_t n)
{
    unsigned counts[256] = {0};
    for (size_t i = 0; i < n; i++) counts[(uint8_t)s[i]]++;
    double h = 0;
    for (int c = 0; c < 256; c++) {
        if (!counts[c]) continue;
        double p = (double)counts[c] / (double)n;
        h -= p * log2(p);
    }
    return h;
}

unsigned ak_char_classes(const char *s, size_t n)
{
    int up = 0, lo = 0, dg = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        up |= c >= 'A' && c <= 'Z';
        lo |= c >= 'a' && c <= 'z';
        dg |= c >= '0' && c <= '9';
    }
    return (unsigned)(up + lo + dg);
}

static int has_word(const char *s, size_t n, const char *w)
{
    size_t m = strlen(w);
    char first = (char)(w[0] | 0x20); /* cheap first-byte test before the full comparison */
    for (size_t i = 0; m && i + m <= n; i++)
        if ((char)(s[i] | 0x20) == first && !strncasecmp(s + i, w, m)) return 1;
    return 0;
}

static int has_repeat(const char *s, size_t n, unsigned max)
{
    unsigned run = 1;
    for (size_t i = 1; max && i < n; i++) {
        run = s[i] == s[i - 1] ? run + 1 : 1;
        if (run >= max) return 1;
    }
    return 0;
}

static int has_sequence(const char *s, size_t n, unsigned max)
{
    unsigned up = 1, down = 1;
    for (size_t i = 1; max && i < n; i++) {
        up = s[i] == s[i - 1] + 1 ? up + 1 : 1;
        down = s[i] == s[i - 1] - 1 ? down + 1 : 1;
        if (up >= max || down >= max) return 1;
    }
    return 0;
}

int ak_is_placeholder(const ak_placeholders *p, const char *s, size_t n)
{
    for (size_t i = 0; i < p->words.len; i++)
        if (has_word(s, n, p->words.items[i])) return 1;
    if (has_repeat(s, n, p->max_repeat) || has_sequence(s, n, p->max_sequence)) return 1;
    return p->max_word_coverage > 0 && ak_spelled_from_words(s, n, p->max_word_coverage);
}

/* A mask written after a value, in any of the escapes documentation uses for '*'. */
static int mask_after(const uint8_t *buf, size_t len, size_t end)
{
    static const char *const marks[] = {"*",       "\\*",     "&#42;",        "&#x2a;",
                                        "&ast;",   "%2a",     "\xe2\x80\xa6", "...",
                                        "<redact", "[redact", "(redact",      "&lt;redact"};
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
        size_t m = strlen(marks[i]);
        if (end + m <= len && !strncasecmp((const char *)buf + end, marks[i], m)) return 1;
    }
    return 0;
}

int ak_in_template(const uint8_t *buf, size_t len, size_t start, size_t end)
{
    uint8_t before = start >= 1 ? buf[start - 1] : 0;
    uint8_t before2 = start >= 2 ? buf[start - 2] : 0;
    uint8_t after = end < len ? buf[end] : 0;
    if (before == '{' && (before2 == '$' || before2 == '{' || before2 == '%')) return 1;
    if (before == '*' || mask_after(buf, len, end)) return 1; /* "LTAI4G...****" in docs */
    if (before == '<' && after == '>') return 1;
    if (before == '(' && before2 == '%' && after == ')') return 1;
    return 0;
}

/* [a, b): the URL-like run around buf[start..end), up to blanks, quotes or angle brackets. */
static void url_bounds(const uint8_t *buf, size_t len, size_t start, size_t end, size_t *a,
                       size_t *b)
{
    static const char stop[] = " \t\r\n\"'<>`";
    size_t i = start, j = end;
    while (i > 0 && start - i < 4096 && !memchr(stop, buf[i - 1], sizeof stop - 1)) i--;
    while (j < len && j - end < 4096 && !memchr(stop, buf[j], sizeof stop - 1)) j++;
    *a = i;
    *b = j;
}

static int preceded_by(const uint8_t *buf, size_t start, const char *w)
{
    size_t m = strlen(w);
    return start >= m && !strncasecmp((const char *)buf + start - m, w, m);
}

int ak_in_presigned_url(const uint8_t *buf, size_t len, size_t start, size_t end)
{
    /* OSSAccessKeyId= / AccessKeyId= (signature V1), x-oss-credential= (V4) */
    if (!preceded_by(buf, start, "accesskeyid=") && !preceded_by(buf, start, "credential="))
        return 0;
    size_t a, b;
    url_bounds(buf, len, start, end, &a, &b);
    const char *url = (const char *)buf + a;
    return has_word(url, b - a, "signature=") && has_word(url, b - a, "expires=");
}

long long ak_expiration_near(const uint8_t *buf, size_t len, size_t off, unsigned lines)
{
    size_t a = off, b = off;
    for (unsigned n = 0; n <= lines && a > 0; n++)
        for (a--; a > 0 && buf[a - 1] != '\n'; a--) continue;
    for (unsigned n = 0; n <= lines && b < len; n++)
        for (b++; b < len && buf[b - 1] != '\n'; b++) continue;
    static const char word[] = "expiration";
    for (size_t i = a; i + sizeof word < b; i++) {
        if (strncasecmp((const char *)buf + i, word, sizeof word - 1)) continue;
        size_t j = i + sizeof word - 1;
        while (j < b && j - i < 24 && !(buf[j] >= '0' && buf[j] <= '9')) j++;
        long long t = ak_iso8601_at((const char *)buf + j, b - j);
        if (t >= 0) return t;
    }
    return -1;
}

int ak_allowed_inline(const uint8_t *buf, size_t len, size_t off)
{
    static const char mark[] = "akhound:allow";
    size_t start = off, end = off;
    while (start > 0 && buf[start - 1] != '\n') start--;
    if (start > 0) { /* include the previous line */
        start--;
        while (start > 0 && buf[start - 1] != '\n') start--;
    }
    while (end < len && buf[end] != '\n') end++;
    return memmem(buf + start, end - start, mark, sizeof mark - 1) != NULL;
}

int ak_value_passes(const ak_rule *r, const ak_placeholders *p, const char *value, size_t n)
{
    size_t plen = r->prefix ? strlen(r->prefix) : 0;
    size_t skip = plen && n >= plen && !strncmp(value, r->prefix, plen) ? plen : 0;
    const char *body = value + skip;
    size_t m = n - skip;
    if (r->length && n != r->length) return 0;
    if (r->min_classes && ak_char_classes(body, m) < r->min_classes) return 0;
    if (r->min_entropy > 0 && ak_entropy(body, m) < r->min_entropy) return 0;
    return !ak_is_placeholder(p, body, m);
}
