/*
 * Validation of findings, see validate.h. The work is organised in rounds so that candidate
 * secrets are tried in order without serialising the whole run: round k sends, in one concurrent
 * batch, the k-th secret of every finding not yet settled. A pair table (open addressing over a
 * hash of ID, secret and token) makes sure each distinct pair is sent once per run, however many
 * findings or rounds name it. A finding stops early once an answer is about the ID rather than the
 * secret (not_found, inactive, expired), since another secret cannot change it.
 */
#include "cloud/validate.h"
#include "cloud/client.h"
#include "cloud/credentials.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/clock.h"
#include "util/version.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DETAIL_MAX 300

typedef struct pair {
    const char *id, *secret, *token; /* borrowed from the findings */
    uint64_t hash;
    ak_validation *result; /* NULL until checked */
} pair;

typedef struct pair_set {
    pair *items;
    size_t len, cap;
    size_t *slots; /* index + 1; 0 is empty */
    size_t n_slots;
} pair_set;

typedef struct fstate {
    ak_finding *f;
    const char **secrets; /* f->secret then the candidates, without repeats */
    size_t n_secrets;
    size_t *pair_of; /* pair index per secret tried */
    size_t tried;
    int settled;
} fstate;

static _Thread_local ak_validate_stats last_stats;

void ak_validate_stats_last(ak_validate_stats *out)
{
    *out = last_stats;
}

