/*
 * Sending a key's notice: a JSON POST to a webhook (generic, Slack or DingTalk body) and a plain
 * text mail over SMTP, both with libcurl. The same transport rules as the cloud calls apply: TLS
 * verified always (--ca-file adds a CA), plain http:// and smtp:// only to a loopback host, and
 * smtp:// elsewhere must upgrade with STARTTLS. SMTP credentials come from AKHOUND_SMTP_USER and
 * AKHOUND_SMTP_PASSWORD, never the command line. The final bytes are redacted (report/redact.h:
 * a secret pasted into a commit summary or a path) and then checked against every secret of the
 * input before anything is sent, and webhook URLs (which often embed a token) are never
 * printed: messages name only the kind of channel.
 */
#include "cloud/endpoint.h"
#include "respond/respond_int.h"
#include "util/mem.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ATTEMPTS 3

static CURL *easy_new(const ak_rctx *c)
{
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    long ms = c->o->timeout_ms ? (long)c->o->timeout_ms : 10000;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    const char *ca = c->o->ca_file ? c->o->ca_file : getenv("AKHOUND_CA_FILE");
    if (ca && *ca) curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    return e;
}

static size_t sink(char *data, size_t size, size_t nmemb, void *userp)
{
    ak_buf *b = userp;
    if (b->len < 4096) ak_buf_append(b, data, size * nmemb);
    return size * nmemb;
}

/* The host part of a URL, for checks; -1 when the URL does not parse. */
static int url_host(const char *url, char *host, size_t cap)
{
    CURLU *u = curl_url();
    char *h = NULL;
    int rc = -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && strlen(h) < cap) {
        strcpy(host, h);
        rc = 0;
    }
    curl_free(h);
    curl_url_cleanup(u);
    return rc;
}

static int refuse_secret(const ak_rctx *c, const char *bytes, ak_buf *err)
{
    if (!ak_notify_has_secret(bytes, c->secrets, c->n_secrets)) return 0;
    ak_buf_puts(err, "refused: the notice would contain a secret");
    return -1;
}

/* DingTalk answers HTTP 200 with {"errcode": N}; anything but 0 is a failure. */
static int body_ok(const ak_buf *resp)
{
    json_t *j = json_loadb(resp->data ? resp->data : "", resp->len, 0, NULL);
    json_t *code = json_object_get(j, "errcode");
    int ok = !code || json_integer_value(code) == 0;
    json_decref(j);
    return ok;
}

