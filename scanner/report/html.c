/* The HTML inventory report: see html.h. */
#include "report/html.h"
#include "report/escape.h"
#include "report/json.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/version.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[AK_INV__COUNT] = {"new", "reappeared", "open", "unknown",
                                                        "resolved"};

const char *ak_inv_status_name(ak_inv_status s)
{
    return (unsigned)s < AK_INV__COUNT ? status_names[s] : "unknown";
}

static char *dup_field(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? ak_strdup(s) : NULL;
}

static void take_meta(const json_t *obj, size_t index, void *ctx)
{
    ak_inventory *inv = ctx;
    AK_GROW(inv->meta, inv->meta_cap, index);
    ak_inv_meta *m = &inv->meta[index];
    const char *st = json_string_value(json_object_get(obj, "status"));
    m->status = AK_INV_UNKNOWN;
    for (int i = 0; st && i < AK_INV__COUNT; i++)
        if (!strcmp(st, status_names[i])) m->status = (ak_inv_status)i;
    m->first_seen = dup_field(obj, "first_seen");
    m->last_seen = dup_field(obj, "last_seen");
}

int ak_inventory_read(ak_inventory *inv, const char *path, ak_buf *err)
{
    return ak_findings_read_file_cb(&inv->findings, path, err, take_meta, inv);
}

void ak_inventory_free(ak_inventory *inv)
{
    for (size_t i = 0; i < inv->findings.len; i++) {
        free(inv->meta[i].first_seen);
        free(inv->meta[i].last_seen);
    }
    free(inv->meta);
    ak_findings_free(&inv->findings);
    memset(inv, 0, sizeof *inv);
}

/* ---- the page ---- */

typedef struct page {
    ak_buf b;
    const ak_inventory *inv;
    size_t *order; /* indexes of inv's findings in report order */
    time_t now;
} page;

static const ak_inv_meta *meta_of(const page *p, size_t i)
{
    return &p->inv->meta[p->order[i]];
}

static const ak_finding *finding_of(const page *p, size_t i)
{
    return &p->inv->findings.items[p->order[i]];
}

static int is_open(const ak_inv_meta *m)
{
    return m->status != AK_INV_RESOLVED;
}

static int is_live(const ak_finding *f)
{
    return f->validation && f->validation->status == AK_VAL_VALID;
}

static void esc(page *p, const char *s)
{
    ak_escape_append(&p->b, s, AK_ESC_HTML);
}

/* A table cell holding s escaped, or a dash for NULL. */
static void cell(page *p, const char *s)
{
    if (!s) {
        ak_buf_puts(&p->b, "<td class=\"none\">-</td>");
        return;
    }
    ak_buf_puts(&p->b, "<td>");
    esc(p, s);
    ak_buf_puts(&p->b, "</td>");
}

/* Seconds from the commit that introduced f to now; -1 when its date is unknown. */
static long long age_of(const page *p, const ak_finding *f)
{
    long long t = f->commit ? ak_iso8601_parse(f->commit->date) : -1;
    if (t < 0) return -1;
    return (long long)p->now > t ? (long long)p->now - t : 0;
}

/* An ISO 8601 time shown as its date, the full value in the tooltip. */
static void date_cell(page *p, const char *iso)
{
    if (!iso) {
        cell(p, NULL);
        return;
    }
    char day[11];
    snprintf(day, sizeof day, "%s", iso);
    ak_buf_puts(&p->b, "<td class=\"nw\" title=\"");
    esc(p, iso);
    ak_buf_puts(&p->b, "\">");
    esc(p, day);
    ak_buf_puts(&p->b, "</td>");
}

static void put_age(page *p, long long secs)
{
    if (secs < 0)
        ak_buf_puts(&p->b, "-");
    else if (secs < 2 * 86400)
        ak_buf_printf(&p->b, "%lld hours", secs / 3600);
    else
        ak_buf_printf(&p->b, "%lld days", secs / 86400);
}

static int cmp_order(const void *a, const void *b, void *ctx)
{
    const ak_findings *l = ctx;
    return ak_finding_cmp(&l->items[*(const size_t *)a], &l->items[*(const size_t *)b]);
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d1d1f;background:#fff}"
    "h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.25em;margin:1.6em 0 .4em}"
    ".meta{color:#555}table{border-collapse:collapse;margin:.4em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}td.n{text-align:right}.none{color:#999}"
    ".totals{display:flex;gap:2.5em;flex-wrap:wrap}caption{font-weight:600;text-align:left}"
    "code{font:12px ui-monospace,monospace}.nw{white-space:nowrap}"
    ".st{font-weight:600;padding:0 .4em;border-radius:3px}"
    ".st-new{background:#ffe0b2}.st-reappeared{background:#ffcdd2}.st-open{background:#fff9c4}"
    ".st-unknown{background:#eee}.st-resolved{background:#e0e0e0;color:#555}"
    ".v-valid{color:#fff;background:#c62828;font-weight:700;padding:0 .4em;border-radius:3px}"
    ".small{color:#555;font-size:12px}";

static void put_head(page *p)
{
    ak_buf_puts(&p->b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                       "style-src 'unsafe-inline'\">"
                       "<meta name=\"viewport\" content=\"width=device-width\">"
                       "<title>akhound: leaked Alibaba Cloud AccessKeys</title><style>");
    ak_buf_puts(&p->b, style);
    ak_buf_puts(&p->b, "</style></head>\n<body>\n<h1>Leaked Alibaba Cloud AccessKeys</h1>\n");
}

static size_t count_repositories(const page *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->inv->findings.len; i++) {
        const char *r = finding_of(p, i)->repository,
                   *prev = i ? finding_of(p, i - 1)->repository : 0;
        if (!i || (r != prev && (!r || !prev || strcmp(r, prev)))) n++;
    }
    return n;
}

