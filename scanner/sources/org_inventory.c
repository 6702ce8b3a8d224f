/*
 * The inventory of an organization scan: per repository, every finding ever found, one per
 * fingerprint, with its status over time, so the org report is always the whole current picture
 * (not just what one run happened to scan) and survives any interruption.
 *
 * Each repository's inventory is one JSONL file beside its state (<cache>/<name>.inventory.jsonl):
 * the finding as `--format jsonl --show-secrets` writes it (the mirror beside it holds the same
 * secrets), plus "run", the run id of its last change of status. It is replaced atomically
 * (temporary file, fsync, rename) before the repository's state advances, so a crash between the
 * two only makes the next run scan those blobs again and find the same entries.
 *
 * Status: "new" and "reappeared" belong to the run that set them (the run id); a later run reads
 * them as "open". A run interrupted by SIGTERM or kill -9 is continued by the next run of the same
 * scope (org_run_begin), which keeps its id, so what the interrupted run found is still new.
 */
#include "report/json.h"
#include "sources/org.h"
#include "util/clock.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void ak_org_inventory_free(ak_org_inventory *inv)
{
    for (size_t i = 0; i < inv->items.len; i++) free(inv->runs[i]);
    free(inv->runs);
    ak_findings_free(&inv->items);
    memset(inv, 0, sizeof *inv);
}

/* Appends f (consumed) with its run id. */
static void add_entry(ak_org_inventory *inv, ak_finding *f, const char *run)
{
    size_t cap = inv->items.cap;
    ak_findings_push(&inv->items, f);
    if (inv->items.cap != cap || !inv->runs)
        inv->runs = ak_realloc(inv->runs, inv->items.cap * sizeof *inv->runs);
    inv->runs[inv->items.len - 1] = ak_strdup(run ? run : "");
}

static int load_line(ak_org_inventory *inv, const char *line, size_t len, ak_buf *err)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, 0, &je);
    ak_finding f;
    int rc = ak_finding_from_json(&f, o, err);
    if (!rc && (!f.status || !f.first_seen || !f.last_seen || !f.repository)) {
        ak_buf_puts(err, "not an inventory entry");
        ak_finding_free(&f);
        rc = -1;
    }
    if (!rc) add_entry(inv, &f, json_string_value(json_object_get(o, "run")));
    json_decref(o);
    return rc;
}

int ak_org_inventory_load(ak_org_inventory *inv, const char *path, ak_buf *err)
{
    memset(inv, 0, sizeof *inv);
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT) return 0;
        ak_buf_printf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    int rc = 0;
    ak_buf why = AK_BUF_INIT;
    while (!rc && (n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (n > 1 && load_line(inv, line, (size_t)n, &why)) {
            ak_buf_printf(err, "%s:%u: %s", path, lineno, ak_buf_cstr(&why));
            rc = -1;
        }
    }
    free(line);
    ak_buf_free(&why);
    fclose(f);
    return rc;
}

int ak_org_inventory_save(const ak_org_inventory *inv, const char *path, ak_buf *err)
{
    ak_buf out = AK_BUF_INIT;
    for (size_t i = 0; i < inv->items.len; i++) {
        json_t *o = ak_finding_to_json(&inv->items.items[i], 1);
        json_object_set_new(o, "run", json_string(inv->runs[i]));
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        ak_buf_puts(&out, s);
        ak_buf_putc(&out, '\n');
        free(s);
        json_decref(o);
    }
    int rc = ak_org_write_atomic(path, out.data ? out.data : "", out.len, err);
    if (out.data) memset(out.data, 0, out.len); /* it held secrets */
    ak_buf_free(&out);
    return rc;
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = ak_strdup(s);
}

static void set_status(ak_org_inventory *inv, size_t i, const char *status, const char *run_id)
{
    inv->items.items[i].status = ak_status_intern(status);
    set_str(&inv->runs[i], run_id);
}

