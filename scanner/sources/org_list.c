/*
 * The repository list of an organization scan, whatever produced it: a file of clone URLs, or the
 * GitHub / GitLab enumerations. This file owns what is done to the list (sorting, filters, the
 * shard partition) and what is derived from a repository's name and URL (canonical names, cache
 * file names, web links), so every source of repositories is treated alike.
 *
 * The shard of a repository depends only on its canonical name (FNV-1a 64, mod N): N workers that
 * enumerate the same organization, in any order, split it into N disjoint parts that cover it.
 */
#include "sources/org.h"
#include "sources/org_http.h"
#include "util/ignore.h"
#include "util/mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ak_org_list_add(ak_org_list *l, const char *name, const char *clone_url, const char *web_url,
                     ak_forge forge, int fork, int archived)
{
    AK_GROW(l->items, l->cap, l->len);
    ak_org_repo *r = &l->items[l->len++];
    r->name = ak_strdup(name);
    r->clone_url = ak_strdup(clone_url);
    r->web_url = web_url ? ak_strdup(web_url) : NULL;
    r->forge = forge;
    r->fork = fork;
    r->archived = archived;
    r->pushed_at = NULL;
}

static void repo_free(ak_org_repo *r)
{
    free(r->name);
    free(r->clone_url);
    free(r->web_url);
    free(r->pushed_at);
}

void ak_org_list_free(ak_org_list *l)
{
    for (size_t i = 0; i < l->len; i++) repo_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int repo_cmp(const void *a, const void *b)
{
    return strcmp(((const ak_org_repo *)a)->name, ((const ak_org_repo *)b)->name);
}

void ak_org_list_sort(ak_org_list *l)
{
    if (l->len > 1) qsort(l->items, l->len, sizeof *l->items, repo_cmp);
    size_t k = 0;
    for (size_t i = 0; i < l->len; i++) {
        if (k && !strcmp(l->items[k - 1].name, l->items[i].name))
            repo_free(&l->items[i]);
        else
            l->items[k++] = l->items[i];
    }
    l->len = k;
}

/* ---------- URLs ---------- */

static ak_forge forge_of(const char *host)
{
    if (!strcasecmp(host, "github.com")) return AK_FORGE_GITHUB;
    if (!strcasecmp(host, "gitlab.com")) return AK_FORGE_GITLAB;
    return AK_FORGE_OTHER;
}

/* Splits a URL into host (with a port, when one is given) and path. */
static int split_url(const char *url, ak_buf *host, ak_buf *path)
{
    const char *p = strstr(url, "://");
    const char *rest;
    if (p) {
        rest = p + 3;
        const char *slash = strchr(rest, '/');
        if (!slash) return -1;
        const char *at = memchr(rest, '@', (size_t)(slash - rest));
        if (at) rest = at + 1; /* user information (possibly a token) is never part of a name */
        ak_buf_append(host, rest, (size_t)(slash - rest));
        ak_buf_puts(path, slash + 1);
        return 0;
    }
    /* scp-like user@host:path */
    const char *colon = strchr(url, ':'), *slash = strchr(url, '/');
    if (!colon || (slash && slash < colon)) return -1;
    const char *at = memchr(url, '@', (size_t)(colon - url));
    rest = at ? at + 1 : url;
    ak_buf_append(host, rest, (size_t)(colon - rest));
    ak_buf_puts(path, colon + 1);
    return 0;
}

static void trim_path(ak_buf *path)
{
    while (path->len && path->data[path->len - 1] == '/') path->data[--path->len] = '\0';
    if (path->len > 4 && !strcmp(path->data + path->len - 4, ".git")) {
        path->len -= 4;
        path->data[path->len] = '\0';
    }
    size_t skip = 0;
    while (skip < path->len && path->data[skip] == '/') skip++;
    if (skip) {
        memmove(path->data, path->data + skip, path->len - skip + 1);
        path->len -= skip;
    }
}

int ak_org_url_parse(const char *url, char **name, char **web_url, ak_forge *forge)
{
    ak_buf host = AK_BUF_INIT, path = AK_BUF_INIT, out = AK_BUF_INIT;
    *name = *web_url = NULL;
    int rc = split_url(url, &host, &path);
    if (!rc) trim_path(&path);
    if (!rc && (!host.len || !path.len)) rc = -1;
    if (!rc) {
        for (size_t i = 0; i < host.len; i++) host.data[i] = (char)tolower((uint8_t)host.data[i]);
        *forge = forge_of(host.data);
        ak_buf_printf(&out, "%s/%s", host.data, path.data);
        *name = ak_buf_detach(&out);
        if (*forge != AK_FORGE_OTHER) {
            ak_buf_printf(&out, "https://%s/%s", host.data, path.data);
            *web_url = ak_buf_detach(&out);
        }
    }
    ak_buf_free(&host);
    ak_buf_free(&path);
    ak_buf_free(&out);
    return rc;
}

static char *trim_line(char *s)
{
    while (isspace((uint8_t)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((uint8_t)s[n - 1])) s[--n] = '\0';
    return s;
}

/* The transports a user may write: https, ssh, git://, scp-like user@host:path, and http to a
 * loopback host; never file:// or a local path. */
static int user_url_ok(const char *url)
{
    if (!strstr(url, "://")) return strchr(url, ':') != NULL; /* scp-like; checked by the parse */
    ak_buf scheme = AK_BUF_INIT;
    int ok = !ak_org_url_origin(url, &scheme, NULL, NULL);
    if (ok && strcasecmp(scheme.data, "https") && strcasecmp(scheme.data, "ssh") &&
        strcasecmp(scheme.data, "git"))
        ok = !strcasecmp(scheme.data, "http") && ak_org_url_transport_ok(url);
    ak_buf_free(&scheme);
    return ok;
}

int ak_org_list_file(ak_org_list *out, const char *path, ak_buf *err)
{
    FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "r");
    if (!f) {
        ak_buf_printf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;
    while (!rc && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = trim_line(line), *name, *web;
        ak_forge forge;
        if (!*s || *s == '#') continue;
        if (!user_url_ok(s)) {
            ak_buf_printf(err,
                          "%s:%u: not an https, ssh or git:// clone URL (http only to loopback)",
                          path, lineno);
            rc = -1;
            continue;
        }
        if (ak_org_url_parse(s, &name, &web, &forge)) {
            ak_buf_printf(err, "%s:%u: not a clone URL", path, lineno);
            rc = -1;
            continue;
        }
        ak_org_list_add(out, name, s, web, forge, 0, 0);
        free(name);
        free(web);
    }
    free(line);
    if (f != stdin) fclose(f);
    return rc;
}

/* ---------- filters and shards ---------- */

static int excluded(const ak_org_repo *r, const ak_org_filter *f)
{
    const char *owner_repo = strchr(r->name, '/');
    owner_repo = owner_repo ? owner_repo + 1 : r->name;
    const char *base = strrchr(r->name, '/');
    base = base ? base + 1 : r->name;
    for (size_t i = 0; i < f->n_excludes; i++)
        if (ak_glob_match(f->excludes[i], owner_repo) || ak_glob_match(f->excludes[i], base))
            return 1;
    return 0;
}

size_t ak_org_list_filter(ak_org_list *l, const ak_org_filter *f)
{
    size_t k = 0, dropped = 0;
    for (size_t i = 0; i < l->len; i++) {
        ak_org_repo *r = &l->items[i];
        if ((r->fork && !f->include_forks) || (r->archived && !f->include_archived) ||
            excluded(r, f)) {
            repo_free(r);
            dropped++;
        } else {
            l->items[k++] = *r;
        }
    }
    l->len = k;
    return dropped;
}

uint64_t ak_org_shard_hash(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const uint8_t *p = (const uint8_t *)name; *p; p++) {
        h ^= (uint64_t)tolower(*p);
        h *= 0x100000001b3ull;
    }
    return h;
}

int ak_org_shard_has(const char *name, unsigned k, unsigned n)
{
    return n <= 1 || ak_org_shard_hash(name) % n == k;
}

size_t ak_org_list_shard(ak_org_list *l, unsigned k, unsigned n)
{
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < l->len; i++) {
        if (ak_org_shard_has(l->items[i].name, k, n)) {
            l->items[kept++] = l->items[i];
        } else {
            repo_free(&l->items[i]);
            dropped++;
        }
    }
    l->len = kept;
    return dropped;
}