void ak_validate_opts_default(ak_validate_opts *o)
{
    ak_client_opts c;
    ak_client_opts_default(&c);
    memset(o, 0, sizeof *o);
    o->concurrency = c.concurrency;
    o->timeout_ms = c.timeout_ms;
    o->max_retries = c.max_retries;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull; /* a separator, so ("ab","c") differs from ("a","bc") */
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void set_rehash(pair_set *s)
{
    free(s->slots);
    s->n_slots = s->n_slots ? s->n_slots * 2 : 64;
    s->slots = ak_calloc(s->n_slots, sizeof *s->slots);
    for (size_t i = 0; i < s->len; i++) {
        size_t k = s->items[i].hash & (s->n_slots - 1);
        while (s->slots[k]) k = (k + 1) & (s->n_slots - 1);
        s->slots[k] = i + 1;
    }
}

/* Index of the pair, added when new (*added set). */
static size_t set_intern(pair_set *s, const char *id, const char *secret, const char *token,
                         int *added)
{
    if (2 * (s->len + 1) > s->n_slots) set_rehash(s);
    uint64_t h = fnv(fnv(fnv(1469598103934665603ull, id), secret), token);
    size_t k = h & (s->n_slots - 1);
    for (; s->slots[k]; k = (k + 1) & (s->n_slots - 1)) {
        pair *p = &s->items[s->slots[k] - 1];
        if (p->hash == h && str_eq(p->id, id) && str_eq(p->secret, secret) &&
            str_eq(p->token, token)) {
            *added = 0;
            return s->slots[k] - 1;
        }
    }
    AK_GROW(s->items, s->cap, s->len);
    s->items[s->len] = (pair){id, secret, token, h, NULL};
    s->slots[k] = ++s->len;
    *added = 1;
    return s->len - 1;
}

static void set_free(pair_set *s)
{
    for (size_t i = 0; i < s->len; i++) ak_validation_free(s->items[i].result);
    free(s->items);
    free(s->slots);
}

static char *json_dup(json_t *body, const char *key)
{
    const char *v = json_string_value(json_object_get(body, key));
    return v && *v ? ak_strdup(v) : NULL;
}

static ak_val_status status_of_code(const char *code)
{
    if (!strcmp(code, "SignatureDoesNotMatch") || !strcmp(code, "IncompleteSignature") ||
        !strcmp(code, "InvalidAccessKeySecret"))
        return AK_VAL_WRONG_SECRET;
    if (!strcmp(code, "InvalidAccessKeyId.Inactive")) return AK_VAL_INACTIVE;
    if (!strcmp(code, "InvalidAccessKeyId.NotFound") || !strcmp(code, "InvalidAccessKeyId"))
        return AK_VAL_NOT_FOUND;
    if (!strncmp(code, "InvalidSecurityToken", 20) || !strcmp(code, "MissingSecurityToken"))
        return AK_VAL_EXPIRED;
    return AK_VAL_UNKNOWN;
}

/*
 * "Code: Message" without the server's echo of its string to sign: for STS credentials that echo
 * contains the security token, which is as secret as the key.
 */
static char *api_detail(const ak_call *c)
{
    ak_buf d = AK_BUF_INIT;
    ak_buf_puts(&d, c->code ? c->code : "error");
    if (c->message && *c->message) {
        const char *m = c->message;
        const char *cut = strcasestr(m, "server string to sign");
        size_t len = cut ? (size_t)(cut - m) : strlen(m);
        while (len && (m[len - 1] == ' ' || m[len - 1] == '.')) len--;
        ak_buf_puts(&d, ": ");
        ak_buf_append(&d, m, len);
    }
    if (c->request_id) ak_buf_printf(&d, " (RequestId %s)", c->request_id);
    return ak_buf_detach(&d);
}

static ak_validation *verdict(const ak_call *c, const char *checked_at)
{
    ak_validation *v = ak_calloc(1, sizeof *v);
    v->checked_at = ak_strdup(checked_at);
    if (c->state == AK_CALL_OK) {
        v->status = AK_VAL_VALID;
        v->identity_type = json_dup(c->body, "IdentityType");
        v->account_id = json_dup(c->body, "AccountId");
        v->arn = json_dup(c->body, "Arn");
        v->principal_id = json_dup(c->body, "PrincipalId");
    } else if (c->state == AK_CALL_API_ERROR) {
        v->status = status_of_code(c->code ? c->code : "");
        v->detail = api_detail(c);
    } else {
        v->status = AK_VAL_UNKNOWN;
        v->detail = ak_strdup(c->error ? c->error : "no answer");
    }
    if (v->detail && strlen(v->detail) > DETAIL_MAX) strcpy(v->detail + DETAIL_MAX - 3, "...");
    return v;
}

/* Sends every pair of idx[0..n) in one concurrent batch and stores the verdicts. */
static int check_pairs(ak_client *client, pair_set *set, const size_t *idx, size_t n, ak_buf *err)
{
    if (n == 0) return 0;
    ak_call *calls = ak_calloc(n, sizeof *calls);
    for (size_t i = 0; i < n; i++) {
        pair *p = &set->items[idx[i]];
        calls[i].product = AK_PRODUCT_STS;
        calls[i].action = "GetCallerIdentity";
        calls[i].cred = (ak_cred){p->id, p->secret, p->token};
    }
    int rc = ak_client_run(client, calls, n, err);
    char at[21];
    ak_iso8601_now(at);
    ak_client_stats st;
    ak_client_stats_get(client, &st);
    last_stats.requests += st.requests;
    last_stats.retries += st.retries;
    last_stats.pairs += n;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            pair *p = &set->items[idx[i]];
            p->result = verdict(&calls[i], at);
            ak_info("validate %s: %s%s%s", p->id, ak_val_status_name(p->result->status),
                    p->result->detail ? " - " : "", p->result->detail ? p->result->detail : "");
        }
        ak_call_clear(&calls[i]);
    }
    free(calls);
    return rc;
}

static void fstate_init(fstate *fs, ak_finding *f)
{
    memset(fs, 0, sizeof *fs);
    fs->f = f;
    fs->secrets = ak_calloc(f->n_candidates + 1, sizeof *fs->secrets);
    fs->pair_of = ak_calloc(f->n_candidates + 1, sizeof *fs->pair_of);
    for (size_t i = 0; i <= f->n_candidates; i++) {
        const char *s = i == 0 ? f->secret : f->candidates[i - 1];
        int seen = !s || !*s;
        for (size_t j = 0; j < fs->n_secrets && !seen; j++) seen = !strcmp(fs->secrets[j], s);
        if (!seen) fs->secrets[fs->n_secrets++] = s;
    }
}

