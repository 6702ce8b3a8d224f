/*
 * The text report, for a human at a terminal or reading a CI log: one block per finding, its
 * location first in the "path:line:column" form editors and terminals turn into links, then one
 * labelled line per fact. Every untrusted string goes through ak_escape_append(AK_ESC_TEXT), so a
 * file name holding a newline or an escape sequence cannot forge a line or recolour the output.
 * Colours are plain SGR sequences, used only when the caller asks (a terminal).
 */
#include "report/escape.h"
#include "report/writers.h"

#include <string.h>

typedef struct style {
    const char *bold, *red, *yellow, *dim, *reset;
} style;

static const style no_color = {"", "", "", "", ""};
static const style ansi = {"\033[1m", "\033[1;31m", "\033[33m", "\033[2m", "\033[0m"};

static void label(ak_buf *b, const style *st, const char *name)
{
    ak_buf_printf(b, "  %s%-13s%s ", st->dim, name, st->reset);
}

static void field(ak_buf *b, const style *st, const char *name, const char *value)
{
    label(b, st, name);
    ak_escape_append(b, value ? value : "-", AK_ESC_TEXT);
    ak_buf_putc(b, '\n');
}

static void secret_line(ak_buf *b, const style *st, const char *name, const char *secret, int show)
{
    char preview[64], sha[65];
    if (!secret) return;
    ak_redact(secret, preview, sizeof preview);
    ak_sha256_hex(secret, strlen(secret), sha);
    label(b, st, name);
    ak_escape_append(b, show ? secret : preview, AK_ESC_TEXT);
    ak_buf_printf(b, " %s(sha256 %.16s...)%s\n", st->dim, sha, st->reset);
}

static void header(ak_buf *b, const style *st, const ak_finding *f)
{
    const char *kind = ak_kind_name(f->kind);
    int severe = f->kind == AK_KIND_ACCESS_KEY_PAIR || f->kind == AK_KIND_STS_CREDENTIALS;
    ak_buf_puts(b, st->bold);
    if (f->repository) {
        ak_escape_append(b, f->repository, AK_ESC_TEXT);
        ak_buf_putc(b, ':');
    }
    ak_escape_append(b, f->path ? f->path : "-", AK_ESC_TEXT);
    ak_buf_printf(b, ":%u:%u:%s %s%s%s (rule ", f->line, f->column, st->reset,
                  severe ? st->red : st->yellow, kind ? kind : "unknown", st->reset);
    ak_escape_append(b, f->rule ? f->rule : "-", AK_ESC_TEXT);
    ak_buf_puts(b, ")\n");
}

static void commit_line(ak_buf *b, const style *st, const ak_commit_info *c)
{
    if (!c) return;
    label(b, st, "commit");
    char id[13];
    snprintf(id, sizeof id, "%s", c->id ? c->id : "-");
    ak_escape_append(b, id, AK_ESC_TEXT);
    ak_buf_putc(b, ' ');
    ak_escape_append(b, c->date ? c->date : "-", AK_ESC_TEXT);
    ak_buf_putc(b, ' ');
    ak_escape_append(b, c->author ? c->author : "-", AK_ESC_TEXT);
    ak_buf_puts(b, " <");
    ak_escape_append(b, c->email ? c->email : "-", AK_ESC_TEXT);
    ak_buf_puts(b, "> ");
    ak_escape_append(b, c->summary ? c->summary : "", AK_ESC_TEXT);
    ak_buf_putc(b, '\n');
}

static void validation_line(ak_buf *b, const style *st, const ak_validation *v)
{
    if (!v) return;
    int live = v->status == AK_VAL_VALID;
    label(b, st, "validation");
    ak_buf_printf(b, "%s%s%s", live ? st->red : "", ak_val_status_name(v->status),
                  live ? st->reset : "");
    const char *parts[][2] = {
        {"identity", v->identity_type}, {"account", v->account_id}, {"arn", v->arn},
        {"principal", v->principal_id}, {"checked", v->checked_at}, {"detail", v->detail}};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        if (!parts[i][1]) continue;
        ak_buf_printf(b, " %s=", parts[i][0]);
        ak_escape_append(b, parts[i][1], AK_ESC_TEXT);
    }
    ak_buf_putc(b, '\n');
}

static void candidates_line(ak_buf *b, const style *st, const ak_finding *f, int show)
{
    if (!f->n_candidates || !f->candidates) return;
    label(b, st, "candidates");
    ak_buf_printf(b, "%zu other possible secret%s nearby", f->n_candidates,
                  f->n_candidates == 1 ? "" : "s");
    for (size_t i = 0; show && i < f->n_candidates; i++) {
        ak_buf_puts(b, i ? ", " : ": ");
        ak_escape_append(b, f->candidates[i], AK_ESC_TEXT);
    }
    ak_buf_putc(b, '\n');
}

/* Organization inventories: the status, and for a resolved key that it may still be live. */
static void status_line(ak_buf *b, const style *st, const ak_finding *f)
{
    if (!f->status) return;
    ak_buf v = AK_BUF_INIT;
    ak_buf_printf(&v, "%s (first seen %s, last seen %s)%s", f->status,
                  f->first_seen ? f->first_seen : "?", f->last_seen ? f->last_seen : "?",
                  !strcmp(f->status, "resolved")
                      ? "; no longer reachable from any ref, but the key may still be live"
                      : "");
    field(b, st, "status", v.data);
    ak_buf_free(&v);
}

static void finding_block(ak_buf *b, const style *st, const ak_finding *f, int show)
{
    header(b, st, f);
    if (f->access_key_id) field(b, st, "AccessKey ID", f->access_key_id);
    secret_line(b, st, "secret", f->secret, show);
    secret_line(b, st, "token", f->security_token, show);
    candidates_line(b, st, f, show);
    field(b, st, "encoding", f->encoding);
    commit_line(b, st, f->commit);
    if (f->blob) field(b, st, "blob", f->blob);
    if (f->link) field(b, st, "link", f->link);
    status_line(b, st, f);
    validation_line(b, st, f->validation);
    field(b, st, "fingerprint", f->fingerprint[0] ? f->fingerprint : NULL);
    ak_buf_putc(b, '\n');
}

int ak_report_write_text(FILE *out, const ak_findings *findings, const ak_scan_summary *summary,
                         const ak_report_opts *opts)
{
    const style *st = opts->color ? &ansi : &no_color;
    ak_buf b = AK_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < findings->len && rc == 0; i++) {
        ak_buf_reset(&b);
        finding_block(&b, st, &findings->items[i], opts->show_secrets);
        if (fwrite(b.data, 1, b.len, out) != b.len) rc = -1;
    }
    if (rc == 0 && summary) {
        ak_buf_reset(&b);
        ak_summary_format(summary, findings->len, &b);
        ak_buf_putc(&b, '\n');
        if (fwrite(b.data, 1, b.len, out) != b.len) rc = -1;
    }
    ak_buf_free(&b);
    return rc;
}
