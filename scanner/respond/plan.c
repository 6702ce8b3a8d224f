/*
 * Planning: the facts about one leaked key and the decision they lead to, using read calls only,
 * so a dry run and --apply decide alike. The order follows the procedure: who owns the key (IMS
 * GetUser by AccessKey ID, else the identity STS gave at validation), whether it is in use (IMS
 * GetAccessKeyLastUsed, read before anything else touches the key, with akhound's own validation
 * call discounted), then the evidence for the humans. A read that fails for a reason other than
 * "not there" fails the key: acting on a guess about a customer's cloud is worse than stopping.
 */
#include "respond/respond_int.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int ak_respond_in_use(const char *last_used, const char *first_validation, long long now,
                      unsigned unused_days, long recent_events, const char **reason)
{
    long long lu = ak_respond_parse_time(last_used);
    long long fv = ak_respond_parse_time(first_validation);
    if (recent_events > 0) {
        *reason = "ActionTrail shows calls made with the key";
        return 1;
    }
    if (lu < 0) {
        *reason = "never used";
        return 0;
    }
    if (fv >= 0 && lu >= fv - AK_SELF_USE_GRACE) {
        *reason = "last use is akhound's own validation";
        return 0;
    }
    if (lu < now - (long long)unused_days * 86400) {
        *reason = "not used within the unused window";
        return 0;
    }
    *reason = "used within the unused window";
    return 1;
}

size_t ak_plan_steps(const ak_respond_opts *o, const char *decision, const char *steps[8])
{
    size_t n = 0;
    if (!decision || !strcmp(decision, "none")) return 0;
    if (!strcmp(decision, "disable")) {
        steps[n++] = "disable";
        if (o->delete_unused) steps[n++] = "delete";
    } else if (!strcmp(decision, "contain")) {
        steps[n++] = "policy";
        steps[n++] = "attach";
    }
    if (o->webhook_url) steps[n++] = "notify_webhook";
    if (o->smtp_url && o->n_mail_to) steps[n++] = "notify_email";
    return n;
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
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
                            json_string(strcmp(jstr(o, "kind"), "foreign") ? "sts" : "foreign"));
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
                      c->account_id, "user_name", jstr(u, "UserName"), "user_principal_name",
                      jstr(u, "UserPrincipalName"), "user_id", jstr(u, "UserId"), "display_name",
                      jstr(u, "DisplayName"), "source", "ims");
        if (!jstr(u, "UserName") || !jstr(u, "UserPrincipalName")) {
            json_decref(owner);
            owner = NULL;
            rc = AK_RCALL_FAILED;
        }
    } else if (rc == AK_RCALL_API_ERROR && (!strcmp(call.code, "EntityNotExist.User.AccessKey") ||
                                            !strcmp(call.code, "EntityNotExist.User"))) {
        owner = owner_from_validation(c, k);
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
                    {"UserPrincipalName", jstr(owner, "user_principal_name")}};
    ak_call call = {
        .product = AK_PRODUCT_IMS, .action = "GetAccessKeyLastUsed", .params = p, .n_params = 2};
    int rc = ak_rcall(c, k->key_id, "last_used", 0, &call, calls);
    if (rc == AK_RCALL_OK) {
        json_t *lu = json_object_get(call.body, "AccessKeyLastUsed");
        const char *d = jstr(lu, "LastUsedDate");
        json_object_set_new(k->facts, "last_used",
                            json_pack("{s:s?, s:s?}", "date", d && *d ? d : NULL, "service",
                                      jstr(lu, "ServiceName")));
    } else {
        char *why = ak_rcall_error(&call);
        json_object_set_new(k->facts, "error", json_string(why));
        free(why);
    }
    ak_call_clear(&call);
    return rc == AK_RCALL_OK ? 0 : -1;
}

static void decide_usage(ak_rctx *c, ak_rkey *k)
{
    json_t *lu = json_object_get(k->facts, "last_used");
    json_t *ev = json_object_get(k->facts, "evidence");
    const char *reason;
    int used = ak_respond_in_use(
        jstr(lu, "date"), k->first_validated_at, (long long)time(NULL), c->o->unused_days,
        (long)json_integer_value(json_object_get(ev, "other_calls")), &reason);
    json_object_set_new(k->facts, "usage",
                        json_pack("{s:b, s:s, s:s?, s:i}", "in_use", used, "reason", reason,
                                  "first_validated_at", k->first_validated_at, "unused_days",
                                  (int)c->o->unused_days));
    k->decision = used ? "contain" : "disable";
}

void ak_plan_key(ak_rctx *c, ak_rkey *k)
{
    k->facts = json_object();
    json_t *calls = json_object_get(k->entry, "read_calls");
    ak_val_status st = k->val ? k->val->status : AK_VAL_NONE;
    if (st == AK_VAL_NOT_FOUND || st == AK_VAL_INACTIVE || st == AK_VAL_EXPIRED) {
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
    const char *kind = jstr(json_object_get(k->facts, "owner"), "kind");
    if (!strcmp(kind, "ram_user") && read_last_used(c, k, calls) < 0) {
        k->failed = 1;
        return;
    }
    if (!strcmp(kind, "ram_user") || !strcmp(kind, "root")) ak_evidence_gather(c, k);
    if (!strcmp(kind, "ram_user"))
        decide_usage(c, k);
    else
        k->decision = "notify";
}
