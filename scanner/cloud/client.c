/*
 * The HTTP engine behind ak_client (see client.h). One CURLM drives a fixed set of slots, each
 * with its own reusable CURL easy handle: the multi handle's connection cache keeps connections
 * alive between calls, and the number of slots is the bound on requests in flight. Calls waiting
 * for a retry sit in a list with a not-before time; the loop sleeps in curl_multi_poll until a
 * transfer finishes or the earliest retry is due. Every attempt is signed afresh (new nonce and
 * timestamp), because the service rejects a reused nonce.
 */
#include "cloud/client.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/version.h"
#include "util/clock.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RETRY_AFTER_CAP_MS 30000u
#define BACKOFF_CAP_MS 8000u

typedef struct job {
    ak_call *call;
    uint64_t not_before; /* monotonic ms */
} job;

typedef struct slot {
    CURL *easy;
    job *job; /* NULL when free */
    struct curl_slist *headers;
    ak_buf body;
    int too_large;
    long retry_after_ms;
    char errbuf[CURL_ERROR_SIZE];
    struct ak_client *client;
} slot;

struct ak_client {
    ak_client_opts o;
    char *base[AK_PRODUCT__COUNT];
    char *authority[AK_PRODUCT__COUNT];
    char *ca_file;
    CURLM *multi;
    slot *slots;
    unsigned in_flight;
    ak_client_stats stats;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void ak_client_global_init(void)
{
    pthread_once(&global_once, global_init_once);
}

void ak_client_opts_default(ak_client_opts *o)
{
    memset(o, 0, sizeof *o);
    o->concurrency = 16;
    o->timeout_ms = 10000;
    o->connect_timeout_ms = 5000;
    o->max_retries = 3;
    o->backoff_ms = 200;
    o->max_body = 1u << 20;
    o->sig = AK_SIG_V1;
}

static uint32_t random_u32(void)
{
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1) r = (uint32_t)ak_mono_ms() * 2654435761u;
    return r;
}

/* UUID version 4 text: the nonce form the documentation recommends. */
static void make_nonce(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        for (size_t i = 0; i < sizeof b; i++) b[i] = (unsigned char)random_u32();
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

void ak_call_clear(ak_call *call)
{
    if (call->body) json_decref(call->body);
    free(call->code);
    free(call->message);
    free(call->request_id);
    free(call->error);
    call->body = NULL;
    call->code = call->message = call->request_id = call->error = NULL;
    call->state = AK_CALL_PENDING;
    call->http_status = 0;
    call->attempts = 0;
}

/* libcurl's OpenSSL backend hands us each new SSL_CTX: the extra CA joins the default store
 * instead of replacing it, which CURLOPT_CAINFO would do. */
static CURLcode ssl_ctx_add_ca(CURL *easy, void *ssl_ctx, void *userp)
{
    (void)easy;
    const struct ak_client *c = userp;
    SSL_CTX *ctx = ssl_ctx;
    if (SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1) return CURLE_SSL_CACERT_BADFILE;
    return CURLE_OK;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    slot *s = userp;
    size_t len = size * nmemb;
    if (s->body.len + len > s->client->o.max_body) {
        s->too_large = 1;
        return 0;
    }
    ak_buf_append(&s->body, data, len);
    return len;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    slot *s = userp;
    size_t len = size * nmemb;
    static const char name[] = "x-acs-retry-after:";
    if (len > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        long v = strtol(data + sizeof name - 1, NULL, 10);
        if (v > 0) s->retry_after_ms = v > (long)RETRY_AFTER_CAP_MS ? RETRY_AFTER_CAP_MS : v;
    }
    return len;
}

static int setup_easy(ak_client *c, slot *s, ak_buf *err)
{
    s->client = c;
    s->easy = curl_easy_init();
    if (!s->easy) {
        ak_buf_puts(err, "cannot create an HTTP handle");
        return -1;
    }
    CURL *e = s->easy;
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->o.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->o.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_USERAGENT,
                     c->o.user_agent ? c->o.user_agent : "akhound/" AK_VERSION);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
    if (c->ca_file) {
        curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_add_ca);
        curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, c);
    }
    return 0;
}

