/*
 * Where each Alibaba Cloud product is reached, and the transport rules every call obeys: a base
 * URL comes from an explicit option, then the environment (AKHOUND_<PRODUCT>_ENDPOINT), then the
 * public default; https is always allowed, plain http only to a loopback host (127.0.0.0/8, ::1,
 * localhost), anything else is refused here, before any connection is made. Kept apart from the
 * HTTP engine so the policy can be unit-tested without a network.
 */
#ifndef AK_CLOUD_ENDPOINT_H
#define AK_CLOUD_ENDPOINT_H

#include "util/buf.h"

typedef enum {
    AK_PRODUCT_STS = 0,
    AK_PRODUCT_RAM,
    AK_PRODUCT_IMS,
    AK_PRODUCT_ACTIONTRAIL,
    AK_PRODUCT__COUNT
} ak_product;

/* "sts", "ram", "ims", "actiontrail". */
const char *ak_product_name(ak_product p);
/* API version sent with every call of the product ("2015-04-01" for STS, ...). */
const char *ak_product_version(ak_product p);

/*
 * Resolves the base URL of product p into out (no trailing '/'). Order: explicit (if non-NULL),
 * then for STS a region ("https://sts.REGION.aliyuncs.com"), then the environment variable, then
 * the default (ActionTrail's default uses region, or cn-hangzhou). The result is checked with
 * ak_endpoint_check. Returns 0, or -1 with the reason in err.
 */
int ak_endpoint_resolve(ak_buf *out, ak_product p, const char *explicit_url, const char *region,
                        ak_buf *err);

/* 0 when url is https://, or http:// to a loopback host; -1 with the reason in err otherwise. */
int ak_endpoint_check(const char *url, ak_buf *err);

/* 1 when host (as in a URL, IPv6 possibly in brackets) is a loopback name or address. */
int ak_endpoint_is_loopback(const char *host);

/* The authority ("host" or "host:port") as sent in the Host header; -1 when url does not parse. */
int ak_endpoint_authority(ak_buf *out, const char *url);

#endif
