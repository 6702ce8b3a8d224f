/*
 * The SARIF 2.1.0 report, shaped for GitHub code scanning: one run, every loaded rule in
 * tool.driver.rules (so alerts keep their rule text even for rules that found nothing this time),
 * one result per finding with a relative, percent-encoded artifact URI and a partial fingerprint
 * that follows the finding across line moves.
 *
 * SARIF files are uploaded to services outside the user's control, so no secret, token or
 * candidate goes into them, whatever show_secrets says: the message names the AccessKey ID, the
 * redacted secret and the validation status, which is what a reviewer needs to act.
 */
#include "report/escape.h"
#include "report/writers.h"
#include "util/mem.h"
#include "util/version.h"

#include <string.h>

#ifndef AK_HOMEPAGE
#define AK_HOMEPAGE "https://github.com/akhound/akhound"
#endif

#define SARIF_SCHEMA                                                                               \
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

typedef struct sarif_rule {
    const char *id, *name, *description;
    ak_kind kind;
} sarif_rule;

typedef struct rule_table {
    sarif_rule *items;
    size_t len, cap;
} rule_table;

const char *ak_report_kind_title(ak_kind kind)
{
    switch (kind) {
    case AK_KIND_ACCESS_KEY_PAIR:
        return "Alibaba Cloud AccessKey pair";
    case AK_KIND_ACCESS_KEY_ID:
        return "Alibaba Cloud AccessKey ID";
    case AK_KIND_ACCESS_KEY_SECRET:
        return "Alibaba Cloud AccessKey secret";
    case AK_KIND_STS_CREDENTIALS:
        return "Alibaba Cloud STS credentials";
    default:
        return "Alibaba Cloud credential";
    }
}

static const char help_text[] =
    "An Alibaba Cloud credential is in the scanned content. Treat it as leaked: check whether it "
    "is "
    "live (akhound validate), disable or delete the AccessKey in the RAM console (akhound respond "
    "plans this), issue a new one, review ActionTrail for its use, and remove it from the history "
    "if the repository is shared.";

static const char help_markdown[] =
    "An Alibaba Cloud credential is in the scanned content. Treat it as leaked:\n\n"
    "1. check whether it is live: `akhound validate`;\n"
    "2. disable or delete the AccessKey in the RAM console (`akhound respond` plans this);\n"
    "3. issue a new AccessKey and store it in a secret manager, not in code;\n"
    "4. review ActionTrail for its use;\n"
    "5. remove it from the git history if the repository is shared.\n";

static size_t rule_find(const rule_table *t, const char *id)
{
    for (size_t i = 0; i < t->len; i++)
        if (strcmp(t->items[i].id, id) == 0) return i;
    return (size_t)-1;
}

static void rule_add(rule_table *t, const sarif_rule *r)
{
    if (rule_find(t, r->id) != (size_t)-1) return;
    AK_GROW(t->items, t->cap, t->len);
    t->items[t->len++] = *r;
}

static const char *finding_rule_id(const ak_finding *f)
{
    return f->rule ? f->rule : "unknown";
}

/* Every loaded rule first, in load order, then any rule only the findings name (findings read
 * back from a file written with other rules). */
static void rules_collect(rule_table *t, const ak_rules *rules, const ak_findings *list)
{
    size_t n = rules ? ak_rules_count(rules) : 0;
    for (size_t i = 0; i < n; i++) {
        ak_rule_info info = {0};
        ak_rules_info(rules, i, &info);
        if (!info.id) continue;
        int kind = ak_kind_parse(info.kind);
        sarif_rule r = {info.id, info.name, info.description, kind < 0 ? AK_KIND__COUNT : kind};
        rule_add(t, &r);
    }
    for (size_t i = 0; i < list->len; i++) {
        const ak_finding *f = &list->items[i];
        sarif_rule r = {finding_rule_id(f), NULL, NULL, f->kind};
        rule_add(t, &r);
    }
}

static json_t *message(const char *text)
{
    json_t *m = json_object();
    json_object_set_new(m, "text", ak_escape_json_string(text));
    return m;
}

