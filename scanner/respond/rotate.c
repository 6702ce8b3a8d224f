/*
 * Rotation of a leaked key that is still in use (`akhound rotate`), the procedure's main path for
 * such keys, in two commands so the workload can switch in between:
 *
 *   rotate KEY           creates a new AccessKey for the same RAM user (RAM allows two per user:
 *                        with two already, it names the one that must go first and stops) and hands
 *                        its secret only to a file created 0600 (--secret-file) or to a command's
 *                        stdin (--secret-command); never to a log, the report or the ledger.
 *   rotate --finish KEY  checks that KEY has not been used since the new key's first use (last use
 *                        and ActionTrail, with the source IPs of any use; --force once a human has
 *                        judged them), then disables KEY, deletes it with --delete, and only then
 *                        detaches the Deny policy (while attached it applies to the new key too).
 *
 * Every step is bracketed in the ledger (under KEY; the new key's ID is the detail of the step
 * "rotate_create") and audited; both commands are dry runs unless --apply and safe to re-run. A
 * run killed after CreateAccessKey took effect but before the secret was handed over leaves a key
 * whose secret nobody has: the next run finds it (created after the step started), deletes it and
 * creates another.
 */
#include "report/redact.h"
#include "respond/respond_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CREATE_STEP "rotate_create"

typedef struct rot {
    ak_rctx *c;
    const ak_rotate_opts *o;
    const char *old_id;
    char *new_id; /* from the ledger, or created now */
    ak_rkey k;    /* the old key: facts.owner and facts.key for the shared steps */
    json_t *report, *calls, *steps;
    const char *stopped; /* why nothing (more) was done */
    ak_buf why;
} rot;