static ssize_t find_entry(const ak_org_inventory *inv, const char *fp)
{
    for (size_t i = 0; i < inv->items.len; i++)
        if (!strcmp(inv->items.items[i].fingerprint, fp)) return (ssize_t)i;
    return -1;
}

void ak_org_inventory_merge(ak_org_inventory *inv, ak_findings *found, int complete,
                            const char *run_id, const char *now)
{
    size_t old = inv->items.len;
    uint8_t *seen = ak_calloc(old + 1, 1);
    for (size_t k = 0; k < found->len; k++) {
        ak_finding *f = &found->items[k];
        ssize_t i = find_entry(inv, f->fingerprint);
        if (i < 0) { /* first time: new */
            f->status = ak_status_intern("new");
            f->first_seen = ak_strdup(now);
            f->last_seen = ak_strdup(now);
            ak_finding_scope(f);
            add_entry(inv, f, run_id);
            continue;
        }
        ak_finding *e = &inv->items.items[i];
        if ((size_t)i < old) seen[i] = 1;
        if (!strcmp(e->status, "resolved")) set_status(inv, (size_t)i, "reappeared", run_id);
        set_str(&e->last_seen, now);
        ak_finding_free(f);
    }
    found->len = 0;
    for (size_t i = 0; i < old; i++) {
        ak_finding *e = &inv->items.items[i];
        if (seen[i] || !strcmp(e->status, "resolved")) continue;
        if (complete)
            set_status(inv, i, "resolved", run_id);
        else
            set_str(&e->last_seen, now);
    }
    free(seen);
}

void ak_org_inventory_report(ak_org_inventory *inv, const char *run_id, ak_findings *out)
{
    for (size_t i = 0; i < inv->items.len; i++) {
        ak_finding *e = &inv->items.items[i];
        int mine = !strcmp(inv->runs[i], run_id);
        if (!mine && (!strcmp(e->status, "new") || !strcmp(e->status, "reappeared")))
            e->status = ak_status_intern("open");
        ak_findings_push(out, e);
        free(inv->runs[i]);
    }
    free(inv->runs);
    free(inv->items.items);
    memset(inv, 0, sizeof *inv);
}

/* ---------- runs ---------- */

void ak_org_runmark_free(ak_org_runmark *m)
{
    free(m->path);
    free(m->id);
    memset(m, 0, sizeof *m);
}

static int write_mark(ak_org_runmark *m, int finished, ak_buf *err)
{
    json_t *o =
        json_pack("{s:s, s:b, s:I}", "run", m->id, "finished", finished, "seq", (json_int_t)m->seq);
    char *s = json_dumps(o, JSON_COMPACT);
    int rc = ak_org_write_atomic(m->path, s, strlen(s), err);
    free(s);
    json_decref(o);
    return rc;
}

int ak_org_run_begin(ak_org_runmark *m, const char *cache, const char *scope, ak_buf *err)
{
    memset(m, 0, sizeof *m);
    char h[65];
    ak_sha256_hex(scope, strlen(scope), h);
    ak_buf p = AK_BUF_INIT;
    ak_buf_printf(&p, "%s/run-%.16s.json", cache, h);
    m->path = ak_buf_detach(&p);
    json_t *o = json_load_file(m->path, 0, NULL);
    const char *id = json_string_value(json_object_get(o, "run"));
    json_int_t seq = json_integer_value(json_object_get(o, "seq"));
    m->seq = seq > 0 ? (unsigned long)seq : 0;
    if (id && *id && json_is_false(json_object_get(o, "finished"))) {
        m->id = ak_strdup(id);
        m->resumed = 1;
    }
    json_decref(o);
    if (m->resumed) return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char now[21];
    ak_iso8601(now, (time_t)ts.tv_sec);
    ak_buf_printf(&p, "%s.%09ld-%ld", now, (long)ts.tv_nsec, (long)getpid());
    m->id = ak_buf_detach(&p);
    m->seq++;
    return write_mark(m, 0, err);
}

int ak_org_run_end(ak_org_runmark *m, ak_buf *err)
{
    return write_mark(m, 1, err);
}
