/*
 * Endpoint resolution and the http/https rule, see endpoint.h. URLs are parsed with libcurl's own
 * URL parser (curl_url), so the host checked here is exactly the host libcurl would connect to.
 */
#include "cloud/endpoint.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[AK_PRODUCT__COUNT] = {"sts", "ram", "ims", "actiontrail"};
static const char *const versions[AK_PRODUCT__COUNT] = {"2015-04-01", "2015-05-01", "2019-08-15",
                                                        "2020-07-06"};
static const char *const envs[AK_PRODUCT__COUNT] = {"AKHOUND_STS_ENDPOINT", "AKHOUND_RAM_ENDPOINT",
                                                    "AKHOUND_IMS_ENDPOINT",
                                                    "AKHOUND_ACTIONTRAIL_ENDPOINT"};

const char *ak_product_name(ak_product p)
{
    return (unsigned)p < AK_PRODUCT__COUNT ? names[p] : "?";
}

const char *ak_product_version(ak_product p)
{
    return (unsigned)p < AK_PRODUCT__COUNT ? versions[p] : "";
}

int ak_endpoint_is_loopback(const char *host)
{
    if (!host || !*host) return 0;
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0) return 1;
    char buf[64];
    size_t len = strlen(host);
    if (host[0] == '[' && len > 2 && host[len - 1] == ']' && len - 2 < sizeof buf) {
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
        struct in6_addr a6;
        return inet_pton(AF_INET6, buf, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

/* Parses url and returns its scheme and host (caller curl_free()s both), or -1. */
static int url_parts(const char *url, char **scheme, char **host, char **port)
{
    CURLU *u = curl_url();
    *scheme = *host = NULL;
    if (port) *port = NULL;
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK)
        rc = 0;
    if (rc == 0 && port && curl_url_get(u, CURLUPART_PORT, port, 0) != CURLUE_OK) *port = NULL;
    curl_url_cleanup(u);
    return rc;
}

int ak_endpoint_check(const char *url, ak_buf *err)
{
    char *scheme, *host;
    if (url_parts(url, &scheme, &host, NULL) < 0) {
        ak_buf_printf(err, "endpoint '%s' is not a valid URL", url);
        return -1;
    }
    int rc = 0;
    if (strcasecmp(scheme, "https") == 0) {
        rc = 0;
    } else if (strcasecmp(scheme, "http") == 0) {
        if (!ak_endpoint_is_loopback(host)) {
            ak_buf_printf(err,
                          "endpoint '%s' refused: plain http is only allowed to a loopback host "
                          "(127.0.0.0/8, ::1, localhost); use https",
                          url);
            rc = -1;
        }
    } else {
        ak_buf_printf(err, "endpoint '%s' refused: scheme must be https", url);
        rc = -1;
    }
    curl_free(scheme);
    curl_free(host);
    return rc;
}

int ak_endpoint_authority(ak_buf *out, const char *url)
{
    char *scheme, *host, *port;
    if (url_parts(url, &scheme, &host, &port) < 0) return -1;
    ak_buf_puts(out, host);
    if (port) ak_buf_printf(out, ":%s", port);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    return 0;
}

static int region_ok(const char *r)
{
    if (!*r) return 0;
    for (; *r; r++)
        if (!islower((unsigned char)*r) && !isdigit((unsigned char)*r) && *r != '-') return 0;
    return 1;
}

int ak_endpoint_resolve(ak_buf *out, ak_product p, const char *explicit_url, const char *region,
                        ak_buf *err)
{
    if ((unsigned)p >= AK_PRODUCT__COUNT) {
        ak_buf_puts(err, "unknown product");
        return -1;
    }
    if (region && !region_ok(region)) {
        ak_buf_printf(err, "invalid region '%s' (expected e.g. cn-hangzhou)", region);
        return -1;
    }
    const char *env = getenv(envs[p]);
    ak_buf url = AK_BUF_INIT;
    if (explicit_url && *explicit_url)
        ak_buf_puts(&url, explicit_url);
    else if (p == AK_PRODUCT_STS && region)
        ak_buf_printf(&url, "https://sts.%s.aliyuncs.com", region);
    else if (env && *env)
        ak_buf_puts(&url, env);
    else if (p == AK_PRODUCT_ACTIONTRAIL)
        ak_buf_printf(&url, "https://actiontrail.%s.aliyuncs.com", region ? region : "cn-hangzhou");
    else
        ak_buf_printf(&url, "https://%s.aliyuncs.com", names[p]);
    while (url.len && url.data[url.len - 1] == '/') url.data[--url.len] = '\0';
    int rc = ak_endpoint_check(ak_buf_cstr(&url), err);
    if (rc == 0) ak_buf_puts(out, ak_buf_cstr(&url));
    ak_buf_free(&url);
    return rc;
}
