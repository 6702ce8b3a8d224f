/*
 * Planning: the facts about one leaked key and the decision they lead to, using read calls only,
 * so a dry run and --apply decide alike. The order follows the procedure: who owns the key (IMS
 * GetUser by AccessKey ID, else the identity STS gave at validation), whether it is in use (IMS
 * GetAccessKeyLastUsed first, then its status and creation date from ListAccessKeys, then
 * ActionTrail), decided by the fail-safe rule of usage.c. A failed owner lookup fails the key (no
 * one to contain); a failed usage read makes the key "in use" and the run incomplete.
 */
#include "respond/respond_int.h"
#include "util/clock.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t ak_plan_steps(const ak_respond_opts *o, const char *decision, int deletable,
                     const char *steps[8])
{
    size_t n = 0;
    if (!decision || !strcmp(decision, "none")) return 0;
    if (!strcmp(decision, "disable")) {
        steps[n++] = "disable";
        if (o->delete_unused && deletable) steps[n++] = "delete";
    } else if (!strcmp(decision, "contain")) {
        steps[n++] = "policy";
        steps[n++] = "attach";
    }
    if (o->webhook_url) steps[n++] = "notify_webhook";
    if (o->smtp_url && o->n_mail_to) steps[n++] = "notify_email";
    return n;
}

/* The identity validation reported, as an owner, or NULL when it says nothing useful. */
static json_t *owner_from_validation(ak_rctx *c, const ak_rkey *k)
{
    const ak_validation *v = k->val;
    if (!v || v->status != AK_VAL_VALID || !v->account_id) return NULL;
    const char *type = v->identity_type ? v->identity_type : "";
    const char *kind = strcmp(v->account_id, c->account_id) ? "foreign"
                       : !strcmp(type, "Account")           ? "root"
                       : !strcmp(type, "AssumedRoleUser")   ? "sts"
                                                            : "unresolved";
    return json_pack("{s:s, s:s, s:s?, s:s?, s:s}", "kind", kind, "account_id", v->account_id,
                     "identity_type", v->identity_type, "arn", v->arn, "source", "validation");
}

/* 0 with facts.owner set, or -1 (key failed). */
static int resolve_owner(ak_rctx *c, ak_rkey *k, json_t *calls)
{
    if (!strncmp(k->key_id, "STS.", 4)) {
        json_t *o = owner_from_validation(c, k);
        if (!o) o = json_pack("{s:s, s:s}", "kind", "sts", "source", "key prefix");
        json_object_set_new(o, "kind",
                            json_string(strcmp(ak_jstr(o, "kind"), "foreign") ? "sts" : "foreign"));
        json_object_set_new(k->facts, "owner", o);
        return 0;
    }
    ak_param p[] = {{"UserAccessKeyId", k->key_id}};
    ak_call call = {.product = AK_PRODUCT_IMS, .action = "GetUser", .params = p, .n_params = 1};
    int rc = ak_rcall(c, k->key_id, "resolve_owner", 0, &call, calls);
    json_t *owner = NULL;
    if (rc == AK_RCALL_OK) {
        json_t *u = json_object_get(call.body, "User");
        owner =
            json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s}", "kind", "ram_user", "account_id",
                      c->account_id, "user_name", ak_jstr(u, "UserName"), "user_principal_name",
                      ak_jstr(u, "UserPrincipalName"), "user_id", ak_jstr(u, "UserId"),
                      "display_name", ak_jstr(u, "DisplayName"), "source", "ims");
        if (!ak_jstr(u, "UserName") || !ak_jstr(u, "UserPrincipalName")) {
            json_decref(owner);
            owner = NULL;
            rc = AK_RCALL_FAILED;
        }
    } else if (rc == AK_RCALL_API_ERROR && (!strcmp(call.code, "EntityNotExist.User.AccessKey") ||
                                            !strcmp(call.code, "EntityNotExist.User"))) {
        owner = owner_from_validation(c, k);
        const char *was = ak_jstr(k->earlier_owner, "kind");
        if (!owner && was && !strcmp(was, "ram_user") &&
            !strcmp(call.code, "EntityNotExist.User.AccessKey")) {
            /* An earlier run found it with a RAM user of ours: it was deleted since. */
            owner = json_deep_copy(k->earlier_owner);
            json_object_set_new(owner, "source", json_string("earlier run"));
            json_object_set_new(k->facts, "key", json_pack("{s:s}", "status", "absent"));
        }
        /* The key exists in the account but belongs to no RAM user: the account's own key. */
        if (!owner && !strcmp(call.code, "EntityNotExist.User"))
            owner = json_pack("{s:s, s:s, s:s}", "kind", "root", "account_id", c->account_id,
                              "source", "ims");
        if (!owner)
            owner = json_pack("{s:s, s:s}", "kind", "unresolved", "source",
                              "not in the responder's account; no validated identity");
        rc = AK_RCALL_OK;
    }
    if (rc != AK_RCALL_OK) {
        char *why = ak_rcall_error(&call);
        json_object_set_new(k->facts, "error", json_string(why));
        free(why);
    } else {
        json_object_set_new(k->facts, "owner", owner);
    }
    ak_call_clear(&call);
    return rc == AK_RCALL_OK ? 0 : -1;
}

