/* Path exclusion (gitignore syntax) for --exclude and .akhoundignore. */
#include "testutil.h"

#include "util/clock.h"
#include "util/ignore.h"

#include <sys/stat.h>
#include <unistd.h>

static void test_glob(void **state)
{
    (void)state;
    assert_true(ak_glob_match("*.c", "main.c"));
    assert_false(ak_glob_match("*.c", "src/main.c")); /* '*' stops at '/' */
    assert_true(ak_glob_match("src/**/*.c", "src/a/b/main.c"));
    assert_true(ak_glob_match("src/**/*.c", "src/main.c")); /* '**' spans zero directories */
    assert_true(ak_glob_match("**/test", "a/b/test"));
    assert_true(ak_glob_match("f?o", "foo"));
    assert_false(ak_glob_match("f?o", "f/o"));
    assert_true(ak_glob_match("[a-c]x", "bx"));
    assert_false(ak_glob_match("[!a-c]x", "bx"));
    assert_true(ak_glob_match("[ab", "[ab")); /* an unterminated class is literal */
    assert_true(ak_glob_match("a\\*b", "a*b"));
}

/* gitignore's '**': a whole segment spans directories, elsewhere it is a plain '*'. */
static void test_double_star(void **state)
{
    (void)state;
    assert_true(ak_glob_match("**/test", "test"));
    assert_false(ak_glob_match("**/test", "a/mytest")); /* whole components only */
    assert_true(ak_glob_match("a/**/b", "a/b"));
    assert_true(ak_glob_match("a/**/b", "a/x/y/b"));
    assert_false(ak_glob_match("a/**/b", "a/x/yb"));
    assert_true(ak_glob_match("a/**", "a/x"));
    assert_true(ak_glob_match("a/**", "a/x/y"));
    assert_false(ak_glob_match("a/**", "a")); /* everything inside a, not a itself */
    assert_true(ak_glob_match("**", "a/b"));
    assert_true(ak_glob_match("a/**/**/b", "a/b"));
    assert_true(ak_glob_match("**/x/**/y", "p/x/q/x/r/y")); /* the second x is the one */
    assert_false(ak_glob_match("**/x/**/y", "p/x/q/y/z"));
    assert_true(ak_glob_match("foo**bar", "fooXbar"));
    assert_false(ak_glob_match("foo**bar", "foo/bar"));
    assert_true(ak_glob_match("*a*b", "xaab"));
    assert_true(ak_glob_match("a*b*c", "abbbc"));
    assert_false(ak_glob_match("a*b*c", "abbbcd"));
    assert_true(ak_glob_match("[*]x", "*x"));
    assert_false(ak_glob_match("[a-c]", "/"));
    assert_true(ak_glob_match("[a/b]", "[a/b]")); /* a class does not span '/': literal */
}

