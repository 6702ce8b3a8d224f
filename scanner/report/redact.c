/*
 * Redaction of free text (see redact.h): known secrets through one Vectorscan literal database,
 * compiled lazily when a text is first redacted after secrets were added. Matches become byte
 * spans; overlapping spans merge, and each merged span is replaced by its redacted preview.
 */
#include "report/redact.h"
#include "util/mem.h"

#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SECRET 8

struct ak_redactor {
    const ak_engine *engine; /* NULL: known secrets only */
    ak_rules *own_rules;     /* set when the redactor built the engine itself */
    ak_engine *own_engine;
    ak_scratch *scratch;
    char **known; /* distinct known secrets */
    size_t n_known, cap_known;
    hs_database_t *db; /* over known[], NULL until compiled (or none known) */
    hs_scratch_t *hs_scratch;
    size_t compiled; /* n_known when db was compiled */
};

typedef struct span {
    size_t from, to;
} span;

typedef struct spans {
    span *items;
    size_t len, cap;
} spans;

static void span_add(spans *s, size_t from, size_t to)
{
    AK_GROW(s->items, s->cap, s->len + 1);
    s->items[s->len++] = (span){from, to};
}

/* Secrets do not outlive their use in memory. */
static void free_secret(char *s)
{
    if (s) memset(s, 0, strlen(s));
    free(s);
}

ak_redactor *ak_redactor_new_known(void)
{
    return ak_calloc(1, sizeof(ak_redactor));
}

