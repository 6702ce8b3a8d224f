/*
 * Deferred TLS certificate loading for libgit2.
 *
 * Debian's libgit2 1.5 is built on mbedTLS and parses the whole system CA bundle inside
 * git_libgit2_init(): about 10 ms of CPU, more than everything else a pre-commit scan does, for
 * certificates that only an https clone or fetch (akhound org) ever uses. No libgit2 option skips
 * it, so this file interposes mbedTLS's file parser: the executable's definition wins over the
 * shared library's (ELF symbol interposition), and it forwards to the real parser only once a
 * caller has asked for TLS with ak_git_tls_enable(). Where libgit2 is built on another TLS library
 * the symbol is never called and this file changes nothing.
 */
#include "sources/git.h"

#include <dlfcn.h>
#include <git2.h>
#include <stdatomic.h>
#include <stddef.h>

static atomic_int tls_wanted;

typedef int (*parse_file_fn)(void *chain, const char *path);

/* Same ABI as mbedTLS's int mbedtls_x509_crt_parse_file(mbedtls_x509_crt *, const char *). */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);

int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
    if (!atomic_load(&tls_wanted)) return 0; /* nothing loaded: no https transport is in use */
    parse_file_fn real = (parse_file_fn)dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
    return real ? real(chain, path) : -1;
}

int ak_git_tls_enable(const char *ca_file, const char *ca_dir)
{
    atomic_store(&tls_wanted, 1);
    /* Loads the system bundle (or the given one) now that TLS is wanted. */
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
                            ca_file ? ca_file : "/etc/ssl/certs/ca-certificates.crt", ca_dir);
}

int ak_git_tls_enabled(void)
{
    return atomic_load(&tls_wanted);
}