static int check_ca_file(ak_client *c, const ak_client_opts *o, ak_buf *err)
{
    const char *ca = o->ca_file ? o->ca_file : getenv("AKHOUND_CA_FILE");
    if (!ca || !*ca) return 0;
    FILE *f = fopen(ca, "r");
    if (!f) {
        ak_buf_printf(err, "cannot read CA file '%s'", ca);
        return -1;
    }
    fclose(f);
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (!v->ssl_version || strncmp(v->ssl_version, "OpenSSL", 7) != 0) {
        ak_buf_printf(err, "--ca-file needs libcurl built with OpenSSL (have %s)",
                      v->ssl_version ? v->ssl_version : "no TLS");
        return -1;
    }
    c->ca_file = ak_strdup(ca);
    return 0;
}

static int resolve_endpoints(ak_client *c, ak_buf *err)
{
    for (int p = 0; p < AK_PRODUCT__COUNT; p++) {
        ak_buf url = AK_BUF_INIT, auth = AK_BUF_INIT;
        if (ak_endpoint_resolve(&url, (ak_product)p, c->o.endpoint[p], c->o.region, err) < 0 ||
            ak_endpoint_authority(&auth, ak_buf_cstr(&url)) < 0) {
            ak_buf_free(&url);
            ak_buf_free(&auth);
            return -1;
        }
        c->base[p] = ak_buf_detach(&url);
        c->authority[p] = ak_buf_detach(&auth);
    }
    return 0;
}

ak_client *ak_client_new(const ak_client_opts *opts, ak_buf *err)
{
    ak_client_global_init();
    ak_client *c = ak_calloc(1, sizeof *c);
    c->o = *opts;
    if (c->o.concurrency == 0) c->o.concurrency = 1;
    if (c->o.timeout_ms == 0) c->o.timeout_ms = 10000;
    if (c->o.connect_timeout_ms == 0 || c->o.connect_timeout_ms > c->o.timeout_ms)
        c->o.connect_timeout_ms = c->o.timeout_ms;
    if (c->o.max_body == 0) c->o.max_body = 1u << 20;
    if (resolve_endpoints(c, err) < 0 || check_ca_file(c, opts, err) < 0) goto fail;
    c->multi = curl_multi_init();
    if (!c->multi) {
        ak_buf_puts(err, "cannot create the HTTP engine");
        goto fail;
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->o.concurrency);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->o.concurrency);
    c->slots = ak_calloc(c->o.concurrency, sizeof *c->slots);
    for (unsigned i = 0; i < c->o.concurrency; i++)
        if (setup_easy(c, &c->slots[i], err) < 0) goto fail;
    return c;
fail:
    ak_client_free(c);
    return NULL;
}

void ak_client_free(ak_client *c)
{
    if (!c) return;
    for (unsigned i = 0; c->slots && i < c->o.concurrency; i++) {
        slot *s = &c->slots[i];
        if (s->job && c->multi) curl_multi_remove_handle(c->multi, s->easy);
        if (s->easy) curl_easy_cleanup(s->easy);
        curl_slist_free_all(s->headers);
        ak_buf_free(&s->body);
    }
    free(c->slots);
    if (c->multi) curl_multi_cleanup(c->multi);
    for (int p = 0; p < AK_PRODUCT__COUNT; p++) {
        free(c->base[p]);
        free(c->authority[p]);
    }
    free(c->ca_file);
    free(c);
}

void ak_client_stats_get(const ak_client *c, ak_client_stats *out)
{
    *out = c->stats;
}

static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value)
{
    ak_buf h = AK_BUF_INIT;
    ak_buf_printf(&h, "%s: %s", name, value);
    struct curl_slist *n = curl_slist_append(l, ak_buf_cstr(&h));
    ak_buf_free(&h);
    if (!n) abort(); /* out of memory */
    return n;
}

