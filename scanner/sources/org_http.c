/* The forge APIs' HTTP GET client: see org_http.h. */
#include "sources/org_http.h"
#include "cloud/endpoint.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/clock.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define AK_ORG_MAX_BODY (64u << 20)
#define AK_ORG_MAX_WAITS 20

void ak_org_api_default(ak_org_api *a)
{
    memset(a, 0, sizeof *a);
    a->max_wait = 900;
    a->retries = 3;
    a->max_pages = 2000;
    a->max_bytes = 2ull << 30;
}

void ak_org_http_free(ak_org_http *resp)
{
    ak_buf_free(&resp->body);
    free(resp->link_next);
    free(resp->next_page);
    memset(resp, 0, sizeof *resp);
}

/* Rate-limit facts of one answer. -1: header absent. */
typedef struct rate_info {
    long long remaining, reset, retry_after;
} rate_info;

typedef struct req {
    ak_org_http *resp;
    rate_info rate;
    int too_big;
} req;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    req *r = ctx;
    size_t len = size * n;
    if (r->resp->body.len + len > AK_ORG_MAX_BODY) {
        r->too_big = 1;
        return 0;
    }
    ak_buf_append(&r->resp->body, data, len);
    return len;
}

/* The value of header `name` in line, or NULL; *vlen is its length without trailing space. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) || line[nl] != ':') return NULL;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && isspace((uint8_t)end[-1])) end--;
    *vlen = (size_t)(end - v);
    return v;
}

static long long header_num(const char *v, size_t len)
{
    char tmp[32];
    if (!len || len >= sizeof tmp) return -1;
    memcpy(tmp, v, len);
    tmp[len] = '\0';
    char *end;
    long long n = strtoll(tmp, &end, 10);
    return *end || n < 0 ? -1 : n;
}

/* Link: <url>; rel="next", <url>; rel="last" */
static char *link_next(const char *v, size_t len)
{
    char *s = ak_strndup(v, len), *found = NULL;
    for (char *save = NULL, *part = strtok_r(s, ",", &save); part && !found;
         part = strtok_r(NULL, ",", &save)) {
        char *lt = strchr(part, '<'), *gt = lt ? strchr(lt, '>') : NULL;
        if (gt && strstr(gt, "rel=\"next\"")) found = ak_strndup(lt + 1, (size_t)(gt - lt - 1));
    }
    free(s);
    return found;
}

static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
    req *r = ctx;
    size_t len = size * n, vl;
    const char *v;
    if (len >= 5 && !strncmp(line, "HTTP/", 5)) { /* a new answer (after 100 Continue) */
        r->rate = (rate_info){-1, -1, -1};
        return len;
    }
    if ((v = header_value(line, len, "x-ratelimit-remaining", &vl)) ||
        (v = header_value(line, len, "ratelimit-remaining", &vl)))
        r->rate.remaining = header_num(v, vl);
    else if ((v = header_value(line, len, "x-ratelimit-reset", &vl)) ||
             (v = header_value(line, len, "ratelimit-reset", &vl)))
        r->rate.reset = header_num(v, vl);
    else if ((v = header_value(line, len, "retry-after", &vl)))
        r->rate.retry_after = header_num(v, vl);
    else if ((v = header_value(line, len, "link", &vl))) {
        free(r->resp->link_next);
        r->resp->link_next = link_next(v, vl);
    } else if ((v = header_value(line, len, "x-next-page", &vl)) && vl) {
        free(r->resp->next_page);
        r->resp->next_page = ak_strndup(v, vl);
    }
    return len;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* One attempt. Returns the CURLcode; resp and r->rate are filled. */
static CURLcode perform(ak_org_api *api, const char *url, struct curl_slist *hdrs, req *r)
{
    pthread_once(&curl_once, curl_init_once);
    CURL *c = curl_easy_init();
    if (!c) return CURLE_FAILED_INIT;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "akhound-org");
    if (api->ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, api->ca_file);
    api->requests++;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->resp->status);
    curl_easy_cleanup(c);
    return rc;
}

static void reset_resp(ak_org_http *resp)
{
    ak_org_http_free(resp);
}

/* Seconds to wait before retrying a rate-limited answer; 0: not rate limited. */
static long long rate_wait(const req *r)
{
    long s = r->resp->status;
    if (s != 403 && s != 429) return 0;
    if (r->rate.retry_after >= 0) return r->rate.retry_after ? r->rate.retry_after : 1;
    if (r->rate.remaining == 0 && r->rate.reset >= 0) {
        long long w = r->rate.reset - (long long)time(NULL) + 1;
        return w < 1 ? 1 : w;
    }
    return s == 429 ? 1 : 0; /* 429 without a hint: a short pause */
}

static int wait_for(ak_org_api *api, long long secs, ak_buf *err)
{
    if (secs > (long long)api->max_wait) {
        ak_buf_printf(err, "rate limited for %lld s, more than the %u s allowed (--max-wait)", secs,
                      api->max_wait);
        return -1;
    }
    ak_warn("org: API rate limit reached, waiting %lld s", secs);
    api->waits++;
    ak_sleep_ms((unsigned long)secs * 1000ul);
    return 0;
}

/* Before a request: honours a reset announced by the previous answer. */
static int pause_if_needed(ak_org_api *api, ak_buf *err)
{
    long long now = (long long)time(NULL);
    if (api->pause_until <= now) return 0;
    long long w = api->pause_until - now;
    api->pause_until = 0;
    return wait_for(api, w, err);
}