static int wants_validation(const ak_finding *f)
{
    if (!f->access_key_id || !*f->access_key_id) return 0;
    if (f->validation && f->validation->status == AK_VAL_EXPIRED) return 0; /* seen expired */
    if (f->secret && *f->secret) return 1;
    for (size_t i = 0; i < f->n_candidates; i++)
        if (f->candidates[i] && *f->candidates[i]) return 1;
    return 0;
}

/* One round: interns the next secret of every unsettled finding, checks the new pairs. */
static int run_round(ak_client *client, pair_set *set, fstate *fs, size_t nf, size_t round,
                     int *active, ak_buf *err)
{
    size_t *idx = ak_calloc(nf ? nf : 1, sizeof *idx), n = 0;
    *active = 0;
    for (size_t i = 0; i < nf; i++) {
        if (fs[i].settled || round >= fs[i].n_secrets) continue;
        int added;
        fs[i].pair_of[round] = set_intern(set, fs[i].f->access_key_id, fs[i].secrets[round],
                                          fs[i].f->security_token, &added);
        fs[i].tried = round + 1;
        if (added) idx[n++] = fs[i].pair_of[round];
        *active = 1;
    }
    int rc = check_pairs(client, set, idx, n, err);
    free(idx);
    if (rc < 0) return rc;
    for (size_t i = 0; i < nf; i++) {
        if (fs[i].settled || fs[i].tried != round + 1) continue;
        ak_val_status st = set->items[fs[i].pair_of[round]].result->status;
        if (st != AK_VAL_WRONG_SECRET && st != AK_VAL_UNKNOWN) fs[i].settled = 1;
    }
    return 0;
}

static ak_validation *validation_copy(const ak_validation *v)
{
    ak_validation *c = ak_calloc(1, sizeof *c);
    c->status = v->status;
    c->identity_type = v->identity_type ? ak_strdup(v->identity_type) : NULL;
    c->account_id = v->account_id ? ak_strdup(v->account_id) : NULL;
    c->arn = v->arn ? ak_strdup(v->arn) : NULL;
    c->principal_id = v->principal_id ? ak_strdup(v->principal_id) : NULL;
    c->checked_at = v->checked_at ? ak_strdup(v->checked_at) : NULL;
    c->detail = v->detail ? ak_strdup(v->detail) : NULL;
    return c;
}

/* The valid secret becomes f->secret; the one it replaces takes its place among candidates. */
static void promote_secret(ak_finding *f, const char *valid)
{
    if (f->secret && !strcmp(f->secret, valid)) return;
    for (size_t i = 0; i < f->n_candidates; i++) {
        if (f->candidates[i] && !strcmp(f->candidates[i], valid)) {
            char *old = f->secret;
            f->secret = f->candidates[i];
            if (old) {
                f->candidates[i] = old;
            } else {
                memmove(&f->candidates[i], &f->candidates[i + 1],
                        (f->n_candidates - i - 1) * sizeof *f->candidates);
                f->n_candidates--;
            }
            return;
        }
    }
}

/* Final verdict: valid if any secret was; else unknown if any attempt was inconclusive (that
 * secret might have been the right one); else the first definite answer. */
static void settle(fstate *fs, pair_set *set)
{
    const ak_validation *pick = NULL;
    size_t valid_at = 0;
    for (size_t k = 0; k < fs->tried; k++) {
        const ak_validation *v = set->items[fs->pair_of[k]].result;
        if (v->status == AK_VAL_VALID) {
            pick = v;
            valid_at = k;
            break;
        }
        if (!pick || (v->status == AK_VAL_UNKNOWN && pick->status != AK_VAL_UNKNOWN)) pick = v;
    }
    if (!pick) return; /* not reached: a checked finding has tried at least one secret */
    ak_finding *f = fs->f;
    ak_validation_free(f->validation);
    f->validation = validation_copy(pick);
    if (pick->status == AK_VAL_VALID) {
        /* Copy before promoting: the pair table borrows these strings. */
        char *valid = ak_strdup(fs->secrets[valid_at]);
        promote_secret(f, valid);
        free(valid);
    } else if (pick->status == AK_VAL_WRONG_SECRET && fs->tried > 1) {
        ak_buf d = AK_BUF_INIT;
        ak_buf_printf(&d, "%s (%zu secrets tried)", pick->detail ? pick->detail : "wrong secret",
                      fs->tried);
        free(f->validation->detail);
        f->validation->detail = ak_buf_detach(&d);
    }
}