/* V1: every parameter in the query, signed with HMAC-SHA1 over the sorted, encoded query. */
static void build_v1(ak_client *c, const ak_call *call, ak_buf *url)
{
    char nonce[37], ts[21], sig[AK_SIGN_V1_LEN];
    make_nonce(nonce);
    ak_iso8601_now(ts);
    size_t n = 0, cap = call->n_params + 9;
    ak_param *p = ak_calloc(cap, sizeof *p);
    p[n++] = (ak_param){"AccessKeyId", call->cred.access_key_id};
    p[n++] = (ak_param){"Action", call->action};
    p[n++] = (ak_param){"Format", "JSON"};
    p[n++] = (ak_param){"SignatureMethod", "HMAC-SHA1"};
    p[n++] = (ak_param){"SignatureNonce", nonce};
    p[n++] = (ak_param){"SignatureVersion", "1.0"};
    p[n++] = (ak_param){"Timestamp", ts};
    p[n++] = (ak_param){"Version", ak_product_version(call->product)};
    if (call->cred.security_token) p[n++] = (ak_param){"SecurityToken", call->cred.security_token};
    for (size_t i = 0; i < call->n_params; i++) p[n++] = call->params[i];
    ak_sign_v1(call->cred.secret, "POST", p, n, sig);
    ak_buf_printf(url, "%s/?", c->base[call->product]);
    ak_sign_canonical_query(url, p, n);
    ak_buf_puts(url, "&Signature=");
    ak_sign_percent_encode(url, sig, strlen(sig));
    free(p);
}

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* V3: operation parameters in the query, the rest in x-acs-* headers, an Authorization header. */
static struct curl_slist *build_v3(ak_client *c, const ak_call *call, ak_buf *url)
{
    char nonce[37], ts[21];
    make_nonce(nonce);
    ak_iso8601_now(ts);
    ak_param h[8];
    size_t n = 0;
    h[n++] = (ak_param){"host", c->authority[call->product]};
    h[n++] = (ak_param){"x-acs-action", call->action};
    h[n++] = (ak_param){"x-acs-version", ak_product_version(call->product)};
    h[n++] = (ak_param){"x-acs-date", ts};
    h[n++] = (ak_param){"x-acs-signature-nonce", nonce};
    h[n++] = (ak_param){"x-acs-content-sha256", EMPTY_SHA256};
    if (call->cred.security_token) {
        h[n++] = (ak_param){"x-acs-security-token", call->cred.security_token};
        h[n++] = (ak_param){"x-acs-accesskey-id", call->cred.access_key_id};
    }
    ak_v3_request r = {"POST", "/", call->params, call->n_params, h, n, EMPTY_SHA256};
    ak_buf auth = AK_BUF_INIT;
    ak_sign_v3_authorization(&auth, call->cred.access_key_id, call->cred.secret, &r);
    struct curl_slist *l = NULL;
    for (size_t i = 1; i < n; i++) l = add_header(l, h[i].name, h[i].value);
    l = add_header(l, "Authorization", ak_buf_cstr(&auth));
    ak_buf_free(&auth);
    ak_buf_printf(url, "%s/", c->base[call->product]);
    if (call->n_params) {
        ak_buf_putc(url, '?');
        ak_sign_canonical_query(url, call->params, call->n_params);
    }
    return l;
}

static void start(ak_client *c, slot *s, job *j)
{
    ak_buf url = AK_BUF_INIT;
    struct curl_slist *h = NULL;
    if (c->o.sig == AK_SIG_V3)
        h = build_v3(c, j->call, &url);
    else
        build_v1(c, j->call, &url);
    h = add_header(h, "Accept", "application/json");
    h = add_header(h, "Expect", "");
    curl_slist_free_all(s->headers);
    s->headers = h;
    ak_buf_reset(&s->body);
    s->too_large = 0;
    s->retry_after_ms = 0;
    s->errbuf[0] = '\0';
    s->job = j;
    curl_easy_setopt(s->easy, CURLOPT_URL, ak_buf_cstr(&url));
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, h);
    /* libcurl silently resends a request whose reused connection died before an answer; for a
     * write that may repeat it, so writes get a fresh connection (which libcurl never resends). */
    curl_easy_setopt(s->easy, CURLOPT_FRESH_CONNECT, j->call->write ? 1L : 0L);
    /* The URL holds the signature, not the secret; still, scrub it as soon as curl has a copy. */
    ak_buf_free(&url);
    curl_multi_add_handle(c->multi, s->easy);
    c->in_flight++;
    c->stats.requests++;
    if (c->in_flight > c->stats.max_in_flight) c->stats.max_in_flight = c->in_flight;
}

