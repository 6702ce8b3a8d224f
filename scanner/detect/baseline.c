/* Baselines: see baseline.h. */
#include "detect/baseline.h"
#include "util/mem.h"
#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ak_baseline_load(ak_baseline *out, const char *path, ak_buf *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        ak_buf_printf(err, "%s:%d: cannot read baseline: %s", path, je.line, je.text);
        return -1;
    }
    json_t *list = json_object_get(root, "findings");
    if (!json_is_array(list)) {
        ak_buf_printf(err, "%s: not an akhound baseline (no \"findings\" list)", path);
        json_decref(root);
        return -1;
    }
    out->fingerprints = ak_calloc(json_array_size(list) + 1, sizeof(char *));
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *fp = json_string_value(json_object_get(item, "fingerprint"));
        if (fp) out->fingerprints[out->len++] = ak_strdup(fp);
    }
    json_decref(root);
    if (out->len) qsort(out->fingerprints, out->len, sizeof(char *), cmp_str);
    return 0;
}

int ak_baseline_contains(const ak_baseline *b, const char *fingerprint)
{
    return b->len && bsearch(&fingerprint, b->fingerprints, b->len, sizeof(char *), cmp_str);
}

/* Organization findings are matched by their repository-scoped fingerprint: a key accepted in one
 * repository stays reported in another. */
static const char *key_of(const ak_finding *f)
{
    return f->repo_fingerprint[0] ? f->repo_fingerprint : f->fingerprint;
}

size_t ak_baseline_filter(const ak_baseline *b, ak_findings *list)
{
    size_t keep = 0, removed = 0;
    for (size_t i = 0; i < list->len; i++) {
        if (ak_baseline_contains(b, key_of(&list->items[i]))) {
            ak_finding_free(&list->items[i]);
            removed++;
        } else {
            list->items[keep++] = list->items[i];
        }
    }
    list->len = keep;
    return removed;
}

static json_t *entry(const ak_finding *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "fingerprint", json_string(key_of(f)));
    if (f->repository) json_object_set_new(o, "repository", json_string(f->repository));
    json_object_set_new(o, "rule", json_string(f->rule));
    json_object_set_new(o, "path", json_string(f->path));
    json_object_set_new(o, "access_key_id",
                        f->access_key_id ? json_string(f->access_key_id) : json_null());
    return o;
}

int ak_baseline_write(const ak_findings *list, const char *path, ak_buf *err)
{
    json_t *root = json_object(), *arr = json_array();
    json_object_set_new(root, "akhound_baseline", json_integer(1));
    for (size_t i = 0; i < list->len; i++) {
        int seen = 0; /* one entry per fingerprint */
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcmp(key_of(&list->items[k]), key_of(&list->items[i]));
        if (!seen) json_array_append_new(arr, entry(&list->items[i]));
    }
    json_object_set_new(root, "findings", arr);
    int rc = -1;
    int fd = ak_outfile_open(path, 0, err);
    if (fd >= 0 && json_dumpfd(root, fd, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
        write(fd, "\n", 1) == 1)
        rc = 0;
    if (rc && fd >= 0)
        ak_buf_printf(err, "%s: cannot write the baseline: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    json_decref(root);
    return rc;
}

void ak_baseline_free(ak_baseline *b)
{
    for (size_t i = 0; i < b->len; i++) free(b->fingerprints[i]);
    free(b->fingerprints);
    memset(b, 0, sizeof *b);
}
