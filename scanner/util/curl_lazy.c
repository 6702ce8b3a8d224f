/*
 * libcurl, loaded when first used.
 *
 * libcurl brings twenty shared libraries of its own (GnuTLS, LDAP, SASL, nghttp2, brotli, ...);
 * loading and relocating them costs about 2.6 ms at every process start, about half of what a
 * pre-commit scan costs in all, and only `validate`, `respond`, `org` and `scan --validate` ever
 * make an HTTP call. So the binary is not linked against libcurl: this file defines the libcurl
 * functions akhound uses, and the first call dlopen()s libcurl.so.4 and forwards to it. The code
 * that uses libcurl is written against the ordinary <curl/curl.h> API and does not know.
 * SSL_CTX_load_verify_locations (for --ca-file) comes from libcurl's own OpenSSL, found the same
 * way, so the binary does not link libssl either.
 *
 * If libcurl cannot be loaded, every call fails the way libcurl reports a failure (NULL handles,
 * CURLE_FAILED_INIT), after one error line naming the library.
 */
#define CURL_DISABLE_TYPECHECK /* the type-checking macros would rename the definitions below */
#include <curl/curl.h>
#include <openssl/ssl.h>

#include "util/log.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>

static const char libcurl_name[] = "libcurl.so.4";

/* Every forwarded function: return type, name, parameter list. */
#define AK_CURL_FUNCTIONS(X)                                                                       \
    X(CURLcode, curl_global_init, (long flags))                                                    \
    X(curl_version_info_data *, curl_version_info, (CURLversion v))                                \
    X(CURL *, curl_easy_init, (void))                                                              \
    X(void, curl_easy_cleanup, (CURL * h))                                                         \
    X(CURLcode, curl_easy_perform, (CURL * h))                                                     \
    X(CURLcode, curl_easy_setopt, (CURL * h, CURLoption o, ...))                                   \
    X(CURLcode, curl_easy_getinfo, (CURL * h, CURLINFO i, ...))                                    \
    X(const char *, curl_easy_strerror, (CURLcode c))                                              \
    X(char *, curl_easy_escape, (CURL * h, const char *s, int n))                                  \
    X(void, curl_free, (void *p))                                                                  \
    X(struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s))              \
    X(void, curl_slist_free_all, (struct curl_slist * l))                                          \
    X(CURLU *, curl_url, (void))                                                                   \
    X(void, curl_url_cleanup, (CURLU * u))                                                         \
    X(CURLUcode, curl_url_get, (CURLU * u, CURLUPart p, char **out, unsigned int f))               \
    X(CURLUcode, curl_url_set, (CURLU * u, CURLUPart p, const char *s, unsigned int f))            \
    X(CURLM *, curl_multi_init, (void))                                                            \
    X(CURLMcode, curl_multi_cleanup, (CURLM * m))                                                  \
    X(CURLMcode, curl_multi_add_handle, (CURLM * m, CURL * h))                                     \
    X(CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL * h))                                  \
    X(CURLMcode, curl_multi_perform, (CURLM * m, int *running))                                    \
    X(CURLMcode, curl_multi_poll,                                                                  \
      (CURLM * m, struct curl_waitfd * fds, unsigned int n, int ms, int *numfds))                  \
    X(CURLMsg *, curl_multi_info_read, (CURLM * m, int *left))                                     \
    X(CURLMcode, curl_multi_setopt, (CURLM * m, CURLMoption o, ...))                               \
    X(const char *, curl_multi_strerror, (CURLMcode c))                                            \
    X(int, SSL_CTX_load_verify_locations, (SSL_CTX * ctx, const char *file, const char *path))

