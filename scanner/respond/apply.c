/*
 * Applying a key's plan: its steps run in order, each bracketed in the ledger (started before the
 * first call, done or failed after, with the key's new state, in one transaction). A step already
 * done is skipped; a step left "started" by a killed run is first re-checked with a read call
 * (ListAccessKeys, GetPolicy, ListPoliciesForUser) so a change the cloud made but the ledger
 * never saw is not made twice. Every action step is also safe on its own against the cloud's
 * current state: the policy step reads the policy before creating it, an attachment or deletion
 * that already happened is accepted as done.
 *
 * A write whose answer was lost (the client never repeats a write blindly) is followed by the
 * same read, and counts as done when the read shows it took effect. Whenever a change is found
 * made without an answer in hand, the RequestId of the call that made it is looked up (the
 * ledger's call log, else the responder's own ActionTrail events) and written to the audit log.
 *
 * When an action step fails, later action steps are not attempted (a key is never deleted unless
 * it was disabled), but notifications still go out, saying what failed.
 */
#include "respond/respond_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct step_ctx {
    ak_rctx *c;
    ak_rkey *k;
    const char *step;
    json_t *calls;
    ak_buf *detail;
    int recheck;               /* the step was started by an earlier run that did not finish it */
    const char *policy_unsure; /* the policy write whose answer was lost, if any */
} step_ctx;

static const char *owner_str(const ak_rkey *k, const char *field)
{
    return json_string_value(json_object_get(json_object_get(k->facts, "owner"), field));
}

static int fail_with(step_ctx *s, ak_call *cl)
{
    char *why = ak_rcall_error(cl);
    ak_buf_puts(s->detail, why);
    free(why);
    ak_call_clear(cl);
    return -1;
}

/* 1 when event e is the responder's call of action with params[name] == value. */
static int event_is(const ak_rctx *c, json_t *e, const char *action, const char *name,
                    const char *value)
{
    const char *n = json_string_value(json_object_get(e, "eventName"));
    const char *ak =
        json_string_value(json_object_get(json_object_get(e, "userIdentity"), "accessKeyId"));
    const char *v =
        json_string_value(json_object_get(json_object_get(e, "requestParameters"), name));
    return n && !strcmp(n, action) && ak && !strcmp(ak, c->cred.access_key_id) && v &&
           !strcmp(v, value);
}

/* The RequestId of the responder's call that made a change whose answer we never had: from the
 * ledger's call log, else from ActionTrail (LookupEvents by event name, the last day). */
static char *effective_request_id(step_ctx *s, const char *action, const char *name,
                                  const char *value)
{
    char *rid = ak_ledger_request_id(s->c->ledger, s->k->key_id, action);
    if (rid) return rid;
    char start[21];
    ak_iso8601(start, time(NULL) - 86400);
    ak_param p[] = {{"LookupAttribute.1.Key", "EventName"},
                    {"LookupAttribute.1.Value", action},
                    {"StartTime", start},
                    {"MaxResults", "50"}};
    ak_call cl = {
        .product = AK_PRODUCT_ACTIONTRAIL, .action = "LookupEvents", .params = p, .n_params = 4};
    if (ak_rcall(s->c, s->k->key_id, s->step, 0, &cl, s->calls) == AK_RCALL_OK) {
        size_t i;
        json_t *e;
        AK_JSON_EACH(json_object_get(cl.body, "Events"), i, e)
        if (!rid && event_is(s->c, e, action, name, value))
            rid = json_string_value(json_object_get(e, "requestId"))
                      ? ak_strdup(json_string_value(json_object_get(e, "requestId")))
                      : NULL;
    }
    ak_call_clear(&cl);
    return rid;
}

/* The change of this step was found made although no answer said so: audit it, with the
 * RequestId of the call that made it when it can be found. Returns 0 (the step is done). */
static int took_effect(step_ctx *s, const char *action, const char *name, const char *value,
                       const char *what)
{
    char *rid = effective_request_id(s, action, name, value);
    ak_buf_printf(s->detail, "%s (read back; %s RequestId %s)", what, action,
                  rid ? rid : "unknown: its answer was lost");
    ak_audit_entry e = {s->k->key_id, s->step, action, rid, "ok", ak_buf_cstr(s->detail)};
    if (ak_audit_write(s->c->audit, &e) < 0) ak_error("respond: cannot write the audit log");
    free(rid);
    return 0;
}

