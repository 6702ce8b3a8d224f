/*
 * Request signing for Alibaba Cloud RPC APIs: signature V1 (SignatureVersion=1.0, HMAC-SHA1, the
 * "v2" of the SDKs) and V3 (ACS3-HMAC-SHA256). Both are pure functions over strings, so the
 * official vectors of the reference (section 1) can be reproduced byte for byte in unit tests, and
 * the HTTP layer stays free of canonicalization details.
 *
 * Secrets go in as keys to HMAC and never come out: only signatures are returned. Thread-safe.
 */
#ifndef AK_CLOUD_SIGN_H
#define AK_CLOUD_SIGN_H

#include "util/buf.h"

#include <stddef.h>

/* One name/value pair: a query parameter or a header. Values may be "" but never NULL. */
typedef struct ak_param {
    const char *name;
    const char *value;
} ak_param;

/* Base64 of a 20-byte HMAC-SHA1 is 28 characters. */
#define AK_SIGN_V1_LEN 29

/* RFC 3986 unreserved bytes are kept, every other byte becomes %XY (upper-case hex). */
void ak_sign_percent_encode(ak_buf *out, const char *s, size_t len);

/* name=value pairs, encoded, sorted by name byte-wise (ties keep their order), joined by '&'. */
void ak_sign_canonical_query(ak_buf *out, const ak_param *params, size_t n);

/* METHOD&%2F&percentEncode(canonical query), over every parameter except "Signature". */
void ak_sign_v1_string_to_sign(ak_buf *out, const char *method, const ak_param *params, size_t n);

/* Base64(HMAC-SHA1(key, data)) into out. */
void ak_sign_hmac_sha1_b64(const char *key, size_t keylen, const char *data, size_t len,
                           char out[AK_SIGN_V1_LEN]);

/* The V1 signature of a request: key is secret + "&". */
void ak_sign_v1(const char *secret, const char *method, const ak_param *params, size_t n,
                char out[AK_SIGN_V1_LEN]);

/* Lower-case hex SHA-256 of data into out[65]. */
void ak_sign_sha256_hex(const void *data, size_t len, char out[65]);

typedef struct ak_v3_request {
    const char *method;    /* "POST", "GET"; may be "" (an SDK vector signs that) */
    const char *uri;       /* "/" for RPC */
    const ak_param *query; /* unencoded */
    size_t n_query;
    const ak_param *headers; /* exactly the headers to sign; names in any case */
    size_t n_headers;
    const char *payload_sha256; /* lower-case hex of the body's SHA-256 */
} ak_v3_request;

/* CanonicalRequest; signed_headers (may be NULL) receives "h1;h2;...". */
void ak_sign_v3_canonical_request(ak_buf *out, ak_buf *signed_headers, const ak_v3_request *r);

/* The Authorization header value "ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...".
 */
void ak_sign_v3_authorization(ak_buf *out, const char *access_key_id, const char *secret,
                              const ak_v3_request *r);

#endif