#define AK_POINTER(ret, name, params) static ret(*p_##name) params;
AK_CURL_FUNCTIONS(AK_POINTER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;

static void load(void)
{
    void *h = dlopen(libcurl_name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        ak_error("cannot load %s (install libcurl4): %s", libcurl_name, dlerror());
        return;
    }
    int ok = 1;
#define AK_RESOLVE(ret, name, params) ok &= (*(void **)&p_##name = dlsym(h, #name)) != NULL;
    AK_CURL_FUNCTIONS(AK_RESOLVE)
    if (!ok) ak_error("%s lacks a function akhound needs (libcurl 7.80 or later)", libcurl_name);
    loaded = ok;
}

static int ready(void)
{
    pthread_once(&once, load);
    return loaded;
}

CURLcode curl_global_init(long flags)
{
    return ready() ? p_curl_global_init(flags) : CURLE_FAILED_INIT;
}

curl_version_info_data *curl_version_info(CURLversion v)
{
    return ready() ? p_curl_version_info(v) : NULL;
}

CURL *curl_easy_init(void)
{
    return ready() ? p_curl_easy_init() : NULL;
}

void curl_easy_cleanup(CURL *h)
{
    if (h && ready()) p_curl_easy_cleanup(h);
}

CURLcode curl_easy_perform(CURL *h)
{
    return ready() ? p_curl_easy_perform(h) : CURLE_FAILED_INIT;
}

/* libcurl reads exactly one argument after the option, a long, a pointer or a curl_off_t; all
 * three travel as one 64-bit argument word, so forwarding it as a pointer-sized value is exact. */
CURLcode curl_easy_setopt(CURL *h, CURLoption o, ...)
{
    va_list ap;
    va_start(ap, o);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return ready() ? p_curl_easy_setopt(h, o, arg) : CURLE_FAILED_INIT;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO i, ...)
{
    va_list ap;
    va_start(ap, i);
    void *out = va_arg(ap, void *);
    va_end(ap);
    return ready() ? p_curl_easy_getinfo(h, i, out) : CURLE_FAILED_INIT;
}

const char *curl_easy_strerror(CURLcode c)
{
    return ready() ? p_curl_easy_strerror(c) : "libcurl could not be loaded";
}

char *curl_easy_escape(CURL *h, const char *s, int n)
{
    return ready() ? p_curl_easy_escape(h, s, n) : NULL;
}

void curl_free(void *p)
{
    if (p && ready()) p_curl_free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
    return ready() ? p_curl_slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
    if (l && ready()) p_curl_slist_free_all(l);
}

CURLU *curl_url(void)
{
    return ready() ? p_curl_url() : NULL;
}

void curl_url_cleanup(CURLU *u)
{
    if (u && ready()) p_curl_url_cleanup(u);
}

CURLUcode curl_url_get(CURLU *u, CURLUPart p, char **out, unsigned int f)
{
    return ready() ? p_curl_url_get(u, p, out, f) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_set(CURLU *u, CURLUPart p, const char *s, unsigned int f)
{
    return ready() ? p_curl_url_set(u, p, s, f) : CURLUE_OUT_OF_MEMORY;
}

CURLM *curl_multi_init(void)
{
    return ready() ? p_curl_multi_init() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
    return ready() ? p_curl_multi_cleanup(m) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *h)
{
    return ready() ? p_curl_multi_add_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h)
{
    return ready() ? p_curl_multi_remove_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
    return ready() ? p_curl_multi_perform(m, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd *fds, unsigned int n, int ms, int *numfds)
{
    return ready() ? p_curl_multi_poll(m, fds, n, ms, numfds) : CURLM_INTERNAL_ERROR;
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
    return ready() ? p_curl_multi_info_read(m, left) : NULL;
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption o, ...)
{
    va_list ap;
    va_start(ap, o);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return ready() ? p_curl_multi_setopt(m, o, arg) : CURLM_INTERNAL_ERROR;
}

const char *curl_multi_strerror(CURLMcode c)
{
    return ready() ? p_curl_multi_strerror(c) : "libcurl could not be loaded";
}

int SSL_CTX_load_verify_locations(SSL_CTX *ctx, const char *file, const char *path)
{
    return ready() ? p_SSL_CTX_load_verify_locations(ctx, file, path) : 0;
}