/* Status of the key per IMS ListAccessKeys: "Active", "Inactive", "" (absent); NULL on error. */
static const char *key_status(step_ctx *s, const char *step, ak_buf *why)
{
    ak_param p[] = {{"UserPrincipalName", owner_str(s->k, "user_principal_name")}};
    ak_call cl = {
        .product = AK_PRODUCT_IMS, .action = "ListAccessKeys", .params = p, .n_params = 1};
    int rc = ak_rcall(s->c, s->k->key_id, step, 0, &cl, s->calls);
    const char *out = NULL;
    if (rc == AK_RCALL_OK) {
        out = "";
        size_t i;
        json_t *e;
        json_t *arr = json_object_get(json_object_get(cl.body, "AccessKeys"), "AccessKey");
        AK_JSON_EACH(arr, i, e)
        {
            const char *id = json_string_value(json_object_get(e, "AccessKeyId"));
            const char *st = json_string_value(json_object_get(e, "Status"));
            if (id && !strcmp(id, s->k->key_id))
                out = st && !strcmp(st, "Inactive") ? "Inactive" : "Active";
        }
    } else {
        char *e = ak_rcall_error(&cl);
        ak_buf_puts(why, e);
        free(e);
    }
    ak_call_clear(&cl);
    return out;
}

static int step_disable(step_ctx *s)
{
    const char *was =
        json_string_value(json_object_get(json_object_get(s->k->facts, "key"), "status"));
    const char *id = s->k->key_id;
    if (was && !strcmp(was, "Inactive")) { /* read when the plan was made, in this run */
        if (s->recheck) return took_effect(s, "UpdateAccessKey", "UserAccessKeyId", id, "disabled");
        ak_buf_puts(s->detail, "already inactive: no change made");
        return 0;
    }
    ak_param p[] = {{"UserAccessKeyId", id},
                    {"Status", "Inactive"},
                    {"UserPrincipalName", owner_str(s->k, "user_principal_name")}};
    ak_call cl = {
        .product = AK_PRODUCT_IMS, .action = "UpdateAccessKey", .params = p, .n_params = 3};
    int rc = ak_rcall(s->c, id, "disable", 1, &cl, s->calls);
    if (rc == AK_RCALL_FAILED) { /* no answer: did it take effect? */
        const char *st = key_status(s, "disable", s->detail);
        if (st && !strcmp(st, "Inactive")) {
            ak_call_clear(&cl);
            return took_effect(s, "UpdateAccessKey", "UserAccessKeyId", id, "disabled");
        }
    }
    if (rc != AK_RCALL_OK) return fail_with(s, &cl);
    ak_call_clear(&cl);
    return 0;
}

static int step_delete(step_ctx *s)
{
    const char *id = s->k->key_id;
    if (s->recheck) {
        const char *st = key_status(s, "delete", s->detail);
        if (!st) return -1;
        if (!*st) return took_effect(s, "DeleteAccessKey", "UserAccessKeyId", id, "deleted");
    }
    ak_param p[] = {{"UserAccessKeyId", id},
                    {"UserPrincipalName", owner_str(s->k, "user_principal_name")}};
    ak_call cl = {
        .product = AK_PRODUCT_IMS, .action = "DeleteAccessKey", .params = p, .n_params = 2};
    int rc = ak_rcall(s->c, id, "delete", 1, &cl, s->calls);
    const char *st = rc == AK_RCALL_FAILED ? key_status(s, "delete", s->detail) : NULL;
    if ((rc == AK_RCALL_API_ERROR && !strcmp(cl.code, "EntityNotExist.User.AccessKey")) ||
        (st && !*st)) {
        ak_call_clear(&cl);
        return took_effect(s, "DeleteAccessKey", "UserAccessKeyId", id, "deleted");
    }
    if (rc != AK_RCALL_OK) return fail_with(s, &cl);
    ak_call_clear(&cl);
    return 0;
}