int ak_redactor_new(ak_redactor **out, const ak_engine *engine, ak_buf *err)
{
    ak_redactor *r = ak_redactor_new_known();
    *out = NULL;
    if (!engine) {
        ak_engine_opts eo;
        ak_engine_opts_default(&eo);
        if (ak_rules_load_builtin(&r->own_rules, err) ||
            ak_engine_new(&r->own_engine, r->own_rules, &eo, err)) {
            ak_redactor_free(r);
            return -1;
        }
        engine = r->own_engine;
    }
    r->engine = engine;
    if (ak_scratch_new(&r->scratch, engine, err)) {
        ak_redactor_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void ak_redactor_free(ak_redactor *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_known; i++) free_secret(r->known[i]);
    free(r->known);
    hs_free_scratch(r->hs_scratch);
    hs_free_database(r->db);
    ak_scratch_free(r->scratch);
    ak_engine_free(r->own_engine);
    ak_rules_free(r->own_rules);
    free(r);
}

void ak_redactor_add_secret(ak_redactor *r, const char *secret)
{
    if (!r || !secret || strlen(secret) < MIN_SECRET) return;
    AK_GROW(r->known, r->cap_known, r->n_known + 1);
    r->known[r->n_known++] = ak_strdup(secret);
}

static void add_secrets_of(ak_redactor *r, const ak_finding *f)
{
    ak_redactor_add_secret(r, f->secret);
    ak_redactor_add_secret(r, f->security_token);
    for (size_t j = 0; f->candidates && j < f->n_candidates; j++)
        ak_redactor_add_secret(r, f->candidates[j]);
}

/* What the engine recognises in one free-text field of a finding read next to its AccessKey ID,
 * the context the secret had (a bare secret in a path is a secret because of the ID it goes
 * with), becomes a known secret: so every format redacts it, whatever it puts near the field. */
static void learn_field(ak_redactor *r, const char *id, const char *field)
{
    if (!field || strlen(field) < MIN_SECRET) return;
    ak_buf text = AK_BUF_INIT, err = AK_BUF_INIT;
    if (id) ak_buf_printf(&text, "access_key_id: %s\n", id);
    ak_buf_puts(&text, field);
    ak_findings found = {0};
    ak_chunk c = {(const uint8_t *)text.data, text.len, "<free text>", NULL, 1, NULL};
    ak_engine_scan(r->engine, r->scratch, &c, &found, &err); /* partial results still count */
    for (size_t i = 0; i < found.len; i++) add_secrets_of(r, &found.items[i]);
    ak_findings_free(&found);
    ak_buf_free(&text);
    ak_buf_free(&err);
}

static void learn_free_text(ak_redactor *r, const ak_finding *f)
{
    const char *id = f->access_key_id;
    learn_field(r, id, f->path);
    learn_field(r, id, f->repository);
    learn_field(r, id, f->link);
    if (f->commit) {
        learn_field(r, id, f->commit->summary);
        learn_field(r, id, f->commit->author);
        learn_field(r, id, f->commit->email);
    }
}

void ak_redactor_add_findings(ak_redactor *r, const ak_findings *list)
{
    for (size_t i = 0; r && list && i < list->len; i++) {
        add_secrets_of(r, &list->items[i]);
        if (r->engine) learn_free_text(r, &list->items[i]);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and deduplicates the known secrets, then compiles them into one literal database. */
static void compile_known(ak_redactor *r)
{
    hs_free_scratch(r->hs_scratch);
    hs_free_database(r->db);
    r->hs_scratch = NULL;
    r->db = NULL;
    qsort(r->known, r->n_known, sizeof *r->known, cmp_str);
    size_t n = 0;
    for (size_t i = 0; i < r->n_known; i++) {
        if (n && !strcmp(r->known[n - 1], r->known[i]))
            free_secret(r->known[i]);
        else
            r->known[n++] = r->known[i];
    }
    r->n_known = r->compiled = n;
    if (!n) return;
    size_t *lens = ak_calloc(n, sizeof *lens);
    unsigned *ids = ak_calloc(n, sizeof *ids), *flags = ak_calloc(n, sizeof *flags);
    for (size_t i = 0; i < n; i++) {
        lens[i] = strlen(r->known[i]);
        ids[i] = (unsigned)i;
    }
    hs_compile_error_t *ce = NULL;
    if (hs_compile_lit_multi((const char *const *)r->known, flags, ids, lens, (unsigned)n,
                             HS_MODE_BLOCK, NULL, &r->db, &ce) != HS_SUCCESS ||
        hs_alloc_scratch(r->db, &r->hs_scratch) != HS_SUCCESS)
        abort(); /* plain literals always compile: only out-of-memory gets here */
    free(lens);
    free(ids);
    free(flags);
}

typedef struct match_ctx {
    const ak_redactor *r;
    spans *out;
} match_ctx;

static int on_known(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)from, (void)flags;
    match_ctx *m = ctx;
    size_t len = strlen(m->r->known[id]);
    span_add(m->out, (size_t)to - len, (size_t)to);
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from ? 1 : 0;
}

/* Rebuilds text with each merged span replaced by the preview of its bytes. */
static size_t replace_spans(ak_buf *text, spans *s)
{
    qsort(s->items, s->len, sizeof *s->items, cmp_span);
    ak_buf out = AK_BUF_INIT;
    size_t pos = 0, n = 0;
    for (size_t i = 0; i < s->len;) {
        span m = s->items[i++];
        while (i < s->len && s->items[i].from < m.to) {
            if (s->items[i].to > m.to) m.to = s->items[i].to;
            i++;
        }
        char *secret = ak_strndup(text->data + m.from, m.to - m.from), preview[64];
        ak_redact(secret, preview, sizeof preview);
        free(secret);
        ak_buf_append(&out, text->data + pos, m.from - pos);
        ak_buf_puts(&out, preview);
        pos = m.to;
        n++;
    }
    ak_buf_append(&out, text->data + pos, text->len - pos);
    ak_buf_free(text);
    *text = out;
    return n;
}

size_t ak_redact_buf(ak_redactor *r, ak_buf *text)
{
    if (!r || !text->len) return 0;
    spans s = {0};
    if (r->compiled != r->n_known) compile_known(r);
    if (r->db) {
        match_ctx m = {r, &s};
        hs_scan(r->db, text->data, (unsigned)text->len, 0, r->hs_scratch, on_known, &m);
    }
    size_t n = s.len ? replace_spans(text, &s) : 0;
    free(s.items);
    return n;
}

int ak_redact_write(ak_redactor *r, FILE *out, const char *data, size_t len)
{
    ak_buf b = AK_BUF_INIT;
    ak_buf_append(&b, data, len);
    ak_redact_buf(r, &b);
    int rc = b.len && fwrite(b.data, 1, b.len, out) != b.len ? -1 : 0;
    ak_buf_free(&b);
    return rc;
}

int ak_redact_capture(ak_redactor *r, FILE *out, int (*write)(FILE *mem, void *ctx), void *ctx)
{
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    if (!mem) return -1;
    int rc = write(mem, ctx) ? -1 : 0;
    if (fclose(mem) != 0) rc = -1;
    if (rc == 0) rc = ak_redact_write(r, out, data, len);
    free(data);
    return rc;
}
