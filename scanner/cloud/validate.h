/*
 * Live validation of found keys: each distinct (AccessKey ID, secret, security token) is sent once
 * to STS GetCallerIdentity, signed with that pair, and the answer becomes the finding's verdict.
 * GetCallerIdentity needs no RAM permission, so any working key answers with its identity; the
 * key is used for nothing else. Only the HMAC of the secret leaves the machine.
 *
 * With opts->responder_credentials, each key's last use is read first (see below).
 *
 * Verdicts: valid (with identity), wrong_secret (SignatureDoesNotMatch, IncompleteSignature),
 * inactive (InvalidAccessKeyId.Inactive), not_found (InvalidAccessKeyId.NotFound), expired
 * (InvalidSecurityToken.*, MissingSecurityToken), unknown (anything else after retries; the reason
 * is in detail).
 */
#ifndef AK_CLOUD_VALIDATE_H
#define AK_CLOUD_VALIDATE_H

#include "detect/finding.h"
#include "util/buf.h"

/* The User-Agent of validation calls, so that ActionTrail events of our own calls can be told
 * from anyone else's (respond does not count them as use). */
#define AK_VALIDATE_USER_AGENT "akhound-validate/"

typedef struct ak_validate_opts {
    const char *sts_endpoint; /* base URL; NULL: AKHOUND_STS_ENDPOINT, then the default */
    const char *sts_region;   /* non-NULL: https://sts.REGION.aliyuncs.com */
    const char *ca_file;      /* extra CA; NULL: AKHOUND_CA_FILE */
    unsigned concurrency;     /* requests in flight at most (default 16) */
    unsigned timeout_ms;      /* per attempt (default 10000) */
    unsigned max_retries;     /* on throttling, 5xx, network errors (default 3) */
    /* Non-NULL ("env" or "profile:NAME", see ak_credentials_load_named): before any call with a
     * key, read its last use (IMS GetUser by AccessKey ID, then GetAccessKeyLastUsed) with these
     * credentials and record it in validation.last_used_before, so that respond can tell our own
     * validation from real use. IMS is reached at AKHOUND_IMS_ENDPOINT or ims.aliyuncs.com. */
    const char *responder_credentials;
} ak_validate_opts;

void ak_validate_opts_default(ak_validate_opts *o);

/*
 * Validates every finding that carries an AccessKey ID and at least one secret (pairs and
 * sts_credentials; an ID with candidate secrets tries f->secret, then f->candidates in order, and
 * stops at the first valid one, which then becomes f->secret). Distinct pairs are sent once however
 * many findings carry them. Fills f->validation (replacing any earlier one); findings without a
 * secret or ID are left alone. Returns 0, or negative on a setup error (bad endpoint, unreadable
 * CA file) with the message in err; per-key failures are verdicts, not errors.
 * Not thread-safe with respect to list.
 */
int ak_validate_findings(ak_findings *list, const ak_validate_opts *opts, ak_buf *err);

/* Counters of the last ak_validate_findings in this thread, for tests and benchmarks. */
typedef struct ak_validate_stats {
    unsigned long pairs;    /* distinct pairs sent */
    unsigned long requests; /* HTTP attempts */
    unsigned long retries;
} ak_validate_stats;
void ak_validate_stats_last(ak_validate_stats *out);

#endif
