/*
 * Attribution of history findings to commits. The walk already knows the rank of the first commit
 * that holds each blob (git_walk.c); here findings are reduced to one report per credential and
 * location (a key that survived fifty edits of a file lives in fifty blobs, but was introduced
 * once) and only the surviving findings pay for reading commit metadata.
 */
#include "sources/git_int.h"
#include "util/mem.h"

#include <string.h>

typedef struct ranked {
    ak_finding *f;
    uint32_t rank;
    size_t pos;
} ranked;

static int cmp_null(const char *a, const char *b)
{
    if (!a || !b) return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* By fingerprint, then earliest commit, then blob, so the head of each group is the finding's
 * introduction and the order never depends on thread timing. */
static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    int c = strcmp(a->f->fingerprint, b->f->fingerprint);
    if (!c) c = (a->rank > b->rank) - (a->rank < b->rank);
    if (!c) c = cmp_null(a->f->blob, b->f->blob);
    if (!c) c = (a->pos > b->pos) - (a->pos < b->pos);
    return c;
}

static void mark_kept(ranked *r, size_t n, uint8_t *keep)
{
    for (size_t g = 0; g < n;) {
        size_t e = g;
        while (e < n && !strcmp(r[e].f->fingerprint, r[g].f->fingerprint)) {
            keep[r[e].pos] = r[e].rank == r[g].rank && !cmp_null(r[e].f->blob, r[g].f->blob);
            e++;
        }
        g = e;
    }
}

void ak_git_attribute(git_repository *repo, const git_oid *order, size_t n_order,
                      ak_findings *found, uint32_t *ranks)
{
    size_t n = found->len;
    if (!n) return;
    ranked *r = ak_malloc(n * sizeof *r);
    uint8_t *keep = ak_calloc(n, 1);
    for (size_t i = 0; i < n; i++) r[i] = (ranked){&found->items[i], ranks[i], i};
    qsort(r, n, sizeof *r, ranked_cmp);
    mark_kept(r, n, keep);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i]) {
            ak_finding_free(&found->items[i]);
            continue;
        }
        ak_finding *f = &found->items[i];
        if (ranks[i] != AK_RANK_NONE && ranks[i] < n_order && !f->commit)
            f->commit = ak_git_commit_info(repo, &order[ranks[i]]);
        ranks[out] = ranks[i];
        found->items[out++] = *f;
    }
    found->len = out;
    free(r);
    free(keep);
}
