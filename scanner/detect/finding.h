/*
 * ak_finding: one credential found, the unit every later stage works on (reports, baseline,
 * validation, response). A finding owns all its strings. A pair's ID and secret, or an STS
 * credential's three parts, are one finding: that is what validation needs and what a human acts
 * on.
 *
 * Secrets are held in clear in memory (validation needs them) and must never be written anywhere
 * unless the user passed --show-secrets: writers use secret_sha256/redacted forms instead.
 */
#ifndef AK_DETECT_FINDING_H
#define AK_DETECT_FINDING_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    AK_KIND_ACCESS_KEY_PAIR = 0,
    AK_KIND_ACCESS_KEY_ID,
    AK_KIND_ACCESS_KEY_SECRET,
    AK_KIND_STS_CREDENTIALS,
    AK_KIND__COUNT
} ak_kind;

/* "access_key_pair", ...; NULL for an out-of-range value. */
const char *ak_kind_name(ak_kind kind);
/* Parses a kind name; returns -1 when unknown. */
int ak_kind_parse(const char *name);

typedef struct ak_commit_info {
    char *id;      /* full hex commit id */
    char *author;  /* author name */
    char *email;   /* author e-mail */
    char *date;    /* author date, ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" */
    char *summary; /* first line of the message */
} ak_commit_info;

typedef enum {
    AK_VAL_NONE = 0, /* not validated */
    AK_VAL_VALID,
    AK_VAL_WRONG_SECRET,
    AK_VAL_INACTIVE,
    AK_VAL_NOT_FOUND,
    AK_VAL_EXPIRED,
    AK_VAL_UNKNOWN,
} ak_val_status;

const char *ak_val_status_name(ak_val_status status);
int ak_val_status_parse(const char *name);

typedef struct ak_validation {
    ak_val_status status;
    char *identity_type; /* Account, RAMUser, AssumedRoleUser; NULL unless valid */
    char *account_id;
    char *arn;
    char *principal_id;
    char *checked_at; /* ISO 8601 UTC */
    char *detail;     /* error code / reason; never contains a secret */
    /* The key's last use as read with the responder's credentials just before this validation
     * called STS with the key (validate --responder-credentials): lu_source is NULL when no such
     * read was made; lu_date NULL means no use was recorded. */
    char *lu_source;
    char *lu_read_at;
    char *lu_date;
} ak_validation;

typedef struct ak_finding {
    char *rule; /* rule id from patterns/ */
    ak_kind kind;
    char *access_key_id;  /* in clear, or NULL */
    char *secret;         /* in clear, or NULL; printed only with --show-secrets */
    char *security_token; /* STS security token, or NULL; treated like a secret */
    char **candidates;    /* further secrets seen near the ID, nearest first (not incl. secret) */
    size_t n_candidates;
    char *path;             /* file path as given/walked, "-" for stdin, path in tree for git */
    uint32_t line;          /* 1-based line of the first byte of the credential */
    uint32_t column;        /* 1-based byte column, in the decoded text */
    const char *encoding;   /* static string: "plain", "base64", "percent", "escaped", "utf16le" */
    char *blob;             /* git blob id, or NULL */
    ak_commit_info *commit; /* commit that introduced it, or NULL */
    char *repository;       /* repository name for org scans, or NULL */
    char *link;             /* web link to the file at the commit, or NULL */
    char fingerprint[65];   /* hex SHA-256; see ak_finding_fingerprint */
    /* Organization inventories only (akhound org), else NULL / empty: */
    const char *status;        /* static: "new", "open", "resolved" or "reappeared" */
    char *first_seen;          /* ISO 8601 UTC: the run that first found it */
    char *last_seen;           /* ISO 8601 UTC: the last run that found it reachable */
    char repo_fingerprint[65]; /* hex SHA-256 of repository and fingerprint (ak_finding_scope) */
    /* Kept when a finding is read back from a report written without --show-secrets, so that
     * rewriting it (validate, respond, report merge) does not lose what identifies the secret. */
    char secret_sha256[65];
    char secret_redacted[16];
    ak_validation *validation; /* NULL until validated */
} ak_finding;

typedef struct ak_findings {
    ak_finding *items;
    size_t len;
    size_t cap;
} ak_findings;

/* Appends *f to the list, taking ownership of its strings; *f is zeroed. */
void ak_findings_push(ak_findings *list, ak_finding *f);
/* Moves every finding of src to dst; src is left empty. */
void ak_findings_move(ak_findings *dst, ak_findings *src);
/* The order of reports: repository, path, line, column, rule, fingerprint, blob. */
int ak_finding_cmp(const ak_finding *a, const ak_finding *b);
/* Sorts by path, line, column, rule, then fingerprint: the same input always gives the same order.
 */
void ak_findings_sort(ak_findings *list);
void ak_findings_free(ak_findings *list);
void ak_finding_free(ak_finding *f);

ak_commit_info *ak_commit_info_new(const char *id, const char *author, const char *email,
                                   const char *date, const char *summary);
void ak_commit_info_free(ak_commit_info *c);
void ak_validation_free(ak_validation *v);

/*
 * Stable identity of a finding: hex SHA-256 over rule, kind, the key material (ID, secret,
 * token) and the path. Line numbers are not part of it, so moving code does not change it.
 */
void ak_finding_fingerprint(ak_finding *f);
/* The same with the path given separately (the path inside the scanned tree). */
void ak_finding_fingerprint_at(ak_finding *f, const char *path);

/* Sets repo_fingerprint from repository and fingerprint: the same key at the same path in two
 * repositories gets two repo_fingerprints but one fingerprint. No-op without a repository. */
void ak_finding_scope(ak_finding *f);
/* The static status name equal to s ("new", "open", "resolved", "reappeared"), or NULL. */
const char *ak_status_intern(const char *s);

/* hex SHA-256 of s into out[65]. */
void ak_sha256_hex(const char *s, size_t len, char out[65]);
/* A short, safe preview of a secret: first 3 and last 2 characters around "…", or "***" if short.
 */
void ak_redact(const char *secret, char *out, size_t outlen);

#endif