int ak_org_shard_parse(const char *s, unsigned *k, unsigned *n)
{
    char *end;
    errno = 0;
    unsigned long a = strtoul(s, &end, 10);
    if (errno || end == s || *end != '/' || !isdigit((uint8_t)*s)) return -1;
    const char *s2 = end + 1;
    unsigned long b = strtoul(s2, &end, 10);
    if (errno || end == s2 || *end || !isdigit((uint8_t)*s2) || b == 0 || b > 65536 || a >= b)
        return -1;
    *k = (unsigned)a;
    *n = (unsigned)b;
    return 0;
}

/* ---------- names and links ---------- */

void ak_org_cache_name(const char *name, ak_buf *out)
{
    for (const uint8_t *p = (const uint8_t *)name; *p; p++) {
        if (isalnum(*p) || *p == '.' || *p == '-')
            ak_buf_putc(out, (char)*p);
        else
            ak_buf_printf(out, "_%02X", *p);
    }
}

static void put_url_path(ak_buf *b, const char *path)
{
    for (const uint8_t *p = (const uint8_t *)path; *p; p++) {
        if (isalnum(*p) || strchr("/-._~", *p))
            ak_buf_putc(b, (char)*p);
        else
            ak_buf_printf(b, "%%%02X", *p);
    }
}

char *ak_org_link(const ak_org_repo *r, const char *commit, const char *path, uint32_t line)
{
    if (!r->web_url || !commit) return NULL;
    ak_buf b = AK_BUF_INIT;
    const char *sep = r->forge == AK_FORGE_GITLAB ? "/-" : "";
    if (!path || !strcmp(path, "<commit message>")) {
        ak_buf_printf(&b, "%s%s/commit/%s", r->web_url, sep, commit);
    } else {
        ak_buf_printf(&b, "%s%s/blob/%s/", r->web_url, sep, commit);
        put_url_path(&b, path);
        ak_buf_printf(&b, "#L%u", line);
    }
    return ak_buf_detach(&b);
}
