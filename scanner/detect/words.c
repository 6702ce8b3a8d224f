/* Word-likeness: see words.h. Hand-written because no installed library segments text into
 * dictionary words; the list is small enough for a sorted array and prefix-narrowing search. */
#include "detect/words.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* The sorted, newline-separated list (Makefile: $(BUILD)/gen/words.txt, NUL-terminated). A word
 * is named by the offset of its first letter; searches bisect byte offsets and step back to the
 * line start, so no index has to be built at start-up. */
extern const char ak_words_text[];
#define T ak_words_text

static size_t text_len;
/* [two_lo[ab], two_hi[ab]): the words starting with letters a b, so a search starts two letters
 * deep instead of bisecting the whole list */
static uint32_t two_lo[26 * 26], two_hi[26 * 26];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static size_t line_start(size_t pos)
{
    while (pos > 0 && T[pos - 1] != '\n') pos--;
    return pos;
}

static size_t word_len(size_t w)
{
    size_t n = 0;
    while (T[w + n] && T[w + n] != '\n') n++;
    return n;
}

/* Character i of the word at w, or 0 past its end (so shorter words sort first, as in the list). */
static char word_char(size_t w, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (!T[w + k] || T[w + k] == '\n') return 0;
    return T[w + i] == '\n' ? 0 : T[w + i];
}

/* The first word in [lo, hi) whose character i is >= c (> c when `after`), or hi. */
static size_t first_from(size_t lo, size_t hi, size_t i, char c, int after)
{
    while (lo < hi) {
        size_t m = line_start(lo + (hi - lo) / 2);
        char x = word_char(m, i);
        if (x < c || (after && x == c))
            lo = m + word_len(m) + 1;
        else
            hi = m;
    }
    return lo;
}

/* Narrows [lo, hi), words sharing their first i characters, to those whose character i is c. */
static void narrow(size_t *lo, size_t *hi, size_t i, char c)
{
    size_t a = first_from(*lo, *hi, i, c, 0);
    *hi = first_from(a, *hi, i, c, 1);
    *lo = a;
}

static void build_index(void)
{
    text_len = strlen(T);
    for (char a = 'a'; a <= 'z'; a++) {
        size_t lo = 0, hi = text_len;
        narrow(&lo, &hi, 0, a);
        for (char b = 'a'; b <= 'z'; b++) {
            size_t l = lo, h = hi;
            narrow(&l, &h, 1, b);
            two_lo[(a - 'a') * 26 + (b - 'a')] = (uint32_t)l;
            two_hi[(a - 'a') * 26 + (b - 'a')] = (uint32_t)h;
        }
    }
}

/* The letters c may stand for: itself in lower case, or what a leet digit is read as. */
static size_t spellings(char c, const char **out)
{
    static const char *const leet[10] = {"o", "il", "z", "e", "a", "s", "g", "t", "b", "g"};
    static const char abc[] = "abcdefghijklmnopqrstuvwxyz";
    if (c >= '0' && c <= '9') return strlen(*out = leet[c - '0']);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return 0;
    *out = abc + ((c | 0x20) - 'a');
    return 1;
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}
static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

/* One case style: all letters lower, all upper, or the first upper and the rest lower. */
static int one_style(const char *s, size_t i, size_t j)
{
    int up = 0, lo = 0, lo_after_first = 0, letters = 0;
    for (size_t k = i; k < j; k++) {
        up |= is_upper(s[k]) && k > i;
        lo |= is_lower(s[k]);
        lo_after_first |= is_lower(s[k]) && k > i;
        letters += is_upper(s[k]) || is_lower(s[k]);
    }
    if (!letters) return 0;
    if (!up) return 1;             /* lower, or Capitalized */
    return !lo && !lo_after_first; /* UPPER */
}

/* A 2-3 letter word counts only as a whole Capitalized camel-case segment. */
static int camel_segment(const char *s, size_t n, size_t i, size_t j)
{
    if (!is_upper(s[i])) return 0;
    for (size_t k = i + 1; k < j; k++)
        if (!is_lower(s[k])) return 0;
    return j == n || !is_lower(s[j]);
}

typedef struct walk {
    const char *s;
    size_t n, start;
    unsigned char *best; /* best[k]: most characters of s[0..k) covered */
} walk;

static void improve(walk *w, size_t end)
{
    size_t len = end - w->start;
    int counts = len >= 4 ? one_style(w->s, w->start, end)
                          : len >= 2 && camel_segment(w->s, w->n, w->start, end);
    unsigned v = w->best[w->start] + (unsigned)len;
    if (counts && v > w->best[end]) w->best[end] = (unsigned char)v;
}

/* 0 once s[start..j] can no longer be in one case style, so no longer word there can count. */
static int style_holds(const char *s, size_t start, size_t j)
{
    if (j == start || !(is_upper(s[j]) || is_lower(s[j]))) return 1;
    int lower_seen = 0, upper_later = 0;
    for (size_t k = start; k < j; k++) {
        lower_seen |= is_lower(s[k]);
        upper_later |= is_upper(s[k]) && k > start;
    }
    if (is_upper(s[j])) return !lower_seen;
    return !upper_later;
}

/* Follows every dictionary word that starts at w->start through s[j..), spelling leet digits
 * each way they can be read. */
static void follow(walk *w, size_t j, size_t lo, size_t hi)
{
    if (j >= w->n || j - w->start >= 14 || !style_holds(w->s, w->start, j)) return;
    const char *alt = NULL;
    size_t n_alt = spellings(w->s[j], &alt);
    for (size_t a = 0; a < n_alt; a++) {
        size_t l = lo, h = hi;
        narrow(&l, &h, j - w->start, alt[a]);
        if (l == h) continue;
        if (word_len(l) == j + 1 - w->start) improve(w, j + 1);
        follow(w, j + 1, l, h);
    }
}

/* The first two letters through the two_lo/two_hi table, then follow() for the rest. */
static void follow_two(walk *w)
{
    size_t i = w->start;
    if (i + 1 >= w->n || !style_holds(w->s, i, i + 1)) return;
    const char *a = NULL, *b = NULL;
    size_t na = spellings(w->s[i], &a), nb = spellings(w->s[i + 1], &b);
    for (size_t x = 0; x < na; x++)
        for (size_t y = 0; y < nb; y++) {
            unsigned ab = (unsigned)(a[x] - 'a') * 26 + (unsigned)(b[y] - 'a');
            size_t lo = two_lo[ab], hi = two_hi[ab];
            if (lo == hi) continue;
            if (word_len(lo) == 2) improve(w, i + 2);
            follow(w, i + 2, lo, hi);
        }
}

int ak_spelled_from_words(const char *s, size_t n, double share)
{
    if (!n || n > 64) return 0;
    pthread_once(&index_once, build_index);
    unsigned char best[65] = {0};
    unsigned need = (unsigned)(share * (double)n + 0.999999), most = 0;
    walk w = {s, n, 0, best};
    for (size_t i = 0; i < n; i++) {
        /* words starting from i on can add at most n - i characters to the best cover so far:
         * random text stops here early */
        for (size_t k = i; k <= n; k++) most = best[k] > most ? best[k] : most;
        if (most + (n - i) < need) return 0;
        if (best[i] > best[i + 1]) best[i + 1] = best[i];
        w.start = i;
        follow_two(&w);
        if (best[i] > best[i + 1]) best[i + 1] = best[i];
    }
    return best[n] >= need;
}