/* 1 when the policy's default document equals ours as JSON (RAM may reformat it). */
static int same_document(const json_t *get_policy_body)
{
    const char *doc = json_string_value(json_object_get(
        json_object_get(get_policy_body, "DefaultPolicyVersion"), "PolicyDocument"));
    size_t len;
    const char *ours = ak_respond_deny_policy(&len);
    json_t *a = doc ? json_loads(doc, 0, NULL) : NULL, *b = json_loadb(ours, len, 0, NULL);
    int same = a && b && json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

static int write_policy(step_ctx *s, int exists)
{
    size_t len;
    const char *doc = ak_respond_deny_policy(&len);
    const char *name = s->c->o->policy_name;
    ak_param create[] = {{"PolicyName", name},
                         {"PolicyDocument", doc},
                         {"Description", "akhound: denies high-risk actions to the users of "
                                         "leaked AccessKeys still in use"}};
    ak_param version[] = {{"PolicyName", name}, {"PolicyDocument", doc}, {"SetAsDefault", "true"}};
    ak_call cl = {.product = AK_PRODUCT_RAM,
                  .action = exists ? "CreatePolicyVersion" : "CreatePolicy",
                  .params = exists ? version : create,
                  .n_params = 3};
    int rc = ak_rcall(s->c, s->k->key_id, "policy", 1, &cl, s->calls);
    if (rc == AK_RCALL_FAILED ||
        (rc == AK_RCALL_API_ERROR && !exists && !strcmp(cl.code, "EntityAlreadyExists.Policy"))) {
        ak_call_clear(&cl);
        s->policy_unsure = cl.action;
        return 1; /* answer lost, or created meanwhile: read it again */
    }
    if (rc != AK_RCALL_OK) return fail_with(s, &cl);
    ak_buf_printf(s->detail, exists ? "new default version of %s" : "created %s", name);
    ak_call_clear(&cl);
    return 0;
}

static int step_policy(step_ctx *s)
{
    for (int round = 0; round < 3; round++) {
        ak_param p[] = {{"PolicyName", s->c->o->policy_name}, {"PolicyType", "Custom"}};
        ak_call cl = {.product = AK_PRODUCT_RAM, .action = "GetPolicy", .params = p, .n_params = 2};
        int rc = ak_rcall(s->c, s->k->key_id, "policy", 0, &cl, s->calls);
        int exists = rc == AK_RCALL_OK;
        if (rc == AK_RCALL_API_ERROR && !strcmp(cl.code, "EntityNotExist.Policy")) rc = AK_RCALL_OK;
        if (rc != AK_RCALL_OK) return fail_with(s, &cl);
        int same = exists && same_document(cl.body);
        ak_call_clear(&cl);
        if (same && s->policy_unsure)
            return took_effect(s, s->policy_unsure, "PolicyName", s->c->o->policy_name,
                               "the policy holds the Deny document");
        if (same) {
            ak_buf_printf(s->detail, "%s holds the Deny document", s->c->o->policy_name);
            return 0;
        }
        int w = write_policy(s, exists);
        if (w <= 0) return w;
    }
    ak_buf_puts(s->detail, "the policy kept changing under us");
    return -1;
}

/* 1 attached, 0 not, -1 error. */
static int is_attached(step_ctx *s)
{
    ak_param p[] = {{"UserName", owner_str(s->k, "user_name")}};
    ak_call cl = {
        .product = AK_PRODUCT_RAM, .action = "ListPoliciesForUser", .params = p, .n_params = 1};
    if (ak_rcall(s->c, s->k->key_id, "attach", 0, &cl, s->calls) != AK_RCALL_OK)
        return fail_with(s, &cl);
    int found = 0;
    size_t i;
    json_t *e;
    AK_JSON_EACH(json_object_get(json_object_get(cl.body, "Policies"), "Policy"), i, e)
    {
        const char *n = json_string_value(json_object_get(e, "PolicyName"));
        const char *t = json_string_value(json_object_get(e, "PolicyType"));
        found |= n && t && !strcmp(n, s->c->o->policy_name) && !strcmp(t, "Custom");
    }
    ak_call_clear(&cl);
    return found;
}

static int step_attach(step_ctx *s)
{
    const char *user = owner_str(s->k, "user_name");
    if (s->recheck) {
        int a = is_attached(s);
        if (a < 0) return -1;
        if (a) return took_effect(s, "AttachPolicyToUser", "UserName", user, "attached");
    }
    ak_param p[] = {{"PolicyType", "Custom"},
                    {"PolicyName", s->c->o->policy_name},
                    {"UserName", owner_str(s->k, "user_name")}};
    ak_call cl = {
        .product = AK_PRODUCT_RAM, .action = "AttachPolicyToUser", .params = p, .n_params = 3};
    int rc = ak_rcall(s->c, s->k->key_id, "attach", 1, &cl, s->calls);
    int a = rc == AK_RCALL_FAILED ? is_attached(s) : 0;
    if (a > 0 ||
        (rc == AK_RCALL_API_ERROR && !strcmp(cl.code, "EntityAlreadyExists.User.Policy"))) {
        ak_call_clear(&cl);
        return took_effect(s, "AttachPolicyToUser", "UserName", user, "attached");
    }
    if (rc != AK_RCALL_OK) return fail_with(s, &cl);
    ak_call_clear(&cl);
    return 0;
}

/* Rotation's last step: the Deny policy comes off only once the old key is deleted (rotate.c). */
static int step_detach(step_ctx *s)
{
    const char *user = owner_str(s->k, "user_name");
    int a = is_attached(s);
    if (a <= 0) {
        if (a == 0) ak_buf_puts(s->detail, "not attached");
        return a;
    }
    ak_param p[] = {
        {"PolicyType", "Custom"}, {"PolicyName", s->c->o->policy_name}, {"UserName", user}};
    ak_call cl = {
        .product = AK_PRODUCT_RAM, .action = "DetachPolicyFromUser", .params = p, .n_params = 3};
    int rc = ak_rcall(s->c, s->k->key_id, "detach", 1, &cl, s->calls);
    int gone = rc == AK_RCALL_FAILED ? !is_attached(s) : 0;
    if (gone || (rc == AK_RCALL_API_ERROR && !strcmp(cl.code, "EntityNotExist.User.Policy"))) {
        ak_call_clear(&cl);
        return took_effect(s, "DetachPolicyFromUser", "UserName", user, "detached");
    }
    if (rc != AK_RCALL_OK) return fail_with(s, &cl);
    ak_call_clear(&cl);
    return 0;
}

static int step_notify(step_ctx *s, int email)
{
    int rc =
        email ? ak_notify_email(s->c, s->k, s->detail) : ak_notify_webhook(s->c, s->k, s->detail);
    ak_audit_entry e = {s->k->key_id,
                        email ? "notify_email" : "notify_webhook",
                        email ? "SendMail" : "PostWebhook",
                        NULL,
                        rc == 0 ? "ok" : "failed",
                        s->detail->len ? ak_buf_cstr(s->detail) : NULL};
    if (ak_audit_write(s->c->audit, &e) < 0) ak_error("respond: cannot write the audit log");
    return rc;
}

static int run_step(const char *name, step_ctx *s)
{
    if (!strcmp(name, "disable")) return step_disable(s);
    if (!strcmp(name, "delete")) return step_delete(s);
    if (!strcmp(name, "policy")) return step_policy(s);
    if (!strcmp(name, "attach")) return step_attach(s);
    if (!strcmp(name, "detach")) return step_detach(s);
    return step_notify(s, !strcmp(name, "notify_email"));
}

static const char *would_do(const ak_rctx *c, const ak_rkey *k, const char *name, ak_buf *b)
{
    const ak_respond_opts *o = c->o;
    if (!strcmp(name, "disable"))
        ak_buf_printf(b,
                      "ims:UpdateAccessKey UserAccessKeyId=%s Status=Inactive "
                      "UserPrincipalName=%s",
                      k->key_id, owner_str(k, "user_principal_name"));
    else if (!strcmp(name, "delete"))
        ak_buf_printf(b, "ims:DeleteAccessKey UserAccessKeyId=%s UserPrincipalName=%s", k->key_id,
                      owner_str(k, "user_principal_name"));
    else if (!strcmp(name, "policy"))
        ak_buf_printf(b,
                      "ram:GetPolicy PolicyName=%s, then ram:CreatePolicy (or "
                      "ram:CreatePolicyVersion SetAsDefault=true when its document differs)",
                      o->policy_name);
    else if (!strcmp(name, "attach"))
        ak_buf_printf(b, "ram:AttachPolicyToUser PolicyType=Custom PolicyName=%s UserName=%s",
                      o->policy_name, owner_str(k, "user_name"));
    else if (!strcmp(name, "detach"))
        ak_buf_printf(b, "ram:DetachPolicyFromUser PolicyType=Custom PolicyName=%s UserName=%s",
                      o->policy_name, owner_str(k, "user_name"));
    else if (!strcmp(name, "notify_webhook"))
        ak_buf_printf(b, "POST the notice to the webhook");
    else
        ak_buf_printf(b, "mail the notice to %zu recipient(s)", o->n_mail_to);
    return ak_buf_cstr(b);
}

/* The key's state from its steps: the furthest milestone reached, or failed. */
static const char *state_of(const ak_rkey *k, json_t *steps, int failed)
{
    if (failed) return "failed";
    const char *st =
        json_object_get(k->facts, "owner") && strcmp(owner_str(k, "kind"), "unresolved")
            ? "owner_resolved"
            : "detected";
    int notify = 0, notified = 0;
    size_t i;
    json_t *e;
    AK_JSON_EACH(steps, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "step"));
        const char *sv = json_string_value(json_object_get(e, "status"));
        int done = sv && !strcmp(sv, "done");
        if (!strncmp(n, "notify", 6)) {
            notify++;
            notified += done;
        } else if (done) {
            st = !strcmp(n, "disable")  ? "disabled"
                 : !strcmp(n, "delete") ? "deleted"
                 : !strcmp(n, "attach") ? "contained"
                                        : st;
        }
    }
    return notify && notify == notified ? "notified" : st;
}

