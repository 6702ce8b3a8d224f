/*
 * Evidence: what ActionTrail recorded for calls made with the key (LookupEvents filtered by
 * EventAccessKeyId, over the unused window or --evidence-days if longer), and whether the key's
 * user can log on to the console and has MFA. ActionTrail can prove use, never non-use: calls in
 * the unused window count as use, except akhound's own validations (STS GetCallerIdentity with
 * akhound's validation User-Agent, within the time of a validation of ours). A failed ActionTrail
 * read is noted ("error") and makes the key count as in use (usage.c); the MFA and console reads
 * only inform.
 */
#include "cloud/validate.h"
#include "respond/respond_int.h"
#include "util/mem.h"
#include "util/clock.h"

#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>

#define MAX_PAGES 10
#define MAX_LISTED 20

/* ActionTrail's event history goes back 90 days (as --evidence-days's own limit assumes); past
 * that a longer unused window is covered by the last-use date alone. */
#define TRAIL_DAYS_MAX 90

unsigned ak_respond_evidence_days(const ak_respond_opts *o)
{
    unsigned d = o->evidence_days > o->unused_days ? o->evidence_days : o->unused_days;
    return d > TRAIL_DAYS_MAX ? TRAIL_DAYS_MAX : d;
}

static void add_unique(json_t *arr, const char *s)
{
    if (!s || !*s || json_array_size(arr) >= MAX_LISTED) return;
    size_t i;
    json_t *v;
    AK_JSON_EACH(arr, i, v) if (!strcmp(json_string_value(v), s)) return;
    json_array_append_new(arr, json_string(s));
}

/* Write events that leave an attacker a way back in (seed step 3). */
static const char *const footholds[] = {
    "CreateUser",         "CreateAccessKey",     "CreateLoginProfile",
    "UpdateLoginProfile", "AttachPolicyToUser",  "AttachPolicyToGroup",
    "AttachPolicyToRole", "CreatePolicyVersion", "SetDefaultPolicyVersion",
    "CreateRole",         "UpdateRole",
};

static int is_foothold(const char *name)
{
    for (size_t i = 0; name && i < sizeof footholds / sizeof *footholds; i++)
        if (!strcmp(name, footholds[i])) return 1;
    return 0;
}

static const char *param_of(json_t *e, const char *where, const char *name)
{
    return json_string_value(json_object_get(json_object_get(e, where), name));
}

/* One foothold event: what, when, from where, and the user or key it created. The new key's ID
 * is read from responseElements.AccessKey.AccessKeyId (its shape in real ActionTrail events is not
 * confirmed; without it the user is still listed). */
static json_t *foothold_json(json_t *e, const char *name)
{
    json_t *resp = json_object_get(e, "responseElements");
    const char *key =
        json_string_value(json_object_get(json_object_get(resp, "AccessKey"), "AccessKeyId"));
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "event", name, "time",
                     json_string_value(json_object_get(e, "eventTime")), "source_ip",
                     json_string_value(json_object_get(e, "sourceIpAddress")), "user_name",
                     param_of(e, "requestParameters", "UserName"), "policy_name",
                     param_of(e, "requestParameters", "PolicyName"), "role_name",
                     param_of(e, "requestParameters", "RoleName"), "access_key_id", key);
}

typedef struct summary {
    const ak_rkey *k; /* its validations tell which calls may be ours */
    long count, other;
    json_t *names, *ips, *footholds;
    char first[32], last[32];
    long long used_since;
} summary;

static void summarize(summary *s, json_t *events)
{
    size_t i;
    json_t *e;
    AK_JSON_EACH(events, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "eventName"));
        const char *svc = json_string_value(json_object_get(e, "serviceName"));
        const char *t = json_string_value(json_object_get(e, "eventTime"));
        s->count++;
        add_unique(s->names, name);
        add_unique(s->ips, json_string_value(json_object_get(e, "sourceIpAddress")));
        if (t && strlen(t) < sizeof s->first) {
            if (!s->first[0] || strcmp(t, s->first) < 0) strcpy(s->first, t);
            if (!s->last[0] || strcmp(t, s->last) > 0) strcpy(s->last, t);
        }
        const char *ua = json_string_value(json_object_get(e, "userAgent"));
        /* Anyone can send our User-Agent: a call is ours only when it also falls within one of
         * our validations of the key. */
        long long when = ak_respond_parse_time(t);
        int self = name && !strcmp(name, "GetCallerIdentity") && svc && !strcasecmp(svc, "sts") &&
                   ua && !strncmp(ua, AK_VALIDATE_USER_AGENT, strlen(AK_VALIDATE_USER_AGENT)) &&
                   ak_self_holds(s->k->self, s->k->n_self, when);
        if (!self && (when < 0 || when >= s->used_since)) s->other++;
        if (is_foothold(name) && json_array_size(s->footholds) < MAX_LISTED)
            json_array_append_new(s->footholds, foothold_json(e, name));
    }
}