static int attempt_loop(ak_org_api *api, const char *url, struct curl_slist *hdrs,
                        ak_org_http *resp, ak_buf *err)
{
    unsigned tries = 0, waits = 0;
    unsigned long backoff = 500;
    for (;;) {
        if (pause_if_needed(api, err)) return -1;
        reset_resp(resp);
        req r = {resp, {-1, -1, -1}, 0};
        CURLcode cc = perform(api, url, hdrs, &r);
        long long w = cc == CURLE_OK ? rate_wait(&r) : 0;
        if (w > 0 && waits++ < AK_ORG_MAX_WAITS) {
            if (wait_for(api, w, err)) return -1;
            continue;
        }
        int transient = cc != CURLE_OK || resp->status >= 500;
        if (transient && !r.too_big && tries++ < api->retries) {
            ak_sleep_ms(backoff);
            backoff *= 2;
            continue;
        }
        if (cc != CURLE_OK) {
            ak_buf_printf(err, "%s", r.too_big ? "answer too large" : curl_easy_strerror(cc));
            return -1;
        }
        if (r.rate.remaining == 0 && r.rate.reset > 0) api->pause_until = r.rate.reset + 1;
        if (resp->status >= 200 && resp->status < 300) return 0;
        ak_buf_printf(err, "HTTP %ld%s", resp->status,
                      resp->status == 401   ? " (token missing or rejected)"
                      : resp->status == 403 ? " (forbidden)"
                      : resp->status == 404 ? " (not found)"
                                            : "");
        return -1;
    }
}

int ak_org_http_get(ak_org_api *api, const char *url, const char *token_header, ak_org_http *resp,
                    ak_buf *err)
{
    memset(resp, 0, sizeof *resp);
    if (!ak_org_url_transport_ok(url)) {
        ak_buf_puts(err, "plain http is allowed for loopback hosts only");
        return -1;
    }
    if (api->max_pages && api->pages >= api->max_pages) {
        ak_buf_printf(err, "the listing goes on past %u pages; stopped (--max-pages)",
                      api->max_pages);
        return -1;
    }
    api->pages++;
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    ak_buf h = AK_BUF_INIT;
    if (token_header && api->token) {
        ak_buf_printf(&h, "%s%s", token_header, api->token);
        hdrs = curl_slist_append(hdrs, h.data);
        memset(h.data, 0, h.len); /* the token stays only in curl's copy */
    }
    ak_buf_free(&h);
    int rc = attempt_loop(api, url, hdrs, resp, err);
    curl_slist_free_all(hdrs);
    api->bytes += resp->body.len;
    if (!rc && api->max_bytes && api->bytes > api->max_bytes) {
        ak_buf_printf(err, "the listing's answers exceed %llu bytes; stopped",
                      (unsigned long long)api->max_bytes);
        rc = -1;
    }
    return rc;
}

/* ---------- URL checks ---------- */

/* Every decision about a URL parses it with libcurl's URL API, so the host checked is the host
 * libcurl (and, for clone URLs, libgit2, which splits URLs the same standard way) connects to:
 * "http://192.0.2.1#@127.0.0.1/" is host 192.0.2.1, "http://127.evil.example/" is a name. */
int ak_org_url_origin(const char *url, ak_buf *scheme, ak_buf *host, long *port)
{
    CURLU *u = curl_url();
    char *s = NULL, *h = NULL, *p = NULL;
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && *h) {
        rc = 0;
        if (scheme) ak_buf_puts(scheme, s);
        if (host) ak_buf_puts(host, h);
        if (host)
            for (size_t i = 0; i < host->len; i++)
                host->data[i] = (char)tolower((uint8_t)host->data[i]);
        if (port)
            *port = curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK
                        ? strtol(p, NULL, 10)
                        : 0;
    }
    curl_free(s);
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

int ak_org_url_transport_ok(const char *url)
{
    ak_buf err = AK_BUF_INIT;
    int ok = ak_endpoint_check(url, &err) == 0;
    ak_buf_free(&err);
    return ok;
}

int ak_org_clone_url_ok(const char *url)
{
    ak_buf scheme = AK_BUF_INIT, host = AK_BUF_INIT;
    int ok = !ak_org_url_origin(url, &scheme, &host, NULL);
    if (ok && strcasecmp(scheme.data, "https")) /* http: a literal loopback address only */
        ok = !strcasecmp(scheme.data, "http") && ak_endpoint_is_loopback(host.data) &&
             strcasecmp(host.data, "localhost") && strcasecmp(host.data, "localhost.");
    ak_buf_free(&scheme);
    ak_buf_free(&host);
    return ok;
}

int ak_org_url_host_is(const char *url, const char *host)
{
    ak_buf h = AK_BUF_INIT;
    int same = host && !ak_org_url_origin(url, NULL, &h, NULL) && !strcasecmp(h.data, host);
    ak_buf_free(&h);
    return same;
}

int ak_org_url_same_origin(const char *url, const char *base)
{
    ak_buf s1 = AK_BUF_INIT, h1 = AK_BUF_INIT, s2 = AK_BUF_INIT, h2 = AK_BUF_INIT;
    long p1 = 0, p2 = 0;
    int same = !ak_org_url_origin(url, &s1, &h1, &p1) && !ak_org_url_origin(base, &s2, &h2, &p2) &&
               !strcasecmp(s1.data, s2.data) && !strcmp(h1.data, h2.data) && p1 == p2;
    ak_buf_free(&s1);
    ak_buf_free(&h1);
    ak_buf_free(&s2);
    ak_buf_free(&h2);
    return same;
}
