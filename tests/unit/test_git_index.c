/*
 * The index reader (sources/git_index.h) and --staged's fast change detection against libgit2
 * and git itself. Each case builds a repository with the git CLI, stages a change and checks that
 * the list of changed files from the index reader equals libgit2's, line for line (paths, object
 * ids, order), and that its paths equal what `git diff --cached` names. Index versions 2, 3 and
 * 4, with a full, partly invalidated or missing cache-tree; nested directories, deletions,
 * renames, mode changes, symlinks, submodule links, a file replaced by a directory and back, and
 * a randomised series of changes over names that sort differently as files and as directories.
 * What the reader does not handle (intent-to-add entries, a split index, a conflict) must fall
 * back, and truncated or damaged index files must fail cleanly, never crash.
 */
#include "testutil.h"

#include "sources/git_index.h"
#include "sources/git_int.h"

#include <git2.h>
#include <sys/stat.h>

static char *dir;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[8400];
    snprintf(
        full, sizeof full,
        "set -e; export GIT_CONFIG_NOSYSTEM=1 HOME='%s' GIT_AUTHOR_NAME=T GIT_COMMITTER_NAME=T "
        "GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_EMAIL=t@example.org; cd '%s/w'; %s",
        dir, dir, cmd);
    return system(full);
}

static char *capture(const char *cmd)
{
    char full[4096];
    snprintf(full, sizeof full, "cd '%s/w' && %s", dir, cmd);
    FILE *f = popen(full, "r");
    assert_non_null(f);
    ak_buf b = AK_BUF_INIT;
    char chunk[4096];
    for (size_t n; (n = fread(chunk, 1, sizeof chunk, f)) > 0;) ak_buf_append(&b, chunk, n);
    assert_int_equal(pclose(f), 0);
    return ak_buf_detach(&b);
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths of a list ("C OLD NEW PATH" / "D ID PATH"), sorted, one a line. */
static char *list_paths(const char *list)
{
    char *copy = strdup(list), *save = NULL, **lines = NULL;
    size_t n = 0;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char **more = realloc(lines, (n + 1) * sizeof *lines);
        assert_non_null(more);
        lines = more;
        const char *p = strchr(strchr(l, ' ') + 1, ' ') + 1;
        if (l[0] == 'C') p = strchr(p, ' ') + 1;
        lines[n++] = (char *)p;
    }
    if (n) qsort(lines, n, sizeof *lines, line_cmp);
    ak_buf b = AK_BUF_INIT;
    for (size_t i = 0; i < n; i++) ak_buf_printf(&b, "%s\n", lines[i]);
    free(lines);
    free(copy);
    return ak_buf_detach(&b);
}

/* What git says the commit would change, as akhound reads it: files added or changed (not
 * submodule links) and files deleted (not submodule links). */
static char *git_paths(void)
{
    return capture("git diff --cached --raw --no-renames | awk -F'\\t' '{split($1, m, \" \"); "
                   "om = substr(m[1], 2); nm = m[2]; "
                   "if ((nm != \"160000\" && nm != \"000000\") || (nm == \"000000\" && "
                   "om != \"160000\")) print $2}' | LC_ALL=C sort");
}

static git_repository *open_work(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/w", dir);
    git_repository *repo;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_git_open(&repo, path, &err), 0);
    ak_buf_free(&err);
    return repo;
}

/* The index reader handles the repository's staged change: the same list as libgit2's, and the
 * paths git names. */
static void check(void)
{
    git_repository *repo = open_work();
    ak_buf err = AK_BUF_INIT, fast = AK_BUF_INIT, slow = AK_BUF_INIT;
    assert_int_equal(ak_git_staged_list(repo, 1, &fast, &err), 0);
    assert_int_equal(ak_git_staged_list(repo, 0, &slow, &err), 0);
    assert_string_equal(ak_buf_cstr(&fast), ak_buf_cstr(&slow));
    char *mine = list_paths(ak_buf_cstr(&fast)), *git = git_paths();
    assert_string_equal(mine, git);
    free(mine);
    free(git);
    ak_buf_free(&err);
    ak_buf_free(&fast);
    ak_buf_free(&slow);
    git_repository_free(repo);
}

/* The index reader declines; libgit2's answer is slow_rc (0, or -1 for an index it cannot make
 * a tree of). */
static void check_fallback(int slow_rc)
{
    git_repository *repo = open_work();
    ak_buf err = AK_BUF_INIT, out = AK_BUF_INIT;
    assert_int_equal(ak_git_staged_list(repo, 1, &out, &err), 1);
    assert_int_equal(ak_buf_cstr(&out)[0], 0);
    assert_int_equal(ak_git_staged_list(repo, 0, &out, &err), slow_rc);
    ak_buf_free(&err);
    ak_buf_free(&out);
    git_repository_free(repo);
}

