/*
 * The detection engine. One Vectorscan database holds every rule's literal anchors and keywords
 * (plus their base64 and UTF-16LE forms), so each buffer is read once by the fast pass. PCRE2 (JIT)
 * then runs only at the hits, anchored there with \G, to capture the credential and check its
 * boundaries. Encoded text is decoded only around hits into "regions" that remember how to map
 * every byte back to the file, and scanned again with the same database (bounded depth).
 *
 * All working memory lives in the per-thread ak_scratch and is reused from chunk to chunk, so the
 * hot path allocates nothing once warmed up.
 */
#include "detect/engine_int.h"
#include "detect/dbcache.h"
#include "detect/filter.h"
#include "detect/selftest.h"
#include "util/mem.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

/* ---------- compiling ---------- */

typedef struct patlist {
    ak_strlist lits;
    unsigned *flags;
    size_t *lens;
    size_t cap;
    ak_pat *pats;
} patlist;

/* Index of an earlier pattern with the same literal, flags and variant, or -1. */
static long same_literal(const patlist *pl, const char *lit, size_t len, unsigned flags, ak_pat p)
{
    for (size_t i = 0; i < pl->lits.len; i++)
        if (!pl->pats[i].alias && pl->lens[i] == len && pl->flags[i] == flags &&
            pl->pats[i].variant == p.variant && pl->pats[i].b64_lead == p.b64_lead &&
            !memcmp(pl->lits.items[i], lit, len))
            return (long)i;
    return -1;
}

static void add_pat(patlist *pl, const char *lit, size_t len, unsigned flags, ak_pat p)
{
    size_t i = pl->lits.len;
    long first = same_literal(pl, lit, len, flags, p);
    if (first >= 0) { /* each literal more can tip Vectorscan into a slower matcher: share */
        size_t k = (size_t)first;
        while (pl->pats[k].next) k = pl->pats[k].next;
        pl->pats[k].next = (unsigned)i;
        p.alias = 1;
    }
    char *copy = ak_malloc(len + 1);
    memcpy(copy, lit, len);
    copy[len] = '\0';
    AK_GROW(pl->lits.items, pl->lits.cap, i);
    pl->lits.items[pl->lits.len++] = copy;
    size_t cap = pl->cap;
    AK_GROW(pl->flags, cap, i);
    cap = pl->cap;
    AK_GROW(pl->lens, cap, i);
    AK_GROW(pl->pats, pl->cap, i);
    pl->flags[i] = flags;
    pl->lens[i] = len;
    p.len = (uint8_t)len;
    pl->pats[i] = p;
}

/* The base64 text of `lit` depends on where it starts modulo 3 in the encoded bytes; for each of
 * the three phases, keep the characters that are fully determined by the literal's bytes. */
static void add_base64_variants(patlist *pl, const char *lit, int rule)
{
    size_t n = strlen(lit);
    for (unsigned phase = 0; phase < 3; phase++) {
        uint8_t bytes[64] = {0};
        if (n + phase + 2 > sizeof bytes) return;
        memcpy(bytes + phase, lit, n);
        ak_buf enc = AK_BUF_INIT;
        ak_base64_encode(bytes, n + phase + 2, &enc);
        size_t first = (8 * phase + 5) / 6;  /* first char starting at or after the literal */
        size_t last = (8 * (phase + n)) / 6; /* chars [first, last) lie inside it */
        if (last > first + 2) {
            ak_pat p = {.rule = rule, .variant = AK_PAT_BASE64, .b64_lead = (uint8_t)first};
            add_pat(pl, enc.data + first, last - first, 0, p);
        }
        ak_buf_free(&enc);
    }
}

static void add_utf16_variant(patlist *pl, const char *lit, int rule)
{
    char wide[128];
    size_t n = strlen(lit);
    if (2 * n > sizeof wide) return;
    for (size_t i = 0; i < n; i++) {
        wide[2 * i] = lit[i];
        wide[2 * i + 1] = '\0';
    }
    ak_pat p = {.rule = rule, .variant = AK_PAT_UTF16};
    add_pat(pl, wide, 2 * n, 0, p);
}

static void collect_patterns(const ak_rules *rules, patlist *pl)
{
    for (size_t i = 0; i < rules->len; i++) {
        const ak_rule *r = &rules->items[i];
        if (ak_role_is_composite(r->role)) continue;
        for (size_t k = 0; k < r->anchors.len; k++) {
            const char *a = r->anchors.items[k];
            ak_pat p = {.rule = (int)i, .variant = AK_PAT_PLAIN};
            add_pat(pl, a, strlen(a), 0, p);
            if (r->decoders & AK_DEC_BASE64) add_base64_variants(pl, a, (int)i);
            if (r->decoders & AK_DEC_UTF16LE) add_utf16_variant(pl, a, (int)i);
        }
        for (size_t k = 0; k < r->keywords.len; k++) {
            const char *w = r->keywords.items[k];
            ak_pat p = {.rule = (int)i, .variant = AK_PAT_KEYWORD};
            add_pat(pl, w, strlen(w), HS_FLAG_CASELESS, p);
        }
    }
}

/* Compiles the literals of pl whose variant is (or, with utf16 == 0, is not) UTF-16 into *db, from
 * the on-disk cache when it holds them and use_cache is set (then *cached is set too). Pattern ids
 * are indexes into the shared pats table. */
