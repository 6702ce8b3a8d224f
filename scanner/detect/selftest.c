/* Rule self-test: see selftest.h. */
#include "detect/selftest.h"
#include "detect/decode.h"
#include "detect/engine_int.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state;
static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t next_random(void)
{
    pthread_mutex_lock(&rng_lock);
    if (!rng_state) {
        FILE *f = fopen("/dev/urandom", "rb");
        if (!f || fread(&rng_state, sizeof rng_state, 1, f) != 1)
            rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        if (f) fclose(f);
        rng_state |= 1;
    }
    rng_state ^= rng_state << 13; /* xorshift64: test data only, not for secrets */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    uint64_t v = rng_state;
    pthread_mutex_unlock(&rng_lock);
    return v;
}

static const char upper[] = "BCDFGHJKLMNPQRSTVWYZ", lower[] = "bcdfghjkmnpqrstvwyz",
                  digit[] = "23456789";

/* n characters drawn from `sets` (each used at least once when n allows), no vowels, no
 * neighbours in sequence, so no placeholder word or run can form by chance. */
static void random_text(char *out, size_t n, const char *const *sets, size_t n_sets)
{
    for (size_t i = 0; i < n; i++) {
        for (;;) {
            const char *set = sets[i < n_sets ? i : next_random() % n_sets];
            char c = set[next_random() % strlen(set)];
            if (i > 0 && (c == out[i - 1] || c == out[i - 1] + 1 || c == out[i - 1] - 1)) continue;
            out[i] = c;
            break;
        }
    }
    out[n] = '\0';
}

void ak_random_key_text(char *out, size_t n)
{
    static const char *const sets[] = {upper, lower, digit};
    random_text(out, n, sets, 3);
}

static int expand(const char **p, ak_buf *out, int nested);

/* At "}}": a run of more than two braces closes with its last two, so "x"}}} reads as "x"} + }}. */
static int at_close(const char *s)
{
    return s[0] == '}' && s[1] == '}' && s[2] != '}';
}

static int directive(const char **p, ak_buf *out)
{
    const char *s = *p;
    /* alnum: mixed case and digits; alpha: letters only; lower: lower case and digits */
    static const char *const alnum[] = {upper, lower, digit}, *const alpha[] = {upper, lower},
                             *const lowdig[] = {lower, digit};
    static const struct {
        const char *name;
        const char *const *sets;
        size_t n_sets;
    } kinds[] = {{"alnum ", alnum, 3}, {"alpha ", alpha, 2}, {"lower ", lowdig, 2}};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        if (strncmp(s, kinds[k].name, 6)) continue;
        char *end = NULL;
        long n = strtol(s + 6, &end, 10);
        if (n <= 0 || n > 4096 || strncmp(end, "}}", 2)) return -1;
        char *tmp = ak_malloc((size_t)n + 1);
        random_text(tmp, (size_t)n, kinds[k].sets, kinds[k].n_sets);
        ak_buf_append(out, tmp, (size_t)n);
        free(tmp);
        *p = end + 2;
        return 0;
    }
    if (!strncmp(s, "b64 ", 4)) {
        ak_buf inner = AK_BUF_INIT;
        *p = s + 4;
        int rc = expand(p, &inner, 1);
        if (!rc && at_close(*p))
            *p += 2;
        else
            rc = -1;
        if (!rc) ak_base64_encode((const uint8_t *)ak_buf_cstr(&inner), inner.len, out);
        ak_buf_free(&inner);
        return rc;
    }
    return -1;
}

static int expand(const char **p, ak_buf *out, int nested)
{
    while (**p) {
        if (nested && at_close(*p)) return 0;
        if ((*p)[0] == '{' && (*p)[1] == '{') {
            *p += 2;
            if (directive(p, out)) return -1;
            continue;
        }
        ak_buf_putc(out, **p);
        (*p)++;
    }
    return nested ? -1 : 0;
}

int ak_template_expand(const char *tmpl, ak_buf *out)
{
    const char *p = tmpl;
    return expand(&p, out, 0);
}

/* 1 when the expanded example yields something from `rule`. */
static int example_hits(const ak_engine *e, ak_scratch *s, int rule, const char *text, ak_buf *err)
{
    ak_chunk c = {(const uint8_t *)text, strlen(text), "example", NULL, 1, NULL};
    if (ak_engine_components(e, s, &c, err)) return -1;
    int hit = 0;
    for (size_t i = 0; i < s->n_comps; i++) hit |= s->comps[i].rule == rule;
    ak_findings f = {0};
    ak_pair_components(e, s, &c, &f);
    for (size_t i = 0; i < f.len; i++) hit |= !strcmp(f.items[i].rule, e->rules->items[rule].id);
    ak_findings_free(&f);
    return hit;
}

static int run_list(const ak_engine *e, ak_scratch *s, int rule, const ak_strlist *l, int want,
                    FILE *report, int verbose)
{
    const ak_rule *r = &e->rules->items[rule];
    int failures = 0;
    for (size_t i = 0; i < l->len; i++) {
        ak_buf text = AK_BUF_INIT, err = AK_BUF_INIT;
        int rc = ak_template_expand(l->items[i], &text);
        int hit = rc ? -1 : example_hits(e, s, rule, ak_buf_cstr(&text), &err);
        if (hit < 0 || hit != want) {
            failures++;
            fprintf(report, "FAIL %s: %s %zu %s: %s\n", r->id,
                    want ? "example" : "negative example", i + 1,
                    hit < 0 ? "could not be run"
                    : want  ? "was not found"
                            : "was found",
                    l->items[i]);
        } else if (verbose) {
            fprintf(report, "ok   %s: %s %zu\n", r->id, want ? "example" : "negative example",
                    i + 1);
        }
        ak_buf_free(&text);
        ak_buf_free(&err);
    }
    return failures;
}

int ak_rules_selftest(const ak_engine *e, FILE *report, int verbose)
{
    ak_scratch *s = NULL;
    ak_buf err = AK_BUF_INIT;
    if (ak_scratch_new(&s, e, &err)) {
        fprintf(report, "FAIL: %s\n", ak_buf_cstr(&err));
        ak_buf_free(&err);
        return 1;
    }
    int failures = 0, total = 0;
    for (size_t i = 0; i < e->rules->len; i++) {
        const ak_rule *r = &e->rules->items[i];
        failures += run_list(e, s, (int)i, &r->examples, 1, report, verbose);
        failures += run_list(e, s, (int)i, &r->negative_examples, 0, report, verbose);
        total += (int)(r->examples.len + r->negative_examples.len);
    }
    fprintf(report, "rules: %d passed, %d failed\n", total - failures, failures);
    ak_scratch_free(s);
    ak_buf_free(&err);
    return failures;
}

int ak_rules_examples_missed(const ak_engine *e)
{
    ak_scratch *s = NULL;
    ak_buf err = AK_BUF_INIT, text = AK_BUF_INIT;
    int missed = ak_scratch_new(&s, e, &err) ? 1 : 0;
    for (size_t i = 0; !missed && i < e->rules->len; i++) {
        const ak_strlist *l = &e->rules->items[i].examples;
        for (size_t k = 0; !missed && k < l->len; k++) {
            ak_buf_reset(&text);
            missed = ak_template_expand(l->items[k], &text) ||
                     example_hits(e, s, (int)i, ak_buf_cstr(&text), &err) != 1;
        }
    }
    ak_scratch_free(s);
    ak_buf_free(&text);
    ak_buf_free(&err);
    return missed;
}
