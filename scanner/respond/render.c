/*
 * Text rendering of a respond report, for a human at a terminal: one block per key (facts,
 * decision, each step with what it did or would do, what is left for a human), then a summary.
 * The JSON report (--format json) is the stable machine form; this is built from it alone.
 */
#include "respond/respond_int.h"

#include <string.h>

static const char *s_(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "-";
}

static void render_owner(ak_buf *b, const json_t *owner)
{
    if (!owner) return;
    ak_buf_printf(b, "  owner: %s", s_(owner, "kind"));
    if (json_object_get(owner, "user_name")) ak_buf_printf(b, " %s", s_(owner, "user_name"));
    if (json_object_get(owner, "account_id"))
        ak_buf_printf(b, " (account %s)", s_(owner, "account_id"));
    ak_buf_printf(b, " [via %s]\n", s_(owner, "source"));
}

static void render_facts(ak_buf *b, const json_t *facts)
{
    render_owner(b, json_object_get(facts, "owner"));
    const json_t *lu = json_object_get(facts, "last_used"), *u = json_object_get(facts, "usage");
    if (lu) ak_buf_printf(b, "  last used: %s\n", s_(lu, "date"));
    if (u)
        ak_buf_printf(b, "  in use: %s (%s)\n",
                      json_is_true(json_object_get(u, "in_use"))   ? "yes"
                      : json_is_null(json_object_get(u, "in_use")) ? "unknown"
                                                                   : "no",
                      s_(u, "reason"));
    const json_t *ev = json_object_get(facts, "evidence");
    if (ev)
        ak_buf_printf(b, "  ActionTrail: %lld event(s) in %lld days%s%s\n",
                      (long long)json_integer_value(json_object_get(ev, "events")),
                      (long long)json_integer_value(json_object_get(ev, "days")),
                      json_object_get(ev, "error") ? "; incomplete: " : "",
                      json_object_get(ev, "error") ? s_(ev, "error") : "");
    if (json_object_get(facts, "reason")) ak_buf_printf(b, "  %s\n", s_(facts, "reason"));
}

static void render_key(ak_buf *b, const json_t *k)
{
    ak_buf_printf(b, "%s  validation=%s  decision=%s  state=%s\n", s_(k, "key_id"),
                  s_(k, "validation"), s_(k, "decision"), s_(k, "state"));
    render_facts(b, json_object_get(k, "facts"));
    if (json_object_get(k, "error")) ak_buf_printf(b, "  error: %s\n", s_(k, "error"));
    size_t i;
    json_t *s;
    AK_JSON_EACH(json_object_get(k, "steps"), i, s)
    {
        ak_buf_printf(b, "  step %s: %s", s_(s, "step"), s_(s, "status"));
        if (json_object_get(s, "would")) ak_buf_printf(b, ": would %s", s_(s, "would"));
        if (json_object_get(s, "detail")) ak_buf_printf(b, " (%s)", s_(s, "detail"));
        ak_buf_putc(b, '\n');
    }
    AK_JSON_EACH(json_object_get(k, "todo"), i, s)
    ak_buf_printf(b, "  todo: %s\n", json_string_value(s));
}

void ak_respond_render_text(ak_buf *b, const json_t *report)
{
    int dry = !strcmp(s_(report, "mode"), "dry-run");
    const json_t *r = json_object_get(report, "responder");
    ak_buf_printf(b, "akhound respond: %s; responder account %s\n",
                  dry ? "dry run, nothing changed (--apply to act)" : "applied",
                  s_(r, "account_id"));
    size_t i;
    json_t *k;
    AK_JSON_EACH(json_object_get(report, "keys"), i, k) render_key(b, k);
    const json_t *s = json_object_get(report, "summary");
    ak_buf_printf(b,
                  "summary: %lld key(s): %lld done, %lld pending, %lld failed, %lld on incomplete "
                  "evidence\n",
                  (long long)json_integer_value(json_object_get(s, "keys")),
                  (long long)json_integer_value(json_object_get(s, "done")),
                  (long long)json_integer_value(json_object_get(s, "pending")),
                  (long long)json_integer_value(json_object_get(s, "failed")),
                  (long long)json_integer_value(json_object_get(s, "incomplete")));
    AK_JSON_EACH(json_object_get(report, "keys"), i, k)
    {
        const json_t *u = json_object_get(json_object_get(k, "facts"), "usage");
        if (!strcmp(s_(k, "decision"), "contain") || json_is_true(json_object_get(u, "incomplete")))
            ak_buf_printf(b, "not disabled: %s: %s\n", s_(k, "key_id"), s_(u, "reason"));
    }
    AK_JSON_EACH(json_object_get(report, "keys"), i, k)
    if (!strcmp(s_(k, "state"), "failed"))
        ak_buf_printf(b, "failed: %s: %s\n", s_(k, "key_id"),
                      json_object_get(k, "error") ? s_(k, "error") : "a step failed (see above)");
}
