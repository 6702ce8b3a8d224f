/* The responder's credential chain, see credentials.h. The CLI file is read with jansson. */
#include "cloud/credentials.h"
#include "util/mem.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void scrub_free(char *s)
{
    if (s) OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void ak_credentials_free(ak_credentials *c)
{
    if (!c) return;
    free(c->access_key_id);
    scrub_free(c->secret);
    scrub_free(c->security_token);
    free(c->source);
    memset(c, 0, sizeof *c);
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* 1 when found, 0 when the variables are absent, -1 when half set. */
static int from_env(ak_credentials *out, ak_buf *err)
{
    const char *id = env_nonempty("ALIBABA_CLOUD_ACCESS_KEY_ID");
    const char *secret = env_nonempty("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    if (!id && !secret) return 0;
    if (!id || !secret) {
        ak_buf_printf(err, "%s is set but %s is not",
                      id ? "ALIBABA_CLOUD_ACCESS_KEY_ID" : "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                      id ? "ALIBABA_CLOUD_ACCESS_KEY_SECRET" : "ALIBABA_CLOUD_ACCESS_KEY_ID");
        return -1;
    }
    const char *token = env_nonempty("ALIBABA_CLOUD_SECURITY_TOKEN");
    out->access_key_id = ak_strdup(id);
    out->secret = ak_strdup(secret);
    out->security_token = token ? ak_strdup(token) : NULL;
    out->source = ak_strdup("environment");
    return 1;
}

static void config_path(ak_buf *path)
{
    const char *p = env_nonempty("ALIBABA_CLOUD_CONFIG_FILE");
    if (p) {
        ak_buf_puts(path, p);
        return;
    }
    const char *home = env_nonempty("HOME");
    ak_buf_printf(path, "%s/.aliyun/config.json", home ? home : ".");
}

static json_t *find_profile(json_t *root, const char *name)
{
    json_t *profiles = json_object_get(root, "profiles"), *p;
    size_t i;
    json_array_foreach(profiles, i, p)
    {
        const char *n = json_string_value(json_object_get(p, "name"));
        if (n && !strcmp(n, name)) return p;
    }
    return NULL;
}

static int profile_fill(ak_credentials *out, json_t *p, const char *name, const char *path,
                        ak_buf *err)
{
    const char *mode = json_string_value(json_object_get(p, "mode"));
    const char *id = json_string_value(json_object_get(p, "access_key_id"));
    const char *secret = json_string_value(json_object_get(p, "access_key_secret"));
    const char *token = json_string_value(json_object_get(p, "sts_token"));
    int sts = mode && !strcmp(mode, "StsToken");
    if (!mode || (strcmp(mode, "AK") != 0 && !sts)) {
        ak_buf_printf(err, "profile '%s' in %s uses mode '%s'; akhound supports AK and StsToken",
                      name, path, mode ? mode : "(none)");
        return -1;
    }
    if (!id || !*id || !secret || !*secret || (sts && (!token || !*token))) {
        ak_buf_printf(err, "profile '%s' in %s lacks access_key_id, access_key_secret%s", name,
                      path, sts ? " or sts_token" : "");
        return -1;
    }
    out->access_key_id = ak_strdup(id);
    out->secret = ak_strdup(secret);
    out->security_token = sts ? ak_strdup(token) : NULL;
    ak_buf src = AK_BUF_INIT;
    ak_buf_printf(&src, "profile %s in %s", name, path);
    out->source = ak_buf_detach(&src);
    return 0;
}

/* The profile `want` of the CLI file, else ALIBABA_CLOUD_PROFILE, else the file's current one. */
static int from_file(ak_credentials *out, const char *path, const char *want, ak_buf *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        ak_buf_printf(err, "cannot read %s: %s", path, jerr.text);
        return -1;
    }
    const char *name = want ? want : env_nonempty("ALIBABA_CLOUD_PROFILE");
    if (!name) name = json_string_value(json_object_get(root, "current"));
    int rc = -1;
    json_t *p = name ? find_profile(root, name) : NULL;
    if (!name)
        ak_buf_printf(err, "%s names no current profile; set ALIBABA_CLOUD_PROFILE", path);
    else if (!p)
        ak_buf_printf(err, "profile '%s' not found in %s", name, path);
    else
        rc = profile_fill(out, p, name, path, err);
    json_decref(root);
    return rc;
}

int ak_credentials_load(ak_credentials *out, ak_buf *err)
{
    memset(out, 0, sizeof *out);
    int rc = from_env(out, err);
    if (rc != 0) return rc < 0 ? -1 : 0;
    const char *off = getenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED");
    ak_buf path = AK_BUF_INIT;
    config_path(&path);
    if (off && !strcmp(off, "true")) {
        rc = -1;
        ak_buf_puts(err, "no credentials: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET are not set and the "
                         "CLI profile is disabled");
    } else if (access(ak_buf_cstr(&path), F_OK) != 0) {
        rc = -1;
        ak_buf_printf(err,
                      "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and "
                      "ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure %s",
                      ak_buf_cstr(&path));
    } else {
        rc = from_file(out, ak_buf_cstr(&path), NULL, err);
    }
    if (rc < 0) ak_credentials_free(out);
    ak_buf_free(&path);
    return rc;
}

int ak_credentials_load_named(ak_credentials *out, const char *spec, ak_buf *err)
{
    memset(out, 0, sizeof *out);
    int rc = -1;
    if (!strcmp(spec, "env")) {
        rc = from_env(out, err);
        if (rc == 0)
            ak_buf_puts(err, "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are "
                             "not set");
        rc = rc > 0 ? 0 : -1;
    } else if (!strncmp(spec, "profile:", 8) && spec[8]) {
        ak_buf path = AK_BUF_INIT;
        config_path(&path);
        rc = from_file(out, ak_buf_cstr(&path), spec + 8, err);
        ak_buf_free(&path);
    } else {
        ak_buf_printf(err, "'%s' names no credentials: use env or profile:NAME", spec);
    }
    if (rc < 0) ak_credentials_free(out);
    return rc;
}
