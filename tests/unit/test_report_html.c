/*
 * The HTML inventory report (report/html.h): an inventory written as JSONL (with clear secrets,
 * as --show-secrets writes it, and the org fields status / first_seen / last_seen) is read back
 * and rendered. The checks: no secret in the page, whatever the input held; names from
 * repositories cannot open a tag, leave an attribute or smuggle a javascript: link; totals, ages
 * and statuses are right, and a finding without the org fields (today's scans) still renders.
 * tests/integration/85-report-html.sh renders the page in headless Chromium.
 */
#include "testutil.h"

#include "report/escape.h"
#include "report/html.h"
#include "report/json.h"
#include "util/mem.h"

#include <jansson.h>

typedef struct fixture {
    char *dir, *inventory;
    char secrets[4][31];
    char ids[4][25];
} fixture;

#define HOSTILE_REPO "acme/<script>alert(1)</script>\"'"
#define HOSTILE_PATH "conf/a\"b'<img src=x>\n\xff.env"
#define NOW 1719741600 /* 2024-06-30T10:00:00Z */

static json_t *finding_json(fixture *fx, int i, const char *repo, const char *path,
                            const char *link)
{
    ak_finding f = {0};
    f.rule = ak_strdup("alibaba-access-key-pair");
    f.kind = AK_KIND_ACCESS_KEY_PAIR;
    tu_random_key_id(fx->ids[i]);
    tu_random_alnum(fx->secrets[i], 30);
    f.access_key_id = i == 3 ? NULL : ak_strdup(fx->ids[i]); /* #3: a lone secret */
    f.secret = ak_strdup(fx->secrets[i]);
    f.path = ak_strdup(path);
    f.line = 4;
    f.column = 1;
    f.encoding = "plain";
    f.repository = repo ? ak_strdup(repo) : NULL;
    f.link = link ? ak_strdup(link) : NULL;
    f.commit = ak_commit_info_new("0123456789abcdef0123456789abcdef01234567", "Mal <b>lory</b>",
                                  "m@example.org", "2024-05-01T10:00:00Z",
                                  "add </td><script>x()</script>");
    ak_finding_fingerprint(&f);
    json_t *o = ak_finding_to_json(&f, 1);
    ak_finding_free(&f);
    return o;
}

static void put_org_fields(json_t *o, const char *status)
{
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "first_seen", json_string("2024-06-01T08:00:00Z"));
    json_object_set_new(o, "last_seen", json_string("2024-06-30T09:00:00Z"));
}

static int setup(void **state)
{
    fixture *fx = ak_calloc(1, sizeof *fx);
    fx->dir = tu_tmpdir();
    ak_buf path = AK_BUF_INIT, text = AK_BUF_INIT;
    ak_buf_printf(&path, "%s/inventory.jsonl", fx->dir);
    json_t *o[4] = {
        finding_json(fx, 0, "acme/web", "config.ini", "https://forge.test/acme/web?a=1&b=2"),
        finding_json(fx, 1, HOSTILE_REPO, HOSTILE_PATH, "javascript:alert(1)"),
        finding_json(fx, 2, "acme/web", "old.ini", NULL),
        finding_json(fx, 3, NULL, "lone.env", NULL), /* no org fields: today's output */
    };
    put_org_fields(o[0], "new");
    put_org_fields(o[1], "reappeared");
    put_org_fields(o[2], "resolved");
    json_object_set_new(o[0], "validation", json_pack("{s:s}", "status", "valid"));
    for (int i = 0; i < 4; i++) {
        char *line = json_dumps(o[i], JSON_COMPACT);
        ak_buf_printf(&text, "%s\n", line);
        free(line);
        json_decref(o[i]);
    }
    tu_write_file(ak_buf_cstr(&path), text.data, text.len);
    ak_buf_free(&text);
    fx->inventory = ak_buf_detach(&path);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    tu_rmrf(fx->dir);
    free(fx->inventory);
    free(fx);
    return 0;
}

/* Reads the fixture's inventory and returns its page. */
static char *render(fixture *fx)
{
    ak_inventory inv = {0};
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_inventory_read(&inv, fx->inventory, &err), 0);
    assert_int_equal(inv.findings.len, 4);
    char *page = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&page, &len);
    assert_non_null(out);
    assert_int_equal(ak_report_write_html(out, &inv, NOW), 0);
    fclose(out);
    ak_inventory_free(&inv);
    ak_buf_free(&err);
    return page;
}

