/*
 * The respond driver: groups findings by AccessKey ID, sets up the run (responder credentials,
 * HTTP client, ledger, audit log), then for each key either takes the decision an earlier run
 * recorded in the ledger or plans it afresh, and runs or lists its steps. Keys are handled one at
 * a time, sorted by ID, so the output and the order of calls are the same on every run.
 */
#include "cloud/credentials.h"
#include "report/json.h"
#include "respond/respond_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

void ak_respond_opts_default(ak_respond_opts *o)
{
    memset(o, 0, sizeof *o);
    o->unused_days = 30;
    o->evidence_days = 0; /* the unused window */
    o->policy_name = AK_RESPOND_POLICY_NAME;
    o->mail_from = "akhound@localhost";
    o->timeout_ms = 10000;
    o->max_retries = 3;
    o->backoff_ms = 200;
}

typedef struct keyset {
    ak_rkey *items;
    size_t len, cap;
    size_t n_sorted; /* items[0..n_sorted) come from findings, sorted by ID */
    char **owned;    /* IDs of keys found as footholds (not in any finding) */
    size_t n_owned;
} keyset;

/* Which verdict wins when findings of one key disagree: the one that allows acting first. */
static int verdict_rank(ak_val_status s)
{
    static const int rank[] = {
        [AK_VAL_VALID] = 6,     [AK_VAL_INACTIVE] = 5, [AK_VAL_WRONG_SECRET] = 4,
        [AK_VAL_NOT_FOUND] = 3, [AK_VAL_EXPIRED] = 2,  [AK_VAL_UNKNOWN] = 1,
        [AK_VAL_NONE] = 0};
    return (unsigned)s <= AK_VAL_UNKNOWN ? rank[s] : 0;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const ak_rkey *)a)->key_id, ((const ak_rkey *)b)->key_id);
}

/* The keys from findings are sorted (bsearch); those found as footholds follow (few). */
static ak_rkey *find_key(keyset *ks, const char *id)
{
    ak_rkey probe = {.key_id = id};
    ak_rkey *k =
        ks->n_sorted ? bsearch(&probe, ks->items, ks->n_sorted, sizeof probe, cmp_key) : NULL;
    for (size_t i = ks->n_sorted; !k && i < ks->len; i++)
        if (!strcmp(ks->items[i].key_id, id)) k = &ks->items[i];
    return k;
}

static ak_rkey *new_key(keyset *ks, const char *id)
{
    AK_GROW(ks->items, ks->cap, ks->len + 1);
    ak_rkey *k = &ks->items[ks->len++];
    memset(k, 0, sizeof *k);
    k->key_id = id;
    return k;
}

/* Records a validation of ours (once per checked_at and read). */
static void add_self(ak_rkey *k, const char *checked_at, const char *read_at, const char *before)
{
    for (size_t i = 0; i < k->n_self; i++) {
        ak_self_use *s = &k->self[i];
        if (strcmp(s->checked_at, checked_at)) continue;
        if (!read_at || (s->read_at && !strcmp(s->read_at, read_at))) return;
        if (!s->read_at) { /* the same validation, now with its read */
            *s = (ak_self_use){checked_at, read_at, before};
            return;
        }
    }
    k->self = ak_realloc(k->self, (k->n_self + 1) * sizeof *k->self);
    k->self[k->n_self++] = (ak_self_use){checked_at, read_at, before};
}

