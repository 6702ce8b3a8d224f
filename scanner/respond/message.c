/*
 * What respond tells humans: the list of things a human must still do for a key, the plain-text
 * notice (mail, Slack, DingTalk) and the webhook bodies. All are built from the key's report
 * entry, which holds IDs, names, locations and RequestIds but never a secret, so nothing here can
 * leak one; the senders still check the final text against every secret of the input.
 */
#include "respond/respond_int.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *sget(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void todo(json_t *arr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void todo(json_t *arr, const char *fmt, ...)
{
    ak_buf b = AK_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    ak_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    json_array_append_new(arr, json_string(ak_buf_cstr(&b)));
    ak_buf_free(&b);
}

static void owner_todo(json_t *t, const ak_rkey *k, const json_t *owner, const ak_respond_opts *o)
{
    const char *kind = sget(owner, "kind"), *acct = sget(owner, "account_id");
    const char *user = sget(owner, "user_name");
    if (!strcmp(k->decision, "disable")) {
        if (!o->delete_unused)
            todo(t,
                 "Confirm nothing broke, then delete the disabled key %s (akhound respond "
                 "--apply --delete-unused, or the RAM console).",
                 k->key_id);
    } else if (!strcmp(k->decision, "contain")) {
        todo(t,
             "Rotate the key: create a new AccessKey for RAM user %s, switch the workload "
             "to it, verify, then disable and delete %s.",
             user, k->key_id);
        todo(t,
             "Check that the Deny policy %s does not break the workload; detach it only "
             "after %s is disabled and deleted.",
             o->policy_name, k->key_id);
    } else if (!strcmp(kind, "root")) {
        todo(t,
             "%s is a root-account (Alibaba Cloud account %s) AccessKey: sign in with the "
             "account's own credentials and disable, rotate and delete it in the console.",
             k->key_id, acct ? acct : "?");
    } else if (!strcmp(kind, "foreign")) {
        todo(t,
             "%s belongs to another account (%s): have that account's owner rotate it in "
             "the console with the account's own credentials.",
             k->key_id, acct ? acct : "?");
    } else if (!strcmp(kind, "sts")) {
        todo(t,
             "%s is an STS temporary credential: it expires by itself; revoke the role's "
             "sessions and rotate whatever credential issued it.",
             k->key_id);
    } else {
        todo(t,
             "The owner of %s could not be resolved: find the account that owns it and "
             "rotate it there with that account's own credentials.",
             k->key_id);
    }
}

json_t *ak_plan_todo(const ak_rkey *k, const ak_respond_opts *o)
{
    json_t *t = json_array();
    if (!k->decision || !strcmp(k->decision, "none")) return t;
    json_t *owner = json_object_get(k->facts, "owner");
    json_t *steps = json_object_get(k->entry, "steps");
    size_t i;
    json_t *s;
    AK_JSON_EACH(steps, i, s)
    if (sget(s, "status") && !strcmp(sget(s, "status"), "failed"))
        todo(t, "Step %s failed (%s): fix the cause and run akhound respond --apply again.",
             sget(s, "step"), sget(s, "detail") ? sget(s, "detail") : "see the audit log");
    owner_todo(t, k, owner, o);
    todo(t, "Remove the secret from every place it was found (and from git history); "
            "treat it as public.");
    json_t *user = json_object_get(k->facts, "user");
    if (json_is_true(json_object_get(user, "console_login")) &&
        !json_is_true(json_object_get(user, "mfa")))
        todo(t, "RAM user %s can log on to the console without MFA: bind an MFA device.",
             sget(owner, "user_name"));
    if (json_is_true(json_object_get(user, "console_login")))
        todo(t,
             "RAM user %s can log on to the console: change its password (whoever held the "
             "key could have set one).",
             sget(owner, "user_name"));
    todo(t, "Enable MFA for every RAM user of the account who can log on to the console.");
    todo(t, "Review ActionTrail for suspicious operations made with the key, and check the "
            "account's other RAM users and AccessKeys.");
    json_t *fh = json_object_get(json_object_get(k->facts, "evidence"), "footholds");
    if (json_array_size(fh))
        todo(t,
             "Review the %zu foothold(s) made with %s (listed under Evidence): remove users, "
             "keys, logon profiles, roles and policy changes the workload does not need; keys "
             "created with it are handled by akhound as leaked keys too.",
             json_array_size(fh), k->key_id);
    if (k->created_with)
        todo(t, "%s was created with the leaked key %s: unless its owner knows it, delete it.",
             k->key_id, k->created_with);
    todo(t,
         "ActionTrail does not hold OSS and SLS data events: check the OSS access logs and the "
         "SLS audit logs for requests signed with %s.",
         k->key_id);
    todo(t, "Check the bills for unexpected fees.");
    return t;
}