static int has_cache_tree(void)
{
    return !sh("grep -aq TREE .git/index");
}

/* ---------- the cases ---------- */

static const char base_repo[] =
    "git init -q .; mkdir -p a/b/c a/bb d e x.y; "
    "for f in top a/one a/b/two a/b/c/three a/bb/four d/five e/six x.y/seven a-b a.b a0; do "
    "  seq 1 50 | sed \"s|^|$f |\" > $f; done; "
    "ln -s a/one link; chmod +x e/six; git add -A; git commit -qm base; git repack -adq; ";

static void make_work_dir(void)
{
    dir = tu_tmpdir();
    assert_non_null(dir);
    char w[4096];
    snprintf(w, sizeof w, "%s/w", dir);
    assert_int_equal(mkdir(w, 0700), 0);
}

static void setup(void)
{
    make_work_dir();
    assert_int_equal(sh("%s", base_repo), 0);
}

static void teardown(void)
{
    tu_rmrf(dir);
    dir = NULL;
}

static const char change_script[] =
    "echo more >> a/b/c/three; echo new > a/b/new; git rm -q d/five; git mv a/one a/moved; "
    "chmod +x top; rm link; ln -s top link; git rm -rq e; mkdir -p e/inner; echo x > e/inner/f; "
    "git rm -q a-b; mkdir a-b; echo y > a-b/z; echo n > x.y/new; git add -A; "
    "git update-index --add --cacheinfo 160000,$(git rev-parse HEAD),sub; ";

static void test_v2_cache_tree(void **state)
{
    (void)state;
    setup();
    assert_int_equal(sh("echo more >> a/b/two; git add a/b/two"), 0);
    assert_true(has_cache_tree());
    check();
    assert_int_equal(sh("%s", change_script), 0);
    check();
    assert_int_equal(sh("git write-tree >/dev/null"), 0); /* a full cache-tree, unlike HEAD */
    check();
    assert_int_equal(sh("git commit -qm next; git reset -q --soft HEAD~1"), 0);
    check();
    teardown();
}

static void test_nothing_staged(void **state)
{
    (void)state;
    setup();
    check();
    assert_int_equal(sh("echo change >> top"), 0); /* not staged */
    check();
    teardown();
}

static void test_no_cache_tree(void **state)
{
    (void)state;
    setup();
    assert_int_equal(sh("rm .git/index; git ls-tree -r HEAD | git update-index --index-info; "
                        "%s",
                        change_script),
                     0);
    assert_false(has_cache_tree());
    check();
    teardown();
}

static void test_unborn(void **state)
{
    (void)state;
    make_work_dir();
    assert_int_equal(sh("git init -q .; mkdir -p p/q; echo 1 > p/q/r; "
                        "echo 2 > s; git add -A"),
                     0);
    check();
    teardown();
}

static void test_v3_skip_worktree(void **state)
{
    (void)state;
    setup();
    assert_int_equal(sh("git update-index --index-version 3; git update-index --skip-worktree "
                        "a/bb/four; echo z >> a/b/two; git add a/b/two; "
                        "git update-index --cacheinfo 100644,$(git hash-object -w top),a/bb/four"),
                     0);
    check();
    /* git add -N: libgit2 stages an intent-to-add entry as an empty file (git does not): the
     * index reader leaves it to libgit2, so the file count stays what it was */
    assert_int_equal(sh("echo later > later.txt; git add -N later.txt"), 0);
    check_fallback(0);
    teardown();
}

static void test_v4(void **state)
{
    (void)state;
    setup();
    assert_int_equal(sh("git update-index --index-version 4; %s", change_script), 0);
    check();
    assert_int_equal(sh("git write-tree >/dev/null"), 0);
    check();
    teardown();
}

static void test_fallbacks(void **state)
{
    (void)state;
    setup();
    /* libgit2 1.5 cannot read a split index either: --staged reports it, as it did */
    assert_int_equal(sh("echo s >> top; git add top; git update-index --split-index"), 0);
    check_fallback(-1);
    assert_int_equal(sh("git update-index --no-split-index"), 0);
    check();
    teardown();
}

static void test_conflict(void **state)
{
    (void)state;
    setup();
    assert_int_equal(sh("git checkout -qb other; echo o > top; git commit -qam o; "
                        "git checkout -q -; echo m > top; git commit -qam m; "
                        "git merge -q other >/dev/null 2>&1 || true"),
                     0);
    check_fallback(-1); /* unmerged entries: no tree can be made, libgit2 says why */
    teardown();
}

static void test_index_file_env(void **state)
{
    (void)state;
    setup();
    assert_int_equal(sh("cp .git/index .git/alt; echo alt >> a/bb/four; "
                        "GIT_INDEX_FILE=.git/alt git add a/bb/four"),
                     0);
    char alt[4096];
    snprintf(alt, sizeof alt, "%s/w/.git/alt", dir);
    setenv("GIT_INDEX_FILE", alt, 1);
    check();
    unsetenv("GIT_INDEX_FILE");
    check(); /* the real index: nothing staged */
    teardown();
}

