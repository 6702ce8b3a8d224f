/* Filters: see filter.h. */
#include "detect/filter.h"

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
    return has_repeat(s, n, p->max_repeat) || has_sequence(s, n, p->max_sequence);
}

int ak_in_template(const uint8_t *buf, size_t len, size_t start, size_t end)
{
    uint8_t before = start >= 1 ? buf[start - 1] : 0;
    uint8_t before2 = start >= 2 ? buf[start - 2] : 0;
    uint8_t after = end < len ? buf[end] : 0;
    if (before == '{' && (before2 == '$' || before2 == '{' || before2 == '%')) return 1;
    if (after == '*' || before == '*') return 1; /* masked in documentation: "LTAI4G...****" */
    if (before == '<' && after == '>') return 1;
    if (before == '(' && before2 == '%' && after == ')') return 1;
    return 0;
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

static int has_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9') return 1;
    return 0;
}

int ak_value_passes(const ak_rule *r, const ak_placeholders *p, const char *value, size_t n)
{
    size_t plen = r->prefix ? strlen(r->prefix) : 0;
    size_t skip = plen && n >= plen && !strncmp(value, r->prefix, plen) ? plen : 0;
    const char *body = value + skip;
    size_t m = n - skip;
    if (r->length && n != r->length) return 0;
    if (r->require_digit && !has_digit(body, m)) return 0;
    if (r->min_classes && ak_char_classes(body, m) < r->min_classes) return 0;
    if (r->min_entropy > 0 && ak_entropy(body, m) < r->min_entropy) return 0;
    return !ak_is_placeholder(p, body, m);
}