static int compile_subset(const patlist *pl, int utf16, int use_cache, int *cached,
                          hs_database_t **db, ak_buf *err)
{
    size_t n = 0, total = pl->lits.len;
    char **lits = ak_calloc(total, sizeof *lits);
    size_t *lens = ak_calloc(total, sizeof *lens);
    unsigned *flags = ak_calloc(total, sizeof *flags), *ids = ak_calloc(total, sizeof *ids);
    for (size_t i = 0; i < total; i++) {
        if ((pl->pats[i].variant == AK_PAT_UTF16) != utf16 || pl->pats[i].alias) continue;
        lits[n] = pl->lits.items[i];
        lens[n] = pl->lens[i];
        flags[n] = pl->flags[i];
        ids[n++] = (unsigned)i;
    }
    int rc = 0;
    uint64_t key = n ? ak_dbcache_key(lits, lens, flags, ids, n) : 0;
    *db = n && use_cache ? ak_dbcache_load(key) : NULL;
    if (*db) *cached = 1;
    hs_compile_error_t *cerr = NULL;
    if (n && !*db) {
        if (hs_compile_lit_multi((const char *const *)lits, flags, ids, lens, (unsigned)n,
                                 HS_MODE_BLOCK, NULL, db, &cerr) != HS_SUCCESS) {
            ak_buf_printf(err, "cannot compile the fast-pass database: %s",
                          cerr ? cerr->message : "unknown error");
            hs_free_compile_error(cerr);
            rc = -1;
        } else {
            ak_dbcache_store(key, *db);
        }
    }
    free(lits);
    free(lens);
    free(flags);
    free(ids);
    return rc;
}

/* Two databases: UTF-16LE forms of the anchors are kept apart because mixing them with the other
 * literals makes Vectorscan pick a matcher about 2.7x slower on every buffer, while UTF-16 text
 * only occurs in buffers with NUL bytes, where the second database is run as well. */
static int compile_db(ak_engine *e, int use_cache, int *cached, ak_buf *err)
{
    patlist pl = {0};
    collect_patterns(e->rules, &pl);
    e->n_pats = pl.lits.len;
    e->pats = pl.pats;
    for (size_t i = 0; i < pl.lits.len; i++)
        if (pl.pats[i].variant != AK_PAT_UTF16 && pl.lens[i] > e->max_literal)
            e->max_literal = pl.lens[i];
    int rc = compile_subset(&pl, 0, use_cache, cached, &e->db, err);
    if (!rc) rc = compile_subset(&pl, 1, use_cache, cached, &e->db16, err);
    ak_strlist_free(&pl.lits);
    free(pl.flags);
    free(pl.lens);
    return rc;
}

/* The databases, from the cache when it has them; a cached database must still find every rule's
 * examples (a planted or damaged file must not blind the scan), else it is compiled afresh and
 * the cache rewritten. */
static int build_db(ak_engine *e, ak_buf *err)
{
    int cached = 0;
    int rc = compile_db(e, 1, &cached, err);
    if (rc || !cached || ak_rules_examples_missed(e) == 0) return rc;
    hs_free_database(e->db);
    hs_free_database(e->db16);
    free(e->pats);
    e->db = e->db16 = NULL;
    e->pats = NULL;
    return compile_db(e, 0, &cached, err);
}

static int compile_regex(ak_engine *e, size_t i, ak_buf *err)
{
    const ak_rule *r = &e->rules->items[i];
    /* Hit-anchored rules are matched at the hit with \G; near rules are searched in a window. */
    ak_buf pat = AK_BUF_INIT;
    ak_buf_printf(&pat, r->near ? "(?:%s)" : "\\G(?:%s)", r->regex);
    int code = 0;
    PCRE2_SIZE off = 0;
    e->codes[i] = pcre2_compile((PCRE2_SPTR)pat.data, pat.len, PCRE2_DOTALL, &code, &off, NULL);
    ak_buf_free(&pat);
    if (!e->codes[i]) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        ak_buf_printf(err, "%s: rule '%s': bad regex: %s", r->origin, r->id, (char *)msg);
        return -1;
    }
    pcre2_jit_compile(e->codes[i], PCRE2_JIT_COMPLETE);
    int g = pcre2_substring_number_from_name(e->codes[i], (PCRE2_SPTR) "cred");
    e->cred_group[i] = g > 0 ? (uint32_t)g : 0;
    return 0;
}

static int check_reference(const ak_rules *rules, const ak_rule *r, const char *id, ak_buf *err)
{
    if (ak_rules_index(rules, id) >= 0) return 0;
    ak_buf_printf(err, "%s: rule '%s' refers to unknown rule '%s'", r->origin, r->id, id);
    return -1;
}

static int link_rules(ak_engine *e, ak_buf *err)
{
    const ak_rules *rules = e->rules;
    for (size_t i = 0; i < rules->len; i++) {
        const ak_rule *r = &rules->items[i];
        e->near_target[i] = -1;
        if (r->near) {
            if (check_reference(rules, r, r->near, err)) return -1;
            e->near_target[i] = ak_rules_index(rules, r->near);
        }
        if (!ak_role_is_composite(r->role)) continue;
        if (check_reference(rules, r, r->part_id, err)) return -1;
        uint8_t *row = e->parts + i * rules->len;
        for (size_t k = 0; k < r->part_secrets.len; k++) {
            if (check_reference(rules, r, r->part_secrets.items[k], err)) return -1;
            row[ak_rules_index(rules, r->part_secrets.items[k])] |= AK_PART_SECRET;
        }
        for (size_t k = 0; k < r->part_tokens.len; k++) {
            if (check_reference(rules, r, r->part_tokens.items[k], err)) return -1;
            row[ak_rules_index(rules, r->part_tokens.items[k])] |= AK_PART_TOKEN;
        }
        if (!e->window && r->window_lines) e->window = r->window_lines;
    }
    if (!e->window) e->window = 5;
    return 0;
}

