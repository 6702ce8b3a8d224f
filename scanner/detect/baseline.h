/*
 * Baselines: a JSON file of finding fingerprints that a team has reviewed and accepted. Findings
 * whose fingerprint is listed are not reported. Fingerprints hash the key material and path, not
 * line numbers, so moving code keeps a finding suppressed and changing the secret brings it back.
 *
 * File format: {"akhound_baseline": 1, "findings": [{"fingerprint": "...", "rule": "...",
 * "path": "...", "access_key_id": "..."}]} (only "fingerprint" is required when reading).
 * Organization findings (those with a repo_fingerprint) are written and matched by their
 * repo_fingerprint instead, with a "repository" field: an org baseline accepts a key in one
 * repository only. Baselines of `scan` keep the content fingerprint.
 */
#ifndef AK_DETECT_BASELINE_H
#define AK_DETECT_BASELINE_H

#include "detect/finding.h"
#include "util/buf.h"

typedef struct ak_baseline {
    char **fingerprints; /* sorted */
    size_t len;
} ak_baseline;

int ak_baseline_load(ak_baseline *out, const char *path, ak_buf *err);
int ak_baseline_contains(const ak_baseline *b, const char *fingerprint);
/* Removes the listed findings from list; returns how many were removed. */
size_t ak_baseline_filter(const ak_baseline *b, ak_findings *list);
/* Writes a baseline of `list` to path (mode 0600; it names keys). */
int ak_baseline_write(const ak_findings *list, const char *path, ak_buf *err);
void ak_baseline_free(ak_baseline *b);

#endif