static int read_last_used(ak_rctx *c, ak_rkey *k, json_t *calls)
{
    json_t *owner = json_object_get(k->facts, "owner");
    ak_param p[] = {{"UserAccessKeyId", k->key_id},
                    {"UserPrincipalName", ak_jstr(owner, "user_principal_name")}};
    ak_call call = {
        .product = AK_PRODUCT_IMS, .action = "GetAccessKeyLastUsed", .params = p, .n_params = 2};
    int rc = ak_rcall(c, k->key_id, "last_used", 0, &call, calls);
    json_t *lu = json_object_get(call.body, "AccessKeyLastUsed");
    if (rc == AK_RCALL_OK && !json_is_object(lu)) {
        json_object_set_new(
            k->facts, "last_used",
            json_pack("{s:s}", "error",
                      "IMS GetAccessKeyLastUsed: no AccessKeyLastUsed in the answer"));
        rc = AK_RCALL_FAILED;
    } else if (rc == AK_RCALL_OK) {
        const char *d = ak_jstr(lu, "LastUsedDate");
        json_object_set_new(k->facts, "last_used",
                            json_pack("{s:s?, s:s?, s:s?}", "date", d && *d ? d : NULL, "service",
                                      ak_jstr(lu, "ServiceName"), "request_id", call.request_id));
    } else {
        char *why = ak_rcall_error(&call);
        json_object_set_new(k->facts, "last_used", json_pack("{s:s}", "error", why));
        free(why);
    }
    ak_call_clear(&call);
    return rc == AK_RCALL_OK ? 0 : -1;
}

/* The key's status and creation date (IMS ListAccessKeys of its user) into facts.key. */
static void read_key(ak_rctx *c, ak_rkey *k, json_t *calls)
{
    ak_param p[] = {
        {"UserPrincipalName", ak_jstr(json_object_get(k->facts, "owner"), "user_principal_name")}};
    ak_call call = {
        .product = AK_PRODUCT_IMS, .action = "ListAccessKeys", .params = p, .n_params = 1};
    json_t *key = NULL;
    json_t *list = NULL;
    if (ak_rcall(c, k->key_id, "key_status", 0, &call, calls) == AK_RCALL_OK)
        list = json_object_get(json_object_get(call.body, "AccessKeys"), "AccessKey");
    if (json_is_array(list)) {
        size_t i;
        json_t *e;
        AK_JSON_EACH(list, i, e)
        if (ak_jstr(e, "AccessKeyId") && !strcmp(ak_jstr(e, "AccessKeyId"), k->key_id))
            key = json_pack("{s:s?, s:s?}", "status", ak_jstr(e, "Status"), "created",
                            ak_jstr(e, "CreateDate"));
        if (!key) key = json_pack("{s:s}", "status", "absent");
    } else {
        char *why = call.state == AK_CALL_OK
                        ? ak_strdup("IMS ListAccessKeys: no AccessKeys.AccessKey in the answer")
                        : ak_rcall_error(&call);
        key = json_pack("{s:s}", "error", why);
        free(why);
    }
    json_object_set_new(k->facts, "key", key);
    ak_call_clear(&call);
}