static void add_finding(ak_rkey *k, const ak_finding *f)
{
    k->f = ak_realloc(k->f, (k->n_f + 1) * sizeof *k->f);
    k->f[k->n_f++] = f;
    const ak_validation *v = f->validation;
    if (v && v->checked_at && *v->checked_at)
        add_self(k, v->checked_at, v->lu_source ? v->lu_read_at : NULL,
                 v->lu_source ? v->lu_date : NULL);
    if (v && (!k->val || verdict_rank(v->status) > verdict_rank(k->val->status))) k->val = v;
    if (v && v->checked_at && *v->checked_at &&
        (!k->first_validated_at || strcmp(v->checked_at, k->first_validated_at) < 0)) {
        free(k->first_validated_at);
        k->first_validated_at = ak_strdup(v->checked_at);
    }
    if (!k->secret_sha256[0] && f->secret_sha256[0])
        memcpy(k->secret_sha256, f->secret_sha256, sizeof k->secret_sha256);
    else if (!k->secret_sha256[0] && f->secret && *f->secret)
        ak_sha256_hex(f->secret, strlen(f->secret), k->secret_sha256);
}

/* By AccessKey ID, then input order (the findings are one array). */
static int cmp_finding_id(const void *a, const void *b)
{
    const ak_finding *x = *(const ak_finding *const *)a, *y = *(const ak_finding *const *)b;
    int c = strcmp(x->access_key_id, y->access_key_id);
    return c ? c : (x > y) - (x < y);
}

/* One key per distinct ID, sorted, each with its findings in input order: a sort, so tens of
 * thousands of IDs group in milliseconds. Returns the number of findings without an ID. */
static size_t group(const ak_findings *list, keyset *ks)
{
    const ak_finding **by_id = ak_calloc(list->len ? list->len : 1, sizeof *by_id);
    size_t n = 0;
    for (size_t i = 0; i < list->len; i++)
        if (list->items[i].access_key_id && *list->items[i].access_key_id)
            by_id[n++] = &list->items[i];
    if (n) qsort(by_id, n, sizeof *by_id, cmp_finding_id);
    for (size_t i = 0; i < n; i++) {
        if (!i || strcmp(by_id[i]->access_key_id, by_id[i - 1]->access_key_id))
            new_key(ks, by_id[i]->access_key_id);
        add_finding(&ks->items[ks->len - 1], by_id[i]);
    }
    ks->n_sorted = ks->len;
    free(by_id);
    return list->len - n;
}

static void collect_secrets(ak_rctx *c, const ak_findings *list)
{
    size_t n = 0;
    for (size_t i = 0; i < list->len; i++) n += 2 + list->items[i].n_candidates;
    c->secrets = ak_calloc(n ? n : 1, sizeof *c->secrets);
    for (size_t i = 0; i < list->len; i++) {
        const ak_finding *f = &list->items[i];
        if (f->secret) c->secrets[c->n_secrets++] = f->secret;
        if (f->security_token) c->secrets[c->n_secrets++] = f->security_token;
        for (size_t j = 0; j < f->n_candidates; j++)
            if (f->candidates[j]) c->secrets[c->n_secrets++] = f->candidates[j];
    }
}

static json_t *location_json(const ak_finding *f)
{
    json_t *l = json_pack("{s:s?, s:s, s:i, s:s?, s:s?}", "repository", f->repository, "path",
                          f->path, "line", (int)f->line, "link", f->link, "blob", f->blob);
    const ak_commit_info *ci = f->commit;
    json_object_set_new(l, "commit",
                        ci ? json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "id", ci->id, "author",
                                       ci->author, "email", ci->email, "date", ci->date, "summary",
                                       ci->summary)
                           : json_null());
    return l;
}

static json_t *entry_new(const ak_rkey *k)
{
    json_t *locs = json_array();
    for (size_t i = 0; i < k->n_f; i++) json_array_append_new(locs, location_json(k->f[i]));
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:[]}", "key_id", k->key_id, "validation",
                     k->val ? ak_val_status_name(k->val->status) : NULL, "secret_sha256",
                     k->secret_sha256[0] ? k->secret_sha256 : NULL, "first_validated_at",
                     k->first_validated_at, "created_with", k->created_with, "locations", locs,
                     "read_calls");
}

