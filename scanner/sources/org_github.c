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

int ak_org_name_ok(const char *s)
{
    if (!*s) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!isalnum(*p) && !strchr("._-/", *p)) return 0;
    return strstr(s, "..") == NULL;
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Adds one repository object of the answer; 0, or -1 when it lacks what is needed. */
static int add_repo(ak_org_list *out, const json_t *o)
{
    const char *full = jstr(o, "full_name"), *clone = jstr(o, "clone_url");
    const char *web = jstr(o, "html_url");
    if (!full || !clone) return -1;
    char *name = NULL, *derived_web = NULL;
    ak_forge forge;
    if (ak_org_url_parse(web ? web : clone, &name, &derived_web, &forge)) return -1;
    /* the canonical name is host/full_name whatever the web URL's path looks like */
    char *slash = strchr(name, '/');
    ak_buf n = AK_BUF_INIT;
    ak_buf_append(&n, name, (size_t)(slash - name));
    ak_buf_printf(&n, "/%s", full);
    ak_org_list_add(out, n.data, clone, web ? web : derived_web, AK_FORGE_GITHUB,
                    json_is_true(json_object_get(o, "fork")),
                    json_is_true(json_object_get(o, "archived")));
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
        ak_buf_puts(err, "the answer is not a JSON array of repositories");
        json_decref(arr);
        return -1;
    }
    size_t i;
    json_t *o;
    int bad = 0;
    json_array_foreach(arr, i, o) bad |= add_repo(out, o);
    json_decref(arr);
    if (bad) ak_buf_puts(err, "a repository without full_name or clone_url");
    return bad ? -1 : 0;
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
        if (!rc) rc = parse_page(out, &resp.body, err);
        free(url);
        url = NULL;
        if (!rc && resp.link_next) {
            if (!ak_org_url_same_origin(resp.link_next, base)) {
                ak_buf_puts(err, "a next-page link leaves the API host; not followed");
                rc = -1;
            } else {
                url = ak_strdup(resp.link_next);
            }
        }
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