void ak_engine_opts_default(ak_engine_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->max_decode_depth = 2;
}

int ak_engine_new(ak_engine **out, const ak_rules *rules, const ak_engine_opts *opts, ak_buf *err)
{
    ak_engine *e = ak_calloc(1, sizeof *e);
    e->rules = rules;
    if (opts)
        e->opts = *opts;
    else
        ak_engine_opts_default(&e->opts);
    if (e->opts.max_decode_depth > AK_MAX_DEPTH - 1) e->opts.max_decode_depth = AK_MAX_DEPTH - 1;
    e->window = e->opts.pair_window_lines;
    e->codes = ak_calloc(rules->len, sizeof *e->codes);
    e->cred_group = ak_calloc(rules->len, sizeof *e->cred_group);
    e->near_target = ak_calloc(rules->len, sizeof *e->near_target);
    e->parts = ak_calloc(rules->len * rules->len, 1);
    int rc = link_rules(e, err);
    for (size_t i = 0; !rc && i < rules->len; i++)
        if (!ak_role_is_composite(rules->items[i].role)) rc = compile_regex(e, i, err);
    if (!rc) rc = build_db(e, err);
    if (rc) {
        ak_engine_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void ak_engine_free(ak_engine *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->rules->len; i++) pcre2_code_free(e->codes[i]);
    free(e->codes);
    free(e->cred_group);
    free(e->near_target);
    free(e->parts);
    free(e->pats);
    hs_free_database(e->db);
    hs_free_database(e->db16);
    free(e);
}

const ak_rules *ak_engine_rules(const ak_engine *e)
{
    return e->rules;
}

int ak_scratch_new(ak_scratch **out, const ak_engine *e, ak_buf *err)
{
    ak_scratch *s = ak_calloc(1, sizeof *s);
    s->engine = e;
    if ((e->db && hs_alloc_scratch(e->db, &s->hs) != HS_SUCCESS) ||
        (e->db16 && hs_alloc_scratch(e->db16, &s->hs) != HS_SUCCESS)) {
        ak_buf_printf(err, "cannot allocate Vectorscan scratch space");
        free(s);
        return -1;
    }
    s->md = pcre2_match_data_create(32, NULL);
    s->mctx = pcre2_match_context_create(NULL);
    s->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    s->limit_rule = -1;
    pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
    *out = s;
    return 0;
}

static void reset_chunk_state(ak_scratch *s)
{
    for (size_t i = 0; i < s->n_comps; i++) {
        char *v = s->comps[i].value;
        if (v) memset(v, 0, strlen(v));
        free(v);
    }
    s->n_comps = 0;
    s->n_regions = 0;
    s->limit_rule = -1;
}

void ak_scratch_free(ak_scratch *s)
{
    if (!s) return;
    reset_chunk_state(s);
    for (size_t i = 0; i < s->cap_regions; i++) {
        ak_buf_free(&s->regions[i].owned);
        ak_u32vec_free(&s->regions[i].map);
    }
    free(s->regions);
    free(s->comps);
    for (int d = 0; d <= AK_MAX_DEPTH; d++) free(s->hits[d].items);
    ak_buf_free(&s->tmp);
    hs_free_scratch(s->hs);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_jit_stack_free(s->jit);
    free(s);
}

/* ---------- regions and offsets ---------- */

static int new_region(ak_scratch *s, int parent, const char *encoding)
{
    if (s->n_regions == s->cap_regions) {
        size_t old = s->cap_regions;
        AK_GROW(s->regions, s->cap_regions, s->n_regions);
        memset(s->regions + old, 0, (s->cap_regions - old) * sizeof *s->regions);
    }
    ak_region *r = &s->regions[s->n_regions];
    ak_buf_reset(&r->owned);
    r->map.len = 0;
    r->data = NULL;
    r->len = 0;
    r->base = 0;
    r->num = r->den = 1;
    r->parent = parent;
    r->depth = parent < 0 ? 0 : s->regions[parent].depth + 1;
    r->encoding = encoding;
    r->pct_end = r->esc_end = r->cat_end = 0;
    r->b64_from = r->b64_to = r->u16_from = r->u16_to = 0;
    r->nl_free_from = r->nl_free_to = 0;
    r->join_from = r->join_to = 0;
    r->join_stop = 0;
    r->ctx_rule = -1;
    return (int)s->n_regions++;
}

static size_t to_parent(const ak_region *r, size_t off)
{
    if (r->map.len) return r->map.items[off < r->map.len ? off : r->map.len - 1];
    return r->base + off * r->num / r->den;
}

static size_t to_root(const ak_scratch *s, int region, size_t off)
{
    while (region > 0) {
        const ak_region *r = &s->regions[region];
        off = to_parent(r, off);
        region = r->parent;
    }
    return off;
}

/* Start of the line `lines` lines before the one holding `off` (bounded by `limit` bytes). */
/* Records that [a, b) holds no newline, merged with the known span when they touch. */
static void note_no_newline(ak_region *rg, size_t a, size_t b)
{
    if (b <= a) return;
    if (rg->nl_free_to > rg->nl_free_from && a <= rg->nl_free_to && b >= rg->nl_free_from) {
        if (a < rg->nl_free_from) rg->nl_free_from = a;
        if (b > rg->nl_free_to) rg->nl_free_to = b;
        return;
    }
    rg->nl_free_from = a;
    rg->nl_free_to = b;
}

/* Just after the last '\n' in [stop, i), or stop when there is none; skips the known span. */
static size_t after_newline_back(ak_region *rg, size_t i, size_t stop)
{
    size_t j = i;
    while (j > stop) {
        size_t f = rg->nl_free_from, t = rg->nl_free_to;
        if (t > f && j > f && j <= t) {
            j = f > stop ? f : stop;
            continue;
        }
        size_t lo = t > f && t < j && t > stop ? t : stop;
        const uint8_t *p = memrchr(rg->data + lo, '\n', j - lo);
        if (p) {
            size_t r = (size_t)(p - rg->data) + 1;
            note_no_newline(rg, r, i);
            return r;
        }
        j = lo;
    }
    note_no_newline(rg, stop, i);
    return stop;
}

/* The first '\n' in [i, stop), or stop when there is none; skips the known span. */
static size_t newline_forward(ak_region *rg, size_t i, size_t stop)
{
    size_t j = i;
    while (j < stop) {
        size_t f = rg->nl_free_from, t = rg->nl_free_to;
        if (t > f && j >= f && j < t) {
            j = t < stop ? t : stop;
            continue;
        }
        size_t hi = t > f && f > j && f < stop ? f : stop;
        const uint8_t *p = memchr(rg->data + j, '\n', hi - j);
        if (p) {
            size_t r = (size_t)(p - rg->data);
            note_no_newline(rg, i, r);
            return r;
        }
        j = hi;
    }
    note_no_newline(rg, i, stop);
    return stop;
}

/* The start of the line `lines` lines before the one holding off, at most limit bytes back. */
static size_t lines_back(ak_region *rg, size_t off, unsigned lines, size_t limit)
{
    size_t stop = off > limit ? off - limit : 0;
    size_t i = off;
    for (unsigned n = 0;; n++) {
        i = after_newline_back(rg, i, stop);
        if (n == lines || i <= stop) return i;
        i--;
    }
}

/* The end of the line `lines` lines after the one holding off, at most limit bytes on. */
static size_t lines_forward(ak_region *rg, size_t off, unsigned lines, size_t limit)
{
    size_t stop = rg->len - off > limit ? off + limit : rg->len;
    size_t i = off;
    for (unsigned n = 0;; n++) {
        i = newline_forward(rg, i, stop);
        if (i >= stop || n == lines) return i;
        i++;
    }
}

/* ---------- fast pass ---------- */

static int on_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                  void *ctx)
{
    (void)from;
    (void)flags;
    ak_hitvec *v = ctx;
    AK_GROW(v->items, v->cap, v->len);
    v->items[v->len].pat = id;
    v->items[v->len].end = (size_t)to;
    v->len++;
    return 0;
}

