/*
 * Report writers: turn a list of findings plus a scan summary into text for a human, JSON / JSONL
 * for programs (and for `akhound validate` / `respond` to read back), or SARIF 2.1.0 for code
 * scanning services. The writers only format: they neither sort, filter nor deduplicate (the caller
 * hands them the final, sorted list), so the same list always gives byte-identical output.
 *
 * Secrets: the clear secret, security token and candidate secrets appear only in text and
 * JSON/JSONL output, and only when show_secrets is set. SARIF and GitLab reports never carry them,
 * even then: they are made to be uploaded to third-party services. Every other format shows a
 * redacted preview (ak_redact) and a SHA-256.
 *
 * Free text (paths, commit summaries, links) can hold a secret too: the whole output passes through
 * the redactor (report/redact.h) before it reaches out, unless show_secrets (never for SARIF).
 *
 * Untrusted strings (paths, commit metadata) are escaped the same way in every format: see
 * report/escape.h ("\xNN" for bytes that are not UTF-8; in text also for control characters).
 *
 * Thread safety: the functions keep no state; distinct calls may run in parallel.
 */
#ifndef AK_REPORT_REPORT_H
#define AK_REPORT_REPORT_H

#include "detect/detect.h"
#include "detect/finding.h"
#include "report/redact.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>

typedef enum { AK_FMT_TEXT, AK_FMT_JSON, AK_FMT_JSONL, AK_FMT_SARIF, AK_FMT_GITLAB } ak_format;

/* "text", "json", "jsonl", "sarif" or "gitlab" to its ak_format; -1 if unknown or NULL. */
int ak_format_parse(const char *name);
/* The name of a format; NULL when out of range. */
const char *ak_format_name(ak_format format);

typedef struct ak_scan_summary {
    uint64_t files, bytes;   /* scanned */
    uint64_t skipped;        /* inputs not scanned (unreadable, special files...) */
    uint64_t errors;         /* errors met */
    uint64_t blobs, commits; /* git scans, 0 otherwise */
    double seconds;
    int incomplete;      /* the scan did not cover everything it was asked to */
    unsigned suppressed; /* findings hidden by baseline/allow comments */
    /* Borrowed: what could not be done (org: "repository: reason" of each failed repository),
     * in SARIF's toolExecutionNotifications; not added up by ak_summary_add. */
    char *const *notices;
    size_t n_notices;
} ak_scan_summary;

/* Adds the counters of s to into (suppressed and seconds excepted: they belong to the whole run);
 * for sources that count per worker or per repository. */
void ak_summary_add(ak_scan_summary *into, const ak_scan_summary *s);

typedef struct ak_report_opts {
    ak_format format;
    int show_secrets;      /* include the clear secret (and security token, candidates) */
    int color;             /* text only: ANSI colours (the CLI sets it only on a terminal) */
    const ak_rules *rules; /* for SARIF rule metadata; may be NULL */
    ak_redactor *redactor; /* redacts the output (report/redact.h); NULL: the findings' own
                              secrets only. Not applied with show_secrets, except to SARIF */
} ak_report_opts;

/* Whether ak_report_write redacts with these options (so whether a redactor is worth building). */
static inline int ak_report_redacts(const ak_report_opts *o)
{
    return !o->show_secrets || o->format == AK_FMT_SARIF;
}

/*
 * Writes the whole report to out and flushes it. findings and summary may be NULL (no findings;
 * no summary line / SARIF invocation). Returns 0, or -1 on a write error or an unknown format
 * (errno tells which for a write error).
 *
 *   text   one block per finding, then the summary line (ak_summary_format)
 *   json   a JSON array of finding objects (see report/json.h), indented, with a final newline
 *   jsonl  one compact finding object per line
 *   sarif  one SARIF 2.1.0 log with one run
 *   gitlab GitLab's secret-detection report (schema 15.2.1), for `reports: secret_detection`
 */
int ak_report_write(FILE *out, const ak_findings *findings, const ak_scan_summary *summary,
                    const ak_report_opts *opts);

/*
 * Appends the one-line summary (no newline) to out, e.g.
 *   "scanned 12 files (0.03 MiB) in 0.12 s: 2 findings"
 *   "scanned 40 blobs in 7 commits (0.50 MiB) in 1.20 s: 1 finding"  (git scans)
 * followed by ", N suppressed" when findings were hidden, and ", incomplete: E errors, S skipped"
 * when the scan is incomplete or met errors (else ", S skipped" when inputs were skipped).
 */
void ak_summary_format(const ak_scan_summary *s, size_t n_findings, ak_buf *out);

#endif