static void test_escape_html(void **state)
{
    (void)state;
    ak_buf b = AK_BUF_INIT;
    ak_escape_append(&b, "a<b>&\"'\n\xff\xe2\x80\xae", AK_ESC_HTML);
    assert_string_equal(ak_buf_cstr(&b), "a&lt;b&gt;&amp;&quot;&#39;\\x0a\\xff\\u{202e}");
    ak_buf_free(&b);
}

static void test_no_secret(void **state)
{
    fixture *fx = *state;
    char *page = render(fx);
    for (int i = 0; i < 4; i++) {
        char part[9];
        snprintf(part, sizeof part, "%.8s", fx->secrets[i]);
        if (strstr(page, part)) fail_msg("the page holds part of secret #%d", i);
    }
    assert_non_null(strstr(page, fx->ids[0]));
    assert_non_null(strstr(page, "<code>sha256:")); /* the lone secret, by its hash */
    free(page);
}

static void test_hostile_names(void **state)
{
    fixture *fx = *state;
    char *page = render(fx);
    /* the only tags are the page's own: no <script>, <img>, <b> from the input */
    assert_null(strstr(page, "<script"));
    assert_null(strstr(page, "<img"));
    assert_null(strstr(page, "<b>"));
    assert_non_null(strstr(page, "acme/&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"));
    assert_non_null(strstr(page, "conf/a&quot;b&#39;&lt;img src=x&gt;\\x0a\\xff.env:4"));
    assert_non_null(strstr(page, "add &lt;/td&gt;&lt;script&gt;x()&lt;/script&gt;"));
    /* a link only for http(s), with its & escaped inside the attribute */
    assert_null(strstr(page, "javascript:"));
    assert_non_null(strstr(page, "href=\"https://forge.test/acme/web?a=1&amp;b=2\">config.ini:4"));
    free(page);
}

static void test_totals_and_ages(void **state)
{
    fixture *fx = *state;
    char *page = render(fx);
    const char *want[] = {
        "4 findings in 3 repositories, as of 2024-06-30T10:00:00Z",
        "st-new\">new</span></th><td class=\"n\">1</td>",
        "st-reappeared\">reappeared</span></th><td class=\"n\">1</td>",
        "st-open\">open</span></th><td class=\"n\">0</td>",
        "st-unknown\">unknown</span></th><td class=\"n\">1</td>",
        "st-resolved\">resolved</span></th><td class=\"n\">1</td>",
        "live (valid)</span></th><td class=\"n\">1</td>",
        "not validated</span></th><td class=\"n\">3</td>",
        /* acme/web: one open (live, new), one resolved, oldest open key 60 days */
        "<td>acme/web</td><td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">1</td>"
        "<td class=\"n\">1</td><td>60 days</td>",
        "<td>(no repository)</td>",
        "title=\"2024-06-01T08:00:00Z\">2024-06-01</td>",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(page, want[i])) fail_msg("the page lacks: %s", want[i]);
    /* live keys head the open keys, before repository order */
    const char *open = strstr(page, "<table id=\"open\">");
    assert_non_null(open);
    assert_true(strstr(open, fx->ids[0]) < strstr(open, fx->ids[1]));
    /* the resolved finding is listed after the open ones, in its own table */
    const char *resolved = strstr(page, "<table id=\"resolved\">");
    assert_non_null(resolved);
    assert_non_null(strstr(resolved, "old.ini:4"));
    assert_null(strstr(resolved, "config.ini:4"));
    free(page);
}

static void test_write_error(void **state)
{
    fixture *fx = *state;
    ak_inventory inv = {0};
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_inventory_read(&inv, fx->inventory, &err), 0);
    FILE *full = fopen("/dev/full", "w");
    if (!full) skip();
    assert_int_equal(ak_report_write_html(full, &inv, NOW), -1);
    fclose(full);
    ak_inventory_free(&inv);
    ak_buf_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_html),
        cmocka_unit_test_setup_teardown(test_no_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_totals_and_ages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