/* Scans r with one database, appending hits. Vectorscan takes lengths as unsigned int: larger
 * buffers go in slices that overlap by more than the longest literal, and a slice keeps only the
 * hits that end past the previous slice. Ids past n_pats (a foreign cached database, before the
 * self-check rejects it) are dropped. */
static int scan_db(const hs_database_t *db, size_t n_pats, ak_scratch *s, const ak_region *r,
                   ak_hitvec *hits, ak_buf *err)
{
    const size_t slice = (size_t)1 << 30, overlap = 256;
    size_t done = 0, prev_end = 0;
    for (;;) {
        size_t n = r->len - done > slice ? slice : r->len - done;
        size_t before = hits->len;
        if (hs_scan(db, (const char *)r->data + done, (unsigned)n, 0, s->hs, on_hit, hits) !=
            HS_SUCCESS) {
            ak_buf_printf(err, "the fast pass failed");
            return -1;
        }
        size_t keep = before;
        for (size_t i = before; i < hits->len; i++) {
            hits->items[i].end += done;
            if ((done == 0 || hits->items[i].end > prev_end) && hits->items[i].pat < n_pats)
                hits->items[keep++] = hits->items[i];
        }
        hits->len = keep;
        if (done + n >= r->len) return 0;
        prev_end = done + n;
        done += n - overlap;
    }
}

static int fast_pass(const ak_engine *e, ak_scratch *s, const ak_region *r, ak_hitvec *hits,
                     ak_buf *err)
{
    hits->len = 0;
    if (!r->len) return 0;
    if (e->db && scan_db(e->db, e->n_pats, s, r, hits, err)) return -1;
    /* UTF-16 text has a NUL in every other byte and binaries that embed it have NULs in their
     * first bytes; a short look keeps this test from reading most of every small text file */
    if (e->db16 && ak_maybe_utf16(r->data, r->len) && scan_db(e->db16, e->n_pats, s, r, hits, err))
        return -1;
    return 0;
}

/* ---------- components ---------- */

static void add_comp(ak_scratch *s, int rule, int region, size_t off, size_t end, const char *value,
                     size_t vlen, const char *encoding)
{
    AK_GROW(s->comps, s->cap_comps, s->n_comps);
    ak_comp *c = &s->comps[s->n_comps++];
    memset(c, 0, sizeof *c);
    c->rule = rule;
    c->region = region;
    c->off = off;
    c->end = end;
    c->root_off = to_root(s, region, off);
    c->root_end = to_root(s, region, end > off ? end - 1 : end) + 1;
    c->value = ak_strndup(value, vlen);
    c->encoding = encoding;
}