/* Events made with the key from `from` on; those from `used_since` on count as use. */
static json_t *lookup_events(ak_rctx *c, ak_rkey *k, json_t *calls, time_t from, time_t used_since)
{
    char start[21], end[21], max[] = "50";
    time_t now = time(NULL);
    ak_iso8601(start, from);
    ak_iso8601(end, now);
    summary s = {.k = k, .names = json_array(), .ips = json_array(), .footholds = json_array()};
    s.used_since = (long long)used_since;
    char *token = NULL, *error = NULL;
    for (int page = 0; page < MAX_PAGES; page++) {
        ak_param p[] = {{"LookupAttribute.1.Key", "EventAccessKeyId"},
                        {"LookupAttribute.1.Value", k->key_id},
                        {"StartTime", start},
                        {"EndTime", end},
                        {"MaxResults", max},
                        {"NextToken", token ? token : ""}};
        ak_call call = {.product = AK_PRODUCT_ACTIONTRAIL,
                        .action = "LookupEvents",
                        .params = p,
                        .n_params = token ? 6 : 5};
        int rc = ak_rcall(c, k->key_id, "evidence", 0, &call, calls);
        free(token);
        token = NULL;
        if (rc != AK_RCALL_OK || !json_is_array(json_object_get(call.body, "Events"))) {
            error = rc != AK_RCALL_OK
                        ? ak_rcall_error(&call)
                        : ak_strdup("ActionTrail LookupEvents: no Events in the answer");
        } else {
            summarize(&s, json_object_get(call.body, "Events"));
            const char *next = json_string_value(json_object_get(call.body, "NextToken"));
            if (next && *next) token = ak_strdup(next);
        }
        ak_call_clear(&call);
        if (!token) break;
    }
    /* Pages left unread may hold a use (the newest come first, but calls passing for ours can
     * fill the pages read): without a use seen, the evidence is incomplete. */
    if (token && !error && !s.other)
        error = ak_strdup("ActionTrail LookupEvents: more events than the pages read");
    free(token);
    json_t *ev = json_pack("{s:i, s:I, s:I, s:o, s:o, s:o, s:s?, s:s?}", "days",
                           (json_int_t)((now - from - AK_CLOCK_TOLERANCE + 86399) / 86400),
                           "events", (json_int_t)s.count, "other_calls", (json_int_t)s.other,
                           "event_names", s.names, "source_ips", s.ips, "footholds", s.footholds,
                           "first", s.first[0] ? s.first : NULL, "last", s.last[0] ? s.last : NULL);
    if (error) json_object_set_new(ev, "error", json_string(error));
    free(error);
    return ev;
}

/* IMS read on the key's user; 1 yes, 0 no (absent), -1 error (noted). */
static int user_flag(ak_rctx *c, ak_rkey *k, const char *action, const char *absent_code,
                     json_t *facts_obj, json_t *calls)
{
    const char *upn = json_string_value(
        json_object_get(json_object_get(k->facts, "owner"), "user_principal_name"));
    ak_param p[] = {{"UserPrincipalName", upn}};
    ak_call call = {.product = AK_PRODUCT_IMS, .action = action, .params = p, .n_params = 1};
    int rc = ak_rcall(c, k->key_id, "evidence", 0, &call, calls), out = -1;
    if (rc == AK_RCALL_OK && !strcmp(action, "GetUserMFAInfo"))
        out = json_is_true(json_object_get(call.body, "IsMFAEnable")) ||
              json_object_get(call.body, "MFADevice") != NULL;
    else if (rc == AK_RCALL_OK)
        out = 1;
    else if (rc == AK_RCALL_API_ERROR && !strcmp(call.code, absent_code))
        out = 0;
    if (out < 0) {
        char *why = ak_rcall_error(&call);
        json_object_set_new(facts_obj, "error", json_string(why));
        free(why);
    }
    ak_call_clear(&call);
    return out;
}

void ak_evidence_gather(ak_rctx *c, ak_rkey *k)
{
    json_t *calls = json_object_get(k->entry, "read_calls");
    /* Like the last-use rule, allow for our clock being ahead of the cloud's. */
    time_t now = time(NULL) - AK_CLOCK_TOLERANCE;
    json_object_set_new(k->facts, "evidence",
                        lookup_events(c, k, calls,
                                      now - (time_t)ak_respond_evidence_days(c->o) * 86400,
                                      now - (time_t)c->o->unused_days * 86400));
    const char *kind =
        json_string_value(json_object_get(json_object_get(k->facts, "owner"), "kind"));
    if (strcmp(kind, "ram_user")) return;
    json_t *user = json_object();
    int mfa = user_flag(c, k, "GetUserMFAInfo", "EntityNotExist.User.MFADevice", user, calls);
    int console =
        user_flag(c, k, "GetLoginProfile", "EntityNotExist.User.LoginProfile", user, calls);
    json_object_set_new(user, "mfa", mfa < 0 ? json_null() : json_boolean(mfa));
    json_object_set_new(user, "console_login", console < 0 ? json_null() : json_boolean(console));
    json_object_set_new(k->facts, "user", user);
}

void ak_evidence_trail(ak_rctx *c, ak_rkey *k, time_t since)
{
    json_object_set_new(k->facts, "evidence",
                        lookup_events(c, k, json_object_get(k->entry, "read_calls"), since, since));
}
