/*
 * SQLite ledger, see ledger.h. Statements are prepared per use: the ledger sees a handful of
 * writes per key, so clarity beats caching. Every write that moves a key forward is one
 * transaction, so a process killed at any instant leaves either the old or the new state.
 */
#include "respond/ledger.h"
#include "util/mem.h"
#include "util/clock.h"
#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ak_ledger {
    sqlite3 *db;
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT);"
    "INSERT OR IGNORE INTO meta VALUES('schema_version', '1');"
    "CREATE TABLE IF NOT EXISTS keys(key_id TEXT PRIMARY KEY, secret_sha256 TEXT,"
    " first_validated_at TEXT, validation_status TEXT, state TEXT NOT NULL, decision TEXT,"
    " facts TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS steps(key_id TEXT NOT NULL, step TEXT NOT NULL,"
    " status TEXT NOT NULL, started_at TEXT, finished_at TEXT, attempts INTEGER NOT NULL DEFAULT 0,"
    " detail TEXT, PRIMARY KEY(key_id, step));"
    "CREATE TABLE IF NOT EXISTS calls(id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,"
    " key_id TEXT, step TEXT, product TEXT, action TEXT, request_id TEXT, outcome TEXT,"
    " code TEXT, http_status INTEGER, detail TEXT);";

const char *ak_step_status_name(ak_step_status s)
{
    static const char *names[] = {"none", "started", "done", "failed"};
    return (unsigned)s < 4 ? names[s] : "none";
}

char *ak_ledger_default_path(void)
{
    ak_buf b = AK_BUF_INIT;
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg == '/')
        ak_buf_printf(&b, "%s/akhound/ledger.db", xdg);
    else if (home && *home)
        ak_buf_printf(&b, "%s/.local/state/akhound/ledger.db", home);
    else
        return NULL;
    return ak_buf_detach(&b);
}

/* mkdir -p of path's directory, new directories mode 0700. */
static int make_parent(const char *path, ak_buf *err)
{
    char *dir = ak_strdup(path);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; *p && rc == 0; p++) {
            if (*p != '/') continue;
            *p = '\0';
            if (mkdir(dir, 0700) < 0 && errno != EEXIST) rc = -1;
            *p = '/';
        }
        if (rc == 0 && mkdir(dir, 0700) < 0 && errno != EEXIST) rc = -1;
        if (rc < 0) ak_buf_printf(err, "cannot create %s: %s", dir, strerror(errno));
    }
    free(dir);
    return rc;
}

/* Creates the file with mode 0600 before SQLite sees it, so it never exists with a wider mode. */
static int create_private(const char *path, ak_buf *err)
{
    int fd = ak_outfile_open(path, AK_OUT_APPEND | AK_OUT_PRIVATE, err);
    if (fd >= 0) close(fd);
    return fd >= 0 ? 0 : -1;
}

static int db_error(ak_ledger *l, ak_buf *err, const char *what)
{
    ak_buf_printf(err, "ledger: %s: %s", what, sqlite3_errmsg(l->db));
    return -1;
}

