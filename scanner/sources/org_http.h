/*
 * The HTTP GET client of the forge enumerations (org_github.c, org_gitlab.c): one libcurl easy
 * handle per request, sequential pages. Separate from cloud/client.c, which signs Alibaba Cloud
 * calls; this one knows the forges' pagination and rate-limit headers instead.
 *
 * Retries: network errors and HTTP 5xx, with doubling backoff, up to api->retries times. Rate
 * limits: a 403 or 429 carrying Retry-After, or X-RateLimit-Remaining / RateLimit-Remaining 0 with
 * a Reset time, is waited out (each wait at most api->max_wait seconds, else the call fails), and
 * a 2xx answer that used the last request of the window makes the next call wait for the reset.
 *
 * Security: redirects are not followed (a custom token header would follow them to any host);
 * plain http is refused unless the host is a loopback address; the token is sent only as the
 * given header and never appears in a message.
 */
#ifndef AK_SOURCES_ORG_HTTP_H
#define AK_SOURCES_ORG_HTTP_H

#include "sources/org.h"

typedef struct ak_org_http {
    long status;
    ak_buf body;
    char *link_next; /* GitHub: the URL of rel="next" in Link, or NULL */
    char *next_page; /* GitLab: X-Next-Page when not empty, or NULL */
} ak_org_http;

/* GETs url with the header "NAME: token" (none when token is NULL). A 2xx status gives 0; any
 * other final status gives -1 with "HTTP nnn" and the reason in err (resp->status tells which). */
int ak_org_http_get(ak_org_api *api, const char *url, const char *token_header, ak_org_http *resp,
                    ak_buf *err);
void ak_org_http_free(ak_org_http *resp);

/* Scheme and host (lower-cased) of url, parsed with libcurl's URL API (curl_url), and its port
 * (the scheme's default when none is given, 0 when unknown); any argument may be NULL. 0, or -1
 * when url is not a URL with a host (scp-like "user@host:path" included). */
int ak_org_url_origin(const char *url, ak_buf *scheme, ak_buf *host, long *port);
/* 1 when url is https, or http to a loopback host (the API's URL and its next-page links). */
int ak_org_url_transport_ok(const char *url);
/* 1 when a clone URL that came from a forge's API may be used: https, or http to a literal
 * loopback address (no name: a name could resolve anywhere). */
int ak_org_clone_url_ok(const char *url);
/* 1 when url's host is `host` (case-insensitive; any port). */
int ak_org_url_host_is(const char *url, const char *host);
/* 1 when `url` has the same scheme, host and port as `base` (a next-page link may follow). */
int ak_org_url_same_origin(const char *url, const char *base);

/* 1 when an organization or group name is safe to put in a URL path ([A-Za-z0-9._-/], no ".."). */
int ak_org_name_ok(const char *s);

#endif
