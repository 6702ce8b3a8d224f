/*
 * The one decision that can hurt a customer: is this key in use? It is answered fail-safe. A key
 * counts as unused only when its last use, as IMS GetAccessKeyLastUsed reports it, is positively
 * known to be older than the unused window (or no use is recorded and the key was created before
 * that window). ActionTrail can prove use but never non-use (OSS and SLS data events never reach
 * it). Every other case is "in use": the read failed, a last use that may be akhound's own
 * validation call with no read of the last use made before that call, a date that does not parse.
 *
 * akhound's own validations are recognised by time: a validation made at checked_at, with the last
 * use read at read_at just before it, accounts for a last use between read_at and checked_at (with
 * a little slack for clocks); the use before it is what that read returned. Without such a read,
 * anything from AK_SELF_USE_GRACE before checked_at may be ours, and the real last use is unknown.
 */
#include "respond/respond_int.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ak_self_span(const ak_self_use *s, long long *from, long long *to)
{
    long long v = ak_respond_parse_time(s->checked_at);
    long long r = ak_respond_parse_time(s->read_at);
    if (v < 0) return -1;
    /* Only a read at most AK_SELF_USE_SPAN before the validation accounts for a span (findings
     * files can be edited, and a wider or inverted span would let any use pass for ours). */
    int read_ok = r >= 0 && r <= v && v - r <= AK_SELF_USE_SPAN;
    *from = read_ok ? r - AK_SELF_USE_SLACK : v - AK_SELF_USE_GRACE;
    *to = v + AK_SELF_USE_SLACK;
    return read_ok;
}

int ak_self_holds(const ak_self_use *self, size_t n, long long t)
{
    long long from, to;
    for (size_t i = 0; t >= 0 && i < n; i++)
        if (ak_self_span(&self[i], &from, &to) >= 0 && t >= from && t <= to) return 1;
    return 0;
}

/* The validation of ours whose time span holds t, not yet taken; NULL when none does. *read_ok
 * says whether its record of the last use read before it can be used; otherwise the validation
 * counts as one made without a read. */
static const ak_self_use *ours(const ak_usage_in *in, long long t, unsigned char *taken,
                               int *read_ok)
{
    long long from, to;
    for (size_t i = 0; i < in->n_self; i++) {
        if (taken[i] || (*read_ok = ak_self_span(&in->self[i], &from, &to)) < 0) continue;
        if (t >= from && t <= to) {
            taken[i] = 1;
            return &in->self[i];
        }
    }
    return NULL;
}

static void verdict(ak_usage *u, int in_use, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void verdict(ak_usage *u, int in_use, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->reason, sizeof u->reason, fmt, ap);
    va_end(ap);
    u->in_use = in_use;
}

/* The last use before any of our validations: "" none, NULL unknown (u says why). */
static const char *real_last_use(const ak_usage_in *in, ak_usage *u)
{
    unsigned char *taken = ak_calloc(in->n_self ? in->n_self : 1, 1);
    const char *eff = in->last_used;
    while (eff && *eff) {
        long long t = ak_respond_parse_time(eff);
        int read_ok = 0;
        const ak_self_use *s = t < 0 ? NULL : ours(in, t, taken, &read_ok);
        if (t < 0) {
            verdict(u, 1, "its last use '%.40s' is not a date", eff);
            eff = NULL;
        } else if (s && !read_ok) {
            verdict(u, 1,
                    "its last use %.40s may be akhound's own validation at %.40s, and no usable "
                    "read of its last use just before that validation was recorded, so its real "
                    "last use is unknown",
                    eff, s->checked_at);
            eff = NULL;
        } else if (s) {
            eff = s->before ? s->before : "";
        } else {
            break;
        }
    }
    free(taken);
    return eff;
}

void ak_respond_usage(const ak_usage_in *in, ak_usage *u)
{
    memset(u, 0, sizeof *u);
    /* Our clock may be ahead of the cloud's by as much as the API tolerates in a signed
     * request's timestamp: a use at the window's edge by the cloud's clock stays inside. */
    long long window = in->now - (long long)in->unused_days * 86400 - AK_CLOCK_TOLERANCE;
    if (!in->last_used) {
        u->incomplete = 1;
        verdict(u, 1, "its last use could not be read");
        return;
    }
    if (in->trail_failed) {
        u->incomplete = 1;
        verdict(u, 1, "ActionTrail could not be read, so calls made with it are unknown");
        return;
    }
    if (in->trail_uses > 0) {
        verdict(u, 1, "ActionTrail shows %ld call(s) made with it in the last %u days",
                in->trail_uses, in->unused_days);
        return;
    }
    const char *eff = real_last_use(in, u);
    if (!eff) return;
    if (*eff) {
        long long t = ak_respond_parse_time(eff);
        if (t < window)
            verdict(u, 0, "last used %.40s, before the %u-day unused window", eff, in->unused_days);
        else
            verdict(u, 1, "last used %.40s, within the last %u days", eff, in->unused_days);
        return;
    }
    long long created = ak_respond_parse_time(in->created);
    if (created < 0) {
        u->incomplete = !in->created;
        verdict(u, 1, "no use is recorded but its creation date is unknown");
    } else if (created < window) {
        verdict(u, 0, "no use recorded; created %.40s, before the %u-day unused window",
                in->created, in->unused_days);
    } else {
        verdict(u, 1, "no use recorded yet, but created %.40s, within the last %u days",
                in->created, in->unused_days);
    }
}