static void text_owner(ak_buf *b, const json_t *owner)
{
    const char *kind = sget(owner, "kind") ? sget(owner, "kind") : "unresolved";
    const char *acct = sget(owner, "account_id");
    if (!strcmp(kind, "ram_user"))
        ak_buf_printf(b, "RAM user %s (%s) in account %s", sget(owner, "user_name"),
                      sget(owner, "user_principal_name"), acct);
    else if (!strcmp(kind, "root"))
        ak_buf_printf(b, "the root account %s", acct ? acct : "?");
    else if (!strcmp(kind, "foreign"))
        ak_buf_printf(b, "another account: %s (%s)", acct ? acct : "?",
                      sget(owner, "arn") ? sget(owner, "arn") : "?");
    else if (!strcmp(kind, "sts"))
        ak_buf_printf(b, "STS temporary credentials%s%s", sget(owner, "arn") ? " of " : "",
                      sget(owner, "arn") ? sget(owner, "arn") : "");
    else
        ak_buf_puts(b, "unresolved");
}

static void text_locations(ak_buf *b, const json_t *locs)
{
    size_t i;
    json_t *l;
    AK_JSON_EACH(locs, i, l)
    {
        if (i == 10) {
            ak_buf_printf(b, "  - and %zu more\n", json_array_size(locs) - 10);
            break;
        }
        ak_buf_puts(b, "  - ");
        if (sget(l, "repository")) ak_buf_printf(b, "%s: ", sget(l, "repository"));
        ak_buf_printf(b, "%s:%lld", sget(l, "path"),
                      (long long)json_integer_value(json_object_get(l, "line")));
        json_t *c = json_object_get(l, "commit");
        if (json_is_object(c))
            ak_buf_printf(b, " (commit %.12s by %s <%s>, %s)", sget(c, "id"),
                          sget(c, "author") ? sget(c, "author") : "?",
                          sget(c, "email") ? sget(c, "email") : "?",
                          sget(c, "date") ? sget(c, "date") : "?");
        ak_buf_putc(b, '\n');
    }
}

static void text_steps(ak_buf *b, const json_t *steps)
{
    size_t i, j;
    json_t *s, *call;
    int any = 0;
    AK_JSON_EACH(steps, i, s)
    {
        const char *st = sget(s, "status"), *name = sget(s, "step");
        if (!strncmp(name, "notify", 6)) continue;
        any = 1;
        ak_buf_printf(b, "  - %s: %s", name, st);
        if (sget(s, "detail")) ak_buf_printf(b, " (%s)", sget(s, "detail"));
        AK_JSON_EACH(json_object_get(s, "calls"), j, call)
        if (sget(call, "request_id"))
            ak_buf_printf(b, "; %s RequestId %s", sget(call, "action"), sget(call, "request_id"));
        ak_buf_putc(b, '\n');
    }
    if (!any) ak_buf_puts(b, "  - nothing: this key can only be handled by a human\n");
}

/* Write events made with the key that leave a way back in. */
static void text_footholds(ak_buf *b, const json_t *fh)
{
    size_t i;
    json_t *f;
    AK_JSON_EACH(fh, i, f)
    {
        ak_buf_printf(b, "  - FOOTHOLD made with the key: %s at %s from %s", sget(f, "event"),
                      sget(f, "time") ? sget(f, "time") : "?",
                      sget(f, "source_ip") ? sget(f, "source_ip") : "?");
        if (sget(f, "user_name")) ak_buf_printf(b, "; user %s", sget(f, "user_name"));
        if (sget(f, "access_key_id")) ak_buf_printf(b, "; AccessKey %s", sget(f, "access_key_id"));
        if (sget(f, "policy_name")) ak_buf_printf(b, "; policy %s", sget(f, "policy_name"));
        if (sget(f, "role_name")) ak_buf_printf(b, "; role %s", sget(f, "role_name"));
        ak_buf_putc(b, '\n');
    }
}