static void put_summary(page *p)
{
    char as_of[21];
    ak_iso8601(as_of, p->now);
    ak_buf_printf(&p->b,
                  "<p class=\"meta\" id=\"summary\">%zu findings in %zu repositories, as of %s "
                  "(akhound %s).</p>\n",
                  p->inv->findings.len, count_repositories(p), as_of, AK_VERSION);
}

static void total_row(page *p, const char *cls, const char *name, size_t n)
{
    ak_buf_printf(&p->b, "<tr><th><span class=\"%s\">%s</span></th><td class=\"n\">%zu</td></tr>",
                  cls, name, n);
}

static void put_totals(page *p)
{
    size_t st[AK_INV__COUNT] = {0}, verdict[AK_VAL_UNKNOWN + 1] = {0};
    for (size_t i = 0; i < p->inv->findings.len; i++) {
        st[meta_of(p, i)->status]++;
        const ak_validation *v = finding_of(p, i)->validation;
        verdict[v && v->status <= AK_VAL_UNKNOWN ? v->status : AK_VAL_NONE]++;
    }
    ak_buf_puts(&p->b, "<h2>Totals</h2>\n<div class=\"totals\">"
                       "<table id=\"by-status\"><caption>By status</caption>");
    char cls[32];
    for (int s = 0; s < AK_INV__COUNT; s++) {
        snprintf(cls, sizeof cls, "st st-%s", status_names[s]);
        total_row(p, cls, status_names[s], st[s]);
    }
    ak_buf_puts(&p->b, "</table><table id=\"by-verdict\"><caption>By validation verdict</caption>");
    total_row(p, "v-valid", "live (valid)", verdict[AK_VAL_VALID]);
    for (int v = AK_VAL_WRONG_SECRET; v <= AK_VAL_UNKNOWN; v++)
        total_row(p, "", ak_val_status_name((ak_val_status)v), verdict[v]);
    total_row(p, "none", "not validated", verdict[AK_VAL_NONE]);
    ak_buf_puts(&p->b, "</table></div>\n");
}

typedef struct repo_stats {
    size_t open, live, changed, resolved;
    long long oldest;
} repo_stats;

static void put_repo_row(page *p, const char *repo, const repo_stats *s)
{
    ak_buf_puts(&p->b, "<tr>");
    cell(p, repo ? repo : "(no repository)");
    ak_buf_printf(&p->b,
                  "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                  "<td class=\"n\">%zu</td><td>",
                  s->open, s->live, s->changed, s->resolved);
    put_age(p, s->oldest);
    ak_buf_puts(&p->b, "</td></tr>\n");
}

static void put_repositories(page *p)
{
    ak_buf_puts(&p->b, "<h2>By repository</h2>\n<table id=\"repositories\"><thead><tr>"
                       "<th>Repository</th><th>Open</th><th>Live</th><th>New or reappeared</th>"
                       "<th>Resolved</th><th>Oldest open key</th></tr></thead><tbody>\n");
    size_t n = p->inv->findings.len;
    for (size_t i = 0, j; i < n; i = j) {
        repo_stats s = {0, 0, 0, 0, -1};
        const char *repo = finding_of(p, i)->repository;
        for (j = i; j < n; j++) {
            const ak_finding *f = finding_of(p, j);
            if (j > i && (!f->repository != !repo || (repo && strcmp(f->repository, repo)))) break;
            const ak_inv_meta *m = meta_of(p, j);
            if (!is_open(m)) {
                s.resolved++;
                continue;
            }
            s.open++;
            s.live += is_live(f);
            s.changed += m->status == AK_INV_NEW || m->status == AK_INV_REAPPEARED;
            long long age = age_of(p, f);
            if (age > s.oldest) s.oldest = age;
        }
        put_repo_row(p, repo, &s);
    }
    ak_buf_puts(&p->b, "</tbody></table>\n");
}

/* The key's identity: its AccessKey ID, else a prefix of its secret's SHA-256 (never the secret).
 */
static void put_key(page *p, const ak_finding *f)
{
    ak_buf_puts(&p->b, "<td><code>");
    if (f->access_key_id) {
        esc(p, f->access_key_id);
    } else {
        char sha[65];
        if (f->secret)
            ak_sha256_hex(f->secret, strlen(f->secret), sha);
        else
            memcpy(sha, f->secret_sha256, sizeof sha);
        ak_buf_printf(&p->b, "sha256:%.12s", sha[0] ? sha : "unknown");
    }
    ak_buf_puts(&p->b, "</code><br><span class=\"small\">");
    esc(p, ak_kind_name(f->kind));
    ak_buf_puts(&p->b, "</span></td>");
}

