/* Path exclusion (gitignore syntax) for --exclude and .akhoundignore. */
#include "testutil.h"

#include "util/ignore.h"

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
    assert_int_equal(ak_ignore_add_file(&ig, path), 0);
    assert_true(ak_ignore_match(&ig, "vendor", 1));
    assert_true(ak_ignore_match(&ig, "a/b.min.js", 0)); /* CR and trailing blanks trimmed */
    ak_ignore_free(&ig);
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(ak_ignore_add_file(&ig, path), 0); /* a missing file is no error */
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
