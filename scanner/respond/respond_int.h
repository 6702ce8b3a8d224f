/*
 * Internals shared by the respond modules: the run context (client, responder credentials,
 * ledger, audit log) and the per-key record. Not a public interface.
 */
#ifndef AK_RESPOND_INT_H
#define AK_RESPOND_INT_H

#include "cloud/client.h"
#include "cloud/credentials.h"
#include "respond/audit.h"
#include "respond/ledger.h"
#include "respond/respond.h"

#include <jansson.h>
#include <time.h>

/* Iterates a JSON array (NULL or not an array: no iteration). Defined here rather than using
 * jansson's json_array_foreach so that cppcheck, which does not read system headers, knows it. */
#define AK_JSON_EACH(arr, i, v)                                                                    \
    for ((i) = 0; (i) < json_array_size(arr) && ((v) = json_array_get((arr), (i))) != NULL; (i)++)

/* The string member k of object o, or NULL (absent, not a string, o not an object). */
static inline const char *ak_jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

typedef struct ak_rctx {
    const ak_respond_opts *o;
    ak_client *client;
    ak_cred cred;     /* the responder's credentials (borrowed) */
    char *account_id; /* the responder's account, from STS GetCallerIdentity */
    char *arn;
    ak_ledger *ledger;    /* NULL in a dry run without an existing ledger */
    ak_audit *audit;      /* NULL in a dry run */
    const char **secrets; /* every secret and token of the input, kept out of notifications */
    size_t n_secrets;
    unsigned long calls; /* API calls made, for the test crash hook */
    long crash_after;    /* AKHOUND_TEST_CRASH_AFTER, or -1 */
} ak_rctx;

/* One validation of ours: when STS was called with the key, and the last use read just before. */
typedef struct ak_self_use {
    const char *checked_at;
    const char *read_at; /* NULL: no read before the validation was recorded */
    const char *before;  /* what that read returned; NULL or "": no use recorded */
} ak_self_use;

typedef struct ak_rkey {
    const char *key_id;
    const ak_finding **f; /* every finding of this key, in input order */
    size_t n_f;
    const ak_validation *val; /* the most telling validation among them, or NULL */
    char *first_validated_at; /* earliest checked_at seen (input and ledger), or NULL */
    char secret_sha256[65];   /* of the first secret seen, or "" */
    json_t *facts;            /* owner, last_used, usage, evidence, mfa (owned) */
    const char *decision;     /* none, disable, contain, notify */
    json_t *entry;            /* this key's object in the report (borrowed from it) */
    json_t *earlier_owner;    /* the owner an earlier run resolved, when deciding afresh */
    const char *created_with; /* found as a foothold: the leaked key that created it */
    ak_self_use *self;        /* our validations of the key (strings borrowed) */
    size_t n_self;
    int failed;
    int incomplete; /* a needed read failed: decided as in use, the run is incomplete */
} ak_rkey;

/* Sets up a run: the responder's credentials into *cr, the client, the ledger (read-only in a dry
 * run) and, with o->apply, the audit log. 0, or -1 with the reason in err. */
int ak_rctx_open(ak_rctx *c, const ak_respond_opts *o, ak_credentials *cr, char **ledger_path,
                 ak_buf *err);
void ak_rctx_close(ak_rctx *c);
/* The responder's own account and ARN (STS GetCallerIdentity), once. 0 or -1 with err. */
int ak_rctx_identity(ak_rctx *c, ak_buf *err);

/* Outcome of ak_rcall. */
enum { AK_RCALL_OK = 0, AK_RCALL_API_ERROR = 1, AK_RCALL_FAILED = -1 };

/*
 * One API call signed with the responder's credentials: logged to the ledger (every call) and,
 * when write is set, to the audit log; appended to `calls` (a JSON array in the step's report,
 * may be NULL). The call's result stays in *call for the caller (ak_call_clear it). Returns
 * AK_RCALL_OK, AK_RCALL_API_ERROR (call->code is set) or AK_RCALL_FAILED.
 */
int ak_rcall(ak_rctx *c, const char *key_id, const char *step, int write, ak_call *call,
             json_t *calls);

