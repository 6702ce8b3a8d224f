/* Path exclusion: see ignore.h. Hand-written because fnmatch(3) has no '**'. */
#include "util/ignore.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A bracket class at *pp (inside a segment ending at pe) against c: 1 or 0, with *pp moved past
 * the class; -1 when the class is not closed in the segment (the '[' is then a literal). */
static int class_match(const char **pp, const char *pe, char c)
{
    const char *p = *pp + 1;
    int negate = p < pe && (*p == '!' || *p == '^'), hit = 0;
    if (negate) p++;
    for (int first = 1; p < pe && (first || *p != ']'); first = 0, p++) {
        if (p + 2 < pe && p[1] == '-' && p[2] != ']') {
            hit |= c >= p[0] && c <= p[2];
            p += 2;
        } else {
            hit |= c == *p;
        }
    }
    if (p >= pe) return -1;
    *pp = p + 1;
    return hit != negate;
}

/* One pattern element (literal, '\'-escaped, '?' or class) at *pp against c; moves *pp past it. */
static int match_one(const char **pp, const char *pe, char c)
{
    const char *p = *pp;
    if (*p == '?') {
        *pp = p + 1;
        return 1;
    }
    if (*p == '[') {
        const char *q = p;
        int m = class_match(&q, pe, c);
        if (m == 1) *pp = q;
        if (m >= 0) return m;
    }
    if (*p == '\\' && p + 1 < pe) p++;
    if (*p != c) return 0;
    *pp = p + 1;
    return 1;
}

/* One path component [s, se) against one pattern segment [p, pe) (no '/' in either). Iterative,
 * with one backtrack point: the last '*' seen. A later star makes earlier ones irrelevant (whatever
 * they could have matched differently, the later one absorbs), so the cost is at most
 * len(p) * len(s) steps, where the recursive algorithm was exponential in the number of stars. */
static int match_segment(const char *p, const char *pe, const char *s, const char *se)
{
    const char *star_p = NULL, *star_s = NULL;
    while (s < se) {
        if (p < pe && *p == '*') {
            while (p < pe && *p == '*') p++;
            star_p = p;
            star_s = s;
        } else if (p < pe && match_one(&p, pe, *s)) {
            s++;
        } else if (star_p) {
            p = star_p;
            s = ++star_s;
        } else {
            return 0;
        }
    }
    while (p < pe && *p == '*') p++;
    return p == pe;
}

/* Segment by segment: a "**" segment matches zero or more whole components (one or more when it
 * ends the pattern), any other segment exactly one component. The same single-backtrack-point
 * scheme as in a segment, one level up: on a mismatch the last "**" takes one more component. */
int ak_glob_match(const char *p, const char *s)
{
    const char *star_p = NULL, *star_s = NULL;
    for (;;) {
        if (!*p && !*s) return 1;
        if (*p) {
            const char *pe = strchrnul(p, '/');
            if (pe - p == 2 && p[0] == '*' && p[1] == '*') {
                if (!*pe) return *s != '\0';
                p = star_p = pe + 1;
                star_s = s;
                continue;
            }
            const char *se = strchrnul(s, '/');
            if (*s && match_segment(p, pe, s, se)) {
                p = *pe ? pe + 1 : pe;
                s = *se ? se + 1 : se;
                continue;
            }
        }
        if (!star_p || !*star_s) return 0;
        star_s = strchrnul(star_s, '/');
        if (*star_s) star_s++;
        p = star_p;
        s = star_s;
    }
}

void ak_ignore_add(ak_ignore *ig, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) n--;
    if (!n || line[0] == '#') return;
    ak_ignore_pat pat = {0};
    if (line[0] == '!') {
        pat.negate = 1;
        line++, n--;
    }
    if (n && line[n - 1] == '/') {
        pat.dir_only = 1;
        n--;
    }
    if (!n) return;
    char *g = ak_strndup(line, n);
    pat.anchored = strchr(g, '/') != NULL;
    pat.glob = ak_strdup(g[0] == '/' ? g + 1 : g);
    free(g);
    AK_GROW(ig->items, ig->cap, ig->len);
    ig->items[ig->len++] = pat;
}

int ak_ignore_add_file(ak_ignore *ig, const char *path, ak_buf *err)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return 0;
    struct stat st;
    const char *why = NULL;
    if (fd < 0 || fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    ak_buf text = AK_BUF_INIT;
    while (!why) { /* bounded however the file lies about its size (/proc files say 0) */
        ak_buf_reserve(&text, 65536);
        ssize_t n = read(fd, text.data + text.len, text.cap - text.len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n < 0) why = strerror(errno);
            break;
        }
        text.len += (size_t)n;
        if (text.len > AK_IGNORE_MAX_FILE) why = "larger than 1 MiB";
    }
    if (fd >= 0) close(fd);
    if (why) {
        ak_buf_printf(err, "%s: %s, not applied", path, why);
        ak_buf_free(&text);
        return -1;
    }
    ak_buf_append(&text, "", 0); /* NUL-terminate */
    for (char *line = text.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        if ((nl = strchr(line, '\n'))) *nl = '\0';
        ak_ignore_add(ig, line);
    }
    ak_buf_free(&text);
    return 0;
}

int ak_ignore_match(const ak_ignore *ig, const char *rel, int is_dir)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    int excluded = 0;
    for (size_t i = 0; i < ig->len; i++) {
        const ak_ignore_pat *p = &ig->items[i];
        if (p->dir_only && !is_dir) continue;
        if (ak_glob_match(p->glob, p->anchored ? rel : base)) excluded = !p->negate;
    }
    return excluded;
}

int ak_ignore_match_path(const ak_ignore *ig, const char *rel, int is_dir)
{
    if (!ig->len) return 0;
    char *dir = ak_strdup(rel);
    int excluded = 0;
    for (char *slash = strchr(dir, '/'); slash && !excluded; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        excluded = ak_ignore_match(ig, dir, 1);
        *slash = '/';
    }
    free(dir);
    return excluded || ak_ignore_match(ig, rel, is_dir);
}

void ak_ignore_free(ak_ignore *ig)
{
    for (size_t i = 0; i < ig->len; i++) free(ig->items[i].glob);
    free(ig->items);
    ig->items = NULL;
    ig->len = ig->cap = 0;
}
