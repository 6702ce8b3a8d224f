/*
 * GitLab enumeration: GET /groups/GROUP/projects?include_subgroups=true, 100 per page, following
 * X-Next-Page (GitLab's own pagination header; keyset Link headers are followed when it is
 * absent). GROUP may be a path with subgroups ("a/b"); it is percent-encoded as one path segment.
 * Works against gitlab.com and self-hosted GitLab (--api-url https://HOST/api/v4).
 */
#include "sources/org.h"
#include "sources/org_http.h"
#include "util/mem.h"

#include <jansson.h>
#include <string.h>

static const char gitlab_api[] = "https://gitlab.com/api/v4";

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int add_project(ak_org_list *out, const json_t *o)
{
    const char *full = jstr(o, "path_with_namespace"), *clone = jstr(o, "http_url_to_repo");
    const char *web = jstr(o, "web_url");
    if (!full || !clone) return -1;
    char *name = NULL, *derived_web = NULL;
    ak_forge forge;
    if (ak_org_url_parse(web ? web : clone, &name, &derived_web, &forge)) return -1;
    char *slash = strchr(name, '/');
    ak_buf n = AK_BUF_INIT;
    ak_buf_append(&n, name, (size_t)(slash - name));
    ak_buf_printf(&n, "/%s", full);
    const json_t *fork = json_object_get(o, "forked_from_project");
    ak_org_list_add(out, n.data, clone, web ? web : derived_web, AK_FORGE_GITLAB,
                    fork && !json_is_null(fork), json_is_true(json_object_get(o, "archived")));
    ak_buf_free(&n);
    free(name);
    free(derived_web);
    return 0;
}

static int parse_page(ak_org_list *out, const ak_buf *body, ak_buf *err)
{
    json_error_t je;
    json_t *arr = json_loadb(body->data ? body->data : "", body->len, 0, &je);
    if (!json_is_array(arr)) {
        ak_buf_puts(err, "the answer is not a JSON array of projects");
        json_decref(arr);
        return -1;
    }
    size_t i;
    json_t *o;
    int bad = 0;
    json_array_foreach(arr, i, o) bad |= add_project(out, o);
    json_decref(arr);
    if (bad) ak_buf_puts(err, "a project without path_with_namespace or http_url_to_repo");
    return bad ? -1 : 0;
}

static void first_url(ak_buf *url, const char *base, const char *group, const char *page)
{
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    ak_buf_printf(url, "%.*s/groups/", (int)bl, base);
    for (const char *p = group; *p; p++) {
        if (*p == '/')
            ak_buf_puts(url, "%2F");
        else
            ak_buf_putc(url, *p);
    }
    ak_buf_printf(url, "/projects?include_subgroups=true&with_shared=false&per_page=100&page=%s",
                  page);
}

/* The URL of the next page, or NULL at the end. */
static char *next_url(const ak_org_http *resp, const char *base, const char *group, ak_buf *err)
{
    if (resp->next_page) {
        for (const char *p = resp->next_page; *p; p++)
            if (*p < '0' || *p > '9') {
                ak_buf_puts(err, "a malformed X-Next-Page header");
                return NULL;
            }
        ak_buf u = AK_BUF_INIT;
        first_url(&u, base, group, resp->next_page);
        return ak_buf_detach(&u);
    }
    if (resp->link_next && ak_org_url_same_origin(resp->link_next, base))
        return ak_strdup(resp->link_next);
    return NULL;
}

int ak_org_list_gitlab(ak_org_list *out, const char *group, ak_org_api *api, ak_buf *err)
{
    if (!ak_org_name_ok(group)) {
        ak_buf_printf(err, "'%s' is not a GitLab group path", group);
        return -1;
    }
    const char *base = api->api_url ? api->api_url : gitlab_api;
    ak_buf u = AK_BUF_INIT;
    first_url(&u, base, group, "1");
    char *url = ak_buf_detach(&u);
    int rc = 0;
    while (url && !rc) {
        ak_org_http resp;
        rc = ak_org_http_get(api, url, "PRIVATE-TOKEN: ", &resp, err);
        if (!rc) rc = parse_page(out, &resp.body, err);
        free(url);
        url = rc ? NULL : next_url(&resp, base, group, err);
        if (!url && err->len) rc = -1;
        ak_org_http_free(&resp);
    }
    free(url);
    return rc;
}