/* A key's last use as read before validating it; date NULL: none recorded. */
typedef struct last_use {
    const char *id; /* borrowed from a finding */
    char *upn;
    char *date;
    char read_at[21];
    int ok;
} last_use;

typedef struct last_uses {
    last_use *items;
    size_t len;
} last_uses;

static int cmp_last_use(const void *a, const void *b)
{
    return strcmp(((const last_use *)a)->id, ((const last_use *)b)->id);
}

static const last_use *last_use_of(const last_uses *lu, const char *id)
{
    last_use k = {.id = id};
    return lu->len ? bsearch(&k, lu->items, lu->len, sizeof k, cmp_last_use) : NULL;
}

/* One batch of IMS calls signed by the responder: GetUser (step 0) or GetAccessKeyLastUsed. */
static int ims_batch(ak_client *client, const ak_credentials *cr, last_uses *lu, int step,
                     ak_buf *err)
{
    ak_call *calls = ak_calloc(lu->len ? lu->len : 1, sizeof *calls);
    ak_param *p = ak_calloc(lu->len ? 2 * lu->len : 1, sizeof *p);
    size_t n = 0;
    for (size_t i = 0; i < lu->len; i++) {
        if (step && !lu->items[i].upn) continue;
        p[2 * i] = (ak_param){"UserAccessKeyId", lu->items[i].id};
        p[2 * i + 1] = (ak_param){"UserPrincipalName", lu->items[i].upn};
        calls[n] = (ak_call){.product = AK_PRODUCT_IMS,
                             .action = step ? "GetAccessKeyLastUsed" : "GetUser",
                             .params = &p[2 * i],
                             .n_params = step ? 2 : 1,
                             .cred = {cr->access_key_id, cr->secret, cr->security_token},
                             .user = &lu->items[i]};
        n++;
    }
    int rc = n ? ak_client_run(client, calls, n, err) : 0;
    char now[21];
    ak_iso8601_now(now);
    for (size_t i = 0; i < n; i++) {
        last_use *u = calls[i].user;
        json_t *b = calls[i].body;
        if (rc == 0 && calls[i].state == AK_CALL_OK && !step) {
            u->upn = json_dup(json_object_get(b, "User"), "UserPrincipalName");
        } else if (rc == 0 && calls[i].state == AK_CALL_OK) {
            u->date = json_dup(json_object_get(b, "AccessKeyLastUsed"), "LastUsedDate");
            memcpy(u->read_at, now, sizeof now);
            u->ok = 1;
        } else if (rc == 0 && !(calls[i].code && !strncmp(calls[i].code, "EntityNotExist", 14))) {
            char *why = calls[i].state == AK_CALL_API_ERROR ? api_detail(&calls[i]) : NULL;
            ak_warn("validate %s: its last use could not be read before validating (%s); respond "
                    "will count its use as unknown",
                    u->id,
                    why              ? why
                    : calls[i].error ? calls[i].error
                                     : "no answer");
            free(why);
        }
        ak_call_clear(&calls[i]);
    }
    free(calls);
    free(p);
    return rc;
}

/* Before any call of ours with them, the last use of every key to validate (RAM users of the
 * responder's account; other keys get no record). */
