/*
 * Unit tests of the organization scan's pure parts: the shard partition (every repository in
 * exactly one shard for N = 1..16), URL parsing and web links, cache names, the incremental
 * state file, and the well-formedness of the shipped multi-machine recipes (YAML, via libyaml).
 */
#include "testutil.h"

#include "sources/org.h"
#include "sources/org_http.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <yaml.h>

static void test_shards_cover_once(void **state)
{
    (void)state;
    char name[64];
    for (unsigned n = 1; n <= 16; n++) {
        for (int i = 0; i < 2000; i++) {
            snprintf(name, sizeof name, "github.com/acme/repo-%d", i);
            unsigned owners = 0;
            for (unsigned k = 0; k < n; k++) owners += (unsigned)ak_org_shard_has(name, k, n);
            assert_int_equal(owners, 1);
        }
    }
    /* stable: case-insensitive, a fixed value */
    assert_true(ak_org_shard_hash("GitHub.com/Acme/X") == ak_org_shard_hash("github.com/acme/x"));
    assert_true(ak_org_shard_hash("") == 0xcbf29ce484222325ull);
}

static void test_shards_balanced(void **state)
{
    (void)state;
    unsigned count[8] = {0};
    char name[64];
    for (int i = 0; i < 8000; i++) {
        snprintf(name, sizeof name, "gitlab.com/grp/sub/project%d", i);
        count[ak_org_shard_hash(name) % 8]++;
    }
    for (int k = 0; k < 8; k++) assert_true(count[k] > 800 && count[k] < 1200);
}

static void test_shard_parse(void **state)
{
    (void)state;
    unsigned k, n;
    assert_int_equal(ak_org_shard_parse("0/1", &k, &n), 0);
    assert_int_equal(ak_org_shard_parse("15/16", &k, &n), 0);
    assert_int_equal(k, 15);
    assert_int_equal(n, 16);
    assert_int_equal(ak_org_shard_parse("16/16", &k, &n), -1);
    assert_int_equal(ak_org_shard_parse("1/0", &k, &n), -1);
    assert_int_equal(ak_org_shard_parse("-1/4", &k, &n), -1);
    assert_int_equal(ak_org_shard_parse("1/4x", &k, &n), -1);
    assert_int_equal(ak_org_shard_parse("1", &k, &n), -1);
}

static void check_url(const char *url, const char *name, const char *web, ak_forge forge)
{
    char *n, *w;
    ak_forge f;
    assert_int_equal(ak_org_url_parse(url, &n, &w, &f), 0);
    assert_string_equal(n, name);
    if (web)
        assert_string_equal(w, web);
    else
        assert_null(w);
    assert_int_equal(f, forge);
    free(n);
    free(w);
}

static void test_urls(void **state)
{
    (void)state;
    check_url("https://github.com/Acme/Repo.git", "github.com/Acme/Repo",
              "https://github.com/Acme/Repo", AK_FORGE_GITHUB);
    check_url("git@gitlab.com:grp/sub/p.git", "gitlab.com/grp/sub/p",
              "https://gitlab.com/grp/sub/p", AK_FORGE_GITLAB);
    check_url("https://user:secret@git.example.org/a/b/", "git.example.org/a/b", NULL,
              AK_FORGE_OTHER);
    check_url("git://127.0.0.1:9418/x.git", "127.0.0.1:9418/x", NULL, AK_FORGE_OTHER);
    char *n, *w;
    ak_forge f;
    assert_int_equal(ak_org_url_parse("not a url", &n, &w, &f), -1);
    assert_int_equal(ak_org_url_parse("https://host/", &n, &w, &f), -1);
}

/* Every host decision parses the URL as libcurl does (issue 9: both of these passed a prefix
 * check for loopback). */