static void ledger_err(ak_rkey *k, ak_buf *err)
{
    ak_error("respond %s: %s", k->key_id, ak_buf_cstr(err));
    k->failed = 1;
    ak_buf_reset(err);
}

/* Runs or plans one step; returns 0, or -1 when it failed. *acted is set when an action step was
 * carried out in this run: then the notices go out again, so a later run's deletion or late
 * success is announced like the first run's actions. */
static int do_step(ak_rctx *c, ak_rkey *k, const char *name, json_t *steps, int skip_actions,
                   int *pending, int *acted)
{
    ak_buf err = AK_BUF_INIT, detail = AK_BUF_INIT;
    ak_step_status st = AK_STEP_NONE;
    if (ak_ledger_step_get(c->ledger, k->key_id, name, &st, &err) < 0) ledger_err(k, &err);
    json_t *j = json_pack("{s:s}", "step", name);
    json_array_append_new(steps, j);
    int notify = !strncmp(name, "notify", 6), rc = 0;
    if (st == AK_STEP_DONE && notify && *acted && c->o->apply) st = AK_STEP_NONE;
    if (st == AK_STEP_DONE) {
        json_object_set_new(j, "status", json_string("done"));
        json_object_set_new(j, "note", json_string("done by an earlier run"));
    } else if (!c->o->apply || (skip_actions && !notify)) {
        json_object_set_new(j, "status", json_string(c->o->apply ? "skipped" : "planned"));
        json_object_set_new(j, "would", json_string(would_do(c, k, name, &detail)));
        if (!c->o->apply) (*pending)++;
    } else {
        json_t *calls = json_array();
        json_object_set_new(j, "calls", calls);
        if (!notify) *acted = 1;
        if (ak_ledger_step_begin(c->ledger, k->key_id, name, &err) < 0) ledger_err(k, &err);
        step_ctx s = {c, k, name, calls, &detail, st == AK_STEP_STARTED, NULL};
        rc = run_step(name, &s);
        json_object_set_new(j, "status", json_string(rc == 0 ? "done" : "failed"));
        if (detail.len) json_object_set_new(j, "detail", json_string(ak_buf_cstr(&detail)));
        if (rc < 0) k->failed = 1;
        const char *state = state_of(k, steps, k->failed);
        if (ak_ledger_step_end(c->ledger, k->key_id, name, rc == 0,
                               detail.len ? ak_buf_cstr(&detail) : NULL, state, &err) < 0)
            ledger_err(k, &err);
    }
    ak_buf_free(&err);
    ak_buf_free(&detail);
    return rc;
}