/* Random changes over names that sort differently as a file and as a directory. */
static void test_random_changes(void **state)
{
    (void)state;
    setup();
    static const char *names[] = {"n", "n-1", "n.c", "n0", "n/m", "n/m-x", "n/m.x", "n/m/k", "q"};
    const size_t n_names = sizeof names / sizeof *names;
    srand(7);
    for (int round = 0; round < 40; round++) {
        const char *p = names[(size_t)rand() % n_names];
        switch (rand() % 6) {
        case 0:
        case 1:
            sh("p='%s'; rm -rf \"$p\"; d=$p; while d=$(dirname \"$d\"); [ \"$d\" != . ]; do "
               "[ -d \"$d\" ] || rm -f \"$d\"; done; mkdir -p \"$(dirname \"$p\")\"; "
               "echo %d > \"$p\"; git add -A",
               p, round);
            break;
        case 2:
            sh("rm -rf '%s'; git add -A", p);
            break;
        case 3:
            sh("test -f '%s' && chmod +x '%s' && git add -A || true", p, p);
            break;
        case 4:
            sh("git write-tree >/dev/null");
            break;
        default:
            sh("git commit -qm r%d >/dev/null 2>&1 || true", round);
            break;
        }
        check();
        if (round == 20) sh("git update-index --index-version 4");
    }
    teardown();
}

/* ---------- the reader on damaged files ---------- */

static void open_copy(const char *path, const uint8_t *data, size_t len)
{
    tu_write_file(path, data, len);
    ak_gindex ix;
    ak_buf why = AK_BUF_INIT;
    (void)ak_gindex_open(&ix, path, &why);
    ak_gindex_free(&ix);
    ak_buf_free(&why);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*len);
    assert_int_equal(fread(d, 1, *len, f), *len);
    fclose(f);
    return d;
}

static void damage(int version)
{
    setup();
    assert_int_equal(sh("git update-index --index-version %d; %s git write-tree >/dev/null",
                        version, change_script),
                     0);
    char path[4096], bad[4096];
    snprintf(path, sizeof path, "%s/w/.git/index", dir);
    snprintf(bad, sizeof bad, "%s/bad-index", dir);
    size_t len;
    uint8_t *d = read_all(path, &len);
    ak_gindex ix;
    ak_buf why = AK_BUF_INIT;
    assert_int_equal(ak_gindex_open(&ix, path, &why), 0);
    assert_int_equal(ix.version, (unsigned)version);
    assert_true(ix.n_trees > 0);
    ak_gindex_free(&ix);
    assert_int_equal(ak_gindex_open(&ix, path, &why), 0);
    size_t n_entries = ix.n_entries;
    ak_gindex_free(&ix);
    /* A truncated file fails, except one cut 20 bytes past the entries: with its checksum not
     * verified it reads as the same entries with no extension (the cache-tree is an optimisation;
     * every answer stays right without it). */
    for (size_t cut = 0; cut + AK_GINDEX_IDLEN < len; cut++) {
        tu_write_file(bad, d, cut);
        int rc = ak_gindex_open(&ix, bad, &why);
        assert_true(rc == -1 || (ix.n_entries == n_entries && ix.n_trees == 0));
        ak_gindex_free(&ix);
    }
    for (size_t at = 0; at < len; at++) { /* any damaged byte: an answer, never a crash */
        uint8_t keep = d[at];
        d[at] ^= (uint8_t)(1u << (at % 8));
        open_copy(bad, d, len);
        d[at] = 0xff;
        open_copy(bad, d, len);
        d[at] = keep;
    }
    assert_int_equal(ak_gindex_open(&ix, "/nonexistent/index", &why), -1);
    ak_gindex_free(&ix);
    ak_buf_free(&why);
    free(d);
    teardown();
}

static void test_damaged_v2(void **state)
{
    (void)state;
    damage(2);
}

static void test_damaged_v4(void **state)
{
    (void)state;
    damage(4);
}

int main(void)
{
    git_libgit2_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_cache_tree),    cmocka_unit_test(test_nothing_staged),
        cmocka_unit_test(test_no_cache_tree),    cmocka_unit_test(test_unborn),
        cmocka_unit_test(test_v3_skip_worktree), cmocka_unit_test(test_v4),
        cmocka_unit_test(test_fallbacks),        cmocka_unit_test(test_conflict),
        cmocka_unit_test(test_index_file_env),   cmocka_unit_test(test_random_changes),
        cmocka_unit_test(test_damaged_v2),       cmocka_unit_test(test_damaged_v4),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    git_libgit2_shutdown();
    return rc;
}