/* When a rule allows base64 values (Kubernetes Secret data), accept the base64 of a credential
 * of the rule's length and report it decoded. */
static int decode_value(const ak_rule *r, ak_buf *tmp, const char **v, size_t *n)
{
    if (!r->value_base64 || !r->length || *n == r->length) return 0;
    ak_buf_reset(tmp);
    ak_base64_decode((const uint8_t *)*v, *n, tmp);
    if (tmp->len != r->length) return -1;
    for (size_t i = 0; i < tmp->len; i++)
        if (!ak_is_alnum((uint8_t)tmp->data[i])) return -1;
    *v = tmp->data;
    *n = tmp->len;
    return 1;
}

static int keep_match(const ak_engine *e, ak_scratch *s, int rule, int region, size_t cs, size_t ce)
{
    const ak_rule *r = &e->rules->items[rule];
    const ak_region *rg = &s->regions[region];
    const char *v = (const char *)rg->data + cs;
    size_t n = ce - cs;
    int dec = decode_value(r, &s->tmp, &v, &n);
    if (dec < 0) return 0;
    if (!e->opts.no_placeholder_filter && (ak_in_template(rg->data, rg->len, cs, ce) ||
                                           !ak_value_passes(r, &e->rules->placeholders, v, n)))
        return 0;
    if (r->role == AK_ROLE_ID && ak_in_presigned_url(rg->data, rg->len, cs, ce)) return 0;
    add_comp(s, rule, region, cs, ce, v, n, dec > 0 ? "base64" : rg->encoding);
    return 1;
}

/* pcre2_jit_match, remembering a rule that ran into a limit (match, depth, heap, JIT stack): its
 * "no match" is not an answer, and the chunk must count as not fully scanned. That rule is not
 * run again in the chunk, so one pathological rule costs one limit per chunk, not one per hit. */
static int run_regex(const ak_engine *e, ak_scratch *s, int rule, const ak_region *rg, size_t len,
                     size_t start)
{
    if (s->limit_rule == rule) return PCRE2_ERROR_NOMATCH;
    int rc = pcre2_jit_match(e->codes[rule], rg->data, len, start, 0, s->md, s->mctx);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && rc != PCRE2_ERROR_PARTIAL && s->limit_rule < 0)
        s->limit_rule = rule;
    return rc;
}

/* The last start of a context word of r whose occurrence lies in [from, to); SIZE_MAX if none. */
static size_t last_context_word(const ak_rule *r, const ak_region *rg, size_t from, size_t to)
{
    size_t last = SIZE_MAX;
    for (size_t k = 0; k < r->context_words.len; k++) {
        const char *w = r->context_words.items[k];
        size_t m = strlen(w);
        /* each word searched backwards from the end: its last start, if later than the best */
        for (size_t i = to; m && i-- > from && (last == SIZE_MAX || i > last);)
            if (i + m <= to && (rg->data[i] | 0x20) == (w[0] | 0x20) &&
                !strncasecmp((const char *)rg->data + i, w, m)) {
                last = i;
                break;
            }
    }
    return last;
}

/* Whether a context word of r lies within its context lines of off. Hits come in order, so the
 * window mostly moves forward: the region remembers the last occurrence in what it has read
 * ([ctx_from, ctx_to)) and reads only the bytes a window gains, which keeps a long line of hits
 * linear instead of re-reading 128 KiB around each. */
static int context_ok(const ak_rule *r, int rule, ak_region *rg, size_t off)
{
    if (!r->context_words.len) return 1;
    size_t ws = lines_back(rg, off, r->context_lines, 64 * 1024);
    size_t we = lines_forward(rg, off, r->context_lines, 64 * 1024);
    size_t longest = 0;
    for (size_t k = 0; k < r->context_words.len; k++)
        if (strlen(r->context_words.items[k]) > longest)
            longest = strlen(r->context_words.items[k]);
    int onward = rg->ctx_rule == rule && ws >= rg->ctx_from && we >= rg->ctx_to;
    size_t from = ws;
    if (onward && rg->ctx_to > ws + longest) from = rg->ctx_to - longest; /* words across ctx_to */
    size_t found = last_context_word(r, rg, from, we);
    if (!onward) {
        rg->ctx_rule = rule;
        rg->ctx_from = ws;
        rg->ctx_last = found;
    } else if (found != SIZE_MAX) {
        rg->ctx_last = found;
    }
    rg->ctx_to = we;
    return rg->ctx_last != SIZE_MAX && rg->ctx_last >= ws;
}

/* Runs rule `rule` anchored at `start`; returns 1 when it matched and the value was kept. */
static int confirm_at(const ak_engine *e, ak_scratch *s, int rule, int region, size_t start)
{
    ak_region *rg = &s->regions[region];
    int rc = run_regex(e, s, rule, rg, rg->len, start);
    if (rc <= 0) return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
    uint32_t g = e->cred_group[rule];
    if (ov[2 * g] == PCRE2_UNSET) return 0;
    /* the context search reads up to 40 lines: only for what the regex already confirmed */
    if (!context_ok(&e->rules->items[rule], rule, rg, start)) return 0;
    return keep_match(e, s, rule, region, ov[2 * g], ov[2 * g + 1]);
}

