/*
 * ak_client: the one HTTP layer for every Alibaba Cloud call (STS validation now; RAM, IMS and
 * ActionTrail for the responder later). A call is "action X of product P with these parameters,
 * signed with credentials C"; a batch of calls runs concurrently on one libcurl multi handle, so
 * connections are reused and the number of requests in flight is bounded by opts.concurrency.
 *
 * Retries: network errors, HTTP 5xx, Throttling* codes (honouring x-acs-retry-after, in ms) and
 * unparseable bodies are retried with exponential backoff and jitter, up to max_retries times
 * (writes only on throttling or a connection never made, see ak_call.write). An
 * API error with a code (SignatureDoesNotMatch, EntityNotExist.User, ...) is a definite answer and
 * is never retried. Each attempt is bounded by timeout_ms, so a call takes at most about
 * (max_retries + 1) * timeout_ms plus the backoff.
 *
 * Secrets: credentials are borrowed for the duration of ak_client_run and only their HMAC leaves
 * the process. Nothing here logs a secret or a security token; messages name the AccessKey ID.
 *
 * Thread safety: an ak_client is used by one thread at a time; separate clients may run in
 * parallel. ak_client_global_init must have run once (ak_client_new calls it).
 */
#ifndef AK_CLOUD_CLIENT_H
#define AK_CLOUD_CLIENT_H

#include "cloud/endpoint.h"
#include "cloud/sign.h"
#include "util/buf.h"

#include <jansson.h>
#include <stddef.h>

/* Credentials to sign with; borrowed. security_token is NULL for long-term keys. */
typedef struct ak_cred {
    const char *access_key_id;
    const char *secret;
    const char *security_token;
} ak_cred;

typedef enum { AK_SIG_V1 = 0, AK_SIG_V3 = 1 } ak_sig_version;

typedef struct ak_client_opts {
    const char *endpoint[AK_PRODUCT__COUNT]; /* base URLs; NULL: environment, then default */
    const char *region;   /* STS regional endpoint and ActionTrail region; NULL: default */
    const char *ca_file;  /* extra trusted CA (PEM); NULL: AKHOUND_CA_FILE, if set */
    unsigned concurrency; /* requests in flight at most */
    unsigned timeout_ms;  /* per attempt, whole transfer */
    unsigned connect_timeout_ms;
    unsigned max_retries;   /* attempts = 1 + max_retries */
    unsigned backoff_ms;    /* first retry delay; doubles each time, with jitter */
    unsigned max_body;      /* response bodies larger than this are an error */
    ak_sig_version sig;     /* V1 (HMAC-SHA1) or V3 (ACS3-HMAC-SHA256) */
    const char *user_agent; /* NULL: "akhound/VERSION" */
} ak_client_opts;

/* concurrency 16, timeout 10 s, connect 5 s, 3 retries, backoff 200 ms, 1 MiB bodies, V1. */
void ak_client_opts_default(ak_client_opts *o);

typedef enum {
    AK_CALL_PENDING = 0,
    AK_CALL_OK,        /* HTTP 2xx with a JSON object body (in body) */
    AK_CALL_API_ERROR, /* a definite error answer: code, message, request_id, http_status */
    AK_CALL_FAILED,    /* no usable answer after retries: error says why */
} ak_call_state;

typedef struct ak_call {
    /* request (borrowed, must stay valid during ak_client_run) */
    ak_product product;
    const char *action;
    const ak_param *params; /* operation parameters, unencoded */
    size_t n_params;
    ak_cred cred;
    /* A write is retried only when the request provably did not take effect (no connection was
     * made, or throttling); otherwise a lost answer leaves it FAILED for the caller to read the
     * state back, instead of repeating it blindly. */
    int write;
    const char *signer; /* how messages name the signing key; NULL: by its AccessKey ID */
    void *user;         /* for the caller */
    /* result (owned by the call; ak_call_clear frees it) */
    ak_call_state state;
    long http_status;
    json_t *body;     /* the parsed response object (success or error), or NULL */
    char *code;       /* API error code */
    char *message;    /* API error message (may echo the server's string to sign) */
    char *request_id; /* RequestId of the last answer */
    char *error;      /* why the call FAILED; names the AccessKey ID, never a secret */
    unsigned attempts;
} ak_call;

typedef struct ak_client ak_client;

/* Once per process, before threads start; idempotent. */
void ak_client_global_init(void);

/* Resolves and checks every endpoint and the CA file. NULL with the reason in err. */
ak_client *ak_client_new(const ak_client_opts *opts, ak_buf *err);
void ak_client_free(ak_client *c);

/* Runs every call to completion (concurrently, bounded). Returns 0, or -1 on a setup failure. */
int ak_client_run(ak_client *c, ak_call *calls, size_t n, ak_buf *err);

/* Convenience for one call. */
int ak_client_call(ak_client *c, ak_call *call, ak_buf *err);

/* Frees the result fields and resets state to PENDING; the request fields are kept. */
void ak_call_clear(ak_call *call);

/* Counters of the last ak_client_run, for tests and benchmarks. */
typedef struct ak_client_stats {
    unsigned long requests; /* HTTP attempts sent */
    unsigned long retries;
    unsigned max_in_flight;
} ak_client_stats;
void ak_client_stats_get(const ak_client *c, ak_client_stats *out);

#endif
