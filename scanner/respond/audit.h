/*
 * The audit log: one JSON object per line per action respond takes (every state-changing API call,
 * every notification, every decision), appended as it happens so a reader sees exactly what was
 * done even if the process dies. Fields: time, key_id, step, action, request_id, outcome, detail.
 * The file is created mode 0600; lines never hold a secret. Not thread-safe.
 */
#ifndef AK_RESPOND_AUDIT_H
#define AK_RESPOND_AUDIT_H

#include "util/buf.h"

typedef struct ak_audit ak_audit;

/* Default: audit.jsonl in the directory of ledger_path. The caller frees the result. */
char *ak_audit_default_path(const char *ledger_path);

int ak_audit_open(ak_audit **out, const char *path, ak_buf *err);
void ak_audit_close(ak_audit *a);

typedef struct ak_audit_entry {
    const char *key_id, *step, *action, *request_id, *outcome, *detail;
} ak_audit_entry;

/* Appends one line (a single write(2), then fsync). Returns 0 or -1. */
int ak_audit_write(ak_audit *a, const ak_audit_entry *e);

#endif