static int scan_region(const ak_engine *e, ak_scratch *s, int region, ak_buf *err);

static int scan_child(const ak_engine *e, ak_scratch *s, int child, ak_buf *err)
{
    ak_region *c = &s->regions[child];
    c->data = (const uint8_t *)c->owned.data;
    c->len = c->owned.len;
    if (c->len < 8) return 0;
    return scan_region(e, s, child, err);
}

/* base64: find the aligned start of the encoded run around the hit and decode the whole run. */
static int decode_base64_at(const ak_engine *e, ak_scratch *s, int region, const ak_pat *p,
                            size_t start, ak_buf *err)
{
    const ak_region *rg = &s->regions[region];
    if (start < p->b64_lead) return 0;
    if (start >= rg->b64_from && start + p->len <= rg->b64_to) return 0; /* decoded already */
    size_t aligned = start - p->b64_lead, left = aligned, right = start;
    while (left > 0 && aligned - left < 65536 && ak_is_b64(rg->data[left - 1])) left--;
    size_t from = aligned - (aligned - left) / 4 * 4;
    while (right < rg->len && right - from < 1048576 && ak_is_b64(rg->data[right])) right++;
    s->regions[region].b64_from = from;
    s->regions[region].b64_to = right;
    int child = new_region(s, region, "base64");
    ak_region *c = &s->regions[child];
    c->base = from;
    c->num = 4;
    c->den = 3;
    ak_base64_decode(s->regions[region].data + from, right - from, &c->owned);
    return scan_child(e, s, child, err);
}

static int decode_utf16_at(const ak_engine *e, ak_scratch *s, int region, size_t start, ak_buf *err)
{
    const uint8_t *d = s->regions[region].data;
    size_t len = s->regions[region].len, left = start, right = start;
    /* inside the run decoded last (and not at its cut end): decoded already */
    if (start >= s->regions[region].u16_from && start + 16 <= s->regions[region].u16_to) return 0;
    while (left >= 2 && start - left < 65536 && d[left - 1] == 0 && d[left - 2] >= 0x09 &&
           d[left - 2] < 0x7f)
        left -= 2;
    while (right + 1 < len && right - start < 65536 && d[right + 1] == 0 && d[right] >= 0x09 &&
           d[right] < 0x7f)
        right += 2;
    ak_region *rg = &s->regions[region];
    rg->u16_from = left;
    rg->u16_to = right;
    int child = new_region(s, region, "utf16le");
    ak_region *c = &s->regions[child];
    c->base = left;
    c->num = 2;
    for (size_t i = left; i < right; i += 2) ak_buf_putc(&c->owned, (char)d[i]);
    return scan_child(e, s, child, err);
}

static int has_escape_near(const uint8_t *d, size_t len, size_t start, size_t end, uint8_t mark)
{
    size_t a = start > 8 ? start - 8 : 0, b = end + 80 < len ? end + 80 : len;
    return memchr(d + a, mark, b - a) != NULL;
}

/* A quote near the hit (before the line ends, within 1 KiB) that ends a literal joined to the next
 * one. Hits come in order: the region remembers how far it looked from an earlier hit, so a long
 * line of hits reads each byte once, not 1 KiB per hit. */
static int has_join_near(ak_region *rg, size_t start)
{
    size_t b = start + 1024 < rg->len ? start + 1024 : rg->len;
    if (start < rg->join_from || start > rg->join_to) {
        rg->join_from = rg->join_to = start;
        rg->join_stop = 0;
    }
    while (!rg->join_stop && rg->join_to < b) {
        size_t i = rg->join_to;
        if (rg->data[i] == '\n' || ak_join_at(rg->data, rg->len, i))
            rg->join_stop = 1;
        else
            rg->join_to++;
    }
    return rg->join_stop && rg->join_to < b && rg->data[rg->join_to] != '\n';
}

enum { DEC_PERCENT, DEC_ESCAPED, DEC_CONCAT };

/* percent / escaped / concat: decode the hit's line (bounded; concat: up to 16 lines further, for
 * a literal continued over lines) once and scan it again. */
static int decode_line_at(const ak_engine *e, ak_scratch *s, int region, size_t start, size_t end,
                          int how, ak_buf *err)
{
    static const char *const names[] = {"percent", "escaped", "plain"};
    ak_region *rg = &s->regions[region];
    size_t *done = how == DEC_PERCENT   ? &rg->pct_end
                   : how == DEC_ESCAPED ? &rg->esc_end
                                        : &rg->cat_end;
    if (start < *done) return 0;
    size_t ws = lines_back(rg, start, 0, 1024);
    size_t we =
        lines_forward(rg, end, how == DEC_CONCAT ? 16 : 0, how == DEC_CONCAT ? 16384 : 1024);
    *done = we;
    int child = new_region(s, region, names[how]);
    ak_region *c = &s->regions[child];
    const uint8_t *d = s->regions[region].data;
    size_t n = how == DEC_PERCENT   ? ak_percent_decode(d + ws, we - ws, ws, &c->owned, &c->map)
               : how == DEC_ESCAPED ? ak_unescape(d + ws, we - ws, ws, &c->owned, &c->map)
                                    : ak_join_literals(d + ws, we - ws, ws, &c->owned, &c->map);
    if (!n) {
        s->n_regions--; /* nothing was encoded: drop the region */
        return 0;
    }
    return scan_child(e, s, child, err);
}

