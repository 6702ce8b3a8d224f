/*
 * GitHub enumeration: GET /orgs/ORG/repos (or /users/USER/repos when ORG is a user), 100 per
 * page, following the Link header's rel="next" as long as it stays on the API's origin. Works
 * against github.com and GitHub Enterprise (--api-url https://HOST/api/v3).
 */
#include "sources/org.h"
#include "sources/org_http.h"
#include "util/mem.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>

static const char github_api[] = "https://api.github.com";

static int github_is_fork(const json_t *repo)
{
    return json_is_true(json_object_get(repo, "fork"));
}

static const ak_forge_fields github_fields = {"full_name",   "clone_url",    "html_url",
                                              "pushed_at",   "repositories", AK_FORGE_GITHUB,
                                              github_is_fork};

int ak_org_name_ok(const char *s)
{
    if (!*s) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!isalnum(*p) && !strchr("._-/", *p)) return 0;
    return strstr(s, "..") == NULL;
}

/* Follows the pages from `url`; returns 0, or -1 (status of the failing answer in *status). */
static int list_pages(ak_org_list *out, const char *base, char *url, ak_org_api *api, long *status,
                      ak_buf *err)
{
    int rc = 0;
    while (url && !rc) {
        ak_org_http resp;
        rc = ak_org_http_get(api, url, "Authorization: Bearer ", &resp, err);
        *status = resp.status;
        int entries = rc ? -1 : ak_org_parse_page(out, &resp.body, &github_fields, err);
        if (entries < 0) rc = -1;
        if (!rc && entries > 0 && resp.link_next) { /* an empty page ends the listing */
            if (!ak_org_url_same_origin(resp.link_next, base)) {
                ak_buf_puts(err, "a next-page link leaves the API host; not followed");
                rc = -1;
            } else if (!strcmp(resp.link_next, url)) {
                ak_buf_puts(err, "a next-page link points to the same page");
                rc = -1;
            }
        }
        free(url);
        url = !rc && entries > 0 && resp.link_next ? ak_strdup(resp.link_next) : NULL;
        ak_org_http_free(&resp);
    }
    free(url);
    return rc;
}

int ak_org_list_github(ak_org_list *out, const char *org, ak_org_api *api, ak_buf *err)
{
    if (!ak_org_name_ok(org) || strchr(org, '/')) {
        ak_buf_printf(err, "'%s' is not a GitHub organization name", org);
        return -1;
    }
    const char *base = api->api_url ? api->api_url : github_api;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    ak_buf url = AK_BUF_INIT;
    ak_buf_printf(&url, "%.*s/orgs/%s/repos?per_page=100&type=all", (int)bl, base, org);
    long status = 0;
    size_t before = out->len;
    int rc = list_pages(out, base, ak_buf_detach(&url), api, &status, err);
    if (rc && status == 404 && out->len == before) { /* not an organization: a user */
        ak_buf_reset(err);
        ak_buf_printf(&url, "%.*s/users/%s/repos?per_page=100&type=owner", (int)bl, base, org);
        rc = list_pages(out, base, ak_buf_detach(&url), api, &status, err);
    }
    ak_buf_free(&url);
    return rc;
}