static int post_once(const ak_rctx *c, const char *body, ak_buf *err, int *retry)
{
    CURL *e = easy_new(c);
    if (!e) return -1;
    ak_buf resp = AK_BUF_INIT;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
    curl_easy_setopt(e, CURLOPT_URL, c->o->webhook_url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "akhound");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
    CURLcode rc = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    int out = -1;
    *retry = 0;
    if (rc != CURLE_OK) {
        ak_buf_printf(err, "webhook: %s", curl_easy_strerror(rc));
        *retry = 1;
    } else if (status < 200 || status >= 300) {
        ak_buf_printf(err, "webhook: HTTP %ld", status);
        *retry = status >= 500 || status == 429;
    } else if (!body_ok(&resp)) {
        ak_buf_printf(err, "webhook: refused: %.200s", ak_buf_cstr(&resp));
    } else {
        out = 0;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    ak_buf_free(&resp);
    return out;
}

int ak_notify_webhook(ak_rctx *c, const ak_rkey *k, ak_buf *err)
{
    if (ak_endpoint_check(c->o->webhook_url, err) < 0) return -1;
    json_t *body = ak_notify_webhook_body(k->entry, c->o->webhook_style, c->o->webhook_url);
    ak_buf sb = AK_BUF_INIT;
    char *dump = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ak_buf_puts(&sb, dump);
    free(dump);
    json_decref(body);
    ak_redact_buf(c->o->redactor, &sb);
    char *s = ak_buf_detach(&sb);
    int rc = refuse_secret(c, s, err);
    for (int i = 0; rc == 0 && i < ATTEMPTS; i++) {
        int retry = 0;
        ak_buf_reset(err);
        rc = post_once(c, s, err, &retry);
        if (rc == 0 || !retry || i + 1 == ATTEMPTS) break;
        usleep(200000u << i);
        rc = 0;
    }
    if (rc == 0) ak_buf_puts(err, "webhook accepted the notice");
    free(s);
    return rc;
}

typedef struct upload {
    const char *data;
    size_t len, off;
} upload;

static size_t feed(char *out, size_t size, size_t nmemb, void *userp)
{
    upload *u = userp;
    size_t n = size * nmemb;
    if (n > u->len - u->off) n = u->len - u->off;
    memcpy(out, u->data + u->off, n);
    u->off += n;
    return n;
}

/* RFC 5322 message with CRLF line ends. */
static void build_mail(ak_buf *m, const ak_rctx *c, const ak_rkey *k, const char *text)
{
    char date[64], id[96];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(id, sizeof id, "<akhound.%lld.%d.%s@akhound>", (long long)t, (int)getpid(), k->key_id);
    ak_buf_printf(m, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, c->o->mail_from);
    for (size_t i = 0; i < c->o->n_mail_to; i++)
        ak_buf_printf(m, "%s<%s>", i ? ", " : "", c->o->mail_to[i]);
    ak_buf_printf(m,
                  "\r\nMessage-ID: %s\r\nSubject: [akhound] leaked Alibaba Cloud AccessKey %s\r\n"
                  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: 8bit\r\n\r\n",
                  id, k->key_id);
    for (const char *p = text; *p; p++) {
        if (*p == '\n') ak_buf_putc(m, '\r');
        ak_buf_putc(m, *p);
    }
}

static int smtp_send(const ak_rctx *c, const ak_buf *msg, ak_buf *err)
{
    char host[256];
    if (url_host(c->o->smtp_url, host, sizeof host) < 0) {
        ak_buf_puts(err, "email: --notify-smtp is not a URL");
        return -1;
    }
    int plain = !strncmp(c->o->smtp_url, "smtp://", 7);
    if (!plain && strncmp(c->o->smtp_url, "smtps://", 8)) {
        ak_buf_puts(err, "email: --notify-smtp wants smtp:// or smtps://");
        return -1;
    }
    CURL *e = easy_new(c);
    if (!e) return -1;
    struct curl_slist *rcpt = NULL;
    for (size_t i = 0; i < c->o->n_mail_to; i++) rcpt = curl_slist_append(rcpt, c->o->mail_to[i]);
    upload u = {msg->data, msg->len, 0};
    const char *user = getenv("AKHOUND_SMTP_USER"), *pass = getenv("AKHOUND_SMTP_PASSWORD");
    curl_easy_setopt(e, CURLOPT_URL, c->o->smtp_url);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, c->o->mail_from);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, feed);
    curl_easy_setopt(e, CURLOPT_READDATA, &u);
    if (plain && !ak_endpoint_is_loopback(host))
        curl_easy_setopt(e, CURLOPT_USE_SSL, CURLUSESSL_ALL);
    if (user && *user) curl_easy_setopt(e, CURLOPT_USERNAME, user);
    if (pass && *pass) curl_easy_setopt(e, CURLOPT_PASSWORD, pass);
    CURLcode rc = curl_easy_perform(e);
    if (rc != CURLE_OK) ak_buf_printf(err, "email: %s", curl_easy_strerror(rc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(e);
    return rc == CURLE_OK ? 0 : -1;
}

int ak_notify_email(ak_rctx *c, const ak_rkey *k, ak_buf *err)
{
    ak_buf text = AK_BUF_INIT, msg = AK_BUF_INIT;
    ak_notify_text(&text, k->entry);
    build_mail(&msg, c, k, ak_buf_cstr(&text));
    ak_redact_buf(c->o->redactor, &msg);
    int rc = refuse_secret(c, ak_buf_cstr(&msg), err);
    if (rc == 0) rc = smtp_send(c, &msg, err);
    if (rc == 0) ak_buf_printf(err, "mailed to %zu recipient(s)", c->o->n_mail_to);
    ak_buf_free(&text);
    ak_buf_free(&msg);
    return rc;
}
