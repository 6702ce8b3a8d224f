/*
 * Pairing: joins the components found in one chunk into findings. An AccessKey ID takes the
 * secrets within the window (nearest first; a keyword-assigned secret and one written after the
 * ID win ties), at most AK_MAX_CANDIDATES of them, so validation can try each; an STS ID also takes
 * the nearest security token. Each secret is the primary secret of at most one ID when there is a
 * choice. Work is bounded: candidates are searched in a window of the sorted component list.
 * The window is in lines, and also in bytes (AK_PAIR_MAX_BYTES), so a minified file's one long
 * line does not pair everything on it, and a file scanned in windows pairs as one scanned whole.
 */
#include "detect/engine_int.h"
#include "detect/filter.h"
#include "util/clock.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#define AK_MAX_CANDIDATES 8

typedef struct cand {
    size_t comp;
    unsigned dist;
    int keyword; /* found by a keyword rule (not a near rule) */
    int after;   /* written after the ID */
} cand;

typedef struct joined {
    size_t id;
    cand cands[AK_MAX_CANDIDATES];
    size_t n_cands;
    long token; /* comp index or -1 */
    long primary;
} joined;

unsigned ak_comp_distance(const ak_comp *a, const ak_comp *b)
{
    if (a->region == b->region && a->region != 0)
        return a->rline > b->rline ? a->rline - b->rline : b->rline - a->rline;
    return a->line > b->line ? a->line - b->line : b->line - a->line;
}

static int part_of(const ak_engine *e, const ak_rule *c, int rule, int part)
{
    size_t ci = (size_t)(c - e->rules->items);
    return (e->parts[ci * e->rules->len + (size_t)rule] & part) != 0;
}

static int overlaps(const ak_comp *a, const ak_comp *b)
{
    return a->root_off < b->root_end && b->root_off < a->root_end;
}

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->dist != b->dist) return a->dist < b->dist ? -1 : 1;
    if (a->keyword != b->keyword) return b->keyword - a->keyword;
    if (a->after != b->after) return b->after - a->after;
    return a->comp < b->comp ? -1 : a->comp > b->comp;
}

/* Components are sorted by root offset, hence by line: scan outwards from the ID and stop once
 * lines are out of the window. */
#define PAIR_LOOK 256

static void find_candidates(const ak_engine *e, const ak_scratch *s, const ak_rule *c, joined *j)
{
    const ak_comp *id = &s->comps[j->id];
    unsigned best_token = ~0u;
    cand all[64] = {{0}};
    size_t n = 0;
    for (int dir = -1; dir <= 1; dir += 2) {
        /* at most PAIR_LOOK components each way: a line of thousands of keys stays linear */
        long stop = (long)j->id + dir * PAIR_LOOK;
        for (long k = (long)j->id + dir; k >= 0 && k < (long)s->n_comps && k != stop; k += dir) {
            const ak_comp *o = &s->comps[k];
            unsigned lines = o->line > id->line ? o->line - id->line : id->line - o->line;
            if (lines > e->window && o->region == 0) break;
            size_t bytes = o->root_off > id->root_off ? o->root_off - id->root_off
                                                      : id->root_off - o->root_off;
            if (bytes > AK_PAIR_MAX_BYTES) break;
            if (overlaps(o, id)) continue;
            unsigned dist = ak_comp_distance(id, o);
            if (dist > e->window && o->region == id->region) break; /* the rest are further */
            if (dist > e->window) continue;
            if (part_of(e, c, o->rule, AK_PART_TOKEN) && dist < best_token) {
                best_token = dist;
                j->token = k;
            } else if (part_of(e, c, o->rule, AK_PART_SECRET) && n < 64) {
                cand x = {(size_t)k, dist, e->near_target[o->rule]<0, dir> 0};
                all[n++] = x;
            }
        }
    }
    qsort(all, n, sizeof *all, cand_cmp);
    for (size_t i = 0; i < n && j->n_cands < AK_MAX_CANDIDATES; i++) {
        int dup = 0; /* the same secret found by two rules counts once */
        for (size_t q = 0; q < j->n_cands; q++)
            dup |= !strcmp(s->comps[j->cands[q].comp].value, s->comps[all[i].comp].value);
        if (!dup) j->cands[j->n_cands++] = all[i];
    }
}

typedef struct edge {
    size_t joined;
    cand c;
} edge;

static int edge_cmp(const void *pa, const void *pb)
{
    const edge *a = pa, *b = pb;
    int c = cand_cmp(&a->c, &b->c);
    if (c) return c;
    return a->joined < b->joined ? -1 : a->joined > b->joined;
}