static void decide_usage(ak_rctx *c, ak_rkey *k)
{
    json_t *lu = json_object_get(k->facts, "last_used");
    json_t *ev = json_object_get(k->facts, "evidence");
    json_t *key = json_object_get(k->facts, "key");
    const char *date = ak_jstr(lu, "date");
    ak_usage_in in = {.last_used = ak_jstr(lu, "error") ? NULL
                                   : date               ? date
                                                        : "",
                      .created = ak_jstr(key, "created"),
                      .self = k->self,
                      .n_self = k->n_self,
                      .trail_uses = (long)json_integer_value(json_object_get(ev, "other_calls")),
                      .trail_failed = !ev || json_object_get(ev, "error") != NULL,
                      .now = (long long)time(NULL),
                      .unused_days = c->o->unused_days};
    ak_usage u;
    ak_respond_usage(&in, &u);
    /* The key's status is a needed read too: without it the run is incomplete. */
    if (ak_jstr(key, "error")) u.incomplete = 1;
    int inactive = ak_jstr(key, "status") && !strcmp(ak_jstr(key, "status"), "Inactive");
    json_object_set_new(k->facts, "usage",
                        json_pack("{s:b, s:s, s:b, s:s?, s:i}", "in_use", u.in_use, "reason",
                                  u.reason, "incomplete", u.incomplete, "first_validated_at",
                                  k->first_validated_at, "unused_days", (int)c->o->unused_days));
    k->incomplete = u.incomplete;
    /* An inactive key cannot be used now: it stays disabled, and is deleted only when unused. */
    k->decision = inactive || !u.in_use ? "disable" : "contain";
}

/* A root key: only ActionTrail can say when it was last used (GetAccessKeyLastUsedInfo), and it
 * can prove use but not non-use, so the answer is "yes" or "unknown". Informs the notice only. */
static void root_usage(ak_rctx *c, ak_rkey *k, json_t *calls)
{
    ak_param p[] = {{"AccessKey", k->key_id}};
    ak_call call = {.product = AK_PRODUCT_ACTIONTRAIL,
                    .action = "GetAccessKeyLastUsedInfo",
                    .params = p,
                    .n_params = 1};
    char date[21] = "";
    if (ak_rcall(c, k->key_id, "last_used", 0, &call, calls) == AK_RCALL_OK) {
        json_int_t ms = json_integer_value(json_object_get(call.body, "UsedTimestamp"));
        if (ms > 0) ak_iso8601(date, (time_t)(ms / 1000));
    }
    ak_call_clear(&call);
    long long t = ak_respond_parse_time(date),
              window = (long long)time(NULL) - c->o->unused_days * 86400LL;
    long trail = (long)json_integer_value(
        json_object_get(json_object_get(k->facts, "evidence"), "other_calls"));
    int used = trail > 0 || t >= window;
    json_object_set_new(
        k->facts, "last_used",
        json_pack("{s:s?, s:s}", "date", *date ? date : NULL, "source", "actiontrail"));
    json_object_set_new(
        k->facts, "usage",
        json_pack("{s:o, s:s}", "in_use", used ? json_true() : json_null(), "reason",
                  used ? "ActionTrail shows use within the unused window"
                       : "ActionTrail shows no use, but it cannot prove non-use (OSS, SLS)"));
}

void ak_plan_key(ak_rctx *c, ak_rkey *k)
{
    k->facts = json_object();
    json_t *calls = json_object_get(k->entry, "read_calls");
    ak_val_status st = k->val ? k->val->status : AK_VAL_NONE;
    if (st == AK_VAL_NOT_FOUND || st == AK_VAL_EXPIRED) {
        json_object_set_new(
            k->facts, "reason",
            json_sprintf("validation found the key %s: nothing to act on", ak_val_status_name(st)));
        k->decision = "none";
        return;
    }
    if (resolve_owner(c, k, calls) < 0) {
        k->failed = 1;
        return;
    }
    const char *kind = ak_jstr(json_object_get(k->facts, "owner"), "kind");
    int user = !strcmp(kind, "ram_user");
    if (user && !json_object_get(k->facts, "key")) {
        read_last_used(c, k, calls); /* first: before anything else might touch the key */
        read_key(c, k, calls);
    }
    const char *status = ak_jstr(json_object_get(k->facts, "key"), "status");
    if (user && status && !strcmp(status, "absent")) {
        json_object_set_new(k->facts, "reason",
                            json_string("the key no longer exists: nothing to act on"));
        k->decision = "none";
        return;
    }
    if (user || !strcmp(kind, "root")) ak_evidence_gather(c, k);
    if (!strcmp(kind, "root")) root_usage(c, k, calls);
    if (!user) {
        k->decision = "notify";
        return;
    }
    decide_usage(c, k);
}