/* The responder's own identity: which account "ours" is. */
static int whoami(ak_rctx *c, ak_buf *err)
{
    ak_call call = {.product = AK_PRODUCT_STS, .action = "GetCallerIdentity"};
    int rc = ak_rcall(c, NULL, "whoami", 0, &call, NULL);
    const char *acct = json_string_value(json_object_get(call.body, "AccountId"));
    if (rc == AK_RCALL_OK && acct) {
        c->account_id = ak_strdup(acct);
        const char *arn = json_string_value(json_object_get(call.body, "Arn"));
        c->arn = arn ? ak_strdup(arn) : NULL;
    } else {
        char *why = ak_rcall_error(&call);
        ak_buf_printf(err, "the responder's credentials do not work: %s", why);
        free(why);
        rc = AK_RCALL_FAILED;
    }
    ak_call_clear(&call);
    return rc == AK_RCALL_OK ? 0 : -1;
}

static const char *decision_name(const char *s)
{
    static const char *names[] = {"none", "disable", "contain", "notify"};
    for (size_t i = 0; s && i < 4; i++)
        if (!strcmp(s, names[i])) return names[i];
    return NULL;
}

/*
 * An earlier decision stands unless it may be acted on again: a key is only ever disabled or
 * deleted on a fresh read of its last use, so a "disable" whose action steps are not all done is
 * decided afresh, and so is any decision taken while a needed read had failed.
 */
static int reusable(ak_rctx *c, const char *key_id, const char *decision, json_t *facts)
{
    json_t *usage = json_object_get(facts, "usage");
    if (json_is_true(json_object_get(usage, "incomplete"))) return 0;
    if (strcmp(decision, "disable")) return 1;
    const char *names[8];
    size_t n =
        ak_plan_steps(c->o, decision, !json_is_true(json_object_get(usage, "in_use")), names);
    for (size_t i = 0; i < n; i++) {
        ak_step_status st = AK_STEP_NONE;
        ak_buf err = AK_BUF_INIT;
        int rc = ak_ledger_step_get(c->ledger, key_id, names[i], &st, &err);
        ak_buf_free(&err);
        if (strncmp(names[i], "notify", 6) && (rc < 0 || st != AK_STEP_DONE)) return 0;
    }
    return 1;
}

/* Takes an earlier run's decision and facts; 1 when there was one. */
static int from_ledger(ak_rctx *c, ak_rkey *k, ak_buf *err)
{
    ak_ledger_key lk;
    if (ak_ledger_key_get(c->ledger, k->key_id, &lk, err) < 0) return -1;
    int found = 0;
    if (lk.first_validated_at &&
        (!k->first_validated_at || strcmp(lk.first_validated_at, k->first_validated_at) < 0)) {
        free(k->first_validated_at);
        k->first_validated_at = ak_strdup(lk.first_validated_at);
        json_object_set_new(k->entry, "first_validated_at", json_string(lk.first_validated_at));
    }
    if (k->first_validated_at) add_self(k, k->first_validated_at, NULL, NULL);
    json_t *facts = lk.facts ? json_loads(lk.facts, 0, NULL) : NULL;
    if (decision_name(lk.decision) && json_is_object(facts) &&
        reusable(c, k->key_id, lk.decision, facts)) {
        k->decision = decision_name(lk.decision);
        k->facts = facts;
        facts = NULL;
        found = 1;
        json_object_set_new(k->entry, "decided_by_earlier_run", json_true());
    } else if (json_is_object(facts)) {
        k->earlier_owner = json_incref(json_object_get(facts, "owner"));
    }
    json_decref(facts);
    ak_ledger_key_free(&lk);
    return found;
}

int ak_rctx_identity(ak_rctx *c, ak_buf *err)
{
    return c->account_id ? 0 : whoami(c, err);
}