/* Each secret is the primary of at most one ID when there is a choice; an ID whose candidates
 * were all taken by nearer IDs still gets its nearest one (validation tells which is right). */
static void assign_primaries(ak_scratch *s, joined *js, size_t n)
{
    size_t n_edges = 0;
    for (size_t i = 0; i < n; i++) n_edges += js[i].n_cands;
    edge *edges = ak_calloc(n_edges ? n_edges : 1, sizeof *edges);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t q = 0; q < js[i].n_cands; q++) edges[k++] = (edge){i, js[i].cands[q]};
    qsort(edges, n_edges, sizeof *edges, edge_cmp);
    for (size_t i = 0; i < n_edges; i++) {
        joined *j = &js[edges[i].joined];
        ak_comp *sec = &s->comps[edges[i].c.comp];
        if (j->primary >= 0 || sec->used == 2) continue;
        j->primary = (long)edges[i].c.comp;
        sec->used = 2;
    }
    for (size_t i = 0; i < n; i++)
        if (js[i].primary < 0 && js[i].n_cands) js[i].primary = (long)js[i].cands[0].comp;
    free(edges);
}

static void base_finding(ak_finding *f, const ak_chunk *chunk, const ak_comp *at, const char *rule,
                         ak_kind kind)
{
    memset(f, 0, sizeof *f);
    f->rule = ak_strdup(rule);
    f->kind = kind;
    f->path = ak_strdup(chunk->path ? chunk->path : "-");
    f->blob = ak_strdup(chunk->blob);
    f->line = at->line;
    f->column = at->column;
    f->encoding = at->encoding;
}

/* STS credentials shown beside an Expiration that has passed are dead by their own words: the
 * verdict is `expired` without a network call (they do not fail a scan: README). */
static void mark_expired(const ak_engine *e, const ak_scratch *s, const ak_comp *at, ak_finding *f)
{
    const ak_region *root = &s->regions[0];
    long long t = ak_expiration_near(root->data, root->len, at->root_off, e->window);
    if (t < 0 || (time_t)t >= ak_now()) return;
    char when[21];
    ak_iso8601(when, (time_t)t);
    ak_validation *v = ak_calloc(1, sizeof *v);
    v->status = AK_VAL_EXPIRED;
    ak_buf d = AK_BUF_INIT;
    ak_buf_printf(&d, "Expiration %s has passed (read from the file, not checked live)", when);
    v->detail = ak_buf_detach(&d);
    f->validation = v;
}

