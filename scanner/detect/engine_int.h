/*
 * Engine internals shared by engine.c (compile + fast pass + decoding), pair.c (joining
 * components into findings) and the `rules test` command. Not part of the public API.
 */
#ifndef AK_DETECT_ENGINE_INT_H
#define AK_DETECT_ENGINE_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include "detect/decode.h"
#include "detect/detect.h"
#include "detect/rules.h"

#include <hs/hs.h>
#include <pcre2.h>

enum { AK_PAT_PLAIN, AK_PAT_KEYWORD, AK_PAT_BASE64, AK_PAT_UTF16 };
enum { AK_PART_SECRET = 1, AK_PART_TOKEN = 2 };

typedef struct ak_pat {
    int rule;
    uint8_t variant;
    uint8_t len;
    uint8_t b64_lead; /* base64 variant: characters between the aligned group start and the hit */
    /* The same literal wanted by several rules is compiled once: the first pattern's hit also
     * runs the rules of `next` (a later index, 0 = none); `alias` marks those not compiled. */
    uint8_t alias;
    unsigned next;
} ak_pat;

struct ak_engine {
    const ak_rules *rules;
    ak_engine_opts opts;
    hs_database_t *db;   /* NULL when no rule has anchors or keywords */
    hs_database_t *db16; /* UTF-16LE forms of anchors; NULL when none */
    ak_pat *pats;
    size_t n_pats;
    pcre2_code **codes; /* per rule; NULL for composite rules */
    uint32_t *cred_group;
    int *near_target; /* per rule: index of the rule it is searched near, or -1 */
    /* parts[c * n_rules + r]: what rule r is to composite rule c (AK_PART_*), resolved once so
     * pairing does not look rule ids up by name for every candidate */
    uint8_t *parts;
    unsigned window;    /* pairing window in lines */
    size_t max_literal; /* the longest literal of db, in bytes */
};

/* A region is the root buffer of a chunk or a decoded piece of a parent region. */
typedef struct ak_region {
    const uint8_t *data;
    size_t len;
    ak_buf owned;  /* decoded bytes (data points here) for non-root regions */
    ak_u32vec map; /* parent offset of each byte; empty means linear: base + i * num / den */
    size_t base;
    unsigned num, den;
    int parent; /* -1 for the root */
    unsigned depth;
    const char *encoding;
    /* decoding already done in this region, so several hits do not decode the same text twice */
    size_t pct_end, esc_end, cat_end;
    size_t b64_from, b64_to, u16_from, u16_to; /* the last base64 / UTF-16 run decoded */
    /* a span known to hold no '\n': line lookups on one long line cost O(line), not O(cap) each */
    size_t nl_free_from, nl_free_to;
    /* [join_from, join_to) holds no '\n' and no literal join; join_stop: one of them is at join_to
     */
    size_t join_from, join_to;
    int join_stop;
    /* the context words of rule ctx_rule: the last occurrence (start; SIZE_MAX: none) in
     * [ctx_from, ctx_to), for windows that move forward along the region */
    int ctx_rule;
    size_t ctx_from, ctx_to, ctx_last;
} ak_region;

typedef struct ak_comp {
    int rule;
    int region;
    size_t off, end;           /* in the region */
    size_t root_off, root_end; /* in the root buffer */
    uint32_t line, column;     /* in the root buffer, 1-based */
    uint32_t rline;            /* line within its own region (decoded text has its own lines) */
    char *value;
    const char *encoding;
    int used;
} ak_comp;

typedef struct ak_hit {
    unsigned pat;
    size_t end;
} ak_hit;

typedef struct ak_hitvec {
    ak_hit *items;
    size_t len, cap;
} ak_hitvec;

#define AK_MAX_DEPTH 4

struct ak_scratch {
    const ak_engine *engine;
    hs_scratch_t *hs;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    ak_hitvec hits[AK_MAX_DEPTH + 1];
    ak_region *regions;
    size_t n_regions, cap_regions;
    ak_comp *comps;
    size_t n_comps, cap_comps;
    ak_buf tmp;
    int limit_rule; /* first rule whose match hit a PCRE2 limit in this chunk, or -1 */
    int dirty;      /* a chunk since ak_scratch_take_clean had a hit or was decoded as UTF-16 */
};

/* Runs the fast pass, confirmation, decoders and near rules over a chunk, leaving the surviving
 * components (lines computed, sorted by root offset, duplicates dropped) in scratch->comps. */
int ak_engine_components(const ak_engine *e, ak_scratch *s, const ak_chunk *chunk, ak_buf *err);
/* Joins scratch->comps into findings (pair.c). */
void ak_pair_components(const ak_engine *e, ak_scratch *s, const ak_chunk *chunk, ak_findings *out);
/* Lines between two components, capped at cap+1. */
unsigned ak_comp_distance(const ak_comp *a, const ak_comp *b);

#endif