static char *json_str_dup(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? ak_strdup(v) : NULL;
}

/* Transport errors that retrying cannot fix: TLS trust, a bad URL or protocol. */
static int transport_definite(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
           rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_UNSUPPORTED_PROTOCOL ||
           rc == CURLE_URL_MALFORMAT;
}

/*
 * Reads the outcome of one attempt into the call. Returns 1 when the call may be retried, else 0:
 * the call then holds its answer, or (still PENDING) failed for good. *why says what went wrong.
 */
static int classify(slot *s, CURLcode rc, ak_buf *why)
{
    ak_call *call = s->job->call;
    if (rc != CURLE_OK) {
        if (s->too_large)
            ak_buf_printf(why, "response larger than %u bytes", s->client->o.max_body);
        else
            ak_buf_printf(why, "%s%s%s%s", curl_easy_strerror(rc), s->errbuf[0] ? " (" : "",
                          s->errbuf, s->errbuf[0] ? ")" : "");
        if (call->write) /* the request may have been acted on unless it never left */
            return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
        return !transport_definite(rc) && !s->too_large;
    }
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &call->http_status);
    json_error_t jerr;
    json_t *body = json_loadb(ak_buf_cstr(&s->body), s->body.len, 0, &jerr);
    if (!body || !json_is_object(body)) {
        ak_buf_printf(why, "malformed JSON response (HTTP %ld, %zu bytes): %s", call->http_status,
                      s->body.len,
                      body           ? "not a JSON object"
                      : jerr.text[0] ? jerr.text
                                     : "parse error");
        if (!body && jerr.line > 0)
            ak_buf_printf(why, " at line %d column %d", jerr.line, jerr.column);
        json_decref(body);
        return !call->write;
    }
    if (call->body) json_decref(call->body);
    call->body = body;
    free(call->request_id);
    call->request_id = json_str_dup(body, "RequestId");
    if (call->http_status >= 200 && call->http_status < 300) {
        call->state = AK_CALL_OK;
        return 0;
    }
    free(call->code);
    free(call->message);
    call->code = json_str_dup(body, "Code");
    call->message = json_str_dup(body, "Message");
    const char *code = call->code ? call->code : "";
    int throttled = strncmp(code, "Throttling", 10) == 0 || call->http_status == 429;
    if (call->write && !strcmp(code, "SignatureNonceUsed")) {
        /* the same request reached the service before: its outcome is unknown, not refused */
        ak_buf_printf(why, "HTTP %ld %s: the request was already received", call->http_status,
                      code);
        return 0;
    }
    if (throttled || call->http_status >= 500 || !call->code) {
        ak_buf_printf(why, "HTTP %ld %s", call->http_status, call->code ? code : "without a Code");
        return throttled || !call->write;
    }
    call->state = AK_CALL_API_ERROR;
    return 0;
}

static unsigned backoff_delay(const ak_client *c, unsigned attempt, long retry_after_ms)
{
    if (retry_after_ms > 0) return (unsigned)retry_after_ms;
    unsigned d = c->o.backoff_ms ? c->o.backoff_ms : 1;
    for (unsigned i = 1; i < attempt && d < BACKOFF_CAP_MS; i++) d *= 2;
    if (d > BACKOFF_CAP_MS) d = BACKOFF_CAP_MS;
    /* Equal jitter: half fixed, half random, so a crowd of retries spreads out. */
    return d / 2 + random_u32() % (d / 2 + 1);
}