static int web_link(const char *s)
{
    return s && (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7));
}

static void put_place(page *p, const ak_finding *f)
{
    ak_buf_puts(&p->b, "<td>");
    if (web_link(f->link)) {
        ak_buf_puts(&p->b, "<a rel=\"noreferrer\" href=\"");
        esc(p, f->link);
        ak_buf_puts(&p->b, "\">");
    }
    esc(p, f->path);
    ak_buf_printf(&p->b, ":%u", f->line);
    if (web_link(f->link)) ak_buf_puts(&p->b, "</a>");
    if (f->encoding && strcmp(f->encoding, "plain")) {
        ak_buf_puts(&p->b, " <span class=\"small\">(");
        esc(p, f->encoding);
        ak_buf_puts(&p->b, ")</span>");
    }
    ak_buf_puts(&p->b, "</td>");
}

static void put_commit(page *p, const ak_commit_info *c)
{
    if (!c) {
        cell(p, NULL);
        return;
    }
    char id[13], day[11];
    snprintf(id, sizeof id, "%s", c->id ? c->id : "");
    snprintf(day, sizeof day, "%s", c->date ? c->date : "");
    ak_buf_puts(&p->b, "<td><code>");
    esc(p, id);
    ak_buf_puts(&p->b, "</code> ");
    esc(p, day);
    ak_buf_puts(&p->b, "<br>");
    esc(p, c->summary);
    if (c->author) {
        ak_buf_puts(&p->b, " <span class=\"small\">(");
        esc(p, c->author);
        ak_buf_puts(&p->b, ")</span>");
    }
    ak_buf_puts(&p->b, "</td>");
}

static void put_verdict(page *p, const ak_finding *f)
{
    if (!f->validation) {
        ak_buf_puts(&p->b, "<td class=\"none\">not validated</td>");
        return;
    }
    ak_buf_printf(&p->b, "<td><span class=\"%s\">%s</span></td>", is_live(f) ? "v-valid" : "",
                  is_live(f) ? "LIVE" : ak_val_status_name(f->validation->status));
}

static void put_finding(page *p, size_t i)
{
    const ak_finding *f = finding_of(p, i);
    const ak_inv_meta *m = meta_of(p, i);
    const char *st = status_names[m->status];
    ak_buf_printf(&p->b, "<tr><td><span class=\"st st-%s\">%s</span></td>", st, st);
    put_verdict(p, f);
    put_key(p, f);
    cell(p, f->repository);
    put_place(p, f);
    put_commit(p, f->commit);
    ak_buf_puts(&p->b, "<td class=\"nw\">");
    put_age(p, age_of(p, f));
    ak_buf_puts(&p->b, "</td>");
    date_cell(p, m->first_seen);
    date_cell(p, m->last_seen);
    ak_buf_puts(&p->b, "</tr>\n");
}

static void put_findings(page *p, int open, const char *id, const char *title, const char *note)
{
    ak_buf_printf(&p->b,
                  "<h2>%s</h2>\n<p class=\"meta\">%s</p>\n<table id=\"%s\"><thead><tr>"
                  "<th>Status</th><th>Verdict</th><th>Key</th><th>Repository</th><th>File</th>"
                  "<th>Introduced by</th><th>Age</th><th>First seen</th><th>Last seen</th>"
                  "</tr></thead><tbody>\n",
                  title, note, id);
    for (int live = 1; live >= 0; live--) /* live keys first: they are the ones to act on now */
        for (size_t i = 0; i < p->inv->findings.len; i++)
            if (is_open(meta_of(p, i)) == open && is_live(finding_of(p, i)) == live)
                put_finding(p, i);
    ak_buf_puts(&p->b, "</tbody></table>\n");
}

int ak_report_write_html(FILE *out, const ak_inventory *inv, time_t now)
{
    page p = {AK_BUF_INIT, inv, ak_calloc(inv->findings.len + 1, sizeof(size_t)), now};
    for (size_t i = 0; i < inv->findings.len; i++) p.order[i] = i;
    qsort_r(p.order, inv->findings.len, sizeof *p.order, cmp_order, (void *)&inv->findings);
    put_head(&p);
    put_summary(&p);
    put_totals(&p);
    put_repositories(&p);
    put_findings(&p, 1, "open", "Open keys",
                 "Still reachable from a ref the scan reads. Age counts from the commit that "
                 "introduced the key.");
    put_findings(&p, 0, "resolved", "Resolved",
                 "No ref the scan reads reaches these any more, but a key that leaked may still "
                 "be live: disable it even so.");
    ak_buf_puts(&p.b, "</body></html>\n");
    int rc = fwrite(p.b.data, 1, p.b.len, out) == p.b.len && fflush(out) == 0 ? 0 : -1;
    ak_buf_free(&p.b);
    free(p.order);
    return rc;
}
