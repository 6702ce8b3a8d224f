/*
 * Findings as JSON objects, the stable machine form of a finding (DESIGN.md): written by the json
 * and jsonl reports, read back by `akhound validate`, `respond`, `report` and baselines. Field
 * names never change; new fields may be added. Keys always come in this order:
 *
 *   rule, kind, access_key_id, secret*, secret_redacted, secret_sha256, security_token*,
 *   security_token_sha256 (with a token), candidates*, candidate_count, path, line, column, commit,
 *   blob, encoding, repository (when set), link (when set), status, first_seen, last_seen (org
 *   inventories), fingerprint, repo_fingerprint (org), validation
 *
 * (*) only with show_secrets; otherwise the key is absent, never null. access_key_id,
 * secret_redacted, secret_sha256, commit, blob, encoding and validation are null when unknown.
 * commit is {id, author, email, date, summary}; validation is {status, identity_type, account_id,
 * arn, principal_id, checked_at, detail}. Strings that are not UTF-8 are escaped (report/escape.h).
 */
#ifndef AK_REPORT_JSON_H
#define AK_REPORT_JSON_H

#include "detect/finding.h"
#include "util/buf.h"

#include <jansson.h>

/* A new JSON object for f (the caller owns the reference). Never NULL; NULL fields become null. */
json_t *ak_finding_to_json(const ak_finding *f, int show_secrets);

/*
 * Reads one finding object (as written with show_secrets, or without: secret, security_token and
 * candidates then stay NULL). Required: rule, kind, path, line, column. A missing fingerprint is
 * computed. Fields of unknown name are ignored, so files of later versions still read. When a
 * clear secret is present, secret_sha256 (if given) must match it. Control characters (C0, DEL,
 * C1) are refused in every field but the free text ones (path, commit author and summary,
 * validation detail), which are escaped wherever they are printed.
 * Returns 0 and fills *out (which the caller frees with ak_finding_free), or -1 with *out zeroed
 * and one line (no newline, not naming the input) appended to err.
 */
int ak_finding_from_json(ak_finding *out, const json_t *obj, ak_buf *err);

/*
 * Reads findings from a JSONL stream (one object per line, blank lines allowed) or a file holding
 * a JSON array, told apart by the first non-blank byte; path "-" is stdin. Good findings are
 * appended to list. Each bad line or element adds one line "PATH:LINE: reason\n" to err and is
 * skipped; in an array, malformed JSON (as opposed to a bad finding) ends the reading because the
 * rest cannot be located. Returns the number of bad lines, or -1 with "PATH: reason\n" in err when
 * the input cannot be read (list is then unchanged). Every line added to err ends with a newline,
 * so callers print err as it is.
 */
int ak_findings_read_file(ak_findings *list, const char *path, ak_buf *err);
/* The same over len bytes of data (not NUL-terminated) read elsewhere; `name` names them in err.
 * Returns the number of bad lines. */
int ak_findings_read_text(ak_findings *list, const char *data, size_t len, const char *name,
                          ak_buf *err);

/* Called for each finding read, with the object it came from and its index in the list, so a
 * caller can take fields ak_finding does not hold (an org inventory's status and dates). */
typedef void (*ak_findings_read_cb)(const json_t *obj, size_t index, void *ctx);
/* ak_findings_read_file, calling cb (when not NULL) after each good finding is appended. */
int ak_findings_read_file_cb(ak_findings *list, const char *path, ak_buf *err,
                             ak_findings_read_cb cb, void *ctx);

#endif
