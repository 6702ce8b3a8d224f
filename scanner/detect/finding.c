/* Findings: ownership, ordering and fingerprints. See finding.h. */
#include "detect/finding.h"
#include "util/mem.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[AK_KIND__COUNT] = {"access_key_pair", "access_key_id",
                                                       "access_key_secret", "sts_credentials"};

static const char *const val_names[] = {"none",      "valid",   "wrong_secret", "inactive",
                                        "not_found", "expired", "unknown"};

const char *ak_kind_name(ak_kind kind)
{
    return (unsigned)kind < AK_KIND__COUNT ? kind_names[kind] : NULL;
}

int ak_kind_parse(const char *name)
{
    for (int i = 0; i < AK_KIND__COUNT; i++)
        if (name && strcmp(name, kind_names[i]) == 0) return i;
    return -1;
}

const char *ak_val_status_name(ak_val_status status)
{
    return (unsigned)status <= AK_VAL_UNKNOWN ? val_names[status] : "unknown";
}

int ak_val_status_parse(const char *name)
{
    for (int i = 0; i <= AK_VAL_UNKNOWN; i++)
        if (name && strcmp(name, val_names[i]) == 0) return i;
    return -1;
}

void ak_findings_push(ak_findings *list, ak_finding *f)
{
    AK_GROW(list->items, list->cap, list->len);
    list->items[list->len++] = *f;
    memset(f, 0, sizeof *f);
}

void ak_findings_move(ak_findings *dst, ak_findings *src)
{
    for (size_t i = 0; i < src->len; i++) ak_findings_push(dst, &src->items[i]);
    free(src->items);
    memset(src, 0, sizeof *src);
}

static int strcmp_null(const char *a, const char *b)
{
    if (!a || !b) return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

int ak_finding_cmp(const ak_finding *a, const ak_finding *b)
{
    int c = strcmp_null(a->repository, b->repository);
    if (!c) c = strcmp_null(a->path, b->path);
    if (!c) c = (a->line > b->line) - (a->line < b->line);
    if (!c) c = (a->column > b->column) - (a->column < b->column);
    if (!c) c = strcmp_null(a->rule, b->rule);
    if (!c) c = strcmp(a->fingerprint, b->fingerprint);
    if (!c) c = strcmp_null(a->blob, b->blob);
    return c;
}

static int finding_cmp(const void *pa, const void *pb)
{
    return ak_finding_cmp(pa, pb);
}

void ak_findings_sort(ak_findings *list)
{
    if (list->len > 1) qsort(list->items, list->len, sizeof *list->items, finding_cmp);
}

void ak_commit_info_free(ak_commit_info *c)
{
    if (!c) return;
    free(c->id);
    free(c->author);
    free(c->email);
    free(c->date);
    free(c->summary);
    free(c);
}

ak_commit_info *ak_commit_info_new(const char *id, const char *author, const char *email,
                                   const char *date, const char *summary)
{
    ak_commit_info *c = ak_calloc(1, sizeof *c);
    c->id = ak_strdup(id);
    c->author = ak_strdup(author);
    c->email = ak_strdup(email);
    c->date = ak_strdup(date);
    c->summary = ak_strdup(summary);
    return c;
}

void ak_validation_free(ak_validation *v)
{
    if (!v) return;
    free(v->identity_type);
    free(v->account_id);
    free(v->arn);
    free(v->principal_id);
    free(v->checked_at);
    free(v->detail);
    free(v->lu_source);
    free(v->lu_read_at);
    free(v->lu_date);
    free(v);
}

/* Overwrites secret bytes before freeing, so they do not linger in freed heap memory. */
static void free_secret(char *s)
{
    if (!s) return;
    volatile char *p = s;
    while (*p) *p++ = 0;
    free(s);
}

void ak_finding_free(ak_finding *f)
{
    if (!f) return;
    free(f->rule);
    free(f->access_key_id);
    free_secret(f->secret);
    free_secret(f->security_token);
    for (size_t i = 0; i < f->n_candidates; i++) free_secret(f->candidates[i]);
    free(f->candidates);
    free(f->path);
    free(f->blob);
    ak_commit_info_free(f->commit);
    free(f->repository);
    free(f->link);
    free(f->first_seen);
    free(f->last_seen);
    ak_validation_free(f->validation);
    memset(f, 0, sizeof *f);
}

void ak_findings_free(ak_findings *list)
{
    for (size_t i = 0; i < list->len; i++) ak_finding_free(&list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void ak_sha256_hex(const char *s, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL);
    hex(md, 32, out);
}

static void update_field(EVP_MD_CTX *ctx, const char *s)
{
    /* Each field is followed by a separator byte that cannot occur in it, so fields cannot run
     * together ("ab"+"c" and "a"+"bc" hash differently). */
    if (s) EVP_DigestUpdate(ctx, s, strlen(s));
    EVP_DigestUpdate(ctx, "\x1f", 1);
}

void ak_finding_fingerprint(ak_finding *f)
{
    ak_finding_fingerprint_at(f, f->path);
}

void ak_finding_fingerprint_at(ak_finding *f, const char *path)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    update_field(ctx, f->rule);
    update_field(ctx, ak_kind_name(f->kind));
    update_field(ctx, f->access_key_id);
    update_field(ctx, f->secret);
    update_field(ctx, f->security_token);
    update_field(ctx, f->repository);
    update_field(ctx, path);
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    hex(md, 32, f->fingerprint);
}

void ak_redact(const char *secret, char *out, size_t outlen)
{
    size_t n = secret ? strlen(secret) : 0;
    if (outlen == 0) return;
    if (n < 12) {
        snprintf(out, outlen, "***");
        return;
    }
    snprintf(out, outlen, "%.3s...%s", secret, secret + n - 2);
}

void ak_finding_scope(ak_finding *f)
{
    if (!f->repository) return;
    size_t rl = strlen(f->repository);
    char *s = ak_malloc(rl + 66);
    memcpy(s, f->repository, rl);
    s[rl] = '\n';
    memcpy(s + rl + 1, f->fingerprint, 65);
    ak_sha256_hex(s, rl + 65, f->repo_fingerprint);
    free(s);
}

const char *ak_status_intern(const char *s)
{
    static const char *const names[] = {"new", "open", "resolved", "reappeared"};
    for (size_t i = 0; s && i < sizeof names / sizeof *names; i++)
        if (!strcmp(s, names[i])) return names[i];
    return NULL;
}