static int read_last_uses(const fstate *fs, size_t nf, const ak_validate_opts *o, last_uses *lu,
                          ak_buf *err)
{
    ak_credentials cr;
    ak_buf why = AK_BUF_INIT;
    if (ak_credentials_load_named(&cr, o->responder_credentials, &why) < 0) {
        ak_buf_printf(err, "--responder-credentials: %s", ak_buf_cstr(&why));
        ak_buf_free(&why);
        return -1;
    }
    ak_buf_free(&why);
    lu->items = ak_calloc(nf ? nf : 1, sizeof *lu->items);
    for (size_t i = 0; i < nf; i++)
        if (strncmp(fs[i].f->access_key_id, "STS.", 4))
            lu->items[lu->len++].id = fs[i].f->access_key_id;
    qsort(lu->items, lu->len, sizeof *lu->items, cmp_last_use);
    size_t w = 0;
    for (size_t i = 0; i < lu->len; i++)
        if (!w || strcmp(lu->items[w - 1].id, lu->items[i].id)) lu->items[w++] = lu->items[i];
    lu->len = w;
    ak_client_opts co;
    ak_client_opts_default(&co);
    co.ca_file = o->ca_file;
    if (o->timeout_ms) co.timeout_ms = o->timeout_ms;
    co.max_retries = o->max_retries;
    ak_client *client = ak_client_new(&co, err);
    int rc = client ? 0 : -1;
    for (int step = 0; rc == 0 && step < 2; step++) rc = ims_batch(client, &cr, lu, step, err);
    ak_client_free(client);
    ak_credentials_free(&cr);
    return rc;
}

static void last_uses_free(last_uses *lu)
{
    for (size_t i = 0; i < lu->len; i++) {
        free(lu->items[i].upn);
        free(lu->items[i].date);
    }
    free(lu->items);
}

static void record_last_use(ak_finding *f, const last_uses *lu)
{
    const last_use *u = last_use_of(lu, f->access_key_id);
    if (!u || !u->ok || !f->validation) return;
    f->validation->lu_source = ak_strdup("ims:GetAccessKeyLastUsed");
    f->validation->lu_read_at = ak_strdup(u->read_at);
    f->validation->lu_date = u->date ? ak_strdup(u->date) : NULL;
}

static ak_client *make_client(const ak_validate_opts *opts, ak_buf *err)
{
    ak_client_opts co;
    ak_client_opts_default(&co);
    co.endpoint[AK_PRODUCT_STS] = opts->sts_endpoint;
    co.region = opts->sts_region;
    co.ca_file = opts->ca_file;
    if (opts->concurrency) co.concurrency = opts->concurrency;
    if (opts->timeout_ms) co.timeout_ms = opts->timeout_ms;
    co.max_retries = opts->max_retries;
    co.sig = AK_SIG_V1;
    co.user_agent = AK_VALIDATE_USER_AGENT AK_VERSION;
    return ak_client_new(&co, err);
}

int ak_validate_findings(ak_findings *list, const ak_validate_opts *opts, ak_buf *err)
{
    memset(&last_stats, 0, sizeof last_stats);
    fstate *fs = ak_calloc(list->len ? list->len : 1, sizeof *fs);
    size_t nf = 0;
    for (size_t i = 0; i < list->len; i++)
        if (wants_validation(&list->items[i])) fstate_init(&fs[nf++], &list->items[i]);
    int rc = 0;
    pair_set set = {0};
    last_uses lu = {0};
    if (nf && opts->responder_credentials) rc = read_last_uses(fs, nf, opts, &lu, err);
    if (nf && rc == 0) {
        ak_client *client = make_client(opts, err);
        if (!client) rc = -1;
        int active = 1;
        for (size_t round = 0; rc == 0 && active; round++)
            rc = run_round(client, &set, fs, nf, round, &active, err);
        ak_client_free(client);
    }
    for (size_t i = 0; i < nf; i++) {
        if (rc == 0) settle(&fs[i], &set);
        if (rc == 0) record_last_use(fs[i].f, &lu);
        free(fs[i].secrets);
        free(fs[i].pair_of);
    }
    set_free(&set);
    last_uses_free(&lu);
    free(fs);
    return rc;
}