static json_t *rule_properties(void)
{
    json_t *p = json_object();
    json_object_set_new(
        p, "tags",
        json_pack("[ssss]", "security", "secret", "alibaba-cloud", "external/cwe/cwe-798"));
    json_object_set_new(p, "precision", json_string("high"));
    /* GitHub maps this to the alert severity; 9.0 and above is "critical". */
    json_object_set_new(p, "security-severity", json_string("9.0"));
    return p;
}

static json_t *rule_to_json(const sarif_rule *r)
{
    const char *title = r->name ? r->name : ak_report_kind_title(r->kind);
    json_t *o = json_object();
    json_object_set_new(o, "id", ak_escape_json_string(r->id));
    json_object_set_new(o, "name", ak_escape_json_string(r->name ? r->name : r->id));
    json_object_set_new(o, "shortDescription", message(title));
    json_object_set_new(o, "fullDescription", message(r->description ? r->description : title));
    json_t *help = message(help_text);
    json_object_set_new(help, "markdown", json_string(help_markdown));
    json_object_set_new(o, "help", help);
    json_object_set_new(o, "defaultConfiguration", json_pack("{ss}", "level", "error"));
    json_object_set_new(o, "properties", rule_properties());
    return o;
}

static void message_validation(ak_buf *b, const ak_validation *v)
{
    if (!v) return;
    ak_buf_printf(b, " Validation: %s", ak_val_status_name(v->status));
    if (v->identity_type || v->account_id) {
        ak_buf_puts(b, " (");
        ak_escape_append(b, v->identity_type ? v->identity_type : "account", AK_ESC_TEXT);
        if (v->account_id) ak_buf_puts(b, " of account ");
        ak_escape_append(b, v->account_id, AK_ESC_TEXT);
        ak_buf_putc(b, ')');
    }
    ak_buf_putc(b, '.');
}

void ak_report_message(ak_buf *b, const ak_finding *f)
{
    char preview[64];
    ak_buf_printf(b, "%s found.", ak_report_kind_title(f->kind));
    if (f->access_key_id) {
        ak_buf_puts(b, " AccessKey ID: ");
        ak_escape_append(b, f->access_key_id, AK_ESC_TEXT);
        ak_buf_putc(b, '.');
    }
    if (f->secret) {
        ak_redact(f->secret, preview, sizeof preview);
        ak_buf_puts(b, " Secret (redacted): ");
        ak_escape_append(b, preview, AK_ESC_TEXT);
        ak_buf_putc(b, '.');
    }
    if (f->security_token) ak_buf_puts(b, " With a security token (not shown).");
    if (f->encoding && strcmp(f->encoding, "plain") != 0)
        ak_buf_printf(b, " Encoded as %s.", f->encoding);
    if (f->commit && f->commit->id) {
        ak_buf_puts(b, " Introduced in commit ");
        ak_escape_append(b, f->commit->id, AK_ESC_TEXT);
        ak_buf_putc(b, '.');
    }
    message_validation(b, f->validation);
}

/* Relative paths stay relative (code scanning resolves them against the repository root);
 * absolute ones become file:// URIs, the only valid form for them. */
static void artifact_uri(ak_buf *b, const char *path)
{
    if (!path) path = "";
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
        while (*path == '/') path++;
    }
    if (*path == '/') ak_buf_puts(b, "file://");
    ak_escape_uri_append(b, *path ? path : ".");
}

static json_t *location(const ak_finding *f)
{
    ak_buf uri = AK_BUF_INIT;
    artifact_uri(&uri, f->path);
    json_t *phys = json_object();
    json_object_set_new(phys, "artifactLocation", json_pack("{ss}", "uri", ak_buf_cstr(&uri)));
    ak_buf_free(&uri);
    if (f->line > 0) {
        json_t *region = json_pack("{sI}", "startLine", (json_int_t)f->line);
        if (f->column > 0) json_object_set_new(region, "startColumn", json_integer(f->column));
        json_object_set_new(phys, "region", region);
    }
    return json_pack("[{so}]", "physicalLocation", phys);
}

static void put_opt(json_t *o, const char *key, const char *value)
{
    if (value) json_object_set_new(o, key, ak_escape_json_string(value));
}

