/*
 * Writing findings as JSON: the finding object (json.h) and the json / jsonl reports. Objects are
 * built with jansson, which keeps insertion order, so the key order is the order of the calls
 * below: that order is part of the stable format.
 */
#include "report/escape.h"
#include "report/json.h"
#include "report/writers.h"

#include <string.h>

static void put_str(json_t *obj, const char *key, const char *value)
{
    json_object_set_new(obj, key, ak_escape_json_string(value));
}

static void put_sha256(json_t *obj, const char *key, const char *secret)
{
    char hex[65];
    if (!secret) {
        json_object_set_new(obj, key, json_null());
        return;
    }
    ak_sha256_hex(secret, strlen(secret), hex);
    json_object_set_new(obj, key, json_string(hex));
}

static json_t *commit_to_json(const ak_commit_info *c)
{
    if (!c) return json_null();
    json_t *o = json_object();
    put_str(o, "id", c->id);
    put_str(o, "author", c->author);
    put_str(o, "email", c->email);
    put_str(o, "date", c->date);
    put_str(o, "summary", c->summary);
    return o;
}

static json_t *validation_to_json(const ak_validation *v)
{
    if (!v) return json_null();
    json_t *o = json_object();
    put_str(o, "status", ak_val_status_name(v->status));
    put_str(o, "identity_type", v->identity_type);
    put_str(o, "account_id", v->account_id);
    put_str(o, "arn", v->arn);
    put_str(o, "principal_id", v->principal_id);
    put_str(o, "checked_at", v->checked_at);
    put_str(o, "detail", v->detail);
    if (v->lu_source)
        json_object_set_new(o, "last_used_before",
                            json_pack("{s:s, s:s?, s:s?}", "source", v->lu_source, "read_at",
                                      v->lu_read_at, "date", v->lu_date));
    return o;
}

static void put_secrets(json_t *o, const ak_finding *f, int show)
{
    char redacted[64];
    if (show) put_str(o, "secret", f->secret);
    if (f->secret) {
        ak_redact(f->secret, redacted, sizeof redacted);
        put_str(o, "secret_redacted", redacted);
        put_sha256(o, "secret_sha256", f->secret);
    } else { /* read back without the secret: keep what the earlier report said */
        put_str(o, "secret_redacted", f->secret_redacted[0] ? f->secret_redacted : NULL);
        put_str(o, "secret_sha256", f->secret_sha256[0] ? f->secret_sha256 : NULL);
    }
    if (f->security_token) {
        if (show) put_str(o, "security_token", f->security_token);
        put_sha256(o, "security_token_sha256", f->security_token);
    }
    if (show) {
        json_t *arr = json_array();
        for (size_t i = 0; f->candidates && i < f->n_candidates; i++)
            json_array_append_new(arr, ak_escape_json_string(f->candidates[i]));
        json_object_set_new(o, "candidates", arr);
    }
    json_object_set_new(o, "candidate_count", json_integer((json_int_t)f->n_candidates));
}

static void put_origin(json_t *o, const ak_finding *f)
{
    put_str(o, "path", f->path);
    json_object_set_new(o, "line", json_integer(f->line));
    json_object_set_new(o, "column", json_integer(f->column));
    json_object_set_new(o, "commit", commit_to_json(f->commit));
    put_str(o, "blob", f->blob);
    put_str(o, "encoding", f->encoding);
    if (f->repository) put_str(o, "repository", f->repository);
    if (f->link) put_str(o, "link", f->link);
    if (f->status) put_str(o, "status", f->status);
    if (f->first_seen) put_str(o, "first_seen", f->first_seen);
    if (f->last_seen) put_str(o, "last_seen", f->last_seen);
}

json_t *ak_finding_to_json(const ak_finding *f, int show_secrets)
{
    json_t *o = json_object();
    put_str(o, "rule", f->rule);
    put_str(o, "kind", ak_kind_name(f->kind));
    put_str(o, "access_key_id", f->access_key_id);
    put_secrets(o, f, show_secrets);
    put_origin(o, f);
    /* An all-zero fingerprint means it was never computed: say so rather than print "". */
    put_str(o, "fingerprint", f->fingerprint[0] ? f->fingerprint : NULL);
    if (f->repo_fingerprint[0]) put_str(o, "repo_fingerprint", f->repo_fingerprint);
    json_object_set_new(o, "validation", validation_to_json(f->validation));
    return o;
}

static const size_t dump_flags = JSON_PRESERVE_ORDER;

int ak_report_write_json(FILE *out, const ak_findings *findings, const ak_report_opts *opts)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < findings->len; i++)
        json_array_append_new(arr, ak_finding_to_json(&findings->items[i], opts->show_secrets));
    int rc = json_dumpf(arr, out, dump_flags | JSON_INDENT(2));
    json_decref(arr);
    if (rc != 0 || fputc('\n', out) == EOF) return -1;
    return 0;
}

int ak_report_write_jsonl(FILE *out, const ak_findings *findings, const ak_report_opts *opts)
{
    for (size_t i = 0; i < findings->len; i++) {
        json_t *o = ak_finding_to_json(&findings->items[i], opts->show_secrets);
        int rc = json_dumpf(o, out, dump_flags | JSON_COMPACT);
        json_decref(o);
        if (rc != 0 || fputc('\n', out) == EOF) return -1;
    }
    return 0;
}