/* Patterns that make a backtracking matcher take exponential time finish at once. */
static void test_glob_time(void **state)
{
    (void)state;
    alarm(20); /* a hang fails the test instead of stalling the suite */
    char name[4097], path[4097];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    for (size_t i = 0; i < sizeof path - 1; i++) path[i] = i % 2 ? '/' : 'a';
    path[sizeof path - 1] = '\0';
    uint64_t t0 = ak_mono_ms();
    assert_false(ak_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", name));
    assert_false(ak_glob_match("**/a/**/a/**/a/**/a/**/a/**/a/**/a/**/b", path));
    assert_false(ak_glob_match("**/*a*a*a*a*a*a*/**/*a*a*a*a*a*b", path));
    assert_true(ak_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*", name));
    uint64_t ms = ak_mono_ms() - t0;
    alarm(0);
    assert_true(ms < 500);
}

static void test_rules(void **state)
{
    (void)state;
    ak_ignore ig = {0};
    ak_ignore_add(&ig, "# a comment");
    ak_ignore_add(&ig, "");
    ak_ignore_add(&ig, "*.log");
    ak_ignore_add(&ig, "!keep.log");
    ak_ignore_add(&ig, "build/");
    ak_ignore_add(&ig, "/top.txt");
    ak_ignore_add(&ig, "docs/*.md");
    assert_true(ak_ignore_match(&ig, "x/y/app.log", 0)); /* no slash: any depth, by name */
    assert_false(ak_ignore_match(&ig, "x/keep.log", 0)); /* the last matching pattern wins */
    assert_true(ak_ignore_match(&ig, "build", 1));
    assert_false(ak_ignore_match(&ig, "build", 0)); /* trailing '/': directories only */
    assert_true(ak_ignore_match(&ig, "top.txt", 0));
    assert_false(ak_ignore_match(&ig, "sub/top.txt", 0)); /* leading '/': anchored */
    assert_true(ak_ignore_match(&ig, "docs/a.md", 0));
    assert_false(ak_ignore_match(&ig, "docs/sub/a.md", 0));
    /* a whole path: an excluded parent directory excludes it */
    assert_false(ak_ignore_match(&ig, "build/out/k.txt", 0));
    assert_true(ak_ignore_match_path(&ig, "build/out/k.txt", 0));
    assert_true(ak_ignore_match_path(&ig, "a/build/k.txt", 0));
    assert_false(ak_ignore_match_path(&ig, "a/builder/k.txt", 0));
    ak_ignore_free(&ig);
    ak_ignore empty = {0};
    assert_false(ak_ignore_match_path(&empty, "a/b", 0));
}

static void test_file(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/.akhoundignore", dir);
    const char text[] = "vendor/\r\n*.min.js   \n";
    tu_write_file(path, text, sizeof text - 1);
    ak_ignore ig = {0};
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_ignore_add_file(&ig, path, &err), 0);
    assert_true(ak_ignore_match(&ig, "vendor", 1));
    assert_true(ak_ignore_match(&ig, "a/b.min.js", 0)); /* CR and trailing blanks trimmed */
    ak_ignore_free(&ig);
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(ak_ignore_add_file(&ig, path, &err), 0); /* a missing file is no error */
    assert_int_equal(err.len, 0);
    tu_rmrf(dir);
}

/* Only a regular file of bounded size is read: a FIFO or a link to /dev/zero would hang. */
static void test_file_not_regular(void **state)
{
    (void)state;
    alarm(20);
    char *dir = tu_tmpdir();
    char path[512];
    ak_ignore ig = {0};
    ak_buf err = AK_BUF_INIT;
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(ak_ignore_add_file(&ig, path, &err), -1);
    assert_non_null(strstr(ak_buf_cstr(&err), "fifo: not a regular file, not applied"));
    ak_buf_reset(&err);
    snprintf(path, sizeof path, "%s/zero", dir);
    assert_int_equal(symlink("/dev/zero", path), 0);
    assert_int_equal(ak_ignore_add_file(&ig, path, &err), -1);
    assert_non_null(strstr(ak_buf_cstr(&err), "zero: not a regular file"));
    ak_buf_reset(&err);
    snprintf(path, sizeof path, "%s/big", dir);
    char *text = malloc(AK_IGNORE_MAX_FILE + 2);
    memset(text, '#', AK_IGNORE_MAX_FILE + 1);
    tu_write_file(path, text, AK_IGNORE_MAX_FILE + 1);
    free(text);
    assert_int_equal(ak_ignore_add_file(&ig, path, &err), -1);
    assert_non_null(strstr(ak_buf_cstr(&err), "big: larger than 1 MiB"));
    alarm(0);
    assert_int_equal(ig.len, 0);
    ak_buf_free(&err);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob),      cmocka_unit_test(test_double_star),
        cmocka_unit_test(test_glob_time), cmocka_unit_test(test_rules),
        cmocka_unit_test(test_file),      cmocka_unit_test(test_file_not_regular),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