static int process_pat(const ak_engine *e, ak_scratch *s, int region, const ak_pat *p, size_t end,
                       ak_buf *err)
{
    const ak_rule *r = &e->rules->items[p->rule];
    size_t start = end - p->len;
    unsigned depth = s->regions[region].depth;
    int can_decode = depth < e->opts.max_decode_depth;
    if (p->variant == AK_PAT_BASE64)
        return can_decode ? decode_base64_at(e, s, region, p, start, err) : 0;
    if (p->variant == AK_PAT_UTF16)
        return can_decode ? decode_utf16_at(e, s, region, start, err) : 0;
    const ak_region *rg = &s->regions[region];
    confirm_at(e, s, p->rule, region, start);
    if (!can_decode) return 0;
    if ((r->decoders & AK_DEC_PERCENT) && has_escape_near(rg->data, rg->len, start, end, '%') &&
        decode_line_at(e, s, region, start, end, DEC_PERCENT, err))
        return -1;
    rg = &s->regions[region];
    if ((r->decoders & AK_DEC_ESCAPED) && has_escape_near(rg->data, rg->len, start, end, '\\') &&
        decode_line_at(e, s, region, start, end, DEC_ESCAPED, err))
        return -1;
    rg = &s->regions[region];
    if ((r->decoders & AK_DEC_CONCAT) && has_join_near(&s->regions[region], start))
        return decode_line_at(e, s, region, start, end, DEC_CONCAT, err);
    return 0;
}

static int process_hit(const ak_engine *e, ak_scratch *s, int region, const ak_hit *h, ak_buf *err)
{
    for (unsigned k = h->pat;; k = e->pats[k].next) {
        if (process_pat(e, s, region, &e->pats[k], h->end, err)) return -1;
        if (!e->pats[k].next) return 0;
    }
}

#define NEAR_BACKOFF 256

/* Near rules: search the pairing window around each component of their target rule. Windows of
 * neighbouring components overlap (a line of many IDs): a rule's search resumes where its search in
 * the previous window stopped, so each byte is searched about once. */
static void search_near(const ak_engine *e, ak_scratch *s, int region, size_t first_comp)
{
    const ak_rules *rules = e->rules;
    size_t n = s->n_comps;
    if (first_comp == n) return; /* the usual chunk: no component, nothing to search near */
    size_t *prev_ws = ak_calloc(rules->len, sizeof *prev_ws);
    size_t *done = ak_calloc(rules->len, sizeof *done);
    for (size_t i = first_comp; i < n; i++) {
        if (s->comps[i].region != region) continue;
        for (size_t k = 0; k < rules->len; k++) {
            if (e->near_target[k] != s->comps[i].rule) continue;
            ak_region *rg = &s->regions[region];
            size_t ws = lines_back(rg, s->comps[i].off, e->window, 16 * 1024);
            size_t we = lines_forward(rg, s->comps[i].end, e->window, 16 * 1024);
            /* resume a little before: a value across the previous window's end was cut there */
            int onward = ws >= prev_ws[k] && done[k] > ws + NEAR_BACKOFF;
            size_t pos = onward ? done[k] - NEAR_BACKOFF : ws;
            prev_ws[k] = ws;
            for (; pos < we;) {
                int rc = run_regex(e, s, (int)k, rg, we, pos);
                if (rc <= 0) break;
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
                uint32_t g = e->cred_group[k];
                if (ov[2 * g] != PCRE2_UNSET)
                    keep_match(e, s, (int)k, region, ov[2 * g], ov[2 * g + 1]);
                rg = &s->regions[region];
                pos = ov[1] > pos ? ov[1] : pos + 1;
            }
            if (!onward || we > done[k]) done[k] = we;
        }
    }
    free(prev_ws);
    free(done);
}

static int scan_region(const ak_engine *e, ak_scratch *s, int region, ak_buf *err)
{
    unsigned depth = s->regions[region].depth;
    ak_hitvec *hits = &s->hits[depth];
    size_t first_comp = s->n_comps;
    if (fast_pass(e, s, &s->regions[region], hits, err)) return -1;
    for (size_t i = 0; i < hits->len; i++)
        if (process_hit(e, s, region, &hits->items[i], err)) return -1;
    search_near(e, s, region, first_comp);
    return 0;
}

/* ---------- lines, duplicates ---------- */

static int comp_cmp(const void *pa, const void *pb)
{
    const ak_comp *a = pa, *b = pb;
    if (a->root_off != b->root_off) return a->root_off < b->root_off ? -1 : 1;
    if (a->rule != b->rule) return a->rule < b->rule ? -1 : 1;
    /* the longest reading first (literals joined over a split), then what was found plainly */
    if (a->root_end != b->root_end) return a->root_end > b->root_end ? -1 : 1;
    unsigned da = a->region ? 1 : 0, db = b->region ? 1 : 0;
    if (da != db) return da < db ? -1 : 1;
    return a->region < b->region ? -1 : a->region > b->region;
}

static void drop_comp(ak_scratch *s, size_t i)
{
    free(s->comps[i].value);
    s->comps[i].value = NULL;
}

/* A component decoded from inside a security token (which embeds its own STS ID) is part of that
 * token, not a second credential. */
static int inside_token(const ak_engine *e, const ak_scratch *s, const ak_comp *c)
{
    if (!c->region || e->rules->items[c->rule].role == AK_ROLE_STS_TOKEN) return 0;
    for (size_t i = 0; i < s->n_comps; i++) {
        const ak_comp *t = &s->comps[i];
        if (t->value && e->rules->items[t->rule].role == AK_ROLE_STS_TOKEN &&
            t->root_off <= c->root_off && c->root_end <= t->root_end)
            return 1;
    }
    return 0;
}