static void record_plan(ak_rctx *c, ak_rkey *k)
{
    ak_buf err = AK_BUF_INIT;
    const char *kind =
        json_string_value(json_object_get(json_object_get(k->facts, "owner"), "kind"));
    const char *state = k->failed                            ? "failed"
                        : kind && strcmp(kind, "unresolved") ? "owner_resolved"
                                                             : "detected";
    char *facts = json_dumps(k->facts, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = k->failed
                 ? ak_ledger_key_state(c->ledger, k->key_id, state,
                                       json_string_value(json_object_get(k->facts, "error")), &err)
                 : ak_ledger_key_decide(c->ledger, k->key_id, k->decision, facts, state, &err);
    if (rc < 0) {
        ak_error("respond %s: %s", k->key_id, ak_buf_cstr(&err));
        k->failed = 1;
    }
    ak_audit_entry e = {k->key_id,
                        "plan",
                        "Decide",
                        NULL,
                        k->failed ? "failed" : "ok",
                        k->failed ? json_string_value(json_object_get(k->facts, "error"))
                                  : k->decision};
    ak_audit_write(c->audit, &e);
    free(facts);
    ak_buf_free(&err);
}

static void handle_key(ak_rctx *c, ak_rkey *k, ak_respond_result *res, ak_buf *setup_err)
{
    ak_buf err = AK_BUF_INIT;
    if (c->o->apply &&
        ak_ledger_key_note(c->ledger, k->key_id, k->secret_sha256[0] ? k->secret_sha256 : NULL,
                           k->first_validated_at,
                           k->val ? ak_val_status_name(k->val->status) : NULL, &err) < 0)
        k->failed = 1;
    int known = k->failed ? -1 : from_ledger(c, k, &err);
    if (known < 0) k->failed = 1;
    if (known == 0) {
        if (ak_rctx_identity(c, setup_err) < 0) {
            k->failed = 1;
            ak_buf_free(&err);
            return;
        }
        ak_plan_key(c, k);
        if (c->o->apply) record_plan(c, k);
    }
    if (err.len) json_object_set_new(k->entry, "error", json_string(ak_buf_cstr(&err)));
    if (k->facts) json_object_set(k->entry, "facts", k->facts);
    json_object_set_new(k->entry, "decision", k->decision ? json_string(k->decision) : json_null());
    if (!k->decision) {
        json_object_set_new(k->entry, "steps", json_array());
        json_object_set_new(k->entry, "todo", json_array());
        json_object_set_new(k->entry, "state", json_string("failed"));
        json_object_set(k->entry, "error", json_object_get(k->facts, "error"));
    } else {
        ak_apply_key(c, k);
    }
    long pending = (long)json_integer_value(json_object_get(k->entry, "pending_steps"));
    if (k->incomplete) res->incomplete++;
    if (k->failed)
        res->failed++;
    else if (pending)
        res->pending++;
    else
        res->done++;
    ak_buf_free(&err);
}

/* AccessKeys that ActionTrail shows created with key i become keys of this run too: the same
 * fail-safe rule then contains them (seed step 3). */
static void add_created_keys(keyset *ks, size_t i)
{
    json_t *fh = json_object_get(json_object_get(ks->items[i].facts, "evidence"), "footholds");
    size_t j;
    json_t *e;
    AK_JSON_EACH(fh, j, e)
    {
        const char *id = json_string_value(json_object_get(e, "access_key_id"));
        if (!id || !*id || find_key(ks, id)) continue;
        ks->owned = ak_realloc(ks->owned, (ks->n_owned + 1) * sizeof *ks->owned);
        ks->owned[ks->n_owned] = ak_strdup(id);
        ak_rkey *k = new_key(ks, ks->owned[ks->n_owned++]);
        k->created_with = ks->items[i].key_id;
    }
}

int ak_rctx_open(ak_rctx *c, const ak_respond_opts *o, ak_credentials *cr, char **ledger_path,
                 ak_buf *err)
{
    c->o = o;
    c->crash_after = -1;
    const char *crash = getenv("AKHOUND_TEST_CRASH_AFTER");
    if (crash && *crash) c->crash_after = atol(crash);
    if (ak_credentials_load(cr, err) < 0) return -1;
    c->cred = (ak_cred){cr->access_key_id, cr->secret, cr->security_token};
    ak_client_opts co;
    ak_client_opts_default(&co);
    co.region = o->region;
    co.ca_file = o->ca_file;
    co.timeout_ms = o->timeout_ms;
    co.max_retries = o->max_retries;
    co.backoff_ms = o->backoff_ms;
    co.concurrency = 1;
    c->client = ak_client_new(&co, err);
    if (!c->client) return -1;
    *ledger_path = o->ledger_path ? ak_strdup(o->ledger_path) : ak_ledger_default_path();
    if (!*ledger_path) {
        ak_buf_puts(err, "no ledger path: set HOME or use --ledger");
        return -1;
    }
    if (ak_ledger_open(&c->ledger, *ledger_path, !o->apply, err) < 0) return -1;
    if (!o->apply) return 0;
    char *audit = o->audit_path ? ak_strdup(o->audit_path) : ak_audit_default_path(*ledger_path);
    int rc = ak_audit_open(&c->audit, audit, err);
    free(audit);
    return rc;
}

static json_t *summary_json(const ak_respond_result *r, size_t skipped)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "keys", (json_int_t)r->keys, "done",
                     (json_int_t)r->done, "pending", (json_int_t)r->pending, "failed",
                     (json_int_t)r->failed, "incomplete", (json_int_t)r->incomplete,
                     "findings_without_key_id", (json_int_t)skipped);
}