static int exec(ak_ledger *l, const char *sql, ak_buf *err)
{
    char *msg = NULL;
    if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ak_buf_printf(err, "ledger: %s", msg ? msg : sqlite3_errmsg(l->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int ak_ledger_open(ak_ledger **out, const char *path, int readonly, ak_buf *err)
{
    *out = NULL;
    if (readonly && access(path, F_OK) < 0) return 0;
    if (!readonly && (make_parent(path, err) < 0 || create_private(path, err) < 0)) return -1;
    ak_ledger *l = ak_calloc(1, sizeof *l);
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path, &l->db, flags, NULL) != SQLITE_OK) {
        ak_buf_printf(err, "ledger %s: %s", path, sqlite3_errmsg(l->db));
        ak_ledger_close(l);
        return -1;
    }
    sqlite3_busy_timeout(l->db, 10000);
    if (!readonly && (exec(l, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err) < 0 ||
                      exec(l, SCHEMA, err) < 0)) {
        ak_ledger_close(l);
        return -1;
    }
    *out = l;
    return 0;
}

void ak_ledger_close(ak_ledger *l)
{
    if (!l) return;
    sqlite3_close(l->db);
    free(l);
}

void ak_ledger_key_free(ak_ledger_key *k)
{
    free(k->state);
    free(k->decision);
    free(k->facts);
    free(k->first_validated_at);
    free(k->error);
    memset(k, 0, sizeof *k);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? ak_strdup((const char *)s) : NULL;
}

/* Binds text parameters 1..n (NULL binds SQL NULL). */
static int prepare(ak_ledger *l, sqlite3_stmt **st, const char *sql, const char *const *vals, int n,
                   ak_buf *err)
{
    if (sqlite3_prepare_v2(l->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(l, err, "prepare");
    for (int i = 0; i < n; i++) sqlite3_bind_text(*st, i + 1, vals[i], -1, SQLITE_TRANSIENT);
    return 0;
}

/* Runs a statement that returns no row. */
static int run(ak_ledger *l, const char *sql, const char *const *vals, int n, ak_buf *err)
{
    sqlite3_stmt *st;
    if (prepare(l, &st, sql, vals, n, err) < 0) return -1;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_error(l, err, "write");
}

int ak_ledger_key_get(ak_ledger *l, const char *key_id, ak_ledger_key *k, ak_buf *err)
{
    memset(k, 0, sizeof *k);
    if (!l) return 0;
    sqlite3_stmt *st;
    const char *v[] = {key_id};
    if (prepare(l, &st,
                "SELECT state, decision, facts, first_validated_at, error FROM keys"
                " WHERE key_id = ?1",
                v, 1, err) < 0)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        k->exists = 1;
        k->state = col_dup(st, 0);
        k->decision = col_dup(st, 1);
        k->facts = col_dup(st, 2);
        k->first_validated_at = col_dup(st, 3);
        k->error = col_dup(st, 4);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(l, err, "read");
}

int ak_ledger_key_note(ak_ledger *l, const char *key_id, const char *secret_sha256,
                       const char *checked_at, const char *validation_status, ak_buf *err)
{
    char now[21];
    ak_iso8601_now(now);
    const char *v[] = {key_id, secret_sha256, checked_at, validation_status, now};
    /* ISO 8601 UTC strings of one format compare as times. */
    return run(l,
               "INSERT INTO keys(key_id, secret_sha256, first_validated_at, validation_status,"
               " state, created_at, updated_at) VALUES(?1, ?2, ?3, ?4, 'detected', ?5, ?5)"
               " ON CONFLICT(key_id) DO UPDATE SET"
               " secret_sha256 = coalesce(keys.secret_sha256, excluded.secret_sha256),"
               " first_validated_at = CASE WHEN keys.first_validated_at IS NULL"
               "  OR (excluded.first_validated_at IS NOT NULL"
               "   AND excluded.first_validated_at < keys.first_validated_at)"
               "  THEN coalesce(excluded.first_validated_at, keys.first_validated_at)"
               "  ELSE keys.first_validated_at END,"
               " validation_status = coalesce(excluded.validation_status, keys.validation_status)",
               v, 5, err);
}

int ak_ledger_key_decide(ak_ledger *l, const char *key_id, const char *decision, const char *facts,
                         const char *state, ak_buf *err)
{
    char now[21];
    ak_iso8601_now(now);
    const char *v[] = {key_id, decision, facts, state, now};
    return run(l,
               "UPDATE keys SET decision = ?2, facts = ?3, state = ?4, error = NULL,"
               " updated_at = ?5 WHERE key_id = ?1",
               v, 5, err);
}

int ak_ledger_key_state(ak_ledger *l, const char *key_id, const char *state, const char *error,
                        ak_buf *err)
{
    char now[21];
    ak_iso8601_now(now);
    const char *v[] = {key_id, state, error, now};
    return run(l, "UPDATE keys SET state = ?2, error = ?3, updated_at = ?4 WHERE key_id = ?1", v, 4,
               err);
}

int ak_ledger_step_get(ak_ledger *l, const char *key_id, const char *step, ak_step_status *out,
                       ak_buf *err)
{
    *out = AK_STEP_NONE;
    if (!l) return 0;
    sqlite3_stmt *st;
    const char *v[] = {key_id, step};
    if (prepare(l, &st, "SELECT status FROM steps WHERE key_id = ?1 AND step = ?2", v, 2, err) < 0)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        *out = !s                      ? AK_STEP_NONE
               : !strcmp(s, "done")    ? AK_STEP_DONE
               : !strcmp(s, "started") ? AK_STEP_STARTED
                                       : AK_STEP_FAILED;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(l, err, "read");
}

int ak_ledger_step_begin(ak_ledger *l, const char *key_id, const char *step, ak_buf *err)
{
    char now[21];
    ak_iso8601_now(now);
    const char *v[] = {key_id, step, now};
    return run(l,
               "INSERT INTO steps(key_id, step, status, started_at, attempts)"
               " VALUES(?1, ?2, 'started', ?3, 1) ON CONFLICT(key_id, step) DO UPDATE SET"
               " status = 'started', started_at = ?3, finished_at = NULL,"
               " attempts = steps.attempts + 1",
               v, 3, err);
}

int ak_ledger_step_end(ak_ledger *l, const char *key_id, const char *step, int ok,
                       const char *detail, const char *state, ak_buf *err)
{
    char now[21];
    ak_iso8601_now(now);
    if (exec(l, "BEGIN IMMEDIATE", err) < 0) return -1;
    const char *v[] = {key_id, step, ok ? "done" : "failed", now, detail};
    int rc = run(l,
                 "UPDATE steps SET status = ?3, finished_at = ?4, detail = ?5"
                 " WHERE key_id = ?1 AND step = ?2",
                 v, 5, err);
    if (rc == 0 && state) rc = ak_ledger_key_state(l, key_id, state, ok ? NULL : detail, err);
    if (rc == 0) return exec(l, "COMMIT", err);
    ak_buf tmp = AK_BUF_INIT;
    exec(l, "ROLLBACK", &tmp);
    ak_buf_free(&tmp);
    return -1;
}

int ak_ledger_call_log(ak_ledger *l, const ak_ledger_call *c, ak_buf *err)
{
    char now[21], status[24];
    ak_iso8601_now(now);
    snprintf(status, sizeof status, "%ld", c->http_status);
    const char *v[] = {now,           c->key_id,  c->step, c->product, c->action,
                       c->request_id, c->outcome, c->code, status,     c->detail};
    return run(l,
               "INSERT INTO calls(at, key_id, step, product, action, request_id, outcome, code,"
               " http_status, detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CAST(?9 AS INTEGER),"
               " ?10)",
               v, 10, err);
}

long ak_ledger_call_count(ak_ledger *l, const char *key_id, const char *action)
{
    if (!l) return 0;
    sqlite3_stmt *st;
    ak_buf err = AK_BUF_INIT;
    const char *v[] = {key_id, action};
    long n = -1;
    if (prepare(l, &st, "SELECT count(*) FROM calls WHERE key_id = ?1 AND action = ?2", v, 2,
                &err) == 0) {
        if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    ak_buf_free(&err);
    return n;
}

char *ak_ledger_request_id(ak_ledger *l, const char *key_id, const char *action)
{
    if (!l) return NULL;
    sqlite3_stmt *st;
    ak_buf err = AK_BUF_INIT;
    const char *v[] = {key_id, action};
    char *out = NULL;
    if (prepare(l, &st,
                "SELECT request_id FROM calls WHERE key_id = ?1 AND action = ?2 AND outcome = 'ok'"
                " AND request_id IS NOT NULL ORDER BY id DESC LIMIT 1",
                v, 2, &err) == 0) {
        if (sqlite3_step(st) == SQLITE_ROW)
            out = ak_strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    ak_buf_free(&err);
    return out;
}

int ak_ledger_step_info(ak_ledger *l, const char *key_id, const char *step, char **detail,
                        char **started_at, ak_buf *err)
{
    *detail = *started_at = NULL;
    if (!l) return 0;
    sqlite3_stmt *st;
    const char *v[] = {key_id, step};
    if (prepare(l, &st, "SELECT detail, started_at FROM steps WHERE key_id = ?1 AND step = ?2", v,
                2, err) < 0)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 0);
        const char *t = (const char *)sqlite3_column_text(st, 1);
        *detail = d ? ak_strdup(d) : NULL;
        *started_at = t ? ak_strdup(t) : NULL;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(l, err, "read");
}