static int same_str(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* One STS credential written twice in a file (a test fixture with its Expiration, then the test
 * asserting the same values further down) is one dead sample: when a copy stands beside an
 * Expiration that has passed, every copy of it in the file is expired. */
static void share_expired(ak_findings *out, size_t first)
{
    for (size_t i = first; i < out->len; i++) {
        const ak_finding *dead = &out->items[i];
        if (!dead->validation || dead->validation->status != AK_VAL_EXPIRED) continue;
        for (size_t j = first; j < out->len; j++) {
            ak_finding *f = &out->items[j];
            if (f->validation || f->kind != AK_KIND_STS_CREDENTIALS) continue;
            if (!same_str(f->access_key_id, dead->access_key_id) &&
                !same_str(f->secret, dead->secret) &&
                !same_str(f->security_token, dead->security_token))
                continue;
            f->validation = ak_calloc(1, sizeof *f->validation);
            f->validation->status = AK_VAL_EXPIRED;
            f->validation->detail = ak_strdup(dead->validation->detail);
        }
    }
}

static void emit_joined(const ak_engine *e, const ak_scratch *s, const ak_chunk *chunk,
                        const ak_rule *c, const joined *j, ak_findings *out)
{
    ak_finding f;
    const ak_comp *id = &s->comps[j->id];
    base_finding(&f, chunk, id, c->id,
                 c->role == AK_ROLE_STS ? AK_KIND_STS_CREDENTIALS : AK_KIND_ACCESS_KEY_PAIR);
    f.access_key_id = ak_strdup(id->value);
    if (j->primary >= 0) f.secret = ak_strdup(s->comps[j->primary].value);
    if (j->token >= 0) f.security_token = ak_strdup(s->comps[j->token].value);
    if (j->n_cands > 1) f.candidates = ak_calloc(j->n_cands, sizeof(char *));
    for (size_t q = 0; q < j->n_cands; q++)
        if ((long)j->cands[q].comp != j->primary)
            f.candidates[f.n_candidates++] = ak_strdup(s->comps[j->cands[q].comp].value);
    if (c->role == AK_ROLE_STS) mark_expired(e, s, id, &f);
    ak_finding_fingerprint_at(&f, chunk->fingerprint_path ? chunk->fingerprint_path : f.path);
    ak_findings_push(out, &f);
}

static void join_composite(const ak_engine *e, ak_scratch *s, const ak_chunk *chunk,
                           const ak_rule *c, ak_findings *out)
{
    int id_rule = ak_rules_index(e->rules, c->part_id);
    size_t n = 0;
    for (size_t i = 0; i < s->n_comps; i++) n += s->comps[i].rule == id_rule;
    if (!n) return;
    joined *js = ak_calloc(n, sizeof *js);
    size_t k = 0;
    for (size_t i = 0; i < s->n_comps; i++) {
        if (s->comps[i].rule != id_rule) continue;
        js[k] = (joined){.id = i, .token = -1, .primary = -1};
        find_candidates(e, s, c, &js[k]);
        k++;
    }
    assign_primaries(s, js, n);
    for (size_t i = 0; i < n; i++) {
        if (js[i].primary < 0 && js[i].token < 0) continue;
        emit_joined(e, s, chunk, c, &js[i], out);
        s->comps[js[i].id].used = 1;
        if (js[i].token >= 0) s->comps[js[i].token].used = 1;
        for (size_t q = 0; q < js[i].n_cands; q++) s->comps[js[i].cands[q].comp].used = 1;
    }
    free(js);
}

static ak_kind alone_kind(ak_role role)
{
    switch (role) {
    case AK_ROLE_ID:
        return AK_KIND_ACCESS_KEY_ID;
    case AK_ROLE_SECRET:
        return AK_KIND_ACCESS_KEY_SECRET;
    default:
        return AK_KIND_STS_CREDENTIALS;
    }
}

static void emit_alone(const ak_engine *e, const ak_scratch *s, const ak_chunk *chunk,
                       const ak_comp *comp, ak_findings *out)
{
    const ak_rule *r = &e->rules->items[comp->rule];
    ak_finding f;
    base_finding(&f, chunk, comp, r->id, alone_kind(r->role));
    if (r->role == AK_ROLE_ID || r->role == AK_ROLE_STS_ID)
        f.access_key_id = ak_strdup(comp->value);
    else if (r->role == AK_ROLE_STS_TOKEN)
        f.security_token = ak_strdup(comp->value);
    else
        f.secret = ak_strdup(comp->value);
    if (f.kind == AK_KIND_STS_CREDENTIALS) mark_expired(e, s, comp, &f);
    ak_finding_fingerprint_at(&f, chunk->fingerprint_path ? chunk->fingerprint_path : f.path);
    ak_findings_push(out, &f);
}

/* The same text found by two rules of one role (a specific and a generic keyword, or a keyword
 * and a near rule; an STS name and an Alibaba Cloud name) is one component: once either copy joined
 * a finding, the other is used too, and of unused copies only the first is reported. Components are
 * sorted by root offset, so the copies are neighbours. */
static ak_role role_class(ak_role r)
{
    return r == AK_ROLE_STS_SECRET ? AK_ROLE_SECRET : r; /* a secret is a secret, STS or not */
}

static int same_text(const ak_rules *rules, const ak_comp *a, const ak_comp *b)
{
    return a->root_off == b->root_off &&
           role_class(rules->items[a->rule].role) == role_class(rules->items[b->rule].role);
}

static void share_used(const ak_rules *rules, ak_scratch *s)
{
    for (int pass = 0; pass < 2; pass++) /* forwards, then backwards, so a run shares both ways */
        for (size_t i = 1; i < s->n_comps; i++) {
            ak_comp *a = &s->comps[pass ? s->n_comps - i - 1 : i - 1];
            ak_comp *b = &s->comps[pass ? s->n_comps - i : i];
            if (same_text(rules, a, b) && (a->used || b->used)) a->used = b->used = 1;
        }
}

void ak_pair_components(const ak_engine *e, ak_scratch *s, const ak_chunk *chunk, ak_findings *out)
{
    const ak_rules *rules = e->rules;
    size_t first = out->len;
    for (size_t i = 0; i < rules->len; i++)
        if (ak_role_is_composite(rules->items[i].role))
            join_composite(e, s, chunk, &rules->items[i], out);
    share_used(rules, s);
    const ak_comp *last = NULL;
    for (size_t i = 0; i < s->n_comps; i++) {
        const ak_comp *c = &s->comps[i];
        if (c->used || !rules->items[c->rule].report_alone) continue;
        if (last && same_text(rules, last, c)) continue;
        emit_alone(e, s, chunk, c, out);
        last = c;
    }
    share_expired(out, first);
}