void ak_apply_key(ak_rctx *c, ak_rkey *k)
{
    const char *names[8];
    json_t *usage = json_object_get(k->facts, "usage");
    size_t n = ak_plan_steps(c->o, k->decision,
                             usage && !json_is_true(json_object_get(usage, "in_use")), names);
    json_t *steps = json_array();
    json_object_set_new(k->entry, "steps", steps);
    int pending = 0, skip = k->failed, acted = 0;
    for (size_t i = 0; i < n; i++) {
        /* The notice must list the outcome of every action step, so it is composed now. */
        if (!strncmp(names[i], "notify", 6))
            json_object_set_new(k->entry, "todo", ak_plan_todo(k, c->o));
        if (do_step(c, k, names[i], steps, skip, &pending, &acted) < 0 &&
            strncmp(names[i], "notify", 6))
            skip = 1;
    }
    json_object_set_new(k->entry, "pending_steps", json_integer(pending));
    size_t i;
    json_t *e;
    AK_JSON_EACH(steps, i, e)
    {
        const char *st = json_string_value(json_object_get(e, "status"));
        if (k->failed && st && !strcmp(st, "failed") && !json_object_get(k->entry, "error")) {
            json_t *d = json_object_get(e, "detail");
            json_object_set_new(k->entry, "error",
                                json_sprintf("step %s: %s",
                                             json_string_value(json_object_get(e, "step")),
                                             d ? json_string_value(d) : "failed"));
        }
    }
    json_object_set_new(k->entry, "todo", ak_plan_todo(k, c->o));
    json_object_set_new(k->entry, "state",
                        json_string(c->o->apply ? state_of(k, steps, k->failed) : "planned"));
}

int ak_apply_one(ak_rctx *c, ak_rkey *k, const char *name, json_t *steps, int *pending)
{
    int acted = 0;
    return do_step(c, k, name, steps, 0, pending, &acted);
}