/* Each component's line within its own region, counted in one pass per region: components come
 * sorted by root offset, and so by offset within a region (else that region is counted again). */
static void number_region_lines(ak_scratch *s)
{
    if (!s->n_comps) return;
    size_t *pos = ak_calloc(s->n_regions + 1, sizeof *pos);
    uint32_t *line = ak_calloc(s->n_regions + 1, sizeof *line);
    for (size_t i = 0; i < s->n_comps; i++) {
        ak_comp *c = &s->comps[i];
        const uint8_t *d = s->regions[c->region].data;
        size_t *p = &pos[c->region];
        if (c->off < *p) *p = line[c->region] = 0;
        for (const uint8_t *nl; *p < c->off && (nl = memchr(d + *p, '\n', c->off - *p));) {
            line[c->region]++;
            *p = (size_t)(nl - d) + 1;
        }
        if (*p < c->off) *p = c->off;
        c->rline = line[c->region];
    }
    free(pos);
    free(line);
}

/* Sorts by root offset, drops duplicates, parts of tokens and allow-commented components, and
 * numbers lines. */
static void finish_components(const ak_engine *e, ak_scratch *s, const ak_chunk *chunk)
{
    if (s->n_comps > 1) qsort(s->comps, s->n_comps, sizeof *s->comps, comp_cmp);
    const ak_region *root = &s->regions[0];
    size_t keep = 0, line_start = 0, pos = 0, allow_line = SIZE_MAX;
    int allowed = 0;
    uint32_t line = chunk->first_line ? chunk->first_line : 1;
    for (size_t i = 0; i < s->n_comps; i++) {
        ak_comp *c = &s->comps[i];
        for (const uint8_t *nl;
             pos < c->root_off && (nl = memchr(root->data + pos, '\n', c->root_off - pos));) {
            line++;
            pos = (size_t)(nl - root->data) + 1;
            line_start = pos;
        }
        pos = c->root_off > pos ? c->root_off : pos;
        if (line_start != allow_line) { /* once per line: a long line of keys stays linear */
            allow_line = line_start;
            allowed = ak_allowed_inline(root->data, root->len, c->root_off);
        }
        int dup = keep > 0 && s->comps[keep - 1].root_off == c->root_off &&
                  s->comps[keep - 1].rule == c->rule;
        if (dup || allowed || inside_token(e, s, c)) {
            drop_comp(s, i);
            continue;
        }
        c->line = line;
        c->column = (uint32_t)(c->root_off - line_start + 1);
        s->comps[keep++] = *c;
    }
    s->n_comps = keep;
    number_region_lines(s);
}

int ak_engine_components(const ak_engine *e, ak_scratch *s, const ak_chunk *chunk, ak_buf *err)
{
    reset_chunk_state(s);
    int root = new_region(s, -1, "plain");
    ak_region *r = &s->regions[root];
    int decoded =
        ak_maybe_utf16(chunk->data, chunk->len) && ak_looks_utf16le(chunk->data, chunk->len);
    if (decoded) {
        ak_utf16le_decode(chunk->data, chunk->len, 0, &r->owned, &r->map);
        r->map.len = 0; /* the decoded text is the root: lines and columns are counted in it */
        r->data = (const uint8_t *)ak_buf_cstr(&r->owned);
        r->len = r->owned.len;
        r->encoding = "utf16le";
    } else {
        r->data = chunk->data;
        r->len = chunk->len;
    }
    if (scan_region(e, s, root, err)) {
        s->dirty = 1;
        return -1;
    }
    /* the root region is the only one at depth 0: its hits are those of the whole chunk */
    if (decoded || s->hits[0].len) s->dirty = 1;
    finish_components(e, s, chunk);
    return 0;
}

int ak_scratch_take_clean(ak_scratch *s)
{
    int clean = !s->dirty;
    s->dirty = 0;
    return clean;
}

static int on_first(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)id;
    (void)from;
    (void)to;
    (void)flags;
    *(int *)ctx = 1;
    return 1; /* stop */
}

int ak_engine_literal_in(const ak_engine *e, ak_scratch *s, const uint8_t *data, size_t len)
{
    int found = 0;
    if (!e->db || !len) return 0;
    if (len > UINT_MAX) return 1; /* not asked for such windows; say "maybe" */
    hs_error_t rc = hs_scan(e->db, (const char *)data, (unsigned)len, 0, s->hs, on_first, &found);
    if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) return -1;
    return found;
}

int ak_engine_plain_only(const uint8_t *data, size_t len)
{
    return !ak_maybe_utf16(data, len);
}

size_t ak_engine_max_literal(const ak_engine *e)
{
    return e->max_literal;
}

int ak_engine_scan(const ak_engine *e, ak_scratch *s, const ak_chunk *chunk, ak_findings *out,
                   ak_buf *err)
{
    if (ak_engine_components(e, s, chunk, err)) return -1;
    ak_pair_components(e, s, chunk, out);
    int limit = s->limit_rule;
    reset_chunk_state(s);
    if (limit < 0) return 0;
    ak_buf_printf(err, "%s: rule '%s' hit the regular expression match limit; not fully scanned",
                  chunk->path ? chunk->path : "-", e->rules->items[limit].id);
    return -1;
}