/* Returns 1 when the call is finished, 0 when it was scheduled for a retry. */
static int finish(ak_client *c, slot *s, CURLcode rc)
{
    job *j = s->job;
    ak_call *call = j->call;
    call->attempts++;
    ak_buf why = AK_BUF_INIT;
    int retry = classify(s, rc, &why);
    s->job = NULL;
    c->in_flight--;
    if (retry && call->attempts <= c->o.max_retries) {
        unsigned d = backoff_delay(c, call->attempts, s->retry_after_ms);
        ak_debug("%s %s for %s: %s; retry %u in %u ms", ak_product_name(call->product),
                 call->action, call->cred.access_key_id, ak_buf_cstr(&why), call->attempts, d);
        j->not_before = ak_mono_ms() + d;
        c->stats.retries++;
        ak_buf_free(&why);
        return 0;
    }
    if (call->state == AK_CALL_PENDING) { /* no usable answer: retries spent, or not retryable */
        call->state = AK_CALL_FAILED;
        ak_buf msg = AK_BUF_INIT;
        ak_buf_printf(&msg, "%s %s %s %s at %s: %s (after %u attempt%s)",
                      ak_product_name(call->product), call->action, call->signer ? "with" : "for",
                      call->signer ? call->signer : call->cred.access_key_id,
                      c->base[call->product], ak_buf_cstr(&why), call->attempts,
                      call->attempts == 1 ? "" : "s");
        free(call->error);
        call->error = ak_buf_detach(&msg);
    }
    ak_buf_free(&why);
    return 1;
}

/* Next job to start: a due retry first, then a fresh one. NULL when none is ready now. */
static job *next_job(job *jobs, size_t n, size_t *fresh, job **wait, size_t *n_wait, uint64_t now)
{
    for (size_t i = 0; i < *n_wait; i++) {
        if (wait[i]->not_before <= now) {
            job *j = wait[i];
            wait[i] = wait[--*n_wait];
            return j;
        }
    }
    return *fresh < n ? &jobs[(*fresh)++] : NULL;
}

static long poll_timeout(job **wait, size_t n_wait, uint64_t now)
{
    long t = 1000;
    for (size_t i = 0; i < n_wait; i++) {
        long d = wait[i]->not_before > now ? (long)(wait[i]->not_before - now) : 0;
        if (d < t) t = d;
    }
    return t;
}

static size_t reap(ak_client *c, job **wait, size_t *n_wait)
{
    size_t done = 0;
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        CURL *e = m->easy_handle;
        CURLcode rc = m->data.result;
        slot *s = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
        curl_multi_remove_handle(c->multi, e);
        job *j = s->job;
        if (finish(c, s, rc))
            done++;
        else
            wait[(*n_wait)++] = j;
    }
    return done;
}

int ak_client_run(ak_client *c, ak_call *calls, size_t n, ak_buf *err)
{
    job *jobs = ak_calloc(n ? n : 1, sizeof *jobs);
    job **wait = ak_calloc(n ? n : 1, sizeof *wait);
    size_t fresh = 0, n_wait = 0, done = 0;
    memset(&c->stats, 0, sizeof c->stats);
    for (size_t i = 0; i < n; i++) {
        ak_call_clear(&calls[i]);
        jobs[i].call = &calls[i];
    }
    int rc = 0;
    while (done < n) {
        uint64_t now = ak_mono_ms();
        for (unsigned i = 0; i < c->o.concurrency; i++) {
            if (c->slots[i].job) continue;
            job *j = next_job(jobs, n, &fresh, wait, &n_wait, now);
            if (!j) break;
            start(c, &c->slots[i], j);
        }
        int running = 0;
        CURLMcode mc = curl_multi_perform(c->multi, &running);
        if (mc == CURLM_OK) {
            done += reap(c, wait, &n_wait);
            if (done < n)
                mc = curl_multi_poll(c->multi, NULL, 0, poll_timeout(wait, n_wait, ak_mono_ms()),
                                     NULL);
        }
        if (mc != CURLM_OK) {
            ak_buf_printf(err, "HTTP engine failure: %s", curl_multi_strerror(mc));
            rc = -1;
            break;
        }
    }
    free(jobs);
    free(wait);
    return rc;
}

int ak_client_call(ak_client *c, ak_call *call, ak_buf *err)
{
    return ak_client_run(c, call, 1, err);
}
