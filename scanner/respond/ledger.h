/*
 * The ledger: what respond knows and has done, per AccessKey ID, in SQLite (WAL, synchronous
 * FULL). It is what makes `respond --apply` idempotent and crash-safe: each step of a key's plan
 * is recorded as started before its first call and as done (or failed) after, in one transaction
 * with the key's state, so a re-run skips what is done and re-checks what was left half-way.
 * Every API call is logged with its RequestId. Secrets are never stored: a key is identified by
 * its ID, the secret only by its SHA-256. The file is created mode 0600 (SQLite gives the WAL
 * and shared-memory files the same mode).
 *
 * Schema (version 1):
 *   keys(key_id PK, secret_sha256, first_validated_at, validation_status, state, decision,
 *        facts JSON, error, created_at, updated_at)
 *   steps(key_id, step, status started|done|failed, started_at, finished_at, attempts, detail;
 *         PK(key_id, step))
 *   calls(id PK, at, key_id, step, product, action, request_id, outcome, code, http_status,
 *         detail)
 *   meta(name PK, value)  -- schema_version
 * Not thread-safe: one ledger handle per thread.
 */
#ifndef AK_RESPOND_LEDGER_H
#define AK_RESPOND_LEDGER_H

#include "util/buf.h"

typedef struct ak_ledger ak_ledger;

typedef enum {
    AK_STEP_NONE = 0, /* never started */
    AK_STEP_STARTED,  /* started, outcome unknown (crash): re-check before acting */
    AK_STEP_DONE,
    AK_STEP_FAILED,
} ak_step_status;

/* Default path: $XDG_STATE_HOME/akhound/ledger.db, else ~/.local/state/akhound/ledger.db. The
 * caller frees the result; NULL when no home directory is known. */
char *ak_ledger_default_path(void);

/*
 * Opens (creating it and its directory, mode 0600/0700) the ledger at path. With readonly, a
 * missing file is not created: *out is then NULL and 0 is returned. Returns 0, or -1 with the
 * reason in err.
 */
int ak_ledger_open(ak_ledger **out, const char *path, int readonly, ak_buf *err);
void ak_ledger_close(ak_ledger *l);

typedef struct ak_ledger_key {
    int exists;
    char *state;
    char *decision; /* NULL until decided */
    char *facts;    /* JSON text, or NULL */
    char *first_validated_at;
    char *error;
} ak_ledger_key;

void ak_ledger_key_free(ak_ledger_key *k);

/* Reads a key's row; k->exists is 0 when the key is unknown. */
int ak_ledger_key_get(ak_ledger *l, const char *key_id, ak_ledger_key *k, ak_buf *err);

/* Inserts the key (state "detected") if new; keeps the earliest validation time seen. */
int ak_ledger_key_note(ak_ledger *l, const char *key_id, const char *secret_sha256,
                       const char *checked_at, const char *validation_status, ak_buf *err);

/* Records the decision and facts (the plan) with the key's new state, in one transaction. */
int ak_ledger_key_decide(ak_ledger *l, const char *key_id, const char *decision, const char *facts,
                         const char *state, ak_buf *err);

/* Sets the key's state and error (NULL clears it). */
int ak_ledger_key_state(ak_ledger *l, const char *key_id, const char *state, const char *error,
                        ak_buf *err);

int ak_ledger_step_get(ak_ledger *l, const char *key_id, const char *step, ak_step_status *out,
                       ak_buf *err);
/* Marks a step started (committed before the step's first call). */
int ak_ledger_step_begin(ak_ledger *l, const char *key_id, const char *step, ak_buf *err);
/* Marks a step done or failed and, when state is non-NULL, sets the key's state and error, in
 * one transaction. */
int ak_ledger_step_end(ak_ledger *l, const char *key_id, const char *step, int ok,
                       const char *detail, const char *state, ak_buf *err);

typedef struct ak_ledger_call {
    const char *key_id, *step, *product, *action, *request_id, *outcome, *code, *detail;
    long http_status;
} ak_ledger_call;
int ak_ledger_call_log(ak_ledger *l, const ak_ledger_call *c, ak_buf *err);

/* Number of calls logged for a key and action (for tests and the summary). */
long ak_ledger_call_count(ak_ledger *l, const char *key_id, const char *action);

/* A step's detail and start time (caller frees both); both NULL when the step is unknown. */
int ak_ledger_step_info(ak_ledger *l, const char *key_id, const char *step, char **detail,
                        char **started_at, ak_buf *err);

/* RequestId of the latest successful call of action for the key, or NULL (caller frees). */
char *ak_ledger_request_id(ak_ledger *l, const char *key_id, const char *action);

const char *ak_step_status_name(ak_step_status s);

#endif