static json_t *result_properties(const ak_finding *f)
{
    char sha[65];
    json_t *p = json_object();
    put_opt(p, "kind", ak_kind_name(f->kind));
    put_opt(p, "accessKeyId", f->access_key_id);
    if (f->secret) ak_sha256_hex(f->secret, strlen(f->secret), sha);
    put_opt(p, "secretSha256", f->secret ? sha : NULL);
    put_opt(p, "encoding", f->encoding);
    put_opt(p, "commit", f->commit ? f->commit->id : NULL);
    put_opt(p, "blob", f->blob);
    put_opt(p, "repository", f->repository);
    put_opt(p, "link", f->link);
    put_opt(p, "status", f->status);
    put_opt(p, "firstSeen", f->first_seen);
    put_opt(p, "lastSeen", f->last_seen);
    put_opt(p, "repoFingerprint", f->repo_fingerprint[0] ? f->repo_fingerprint : NULL);
    put_opt(p, "validation", f->validation ? ak_val_status_name(f->validation->status) : NULL);
    return p;
}

static json_t *result_to_json(const ak_finding *f, const rule_table *rules)
{
    const char *rule = finding_rule_id(f);
    ak_buf text = AK_BUF_INIT;
    ak_report_message(&text, f);
    json_t *o = json_object();
    json_object_set_new(o, "ruleId", ak_escape_json_string(rule));
    json_object_set_new(o, "ruleIndex", json_integer((json_int_t)rule_find(rules, rule)));
    json_object_set_new(o, "level", json_string("error"));
    json_object_set_new(o, "message", message(ak_buf_cstr(&text)));
    json_object_set_new(o, "locations", location(f));
    if (f->fingerprint[0])
        json_object_set_new(o, "partialFingerprints",
                            json_pack("{ss}", "akhound/v1", f->fingerprint));
    json_object_set_new(o, "properties", result_properties(f));
    ak_buf_free(&text);
    return o;
}

static json_t *driver(const rule_table *rules)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < rules->len; i++)
        json_array_append_new(arr, rule_to_json(&rules->items[i]));
    return json_pack("{ss ss ss so}", "name", "akhound", "version", AK_VERSION, "informationUri",
                     AK_HOMEPAGE, "rules", arr);
}

static json_t *invocation(const ak_scan_summary *s)
{
    json_t *props = json_pack("{sI sI sI sI sI sI sb}", "files", (json_int_t)s->files, "bytes",
                              (json_int_t)s->bytes, "blobs", (json_int_t)s->blobs, "commits",
                              (json_int_t)s->commits, "skipped", (json_int_t)s->skipped, "errors",
                              (json_int_t)s->errors, "incomplete", s->incomplete != 0);
    json_object_set_new(props, "suppressed", json_integer(s->suppressed));
    int ok = !s->incomplete && !s->errors;
    json_t *inv = json_pack("{sb so}", "executionSuccessful", ok, "properties", props);
    if (s->n_notices) {
        json_t *notes = json_array();
        for (size_t i = 0; i < s->n_notices; i++)
            json_array_append_new(notes, json_pack("{ss s{so}}", "level", "error", "message",
                                                   "text", ak_escape_json_string(s->notices[i])));
        json_object_set_new(inv, "toolExecutionNotifications", notes);
    }
    return json_pack("[o]", inv);
}

static json_t *sarif_log(const ak_findings *list, const ak_scan_summary *summary,
                         const ak_report_opts *opts)
{
    rule_table rules = {0};
    rules_collect(&rules, opts->rules, list);
    json_t *results = json_array();
    for (size_t i = 0; i < list->len; i++)
        json_array_append_new(results, result_to_json(&list->items[i], &rules));
    json_t *run = json_pack("{s{so} so}", "tool", "driver", driver(&rules), "results", results);
    if (summary) json_object_set_new(run, "invocations", invocation(summary));
    free(rules.items);
    return json_pack("{ss ss s[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", run);
}

int ak_report_write_sarif(FILE *out, const ak_findings *findings, const ak_scan_summary *summary,
                          const ak_report_opts *opts)
{
    json_t *log = sarif_log(findings, summary, opts);
    int rc = json_dumpf(log, out, JSON_PRESERVE_ORDER | JSON_INDENT(2));
    json_decref(log);
    if (rc != 0 || fputc('\n', out) == EOF) return -1;
    return 0;
}