void ak_rctx_close(ak_rctx *c)
{
    free(c->secrets);
    free(c->account_id);
    free(c->arn);
    ak_client_free(c->client);
    ak_ledger_close(c->ledger);
    ak_audit_close(c->audit);
}

static void teardown(ak_rctx *c, keyset *ks)
{
    for (size_t i = 0; i < ks->len; i++) {
        free(ks->items[i].f);
        free(ks->items[i].self);
        json_decref(ks->items[i].earlier_owner);
        free(ks->items[i].first_validated_at);
        json_decref(ks->items[i].facts);
    }
    free(ks->items);
    for (size_t i = 0; i < ks->n_owned; i++) free(ks->owned[i]);
    free(ks->owned);
    ak_rctx_close(c);
}

int ak_respond_run(const ak_findings *findings, const ak_respond_opts *opts, json_t **report,
                   ak_respond_result *res, ak_buf *err)
{
    ak_rctx c = {.o = opts, .crash_after = -1};
    memset(res, 0, sizeof *res);
    *report = NULL;
    keyset ks = {0};
    size_t skipped = group(findings, &ks);
    collect_secrets(&c, findings);
    res->keys = ks.len;
    ak_credentials cr = {0};
    char *ledger_path = NULL;
    int rc = ks.len ? ak_rctx_open(&c, opts, &cr, &ledger_path, err) : 0;
    json_t *keys = json_array();
    for (size_t i = 0; rc == 0 && i < ks.len; i++) {
        ks.items[i].entry = entry_new(&ks.items[i]);
        json_array_append_new(keys, ks.items[i].entry);
        handle_key(&c, &ks.items[i], res, err);
        if (!c.account_id && err->len) rc = -1; /* the responder itself does not work */
        add_created_keys(&ks, i);
    }
    res->keys = ks.len;
    if (rc == 0)
        *report = json_pack("{s:s, s:{s:s?, s:s?, s:s?}, s:s?, s:o, s:o}", "mode",
                            opts->apply ? "apply" : "dry-run", "responder", "account_id",
                            c.account_id, "arn", c.arn, "credentials", cr.source, "ledger",
                            ledger_path, "keys", keys, "summary", summary_json(res, skipped));
    else
        json_decref(keys);
    free(ledger_path);
    ak_credentials_free(&cr);
    teardown(&c, &ks);
    return rc;
}