static void text_evidence(ak_buf *b, const json_t *facts)
{
    const json_t *lu = json_object_get(facts, "last_used"),
                 *ev = json_object_get(facts, "evidence");
    const json_t *usage = json_object_get(facts, "usage"), *user = json_object_get(facts, "user");
    if (lu)
        ak_buf_printf(b, "  - last used: %s%s%s%s\n", sget(lu, "date") ? sget(lu, "date") : "never",
                      sget(lu, "service") ? " (" : "",
                      sget(lu, "service") ? sget(lu, "service") : "",
                      sget(lu, "service") ? ")" : "");
    if (usage)
        ak_buf_printf(b, "  - in use: %s (%s)\n",
                      json_is_true(json_object_get(usage, "in_use"))   ? "yes"
                      : json_is_null(json_object_get(usage, "in_use")) ? "unknown"
                                                                       : "no",
                      sget(usage, "reason"));
    if (ev) {
        char *names = json_dumps(json_object_get(ev, "event_names"), JSON_COMPACT);
        char *ips = json_dumps(json_object_get(ev, "source_ips"), JSON_COMPACT);
        ak_buf_printf(b, "  - ActionTrail, last %lld days: %lld event(s); names %s; source IPs %s",
                      (long long)json_integer_value(json_object_get(ev, "days")),
                      (long long)json_integer_value(json_object_get(ev, "events")), names, ips);
        if (sget(ev, "first"))
            ak_buf_printf(b, "; first %s, last %s", sget(ev, "first"), sget(ev, "last"));
        if (sget(ev, "error")) ak_buf_printf(b, " (incomplete: %s)", sget(ev, "error"));
        ak_buf_putc(b, '\n');
        free(names);
        free(ips);
        text_footholds(b, json_object_get(ev, "footholds"));
    }
    if (user) {
        json_t *mfa = json_object_get(user, "mfa"), *con = json_object_get(user, "console_login");
        ak_buf_printf(b, "  - user MFA: %s; console logon: %s\n",
                      json_is_null(mfa)   ? "unknown"
                      : json_is_true(mfa) ? "yes"
                                          : "no",
                      json_is_null(con)   ? "unknown"
                      : json_is_true(con) ? "yes"
                                          : "no");
    }
}

void ak_notify_text(ak_buf *b, const json_t *e)
{
    const json_t *facts = json_object_get(e, "facts");
    ak_buf_printf(b, "akhound: leaked Alibaba Cloud AccessKey %s\n", sget(e, "key_id"));
    ak_buf_puts(b, "Owner: ");
    text_owner(b, json_object_get(facts, "owner"));
    ak_buf_printf(b, "\nValidation: %s\nDecision: %s",
                  sget(e, "validation") ? sget(e, "validation") : "not validated",
                  sget(e, "decision") ? sget(e, "decision") : "-");
    const json_t *usage = json_object_get(facts, "usage");
    if (sget(e, "decision") && !strcmp(sget(e, "decision"), "contain"))
        ak_buf_printf(b, " (not disabled, treated as in use: %s)", sget(usage, "reason"));
    if (json_is_true(json_object_get(usage, "incomplete")))
        ak_buf_puts(b,
                    "\nIncomplete: a needed read failed; run akhound respond again once it works");
    ak_buf_puts(b, "\nFound at:\n");
    if (sget(e, "created_with"))
        ak_buf_printf(b, "  - created with the leaked key %s (ActionTrail)\n",
                      sget(e, "created_with"));
    text_locations(b, json_object_get(e, "locations"));
    ak_buf_puts(b, "What akhound did:\n");
    text_steps(b, json_object_get(e, "steps"));
    ak_buf_puts(b, "Evidence:\n");
    text_evidence(b, facts);
    ak_buf_puts(b, "What a human must still do:\n");
    size_t i;
    json_t *t;
    AK_JSON_EACH(json_object_get(e, "todo"), i, t)
    ak_buf_printf(b, "  %zu. %s\n", i + 1, json_string_value(t));
}

json_t *ak_notify_webhook_body(const json_t *e, ak_webhook_style style, const char *url)
{
    if (style == AK_WEBHOOK_AUTO)
        style = url && strstr(url, "hooks.slack.com") ? AK_WEBHOOK_SLACK
                : url && strstr(url, "dingtalk.com/") ? AK_WEBHOOK_DINGTALK
                                                      : AK_WEBHOOK_GENERIC;
    ak_buf text = AK_BUF_INIT;
    ak_notify_text(&text, e);
    json_t *body;
    if (style == AK_WEBHOOK_SLACK) {
        body = json_pack("{s:s}", "text", ak_buf_cstr(&text));
    } else if (style == AK_WEBHOOK_DINGTALK) {
        body =
            json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", ak_buf_cstr(&text));
    } else {
        const json_t *facts = json_object_get(e, "facts");
        body = json_pack("{s:s, s:s, s:O, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:s}", "source",
                         "akhound", "event", "leaked_access_key", "key_id",
                         json_object_get(e, "key_id"), "owner", json_object_get(facts, "owner"),
                         "decision", json_object_get(e, "decision"), "locations",
                         json_object_get(e, "locations"), "actions", json_object_get(e, "steps"),
                         "evidence", json_object_get(facts, "evidence"), "todo",
                         json_object_get(e, "todo"), "text", ak_buf_cstr(&text));
    }
    ak_buf_free(&text);
    return body;
}

int ak_notify_has_secret(const char *text, const char *const *secrets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (secrets[i] && strlen(secrets[i]) >= 8 && strstr(text, secrets[i])) return 1;
    return 0;
}
