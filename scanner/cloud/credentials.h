/*
 * The responder's own credentials (never a leaked key), found the way the official Alibaba Cloud
 * tools find them, so an operator's existing setup just works:
 *   1. ALIBABA_CLOUD_ACCESS_KEY_ID + ALIBABA_CLOUD_ACCESS_KEY_SECRET (+
 * ALIBABA_CLOUD_SECURITY_TOKEN)
 *   2. the aliyun CLI file ~/.aliyun/config.json (or ALIBABA_CLOUD_CONFIG_FILE), profile named by
 *      ALIBABA_CLOUD_PROFILE, else the file's "current"; modes AK and StsToken.
 * Setting ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true skips step 2. Other profile modes (RamRoleArn,
 * EcsRamRole, OIDC, ...) are reported as unsupported rather than silently skipped, so a responder
 * never acts with credentials other than the ones they expect.
 */
#ifndef AK_CLOUD_CREDENTIALS_H
#define AK_CLOUD_CREDENTIALS_H

#include "util/buf.h"

typedef struct ak_credentials {
    char *access_key_id;
    char *secret;
    char *security_token; /* NULL for long-term keys */
    char *source;         /* "environment" or "profile NAME in PATH"; safe to print */
} ak_credentials;

/* Fills *out (free with ak_credentials_free). Returns 0, or -1 with the reason in err and *out
 * zeroed. The reason never contains a secret. */
int ak_credentials_load(ak_credentials *out, ak_buf *err);
void ak_credentials_free(ak_credentials *c);

/* Loads the credentials spec names, and only those: "env" (the ALIBABA_CLOUD_ACCESS_KEY_*
 * variables) or "profile:NAME" (that profile of the CLI file). For reads a user asked for by name
 * (validate
 * --responder-credentials), never the default chain. 0, or -1 with the reason in err. */
int ak_credentials_load_named(ak_credentials *out, const char *spec, ak_buf *err);

#endif