static void test_url_hosts(void **state)
{
    (void)state;
    assert_true(ak_org_clone_url_ok("https://git.example.org/a.git"));
    assert_true(ak_org_clone_url_ok("http://127.0.0.1:8080/a.git"));
    assert_true(ak_org_clone_url_ok("http://[::1]:8080/a.git"));
    assert_false(ak_org_clone_url_ok("http://192.0.2.1#@127.0.0.1/a.git"));
    assert_false(ak_org_clone_url_ok("http://127.evil.example/a.git"));
    assert_false(ak_org_clone_url_ok("http://localhost/a.git")); /* a name, not an address */
    assert_false(ak_org_clone_url_ok("file:///srv/a.git"));
    assert_false(ak_org_clone_url_ok("/srv/a.git"));
    assert_false(ak_org_clone_url_ok("ssh://git@github.com/a.git"));
    assert_false(ak_org_clone_url_ok("git://127.0.0.1/a.git"));
    assert_false(ak_org_url_transport_ok("http://192.0.2.1#@127.0.0.1/api"));
    assert_true(ak_org_url_transport_ok("http://localhost:1/api"));
    assert_true(ak_org_url_host_is("https://GitHub.com/a/b.git", "github.com"));
    assert_false(ak_org_url_host_is("https://github.com.evil.example/a", "github.com"));
    assert_false(ak_org_url_host_is("https://github.com@evil.example/a", "github.com"));
    assert_true(ak_org_url_same_origin("https://h/api/v3/x?page=2", "https://h:443/api/v3"));
    assert_false(ak_org_url_same_origin("https://h:444/api/v3/x", "https://h/api/v3"));
    assert_false(ak_org_url_same_origin("http://h/api/v3/x", "https://h/api/v3"));
}

static void test_links(void **state)
{
    (void)state;
    ak_org_repo gh = {"github.com/a/r", "", "https://github.com/a/r", AK_FORGE_GITHUB, 0, 0, NULL};
    ak_org_repo gl = {"gitlab.com/g/r", "", "https://gitlab.com/g/r", AK_FORGE_GITLAB, 0, 0, NULL};
    ak_org_repo other = {"h/a/r", "", NULL, AK_FORGE_OTHER, 0, 0, NULL};
    char *l = ak_org_link(&gh, "abc", "dir/a b.env", 7);
    assert_string_equal(l, "https://github.com/a/r/blob/abc/dir/a%20b.env#L7");
    free(l);
    l = ak_org_link(&gl, "abc", "x.ini", 1);
    assert_string_equal(l, "https://gitlab.com/g/r/-/blob/abc/x.ini#L1");
    free(l);
    l = ak_org_link(&gl, "abc", "<commit message>", 1);
    assert_string_equal(l, "https://gitlab.com/g/r/-/commit/abc");
    free(l);
    assert_null(ak_org_link(&other, "abc", "x", 1));
    assert_null(ak_org_link(&gh, NULL, "x", 1));
}

static void test_cache_names(void **state)
{
    (void)state;
    ak_buf a = AK_BUF_INIT, b = AK_BUF_INIT;
    ak_org_cache_name("github.com/a_b/c", &a);
    ak_org_cache_name("github.com/a/b_c", &b);
    assert_string_not_equal(a.data, b.data);
    assert_null(strchr(a.data, '/'));
    ak_buf_free(&a);
    ak_buf_free(&b);
}

static void test_state_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/akhound-org-XXXXXX", path[64], v1[65], v2[65];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.akstate", dir);
    memset(v1, 'a', 64);
    memset(v2, 'b', 64);
    v1[64] = v2[64] = '\0';
    ak_org_state st;
    assert_int_equal(ak_org_state_load(&st, path, v1), 0); /* missing: empty */
    uint8_t ids[50][20];
    for (int i = 0; i < 50; i++) {
        for (int j = 0; j < 20; j++) ids[i][j] = (uint8_t)rand();
        if (i < 40) ak_org_state_add_blob(&st, ids[i]);
    }
    ak_org_state_add_blob(&st, ids[0]); /* duplicates are merged */
    ak_org_state_set_tips(&st, ids[49], 1);
    ak_org_state_set_tips(&st, ids[45], 5); /* replaces: 5 tips, kept sorted */
    ak_org_state_set_pushed(&st, "2026-01-01T00:00:00Z", 1767229200);
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_org_state_save(&st, path, &err), 0);
    ak_org_state_free(&st);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(ak_org_state_load(&st, path, v1), 1);
    assert_int_equal(st.n_blobs, 40);
    for (int i = 0; i < 50; i++) assert_int_equal(ak_org_state_has_blob(&st, ids[i]), i < 40);
    assert_int_equal(st.n_tips, 5);
    for (int i = 1; i < 5; i++)
        assert_true(memcmp(st.tips + 20 * (i - 1), st.tips + 20 * i, 20) < 0);
    assert_string_equal(st.pushed_at, "2026-01-01T00:00:00Z");
    assert_int_equal(st.checked_at, 1767229200);
    ak_org_state_set_pushed(&st, "2026-01-01T00:00:00.000000000000000000000000000000Z", 0);
    assert_string_equal(st.pushed_at, ""); /* too long: unknown, never matches */
    ak_org_state_free(&st);
    /* another rules version: nothing is known, and the caller is told so */
    assert_int_equal(ak_org_state_load(&st, path, v2), 2);
    assert_false(ak_org_state_has_blob(&st, ids[0]));
    ak_org_state_free(&st);
    /* a damaged file is ignored */
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 120), 1);
    close(fd);
    assert_int_equal(ak_org_state_load(&st, path, v1), 0);
    ak_org_state_free(&st);
    ak_buf_free(&err);
    unlink(path);
    rmdir(dir);
}

