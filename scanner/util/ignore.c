/* Path exclusion: see ignore.h. Hand-written because fnmatch(3) has no '**'. */
#include "util/ignore.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int class_match(const char **pp, char c)
{
    const char *p = *pp + 1;
    int negate = *p == '!' || *p == '^', hit = 0;
    if (negate) p++;
    for (int first = 1; *p && (first || *p != ']'); first = 0, p++) {
        if (p[1] == '-' && p[2] && p[2] != ']') {
            hit |= c >= p[0] && c <= p[2];
            p += 2;
        } else {
            hit |= c == *p;
        }
    }
    if (*p != ']') return -1; /* unterminated: treat '[' literally */
    *pp = p + 1;
    return hit != negate;
}

int ak_glob_match(const char *p, const char *s)
{
    for (; *p;) {
        if (p[0] == '*' && p[1] == '*') {
            const char *rest = p + 2;
            if (*rest == '/') rest++;
            for (const char *t = s;; t++) {
                if (ak_glob_match(rest, t)) return 1;
                if (!*t) return 0;
            }
        }
        if (*p == '*') {
            for (const char *t = s;; t++) {
                if (ak_glob_match(p + 1, t)) return 1;
                if (!*t || *t == '/') return 0;
            }
        }
        if (!*s) return 0;
        if (*p == '?') {
            if (*s == '/') return 0;
            p++, s++;
            continue;
        }
        if (*p == '[') {
            const char *q = p;
            int m = class_match(&q, *s);
            if (m == 0) return 0;
            if (m == 1) {
                p = q, s++;
                continue;
            }
        }
        if (*p == '\\' && p[1]) p++;
        if (*p != *s) return 0;
        p++, s++;
    }
    return *s == '\0';
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

int ak_ignore_add_file(ak_ignore *ig, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : -1;
    char line[4096];
    while (fgets(line, sizeof line, f)) ak_ignore_add(ig, line);
    fclose(f);
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
