/*
 * What the GitHub and GitLab enumerations share: one page of the API's answer is a JSON array of
 * repository objects; each forge names the same facts (full name, clone URL, web URL, fork,
 * archived) with its own keys, described by an ak_forge_fields.
 */
#include "sources/org.h"
#include "report/escape.h"
#include "sources/org_http.h"
#include "util/log.h"
#include "util/mem.h"

#include <limits.h>

#include <jansson.h>
#include <string.h>

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Adds one repository object of the answer; 0, or -1 with a warning when it is skipped. */
static int add_repo(ak_org_list *out, const json_t *o, const ak_forge_fields *f, size_t index)
{
    const char *full = jstr(o, f->full_name), *clone = jstr(o, f->clone_url);
    const char *web = jstr(o, f->web_url);
    char *name = NULL, *derived_web = NULL;
    ak_forge forge;
    if (!full || !clone || !ak_org_name_ok(full) ||
        ak_org_url_parse(web ? web : clone, &name, &derived_web, &forge)) {
        ak_warn("org: skipped entry %zu of a page of %s: no usable %s, %s or %s", index + 1,
                f->what, f->full_name, f->clone_url, f->web_url);
        return -1;
    }
    /* the canonical name is host/full_name whatever the web URL's path looks like */
    char *slash = strchr(name, '/');
    ak_buf n = AK_BUF_INIT;
    ak_buf_append(&n, name, slash ? (size_t)(slash - name) : strlen(name));
    ak_buf_printf(&n, "/%s", full);
    int rc = 0;
    if (!ak_org_clone_url_ok(clone)) { /* file://, a path, ssh, git:// or http to a remote host */
        ak_buf esc = AK_BUF_INIT;
        ak_escape_append(&esc, clone, AK_ESC_TEXT);
        ak_warn("org: %s: skipped: the API gave the clone URL '%s'; only https (or http to a "
                "loopback address) is used",
                n.data, esc.data);
        ak_buf_free(&esc);
        rc = -1;
    } else {
        ak_org_list_add(out, n.data, clone, web ? web : derived_web, f->forge, f->is_fork(o),
                        json_is_true(json_object_get(o, "archived")));
        const char *pushed = jstr(o, f->pushed_at);
        if (pushed && *pushed) out->items[out->len - 1].pushed_at = ak_strdup(pushed);
    }
    ak_buf_free(&n);
    free(name);
    free(derived_web);
    return rc;
}

int ak_org_parse_page(ak_org_list *out, const ak_buf *body, const ak_forge_fields *f, ak_buf *err)
{
    json_error_t je;
    json_t *arr = json_loadb(body->data ? body->data : "", body->len, 0, &je);
    if (!json_is_array(arr)) {
        ak_buf_printf(err, "the answer is not a JSON array of %s", f->what);
        json_decref(arr);
        return -1;
    }
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n; i++) add_repo(out, json_array_get(arr, i), f, i);
    json_decref(arr);
    return n > INT_MAX ? INT_MAX : (int)n;
}
