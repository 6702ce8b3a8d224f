/*
 * The pack reader against git itself: a repository built with the git CLI (many versions of a few
 * files, so `git repack` makes long delta chains, both OFS_DELTA and REF_DELTA packs), every blob
 * produced by the batch on two threads and every object read on demand must hash to its id, as
 * `git cat-file` would give it; a damaged entry must be reported as not produced, never crash.
 */
#include "testutil.h"

#include "sources/git_pack.h"

#include <git2.h>
#include <pthread.h>
#include <stdatomic.h>

static char *dir;

typedef struct objs {
    git_oid *ids;
    git_object_t *types;
    size_t n;
} objs;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* Five files edited 80 times (lines inserted, replaced and dropped), one large file whose
 * versions share copies longer than 64 KiB, an empty file, and the same content at two paths. */
static const char build_script[] =
    "set -e; export GIT_CONFIG_NOSYSTEM=1 HOME=\"$R\" GIT_AUTHOR_NAME=T GIT_COMMITTER_NAME=T "
    "GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_EMAIL=t@example.org; "
    "git init -q \"$R/w\"; cd \"$R/w\"; : > empty; seq 1 30000 > big; "
    "for f in a b c d e; do seq 1 200 | sed \"s/^/$f line /\" > $f.txt; done; "
    "for i in $(seq 1 80); do for f in a b c d e; do "
    "  sed -i \"$(( (i * 7) % 150 + 1 ))s/.*/$f edit $i/\" $f.txt; "
    "  echo \"$f added $i\" >> $f.txt; "
    "  [ $((i % 9)) = 0 ] && sed -i '3d' $f.txt; done; "
    "  [ $((i % 10)) = 0 ] && { echo \"big $i\" >> big; sed -i \"$i s/$/ x/\" big; }; "
    "  [ $i = 40 ] && cp a.txt copy-of-a.txt; "
    "  git add -A; git commit -qm \"version $i\"; done; ";

static void build_repo(void)
{
    dir = tu_tmpdir();
    assert_int_equal(sh("R='%s'; %s git repack -adfq --depth=50 --window=50", dir, build_script),
                     0);
}

static objs list_objects(const char *repo)
{
    objs o = {0};
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "git -C '%s' cat-file --batch-all-objects --batch-check='%%(objectname) "
             "%%(objecttype)'",
             repo);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char hex[64], type[16];
    size_t cap = 0;
    while (fscanf(f, "%63s %15s", hex, type) == 2) {
        if (o.n == cap) {
            cap = cap ? 2 * cap : 256;
            o.ids = realloc(o.ids, cap * sizeof *o.ids);
            o.types = realloc(o.types, cap * sizeof *o.types);
        }
        assert_int_equal(git_oid_fromstr(&o.ids[o.n], hex), 0);
        o.types[o.n++] = git_object_string2type(type);
    }
    pclose(f);
    assert_true(o.n > 100);
    return o;
}

static void free_objs(objs *o)
{
    free(o->ids);
    free(o->types);
}

static ak_packs *open_packs(const char *repo)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/.git/objects", repo);
    ak_packs *ps;
    ak_packs_open(&ps, path);
    return ps;
}

/* ---------- the batch ---------- */

typedef struct run_ctx {
    const ak_packs *ps;
    const git_oid *want_ids; /* by wanted number */
    atomic_int *emitted;     /* by wanted number */
    atomic_int bad_hash;
    atomic_int deltas; /* blobs emitted with their seams */
    atomic_size_t next_task;
    size_t n_tasks, budget;
} run_ctx;

/* Calls every blob clean, so deltas come with their seams, which must be ranges in order within
 * the blob. */
static int emit(void *ctx, unsigned worker, uint32_t want, const uint8_t *data, size_t len,
                const ak_pdelta *d)
{
    run_ctx *c = ctx;
    (void)worker;
    git_oid h;
    if (git_odb_hash(&h, data, len, GIT_OBJECT_BLOB) || git_oid_cmp(&h, &c->want_ids[want]))
        atomic_fetch_add(&c->bad_hash, 1);
    atomic_fetch_add(&c->emitted[want], 1);
    for (size_t i = 0; d && i < d->n; i++)
        if (d->at[2 * i] > d->at[2 * i + 1] || d->at[2 * i + 1] > len ||
            (i && d->at[2 * i] <= d->at[2 * i - 1]))
            atomic_fetch_add(&c->bad_hash, 1);
    if (d) atomic_fetch_add(&c->deltas, 1);
    return 1;
}