/* A state written before push times (AKSTATE2) is still read: blobs and tips, no push time. */
static void test_state_v2(void **state)
{
    (void)state;
    char dir[] = "/tmp/akhound-org-XXXXXX", path[64], v[65];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.akstate", dir);
    memset(v, 'a', 64);
    v[64] = '\0';
    uint8_t d[9 + 65 + 16 + 40 + 8] = "AKSTATE2\n";
    memcpy(d + 9, v, 64);
    d[73] = '\n';
    d[74] = 1; /* one blob */
    d[82] = 1; /* one tip */
    memset(d + 90, 0x11, 20);
    memset(d + 110, 0x22, 20);
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof d - 8; i++) h = (h ^ d[i]) * 0x100000001b3ull;
    for (int i = 0; i < 8; i++) d[sizeof d - 8 + i] = (uint8_t)(h >> (8 * i));
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_org_write_atomic(path, d, sizeof d, &err), 0);
    ak_org_state st;
    assert_int_equal(ak_org_state_load(&st, path, v), 1);
    assert_int_equal(st.n_blobs, 1);
    assert_int_equal(st.n_tips, 1);
    assert_true(ak_org_state_has_blob(&st, d + 90));
    assert_string_equal(st.pushed_at, "");
    ak_org_state_free(&st);
    ak_buf_free(&err);
    unlink(path);
    rmdir(dir);
}

static void test_list_filter(void **state)
{
    (void)state;
    ak_org_list l = {0};
    ak_org_list_add(&l, "h/acme/b", "u", NULL, AK_FORGE_OTHER, 0, 0);
    ak_org_list_add(&l, "h/acme/a", "u", NULL, AK_FORGE_OTHER, 1, 0);
    ak_org_list_add(&l, "h/acme/c", "u", NULL, AK_FORGE_OTHER, 0, 1);
    ak_org_list_add(&l, "h/acme/b", "u", NULL, AK_FORGE_OTHER, 0, 0);
    ak_org_list_add(&l, "h/acme/legacy-x", "u", NULL, AK_FORGE_OTHER, 0, 0);
    ak_org_list_sort(&l);
    assert_int_equal(l.len, 4);
    const char *ex[] = {"legacy-*"};
    ak_org_filter f = {0, 0, ex, 1};
    assert_int_equal(ak_org_list_filter(&l, &f), 3);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].name, "h/acme/b");
    ak_org_list_free(&l);
}

/* Parses a YAML file to its end with libyaml; 0 when well-formed. */
static int yaml_check(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    int rc = 0, done = 0;
    while (!done && !rc) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            fprintf(stderr, "%s:%zu: %s\n", path, p.problem_mark.line + 1, p.problem);
            rc = -1;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    fclose(f);
    return rc;
}

static void test_recipes_yaml(void **state)
{
    (void)state;
    const char *root = getenv("AK_ROOT") ? getenv("AK_ROOT") : ".";
    const char *files[] = {"hooks/ci/k8s-indexed-job.yaml", "hooks/ci/github-org-scan.yml"};
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        assert_int_equal(yaml_check(path), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shards_cover_once), cmocka_unit_test(test_shards_balanced),
        cmocka_unit_test(test_shard_parse),       cmocka_unit_test(test_urls),
        cmocka_unit_test(test_url_hosts),         cmocka_unit_test(test_links),
        cmocka_unit_test(test_cache_names),       cmocka_unit_test(test_state_roundtrip),
        cmocka_unit_test(test_state_v2),          cmocka_unit_test(test_list_filter),
        cmocka_unit_test(test_recipes_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