static void stop(rot *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stop(rot *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ak_buf_vprintf(&r->why, fmt, ap);
    va_end(ap);
    r->stopped = ak_buf_cstr(&r->why);
}

/* One read call for the rotation; the body stays in *call (caller clears). */
static int read_call(rot *r, ak_call *call)
{
    int rc = ak_rcall(r->c, r->old_id, "rotate", 0, call, r->calls);
    if (rc != AK_RCALL_OK) {
        char *e = ak_rcall_error(call);
        stop(r, "%s", e);
        free(e);
    }
    return rc;
}

/* The user owning key_id (IMS GetUser by AccessKey ID) into r->k.facts.owner. */
static int owner_of(rot *r, const char *key_id)
{
    ak_param p[] = {{"UserAccessKeyId", key_id}};
    ak_call call = {.product = AK_PRODUCT_IMS, .action = "GetUser", .params = p, .n_params = 1};
    int rc = read_call(r, &call);
    json_t *u = json_object_get(call.body, "User");
    if (rc == AK_RCALL_OK && ak_jstr(u, "UserName") && ak_jstr(u, "UserPrincipalName"))
        json_object_set_new(r->k.facts, "owner",
                            json_pack("{s:s, s:s, s:s, s:s}", "kind", "ram_user", "user_name",
                                      ak_jstr(u, "UserName"), "user_principal_name",
                                      ak_jstr(u, "UserPrincipalName"), "account_id",
                                      r->c->account_id));
    else if (rc == AK_RCALL_OK || (call.code && !strncmp(call.code, "EntityNotExist", 14)))
        stop(r, "%s is not an AccessKey of a RAM user in account %s: akhound rotates only those",
             key_id, r->c->account_id);
    ak_call_clear(&call);
    return r->stopped ? -1 : 0;
}

static const char *upn(const rot *r)
{
    return ak_jstr(json_object_get(r->k.facts, "owner"), "user_principal_name");
}

/* The user's AccessKeys (ListAccessKeys), an array of {AccessKeyId, Status, CreateDate}. */
static json_t *user_keys(rot *r)
{
    ak_param p[] = {{"UserPrincipalName", upn(r)}};
    ak_call call = {
        .product = AK_PRODUCT_IMS, .action = "ListAccessKeys", .params = p, .n_params = 1};
    json_t *out = NULL;
    if (read_call(r, &call) == AK_RCALL_OK)
        out = json_incref(json_object_get(json_object_get(call.body, "AccessKeys"), "AccessKey"));
    ak_call_clear(&call);
    return out;
}

static json_t *find_key(json_t *keys, const char *id)
{
    size_t i;
    json_t *e;
    AK_JSON_EACH(keys, i, e)
    if (id && ak_jstr(e, "AccessKeyId") && !strcmp(ak_jstr(e, "AccessKeyId"), id)) return e;
    return NULL;
}

/* The secret goes to the file (created 0600, never overwritten) or the command's stdin only. */
static int hand_over(rot *r, const char *text)
{
    if (r->o->secret_file) {
        int fd = open(r->o->secret_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        size_t len = strlen(text);
        int ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
        if (fd >= 0) close(fd);
        if (!ok) stop(r, "cannot write %s: %s", r->o->secret_file, strerror(errno));
        return ok ? 0 : -1;
    }
    FILE *p = popen(r->o->secret_command, "w");
    int ok = p && fputs(text, p) >= 0;
    int st = p ? pclose(p) : -1;
    if (!ok || st != 0) stop(r, "--secret-command failed (status %d)", st);
    return ok && st == 0 ? 0 : -1;
}

/* The file an earlier, killed run wrote names this key: the secret was handed over after all. */
static int handed_over(const rot *r, const char *id)
{
    if (!r->o->secret_file) return 0;
    json_t *j = json_load_file(r->o->secret_file, 0, NULL);
    int yes = j && ak_jstr(j, "AccessKeyId") && !strcmp(ak_jstr(j, "AccessKeyId"), id);
    json_decref(j);
    return yes;
}

static void end_create(rot *r, int ok, const char *detail)
{
    ak_buf err = AK_BUF_INIT;
    if (ak_ledger_step_end(r->c->ledger, r->old_id, CREATE_STEP, ok, detail, NULL, &err) < 0)
        stop(r, "ledger: %s", ak_buf_cstr(&err));
    ak_buf_free(&err);
}

/* A key created by a killed run whose secret nobody holds: deleted, so the user has room again. */
static int drop_orphan(rot *r, const char *id)
{
    ak_param p[] = {{"UserAccessKeyId", id}, {"UserPrincipalName", upn(r)}};
    ak_call call = {
        .product = AK_PRODUCT_IMS, .action = "DeleteAccessKey", .params = p, .n_params = 2};
    int rc = ak_rcall(r->c, r->old_id, CREATE_STEP, 1, &call, r->calls);
    if (rc == AK_RCALL_API_ERROR && !strcmp(call.code, "EntityNotExist.User.AccessKey"))
        rc = AK_RCALL_OK;
    if (rc != AK_RCALL_OK) {
        char *e = ak_rcall_error(&call);
        stop(r, "cannot delete %s, created by an interrupted run with its secret lost: %s", id, e);
        free(e);
    }
    ak_call_clear(&call);
    return rc == AK_RCALL_OK ? 0 : -1;
}

/* After a killed or failed create: adopt the new key if its secret reached the file, else delete
 * every key of the user created since the step started (nobody can hold their secrets). */
static int recover(rot *r, json_t *keys, const char *started_at)
{
    long long since = ak_respond_parse_time(started_at) - AK_SELF_USE_SLACK;
    size_t i;
    json_t *e;
    AK_JSON_EACH(keys, i, e)
    {
        const char *id = ak_jstr(e, "AccessKeyId");
        if (!id || !strcmp(id, r->old_id) ||
            ak_respond_parse_time(ak_jstr(e, "CreateDate")) < since)
            continue;
        if (handed_over(r, id)) {
            r->new_id = ak_strdup(id);
            end_create(r, 1, id);
            return 0;
        }
        if (!r->c->o->apply) {
            stop(r,
                 "%s was created by an interrupted run and its secret was never saved: --apply "
                 "deletes it and creates another",
                 id);
            return -1;
        }
        if (drop_orphan(r, id) < 0) return -1;
        json_array_remove(keys, i--);
    }
    return 0;
}

static int create(rot *r)
{
    ak_buf err = AK_BUF_INIT;
    ak_ledger_key_note(r->c->ledger, r->old_id, NULL, NULL, NULL, &err);
    if (ak_ledger_step_begin(r->c->ledger, r->old_id, CREATE_STEP, &err) < 0) {
        stop(r, "ledger: %s", ak_buf_cstr(&err));
        ak_buf_free(&err);
        return -1;
    }
    ak_buf_free(&err);
    ak_param p[] = {{"UserPrincipalName", upn(r)}};
    ak_call call = {
        .product = AK_PRODUCT_IMS, .action = "CreateAccessKey", .params = p, .n_params = 1};
    int rc = ak_rcall(r->c, r->old_id, CREATE_STEP, 1, &call, r->calls);
    json_t *ak = json_object_get(call.body, "AccessKey");
    const char *id = ak_jstr(ak, "AccessKeyId"), *secret = ak_jstr(ak, "AccessKeySecret");
    if (rc != AK_RCALL_OK || !id || !secret) {
        char *e = ak_rcall_error(&call);
        stop(r, "CreateAccessKey: %s; a re-run cleans up and tries again", e);
        free(e);
        end_create(r, 0, NULL);
        ak_call_clear(&call);
        return -1;
    }
    r->new_id = ak_strdup(id);
    /* an API message quoting the new secret must not reach the report or a notice */
    if (r->c->o->redactor) ak_redactor_add_secret(r->c->o->redactor, secret);
    json_t *out = json_pack("{s:s, s:s, s:s, s:s?}", "AccessKeyId", id, "AccessKeySecret", secret,
                            "UserPrincipalName", upn(r), "CreateDate", ak_jstr(ak, "CreateDate"));
    char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(out);
    OPENSSL_cleanse((char *)secret, strlen(secret));
    ak_call_clear(&call);
    size_t tlen = strlen(text);
    rc = hand_over(r, text);
    OPENSSL_cleanse(text, tlen);
    free(text);
    if (rc < 0) {
        /* the secret reached nobody: the key must not stay */
        drop_orphan(r, r->new_id);
        end_create(r, 0, NULL);
        return -1;
    }
    end_create(r, 1, r->new_id);
    return 0;
}

static void start(rot *r)
{
    ak_step_status st = AK_STEP_NONE;
    char *detail = NULL, *started = NULL;
    ak_buf err = AK_BUF_INIT;
    if (ak_ledger_step_get(r->c->ledger, r->old_id, CREATE_STEP, &st, &err) < 0 ||
        ak_ledger_step_info(r->c->ledger, r->old_id, CREATE_STEP, &detail, &started, &err) < 0)
        stop(r, "ledger: %s", ak_buf_cstr(&err));
    ak_buf_free(&err);
    json_t *keys = r->stopped || owner_of(r, r->old_id) < 0 ? NULL : user_keys(r);
    if (keys && st == AK_STEP_DONE && detail) {
        r->new_id = ak_strdup(detail);
        json_object_set_new(r->report, "note",
                            json_string("already created by an earlier run; switch the workload "
                                        "to it, then run akhound rotate --finish"));
    } else if (keys && (st == AK_STEP_STARTED || st == AK_STEP_FAILED) &&
               recover(r, keys, started) < 0) {
        /* stopped */
    } else if (keys && !r->new_id) {
        size_t i;
        json_t *e;
        if (!find_key(keys, r->old_id)) stop(r, "%s no longer exists", r->old_id);
        AK_JSON_EACH(keys, i, e)
        if (!r->stopped && strcmp(ak_jstr(e, "AccessKeyId"), r->old_id))
            stop(r,
                 "RAM user %s already has two AccessKeys, %s and %s: %s must go first (disable "
                 "and delete it once it is unused, e.g. with akhound respond), then run rotate "
                 "again",
                 ak_jstr(json_object_get(r->k.facts, "owner"), "user_name"), r->old_id,
                 ak_jstr(e, "AccessKeyId"), ak_jstr(e, "AccessKeyId"));
        if (!r->stopped && !r->c->o->apply)
            json_array_append_new(r->steps,
                                  json_pack("{s:s, s:s, s:s}", "step", CREATE_STEP, "status",
                                            "planned", "would",
                                            "ims:CreateAccessKey for the same user; the "
                                            "secret to --secret-file / --secret-command"));
        else if (!r->stopped && create(r) == 0)
            json_array_append_new(r->steps, json_pack("{s:s, s:s, s:s}", "step", CREATE_STEP,
                                                      "status", "done", "detail", r->new_id));
    }
    json_decref(keys);
    free(detail);
    free(started);
}

/* Last use per IMS, and the ActionTrail events made with a key since `since` (ours excluded). */
static void usage_of(rot *r, const char *id, time_t since, json_t *into)
{
    ak_param p[] = {{"UserAccessKeyId", id}, {"UserPrincipalName", upn(r)}};
    ak_call call = {
        .product = AK_PRODUCT_IMS, .action = "GetAccessKeyLastUsed", .params = p, .n_params = 2};
    if (read_call(r, &call) == AK_RCALL_OK) {
        json_t *lu = json_object_get(call.body, "AccessKeyLastUsed");
        const char *d = ak_jstr(lu, "LastUsedDate");
        json_object_set_new(into, "last_used", d && *d ? json_string(d) : json_null());
        if (!json_is_object(lu))
            stop(r, "IMS GetAccessKeyLastUsed for %s: no AccessKeyLastUsed in the answer", id);
        else if (d && *d && ak_respond_parse_time(d) < 0)
            stop(r, "the last use of %s, '%.40s', is not a date: its use is unknown", id, d);
    }
    ak_call_clear(&call);
    ak_rkey k = {
        .key_id = id, .facts = json_object(), .entry = json_pack("{s:O}", "read_calls", r->calls)};
    ak_evidence_trail(r->c, &k, since);
    json_t *ev = json_object_get(k.facts, "evidence");
    json_object_set(into, "actiontrail", ev);
    if (json_object_get(ev, "error")) stop(r, "ActionTrail: %s", ak_jstr(ev, "error"));
    json_decref(k.facts);
    json_decref(k.entry);
}

/* 0 when the old key is unused since the new key's first use (or --force). new_created: the new
 * key's CreateDate (-1 unknown), the earliest the switch can have been. */
static int check_switched(rot *r, long long new_created)
{
    json_t *nu = json_object(), *ou = json_object();
    json_object_set_new(r->report, "new_key_use", nu);
    json_object_set_new(r->report, "old_key_use", ou);
    time_t window = time(NULL) - 90 * 86400; /* ActionTrail keeps 90 days */
    usage_of(r, r->new_id, window, nu);
    if (r->stopped) return -1;
    const char *first = ak_jstr(json_object_get(nu, "actiontrail"), "first");
    const char *since = first ? first : ak_jstr(nu, "last_used");
    if (!since) {
        if (!r->o->force) {
            stop(r,
                 "the new key %s has not been used yet: switch the workload to it first (or "
                 "--force)",
                 r->new_id);
            return -1;
        }
        since = "1970-01-01T00:00:00Z";
    }
    json_object_set_new(r->report, "switched_at", json_string(since));
    long long t = ak_respond_parse_time(since);
    usage_of(r, r->old_id, (time_t)t, ou);
    if (r->stopped) return -1;
    json_t *trail = json_object_get(ou, "actiontrail");
    long calls = (long)json_integer_value(json_object_get(trail, "other_calls"));
    long long last = ak_respond_parse_time(ak_jstr(ou, "last_used"));
    if (!first && (new_created < 0 || last > new_created + AK_SELF_USE_SLACK) && !r->o->force) {
        /* Only the new key's last use is known (no ActionTrail event, e.g. OSS only): its first
         * use, the switch, may be anywhere after its creation. */
        stop(r,
             "the new key's first use is unknown (ActionTrail shows none; last used %s), and %s "
             "was last used %s, after the new key was created: maybe after the switch. Judge "
             "it, then re-run with --force",
             since, r->old_id, ak_jstr(ou, "last_used"));
        return -1;
    }
    if ((calls > 0 || last > t + AK_SELF_USE_SLACK) && !r->o->force) {
        char *ips = json_dumps(json_object_get(trail, "source_ips"), JSON_COMPACT);
        stop(r,
             "%s was used after the new key's first use (%s): last used %s, %ld ActionTrail "
             "call(s) from %s. Outsiders probing a public leak count too: judge these, then "
             "re-run with --force",
             r->old_id, since, ak_jstr(ou, "last_used") ? ak_jstr(ou, "last_used") : "-", calls,
             ips);
        free(ips);
        return -1;
    }
    return 0;
}

static void finish(rot *r)
{
    char *detail = NULL, *started = NULL;
    ak_step_status st = AK_STEP_NONE;
    ak_buf err = AK_BUF_INIT;
    if (ak_ledger_step_get(r->c->ledger, r->old_id, CREATE_STEP, &st, &err) < 0 ||
        ak_ledger_step_info(r->c->ledger, r->old_id, CREATE_STEP, &detail, &started, &err) < 0)
        stop(r, "ledger: %s", ak_buf_cstr(&err));
    ak_buf_free(&err);
    if (!r->stopped && (st != AK_STEP_DONE || !detail))
        stop(r, "no rotation of %s was started: run akhound rotate %s --apply first", r->old_id,
             r->old_id);
    r->new_id = detail;
    free(started);
    if (r->stopped || owner_of(r, r->new_id) < 0) return;
    json_t *keys = user_keys(r);
    json_t *old = find_key(keys, r->old_id);
    json_object_set_new(r->k.facts, "key",
                        json_pack("{s:s}", "status", old ? ak_jstr(old, "Status") : "absent"));
    long long new_created = ak_respond_parse_time(ak_jstr(find_key(keys, r->new_id), "CreateDate"));
    json_decref(keys);
    if (r->stopped) return;
    ak_step_status done = AK_STEP_NONE;
    ak_buf e2 = AK_BUF_INIT;
    ak_ledger_step_get(r->c->ledger, r->old_id, "disable", &done, &e2);
    ak_buf_free(&e2);
    if (done != AK_STEP_DONE && old && check_switched(r, new_created) < 0) return;
    const char *names[3] = {"disable", "delete", "detach"};
    int pending = 0;
    for (size_t i = 0; i < (r->o->delete_old ? 3u : 1u); i++)
        if (ak_apply_one(r->c, &r->k, names[i], r->steps, &pending) < 0) {
            stop(r, "step %s failed", names[i]);
            return;
        }
    if (!r->o->delete_old)
        json_object_set_new(
            r->report, "note",
            json_sprintf("%s is disabled, not deleted; the Deny policy %s stays attached to the "
                         "user and applies to the new key %s too: run rotate --finish --delete "
                         "once nothing broke",
                         r->old_id, r->c->o->policy_name, r->new_id));
}

/* A run that changed something tells the humans, like respond does (webhook and/or mail). */
static void notify(rot *r)
{
    size_t i;
    json_t *s;
    int acted = 0;
    AK_JSON_EACH(r->steps, i, s)
    acted |= !strcmp(ak_jstr(s, "status"), "done") && !json_object_get(s, "note");
    if (!acted || !r->c->o->apply) return;
    json_t *todo = json_array();
    json_array_append_new(
        todo,
        r->o->finish && r->o->delete_old
            ? json_sprintf("Rotation of %s is complete: %s replaces it.", r->old_id, r->new_id)
        : r->o->finish
            ? json_sprintf("Once nothing broke, delete %s: akhound rotate --finish --delete "
                           "%s --apply (the Deny policy still applies to %s).",
                           r->old_id, r->old_id, r->new_id)
            : json_sprintf("Switch the workload to %s, then run akhound rotate --finish %s "
                           "--apply.",
                           r->new_id, r->old_id));
    json_object_set(r->report, "facts", r->k.facts);
    json_object_set_new(r->report, "decision", json_string("rotate"));
    json_object_set_new(r->report, "todo", todo);
    ak_buf err = AK_BUF_INIT;
    if (r->c->o->webhook_url && ak_notify_webhook(r->c, &r->k, &err) < 0)
        stop(r, "notice: %s", ak_buf_cstr(&err));
    ak_buf_reset(&err);
    if (r->c->o->smtp_url && r->c->o->n_mail_to && ak_notify_email(r->c, &r->k, &err) < 0)
        stop(r, "notice: %s", ak_buf_cstr(&err));
    ak_buf_free(&err);
}

int ak_rotate_run(const char *key_id, const ak_respond_opts *ro, const ak_rotate_opts *o,
                  json_t **report, ak_buf *err)
{
    ak_rctx c = {0};
    ak_credentials cr = {0};
    char *ledger_path = NULL;
    rot r = {.c = &c, .o = o, .old_id = key_id, .why = AK_BUF_INIT};
    r.k.key_id = key_id;
    r.k.facts = json_object();
    r.calls = json_array();
    r.steps = json_array();
    r.report = json_pack("{s:s, s:s, s:s}", "mode", ro->apply ? "apply" : "dry-run", "command",
                         o->finish ? "finish" : "start", "key_id", key_id);
    r.k.entry = r.report;
    int rc = ak_rctx_open(&c, ro, &cr, &ledger_path, err);
    if (rc == 0) rc = ak_rctx_identity(&c, err);
    if (rc == 0) {
        if (o->finish)
            finish(&r);
        else
            start(&r);
        json_object_set(r.report, "steps", r.steps);
        if (!r.stopped) notify(&r);
        json_object_set(r.report, "owner", json_object_get(r.k.facts, "owner"));
        json_object_set_new(r.report, "new_key_id", r.new_id ? json_string(r.new_id) : json_null());
        json_object_set(r.report, "steps", r.steps);
        json_object_set(r.report, "read_calls", r.calls);
        json_object_set_new(r.report, "stopped", r.stopped ? json_string(r.stopped) : json_null());
        size_t i;
        json_t *s;
        int planned = !ro->apply && !r.stopped;
        AK_JSON_EACH(r.steps, i, s)
        planned |= !strcmp(ak_jstr(s, "status"), "planned");
        rc = r.stopped ? 2 : planned ? 1 : 0;
        *report = r.report;
    } else {
        json_decref(r.report);
    }
    json_decref(r.k.facts);
    json_decref(r.calls);
    json_decref(r.steps);
    free(r.new_id);
    ak_buf_free(&r.why);
    free(ledger_path);
    ak_credentials_free(&cr);
    ak_rctx_close(&c);
    return rc;
}
