/*
 * Signing, see sign.h. The canonical forms are built into ak_buf strings so a test can compare each
 * intermediate step (canonical query, string to sign, canonical request) with the reference.
 * Percent-encoding is libcurl's curl_easy_escape, whose kept set (A-Z a-z 0-9 - . _ ~) and
 * upper-case hex are exactly Alibaba's percentEncode; HMAC, SHA-256 and Base64 are OpenSSL.
 */
#include "cloud/sign.h"
#include "util/mem.h"

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

void ak_sign_percent_encode(ak_buf *out, const char *s, size_t len)
{
    if (len == 0) return;
    char *e = curl_easy_escape(NULL, s, (int)len);
    if (!e) abort(); /* only fails on out-of-memory, which is fatal everywhere in akhound */
    ak_buf_puts(out, e);
    curl_free(e);
}

/* A stable insertion sort: parameter lists are short, and ties must keep the caller's order. */
static void sort_params(const ak_param **v, size_t n, int (*cmp)(const char *, const char *))
{
    for (size_t i = 1; i < n; i++) {
        const ak_param *p = v[i];
        size_t j = i;
        while (j > 0 && cmp(v[j - 1]->name, p->name) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = p;
    }
}

static const ak_param **sorted_params(const ak_param *params, size_t n,
                                      int (*cmp)(const char *, const char *))
{
    const ak_param **v = ak_calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = &params[i];
    sort_params(v, n, cmp);
    return v;
}

static void canonical_query_except(ak_buf *out, const ak_param *params, size_t n, const char *skip)
{
    const ak_param **v = sorted_params(params, n, strcmp);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (skip && strcmp(v[i]->name, skip) == 0) continue;
        if (!first) ak_buf_putc(out, '&');
        first = 0;
        ak_sign_percent_encode(out, v[i]->name, strlen(v[i]->name));
        ak_buf_putc(out, '=');
        ak_sign_percent_encode(out, v[i]->value, strlen(v[i]->value));
    }
    free(v);
}

void ak_sign_canonical_query(ak_buf *out, const ak_param *params, size_t n)
{
    canonical_query_except(out, params, n, NULL);
}

void ak_sign_v1_string_to_sign(ak_buf *out, const char *method, const ak_param *params, size_t n)
{
    ak_buf cqs = AK_BUF_INIT;
    canonical_query_except(&cqs, params, n, "Signature");
    ak_buf_puts(out, method);
    ak_buf_puts(out, "&%2F&");
    ak_sign_percent_encode(out, cqs.data ? cqs.data : "", cqs.len);
    ak_buf_free(&cqs);
}

void ak_sign_hmac_sha1_b64(const char *key, size_t keylen, const char *data, size_t len,
                           char out[AK_SIGN_V1_LEN])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha1(), key, (int)keylen, (const unsigned char *)data, len, mac, &maclen);
    EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
    OPENSSL_cleanse(mac, sizeof mac);
}

void ak_sign_v1(const char *secret, const char *method, const ak_param *params, size_t n,
                char out[AK_SIGN_V1_LEN])
{
    ak_buf key = AK_BUF_INIT, sts = AK_BUF_INIT;
    ak_buf_puts(&key, secret);
    ak_buf_putc(&key, '&');
    ak_sign_v1_string_to_sign(&sts, method, params, n);
    ak_sign_hmac_sha1_b64(key.data, key.len, ak_buf_cstr(&sts), sts.len, out);
    OPENSSL_cleanse(key.data, key.len); /* the buffer held the secret */
    ak_buf_free(&key);
    ak_buf_free(&sts);
}

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void ak_sign_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    hex_encode(md, mdlen, out);
}

static int strcasecmp_lower(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb || !ca) return ca - cb;
    }
}

static void put_lower(ak_buf *out, const char *s)
{
    for (; *s; s++) ak_buf_putc(out, (char)tolower((unsigned char)*s));
}

/* Header values are trimmed of surrounding blanks before they are signed. */
static void put_trimmed(ak_buf *out, const char *s)
{
    size_t len = strlen(s);
    while (len && isspace((unsigned char)*s)) s++, len--;
    while (len && isspace((unsigned char)s[len - 1])) len--;
    ak_buf_append(out, s, len);
}

/* Writes "name:v1,v2\n" lines (same-named headers merged) and the ';'-joined name list. */
static void canonical_headers(ak_buf *out, ak_buf *names, const ak_param *headers, size_t n)
{
    const ak_param **v = sorted_params(headers, n, strcasecmp_lower);
    for (size_t i = 0; i < n; i++) {
        int same = i > 0 && strcasecmp_lower(v[i - 1]->name, v[i]->name) == 0;
        if (same) {
            ak_buf_putc(out, ',');
        } else {
            if (i > 0) ak_buf_putc(out, '\n');
            put_lower(out, v[i]->name);
            ak_buf_putc(out, ':');
            if (names->len) ak_buf_putc(names, ';');
            put_lower(names, v[i]->name);
        }
        put_trimmed(out, v[i]->value);
    }
    if (n) ak_buf_putc(out, '\n');
    free(v);
}

void ak_sign_v3_canonical_request(ak_buf *out, ak_buf *signed_headers, const ak_v3_request *r)
{
    ak_buf names = AK_BUF_INIT;
    ak_buf_printf(out, "%s\n%s\n", r->method, r->uri);
    ak_sign_canonical_query(out, r->query, r->n_query);
    ak_buf_putc(out, '\n');
    canonical_headers(out, &names, r->headers, r->n_headers);
    ak_buf_printf(out, "\n%s\n%s", ak_buf_cstr(&names), r->payload_sha256);
    if (signed_headers) ak_buf_puts(signed_headers, ak_buf_cstr(&names));
    ak_buf_free(&names);
}

void ak_sign_v3_authorization(ak_buf *out, const char *access_key_id, const char *secret,
                              const ak_v3_request *r)
{
    ak_buf cr = AK_BUF_INIT, names = AK_BUF_INIT, sts = AK_BUF_INIT;
    ak_sign_v3_canonical_request(&cr, &names, r);
    char crhash[65], sig[65];
    ak_sign_sha256_hex(ak_buf_cstr(&cr), cr.len, crhash);
    ak_buf_printf(&sts, "ACS3-HMAC-SHA256\n%s", crhash);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)sts.data, sts.len, mac,
         &maclen);
    hex_encode(mac, maclen, sig);
    ak_buf_printf(out, "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s",
                  access_key_id, ak_buf_cstr(&names), sig);
    ak_buf_free(&cr);
    ak_buf_free(&names);
    ak_buf_free(&sts);
}