static void *run_thread(void *arg)
{
    run_ctx *c = arg;
    ak_pwork *w = ak_pwork_new(c->budget);
    for (size_t t; (t = atomic_fetch_add(&c->next_task, 1)) < c->n_tasks;)
        ak_packs_run(c->ps, t, w, emit, c, 0);
    ak_pwork_free(w);
    return NULL;
}

/* Wants every blob of `repo`, runs the plan on two threads each holding at most `budget` bytes
 * of bases; returns how many were produced. */
static size_t run_all(const char *repo, const objs *o, size_t budget, git_oid **ids_out,
                      atomic_int **emitted)
{
    ak_packs *ps = open_packs(repo);
    assert_non_null(ps);
    git_oid *ids = calloc(o->n, sizeof *ids);
    uint32_t n = 0;
    for (size_t i = 0; i < o->n; i++) {
        if (o->types[i] != GIT_OBJECT_BLOB) continue;
        assert_int_equal(ak_packs_want(ps, &o->ids[i], n), 1);
        ids[n++] = o->ids[i];
    }
    run_ctx c = {
        .ps = ps, .want_ids = ids, .emitted = calloc(n, sizeof(atomic_int)), .budget = budget};
    c.n_tasks = ak_packs_plan(ps);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, run_thread, &c);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&c.bad_hash), 0);
    assert_true(atomic_load(&c.deltas) > 0); /* the repositories here have blob deltas */
    size_t produced = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert_true(atomic_load(&c.emitted[i]) <= 1); /* never twice */
        produced += atomic_load(&c.emitted[i]) == 1;
    }
    ak_packs_free(ps);
    *ids_out = ids;
    *emitted = c.emitted;
    return produced;
}

static size_t count_blobs(const objs *o)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++) n += o->types[i] == GIT_OBJECT_BLOB;
    return n;
}

static void check_batch(const char *repo)
{
    objs o = list_objects(repo);
    /* ample memory, then so little that every base is dropped and rebuilt */
    for (size_t budget = 64 << 20; budget; budget = budget > 1 ? 1 : 0) {
        git_oid *ids;
        atomic_int *emitted;
        assert_int_equal(run_all(repo, &o, budget, &ids, &emitted), count_blobs(&o));
        free(ids);
        free(emitted);
    }
    free_objs(&o);
}

static void test_batch_ofs_delta(void **state)
{
    (void)state;
    char repo[1024];
    snprintf(repo, sizeof repo, "%s/w", dir);
    check_batch(repo);
}

static void test_batch_ref_delta(void **state)
{
    (void)state;
    assert_int_equal(sh("cd '%s' && cp -r w ref && git -C ref -c repack.useDeltaBaseOffset=false "
                        "repack -adfq --depth=50",
                        dir),
                     0);
    char repo[1024];
    snprintf(repo, sizeof repo, "%s/ref", dir);
    check_batch(repo);
}

/* ---------- on demand ---------- */

static void test_read_every_object(void **state)
{
    (void)state;
    char repo[1024];
    snprintf(repo, sizeof repo, "%s/w", dir);
    objs o = list_objects(repo);
    ak_packs *ps = open_packs(repo);
    ak_pread *r = ak_pread_new(ps, 64 << 10); /* small: evictions happen */
    for (int pass = 0; pass < 2; pass++)      /* oid order, then the reverse */
        for (size_t k = 0; k < o.n; k++) {
            size_t i = pass ? o.n - 1 - k : k;
            ak_pobj obj;
            assert_int_equal(ak_pread_get(r, &o.ids[i], &obj), 0);
            assert_int_equal(obj.type, o.types[i]);
            git_oid h;
            assert_int_equal(git_odb_hash(&h, obj.data, obj.len, (git_object_t)obj.type), 0);
            assert_true(git_oid_equal(&h, &o.ids[i]));
            ak_pread_put(r, &obj);
        }
    git_oid none;
    memset(&none, 0x5a, sizeof none);
    ak_pobj obj;
    assert_int_equal(ak_pread_get(r, &none, &obj), 1);
    ak_pread_free(r);
    ak_packs_free(ps);
    free_objs(&o);
}

