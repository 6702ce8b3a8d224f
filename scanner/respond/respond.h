/*
 * ak_respond: the handling workflow for leaked AccessKeys (`akhound respond`). Findings are
 * grouped by AccessKey ID; for each key the responder's own credentials resolve the owner, read
 * the last use and the evidence (ActionTrail, MFA), and a decision follows: disable an unused
 * RAM-user key, contain a key in use with the Deny policy, notify only for keys the responder
 * cannot touch, record and leave alone keys that are already dead. "Unused" must be proven (see
 * usage.c): every doubt counts as use.
 *
 * The work is split so each part can be tested alone: plan.c gathers facts and decides (read
 * calls only), apply.c runs the ordered steps, ledger.c keeps the SQLite record that makes a
 * re-run idempotent and crash-safe, audit.c writes one JSON line per action, notify.c sends the
 * webhook and the e-mail, evidence.c reads ActionTrail and MFA, policy.c embeds the Deny policy.
 *
 * The leaked pair is never used here: every call is signed with the responder's credentials.
 * Nothing in this module writes a secret anywhere; the ledger stores a secret's SHA-256 only.
 */
#ifndef AK_RESPOND_RESPOND_H
#define AK_RESPOND_RESPOND_H

#include "detect/finding.h"
#include "report/redact.h"
#include "util/buf.h"

#include <jansson.h>

typedef enum {
    AK_WEBHOOK_AUTO = 0, /* from the URL: Slack, DingTalk, else generic */
    AK_WEBHOOK_GENERIC,
    AK_WEBHOOK_SLACK,
    AK_WEBHOOK_DINGTALK,
} ak_webhook_style;

typedef struct ak_respond_opts {
    int apply;               /* 0: dry run, read calls only */
    int delete_unused;       /* delete an unused key after disabling it */
    unsigned unused_days;    /* not used for this many days means unused (default 30) */
    unsigned evidence_days;  /* ActionTrail look-back; never shorter than unused_days */
    const char *policy_name; /* default AK_RESPOND_POLICY_NAME */
    const char *ledger_path; /* default ~/.local/state/akhound/ledger.db */
    const char *audit_path;  /* default: audit.jsonl beside the ledger */
    const char *webhook_url;
    ak_webhook_style webhook_style;
    const char *smtp_url;
    const char *mail_from;
    const char *mail_to[16];
    size_t n_mail_to;
    const char *region;  /* ActionTrail region; NULL: cn-hangzhou */
    const char *ca_file; /* extra CA for Alibaba endpoints and notification targets */
    unsigned timeout_ms;
    unsigned max_retries;
    unsigned backoff_ms;
    ak_redactor *redactor; /* redacts notices before they are sent (report/redact.h); may be NULL */
} ak_respond_opts;

#define AK_RESPOND_POLICY_NAME "akhound-leaked-key-deny"

void ak_respond_opts_default(ak_respond_opts *o);

/* Outcome of a run, the basis of the exit code. */
typedef struct ak_respond_result {
    size_t keys;       /* distinct AccessKey IDs */
    size_t pending;    /* keys with steps planned but not applied (dry run) */
    size_t failed;     /* keys whose steps failed, or a setup failure */
    size_t done;       /* keys whose steps are all done */
    size_t incomplete; /* keys decided "in use" because a needed read failed */
} ak_respond_result;

/*
 * Plans (and with opts->apply, carries out) the handling of every key in findings. *report
 * receives a JSON object {"mode","responder","keys":[...],"summary":{...}} owned by the caller;
 * it holds no secret. Returns 0, or -1 on a setup failure (credentials, ledger, endpoints) with
 * the reason in err. Per-key failures are in the report and counted in *res, not returned.
 */
int ak_respond_run(const ak_findings *findings, const ak_respond_opts *opts, json_t **report,
                   ak_respond_result *res, ak_buf *err);

typedef struct ak_rotate_opts {
    int finish;                 /* rotate --finish: retire the old key */
    int delete_old;             /* --finish --delete: delete it, then detach the Deny policy */
    int force;                  /* --finish despite use of the old key a human has judged */
    const char *secret_file;    /* the new secret goes here (created 0600, never overwritten) */
    const char *secret_command; /* ... or to this command's stdin */
} ak_rotate_opts;

/*
 * `akhound rotate KEY` / `rotate --finish KEY` (rotate.c) with the respond options ro (apply,
 * ledger, audit log, policy name, transport). *report receives the outcome (no secret). Returns 0
 * done, 1 planned (dry run), 2 stopped (the reason in report.stopped), -1 setup failure (err).
 */
int ak_rotate_run(const char *key_id, const ak_respond_opts *ro, const ak_rotate_opts *o,
                  json_t **report, ak_buf *err);

/* Text rendering of a report for humans. */
void ak_respond_render_text(ak_buf *out, const json_t *report);

/* The embedded Deny policy document, byte for byte the reference file (NUL-terminated). */
const char *ak_respond_deny_policy(size_t *len);

#endif
