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

static int gitlab_is_fork(const json_t *project)
{
    const json_t *from = json_object_get(project, "forked_from_project");
    return from && !json_is_null(from);
}

static const ak_forge_fields gitlab_fields = {
    "path_with_namespace", "http_url_to_repo", "web_url", "last_activity_at", "projects",
    AK_FORGE_GITLAB,       gitlab_is_fork};

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
        int entries = rc ? -1 : ak_org_parse_page(out, &resp.body, &gitlab_fields, err);
        if (entries < 0) rc = -1;
        free(url);
        url = rc || !entries ? NULL : next_url(&resp, base, group, err); /* empty page: the end */
        if (!url && err->len) rc = -1;
        ak_org_http_free(&resp);
    }
    free(url);
    return rc;
}