/* ---------- damage ---------- */

/* Overwrites 16 bytes of the blob entry most often used as a delta base: it and everything built
 * on it cannot be produced. */
static void damage(const char *repo, git_oid *victim)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && p=$(ls .git/objects/pack/*.pack) && git verify-pack -v $p | "
             "awk '$2 == \"blob\" {off[$1] = $5} NF == 7 {n[$7]++} END {for (b in off) "
             "if (n[b] > best) {best = n[b]; v = b} print v, off[v]}'",
             repo);
    FILE *f = popen(cmd, "r");
    char hex[64];
    unsigned long off = 0;
    assert_int_equal(fscanf(f, "%63s %lu", hex, &off), 2);
    pclose(f);
    assert_int_equal(git_oid_fromstr(victim, hex), 0);
    assert_int_equal(sh("cd '%s' && p=$(ls .git/objects/pack/*.pack) && chmod u+w $p && "
                        "printf '\\377\\377\\377\\377\\377\\377\\377\\377\\377\\377\\377\\377"
                        "\\377\\377\\377\\377' | dd of=$p bs=1 seek=%lu conv=notrunc 2>/dev/null",
                        repo, off + 4),
                     0);
}

static void test_damaged_entry(void **state)
{
    (void)state;
    assert_int_equal(sh("cd '%s' && cp -r w bad", dir), 0);
    char repo[1024];
    snprintf(repo, sizeof repo, "%s/bad", dir);
    objs o = list_objects(repo);
    git_oid victim;
    damage(repo, &victim);
    git_oid *ids;
    atomic_int *emitted;
    size_t produced = run_all(repo, &o, 1 << 20, &ids, &emitted);
    size_t blobs = count_blobs(&o);
    assert_true(produced < blobs && produced > blobs / 2);
    for (size_t i = 0; i < blobs; i++)
        if (git_oid_equal(&ids[i], &victim)) assert_int_equal(atomic_load(&emitted[i]), 0);
    ak_packs *ps = open_packs(repo);
    ak_pread *r = ak_pread_new(ps, 1 << 20);
    ak_pobj obj;
    assert_int_equal(ak_pread_get(r, &victim, &obj), -1);
    ak_pread_free(r);
    ak_packs_free(ps);
    free(ids);
    free(emitted);
    free_objs(&o);
}

static void test_unusable_packs(void **state)
{
    (void)state;
    /* a truncated index and a pack that does not match it: left to libgit2, no crash */
    assert_int_equal(
        sh("cd '%s' && mkdir -p junk/pack && head -c 2000 w/.git/objects/pack/*.idx "
           "> junk/pack/pack-1.idx && cp w/.git/objects/pack/*.pack junk/pack/pack-1.pack"
           " && cp ref/.git/objects/pack/*.idx junk/pack/pack-2.idx && cp "
           "w/.git/objects/pack/*.pack junk/pack/pack-2.pack",
           dir),
        0);
    char path[4096];
    snprintf(path, sizeof path, "%s/junk", dir);
    ak_packs *ps;
    ak_packs_open(&ps, path);
    assert_null(ps);
    snprintf(path, sizeof path, "%s/nowhere", dir);
    ak_packs_open(&ps, path);
    assert_null(ps);
}

static int setup(void **state)
{
    (void)state;
    git_libgit2_init();
    build_repo();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmrf(dir);
    git_libgit2_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_ofs_delta),   cmocka_unit_test(test_batch_ref_delta),
        cmocka_unit_test(test_read_every_object), cmocka_unit_test(test_damaged_entry),
        cmocka_unit_test(test_unusable_packs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