/* "CODE: message" or the transport error of a call that did not succeed (freed by caller). */
char *ak_rcall_error(const ak_call *call);

/* Facts and decision for one key (read calls only); sets k->facts and k->decision. */
void ak_plan_key(ak_rctx *c, ak_rkey *k);

/* The ordered step names of a decision under the options ("disable", "delete", ...); a key is
 * deleted only when it is deletable (positively unused). */
size_t ak_plan_steps(const ak_respond_opts *o, const char *decision, int deletable,
                     const char *steps[8]);

/* Runs (apply) or lists (dry run) the steps of one key into k->entry. */
void ak_apply_key(ak_rctx *c, ak_rkey *k);

/* Runs or plans one named step of k (bracketed in the ledger) into steps; 0 or -1 (failed). */
int ak_apply_one(ak_rctx *c, ak_rkey *k, const char *name, json_t *steps, int *pending);

/* ActionTrail look-back: the unused window, or --evidence-days when longer. */
unsigned ak_respond_evidence_days(const ak_respond_opts *o);

/* ActionTrail events made with the key and MFA of its user, into facts. */
void ak_evidence_gather(ak_rctx *c, ak_rkey *k);

/* ActionTrail events made with the key since `since` (all count as use) into facts.evidence. */
void ak_evidence_trail(ak_rctx *c, ak_rkey *k, time_t since);

/* What a human must still do for a key, given its facts, decision and steps (a JSON array). */
json_t *ak_plan_todo(const ak_rkey *k, const ak_respond_opts *o);

typedef struct ak_usage_in {
    const char *last_used; /* a fresh GetAccessKeyLastUsed: NULL the read failed, "" none */
    const char *created;   /* the key's CreateDate; NULL when it could not be read */
    const ak_self_use *self;
    size_t n_self;
    long trail_uses;  /* ActionTrail calls made with the key in the window, ours excluded */
    int trail_failed; /* ActionTrail could not be read */
    long long now;
    unsigned unused_days;
} ak_usage_in;

typedef struct ak_usage {
    int in_use;
    int incomplete; /* a needed read failed: the run is incomplete */
    char reason[320];
} ak_usage;

/* Without a read before it, a last use this long before a validation's checked_at may be ours. */
#define AK_SELF_USE_GRACE 900
/* A last-use read recorded more than this before its validation (or after it) accounts for
 * nothing: the validation counts as made without a read. */
#define AK_SELF_USE_SPAN 900
/* The clock difference the API accepts in a signed request (15 minutes), so the most that ours
 * can be off while its calls still work. */
#define AK_CLOCK_TOLERANCE 900
/* Clock difference between akhound and the cloud allowed around our own calls. */
#define AK_SELF_USE_SLACK 120

/* The time span [*from, *to] in which a use may be validation s of ours: 1 when its last-use
 * record accounts for the span, 0 when it counts as a validation without a read, -1 when its
 * checked_at is not a date (it accounts for nothing). */
int ak_self_span(const ak_self_use *s, long long *from, long long *to);
/* 1 when time t falls within the span of one of the n validations of ours. */
int ak_self_holds(const ak_self_use *self, size_t n, long long t);

/* The fail-safe usage rule (usage.c): in use unless positively known unused. */
void ak_respond_usage(const ak_usage_in *in, ak_usage *u);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (also with fractional seconds) into Unix time; -1 on error. */
long long ak_respond_parse_time(const char *s);

/* Sends the key's notification over one channel ("webhook" or "email"). 0 or -1 with err. */
int ak_notify_webhook(ak_rctx *c, const ak_rkey *k, ak_buf *err);
int ak_notify_email(ak_rctx *c, const ak_rkey *k, ak_buf *err);

/* The message text (plain, several lines) and the webhook body; never holds a secret. */
void ak_notify_text(ak_buf *out, const json_t *entry);
json_t *ak_notify_webhook_body(const json_t *entry, ak_webhook_style style, const char *url);

/* 1 when text contains any of the secrets (so it must not be sent). */
int ak_notify_has_secret(const char *text, const char *const *secrets, size_t n);

#endif
