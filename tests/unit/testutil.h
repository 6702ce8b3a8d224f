/*
 * Helpers shared by the cmocka unit tests: random key material generated at test time (no
 * key-shaped literal is ever committed, so akhound scans its own repository clean), and temporary
 * directories.
 */
#ifndef AK_TESTUTIL_H
#define AK_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline void tu_seed(void)
{
    static int seeded;
    if (!seeded) {
        const char *s = getenv("AK_TEST_SEED");
        srand(s ? (unsigned)atoi(s) : (unsigned)time(NULL) ^ (unsigned)getpid());
        seeded = 1;
    }
}

/* Fills out[0..n) with random base62 characters and NUL-terminates (out needs n+1 bytes). The
 * result always mixes upper case, lower case and digits, like real key material. */
static inline void tu_random_alnum(char *out, size_t n)
{
    /* no vowels or x (no placeholder words can form), no equal or adjacent neighbours (no runs
     * or sequences): generated keys never look like placeholders */
    static const char abc[] = "BCDFGHJKLMNPQRSTVWYZbcdfghjkmnpqrstvwyz23456789";
    tu_seed();
    char prev = 0;
    for (size_t i = 0; i < n; i++) {
        char c;
        do c = abc[rand() % (int)(sizeof abc - 1)];
        while (c == prev || c == prev + 1 || c == prev - 1);
        out[i] = prev = c;
    }
    if (n >= 3) {
        out[0] = 'K';
        out[1] = 'q';
        out[2] = '7';
    }
    out[n] = '\0';
}

/* A fresh current-format AccessKey ID: "LTAI" + 20 random characters (out: 25 bytes). */
static inline void tu_random_key_id(char out[25])
{
    memcpy(out, "LT", 2);
    memcpy(out + 2, "AI", 2);
    tu_random_alnum(out + 4, 20);
}

/* A fresh 30-character AccessKey secret (out: 31 bytes). */
static inline void tu_random_secret(char out[31])
{
    tu_random_alnum(out, 30);
}

/* mkdtemp under $TMPDIR; caller removes it with tu_rmrf. */
static inline char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *p = malloc(strlen(base) + 32);
    sprintf(p, "%s/akhound-test-XXXXXX", base);
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

static inline void tu_rmrf(char *dir)
{
    if (!dir) return;
    char *cmd = malloc(strlen(dir) + 16);
    sprintf(cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(cmd);
    free(dir);
}

static inline void tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

#endif
