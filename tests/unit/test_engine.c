/* Detection engine: real rules (the built-in file), real Vectorscan and PCRE2, generated keys. */
#include "testutil.h"

#include "detect/decode.h"
#include "detect/detect.h"
#include "sources/scan.h"

static ak_rules *rules;
static ak_engine *engine;
static ak_scratch *scratch;

static int setup(void **state)
{
    (void)state;
    ak_buf err = AK_BUF_INIT;
    if (ak_rules_load_builtin(&rules, &err) || ak_engine_new(&engine, rules, NULL, &err) ||
        ak_scratch_new(&scratch, engine, &err)) {
        fprintf(stderr, "%s\n", ak_buf_cstr(&err));
        return -1;
    }
    ak_buf_free(&err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ak_scratch_free(scratch);
    ak_engine_free(engine);
    ak_rules_free(rules);
    return 0;
}

static ak_findings scan_text(const char *text, size_t len)
{
    ak_findings out = {0};
    ak_buf err = AK_BUF_INIT;
    ak_chunk c = {(const uint8_t *)text, len, "t.txt", NULL, 1, NULL};
    assert_int_equal(ak_engine_scan(engine, scratch, &c, &out, &err), 0);
    ak_buf_free(&err);
    ak_findings_sort(&out);
    return out;
}

static ak_findings scan_str(const char *text)
{
    return scan_text(text, strlen(text));
}

static void test_pair_found_with_position(void **state)
{
    (void)state;
    char id[25], sec[31], text[256];
    tu_random_key_id(id);
    tu_random_secret(sec);
    snprintf(text, sizeof text, "# config\nregion: cn-hangzhou\n  id: %s\n  key: \"%s\"\n", id,
             sec);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(ak_kind_name(f.items[0].kind), "access_key_pair");
    assert_string_equal(f.items[0].access_key_id, id);
    assert_string_equal(f.items[0].secret, sec);
    assert_int_equal(f.items[0].line, 3);
    assert_int_equal(f.items[0].column, 7);
    assert_string_equal(f.items[0].encoding, "plain");
    assert_int_equal(strlen(f.items[0].fingerprint), 64);
    ak_findings_free(&f);
}

static void test_id_alone_and_boundaries(void **state)
{
    (void)state;
    char id[25], text[256];
    tu_random_key_id(id);
    snprintf(text, sizeof text, "a=%s\nb=x%s\nc=%sQQ\n", id, id, id);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1); /* only the first: the others sit inside longer words */
    assert_string_equal(ak_kind_name(f.items[0].kind), "access_key_id");
    assert_int_equal(f.items[0].line, 1);
    ak_findings_free(&f);
}

static void test_legacy_id(void **state)
{
    (void)state;
    char tail[13], text[64];
    tu_random_alnum(tail, 12);
    snprintf(text, sizeof text, "id = LT%s%s\n", "AI", tail);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_int_equal(strlen(f.items[0].access_key_id), 16);
    ak_findings_free(&f);
}

static void test_placeholders_ignored(void **state)
{
    (void)state;
    const char *text = "id = LTAI****************\n"
                       "id = LTAIxxxxxxxxxxxxxxxxxxxx\n"
                       "id = LTAI5tEXAMPLEexample1234\n"
                       "id = LTAI5tAAAAAAAAAAAAAAAAAA\n"
                       "access_key_secret = ${ALIBABA_CLOUD_ACCESS_KEY_SECRET}\n"
                       "access_key_secret = <your-secret>\n";
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 0);
    ak_findings_free(&f);
}

static void test_bare_secret_is_not_a_finding(void **state)
{
    (void)state;
    char sec[31], text[128];
    tu_random_secret(sec);
    snprintf(text, sizeof text, "token = \"%s\"\n", sec);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 0);
    ak_findings_free(&f);
    snprintf(text, sizeof text, "ALICLOUD_SECRET_KEY=%s\n", sec);
    f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(ak_kind_name(f.items[0].kind), "access_key_secret");
    assert_string_equal(f.items[0].secret, sec);
    ak_findings_free(&f);
}

/* accessKeySecret matches the specific keyword rule, the generic one (KeySecret) and the near
 * rule: still one finding, the pair. */
static void test_secret_found_by_three_rules_is_one_finding(void **state)
{
    (void)state;
    char id[25], sec[31], text[256];
    tu_random_key_id(id);
    tu_random_secret(sec);
    snprintf(text, sizeof text,
             "[Credentials]\nendpoint=oss-cn-hangzhou.aliyuncs.com\naccessKeyID=%s\n"
             "accessKeySecret=%s\n",
             id, sec);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(ak_kind_name(f.items[0].kind), "access_key_pair");
    assert_int_equal(f.items[0].n_candidates, 0);
    ak_findings_free(&f);
}

static void test_pair_window(void **state)
{
    (void)state;
    char id[25], sec[31], text[512];
    tu_random_key_id(id);
    tu_random_secret(sec);
    snprintf(text, sizeof text, "id=%s\n\n\n\n\n\n\n\n\nsecret: %s\n", id, sec);
    ak_findings f = scan_str(text); /* 9 lines apart: beyond the default window of 5 */
    assert_int_equal(f.len, 1);
    assert_string_equal(ak_kind_name(f.items[0].kind), "access_key_id");
    ak_findings_free(&f);
}

static void test_base64_blob(void **state)
{
    (void)state;
    char id[25], sec[31], inner[256], text[512];
    tu_random_key_id(id);
    tu_random_secret(sec);
    snprintf(inner, sizeof inner, "{\"AccessKeyId\":\"%s\",\"AccessKeySecret\":\"%s\"}", id, sec);
    ak_buf b64 = AK_BUF_INIT;
    ak_base64_encode((const uint8_t *)inner, strlen(inner), &b64);
    snprintf(text, sizeof text, "kind: Secret\ndata:\n  config.json: %s\n", b64.data);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(f.items[0].encoding, "base64");
    assert_string_equal(f.items[0].access_key_id, id);
    assert_string_equal(f.items[0].secret, sec);
    assert_int_equal(f.items[0].line, 3);
    ak_buf_free(&b64);
    ak_findings_free(&f);
}

static void test_percent_and_escaped(void **state)
{
    (void)state;
    char id[25], text[256];
    tu_random_key_id(id);
    snprintf(text, sizeof text, "u=https://h/?q%%3D1%%26AccessKeyId%%3D%s%%26x\n", id);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(f.items[0].encoding, "percent");
    assert_string_equal(f.items[0].access_key_id, id);
    ak_findings_free(&f);
    snprintf(text, sizeof text, "s = \"line\\n%s\\tend\"\n", id);
    f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(f.items[0].encoding, "escaped");
    ak_findings_free(&f);
}

static void test_utf16_file(void **state)
{
    (void)state;
    char id[25], sec[31], text[256];
    tu_random_key_id(id);
    tu_random_secret(sec);
    int n = snprintf(text, sizeof text, "first\r\nid=%s\r\nsecret=%s\r\n", id, sec);
    char wide[600] = {(char)0xff, (char)0xfe};
    for (int i = 0; i < n; i++) wide[2 + 2 * i] = text[i];
    ak_findings f = scan_text(wide, 2 + 2 * (size_t)n);
    assert_int_equal(f.len, 1);
    assert_string_equal(f.items[0].encoding, "utf16le");
    assert_string_equal(f.items[0].secret, sec);
    assert_int_equal(f.items[0].line, 2);
    ak_findings_free(&f);
}

/* A UTF-16LE file (with its byte order mark) that opens with CJK text holds no NUL byte for a
 * while; the key after it must still be found. */
static void test_utf16_cjk_prefix(void **state)
{
    (void)state;
    char id[25];
    tu_random_key_id(id);
    size_t n = 2 + 2 * 2000 + 2 * 40, k = 0;
    char *wide = calloc(1, n);
    wide[k++] = (char)0xff;
    wide[k++] = (char)0xfe;
    for (int i = 0; i < 2000; i++) { /* U+4E2D, no zero byte */
        wide[k++] = 0x2d;
        wide[k++] = 0x4e;
    }
    char tail[40];
    int m = snprintf(tail, sizeof tail, "\nid=%s\n", id);
    for (int i = 0; i < m; i++) wide[k + 2 * i] = tail[i];
    ak_findings f = scan_text(wide, k + 2 * (size_t)m);
    assert_int_equal(f.len, 1);
    assert_string_equal(f.items[0].access_key_id, id);
    assert_string_equal(f.items[0].encoding, "utf16le");
    ak_findings_free(&f);
    free(wide);
}

static void test_allow_comment(void **state)
{
    (void)state;
    char id[25], text[256];
    tu_random_key_id(id);
    snprintf(text, sizeof text, "# akhound:allow\nid=%s\nother=%s # akhound:allow\n", id, id);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 0);
    ak_findings_free(&f);
}

static void test_sts_credentials(void **state)
{
    (void)state;
    char sid[26], sec[45], tok[301], text[1024];
    tu_random_alnum(sid, 25);
    tu_random_alnum(sec, 44);
    tu_random_alnum(tok, 300);
    tok[100] = '+';
    snprintf(text, sizeof text,
             "{\"AccessKeyId\": \"STS.%s\",\n \"AccessKeySecret\": \"%s\",\n"
             " \"SecurityToken\": \"CAIS%s\"}\n",
             sid, sec, tok);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(ak_kind_name(f.items[0].kind), "sts_credentials");
    assert_string_equal(f.items[0].secret, sec);
    assert_non_null(f.items[0].security_token);
    assert_int_equal(strncmp(f.items[0].security_token, "CAIS", 4), 0);
    ak_findings_free(&f);
}

static void test_many_candidates_bounded(void **state)
{
    (void)state;
    ak_buf text = AK_BUF_INIT;
    char id[25], sec[31];
    tu_random_key_id(id);
    ak_buf_printf(&text, "id=%s\n", id);
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 20; k++) {
            tu_random_secret(sec);
            ak_buf_printf(&text, "%s ", sec);
        }
        ak_buf_putc(&text, '\n');
    }
    ak_findings f = scan_text(text.data, text.len);
    assert_int_equal(f.len, 1);
    assert_true(f.items[0].n_candidates <= 7);
    ak_findings_free(&f);
    ak_buf_free(&text);
}

static void test_two_pairs_each_get_their_secret(void **state)
{
    (void)state;
    char id1[25], id2[25], s1[31], s2[31], text[512];
    tu_random_key_id(id1);
    tu_random_key_id(id2);
    tu_random_secret(s1);
    tu_random_secret(s2);
    snprintf(text, sizeof text, "prod:\n  id: %s\n  secret: %s\ndev:\n  id: %s\n  secret: %s\n",
             id1, s1, id2, s2);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 2);
    assert_string_equal(f.items[0].secret, s1);
    assert_string_equal(f.items[1].secret, s2);
    ak_findings_free(&f);
}

static void test_windows_of_large_buffer(void **state)
{
    (void)state;
    ak_buf text = AK_BUF_INIT;
    char id[25];
    tu_random_key_id(id);
    for (int i = 0; i < 20000; i++) ak_buf_puts(&text, "lorem ipsum dolor sit amet\n");
    ak_buf_printf(&text, "id=%s\n", id);
    for (int i = 0; i < 20000; i++) ak_buf_puts(&text, "lorem ipsum dolor sit amet\n");
    ak_findings out = {0};
    ak_buf err = AK_BUF_INIT;
    ak_chunk c = {(const uint8_t *)text.data, text.len, "big", NULL, 1, NULL};
    assert_int_equal(ak_scan_buffer(engine, scratch, &c, 128 * 1024, &out, &err), 0);
    assert_int_equal(out.len, 1);
    assert_int_equal(out.items[0].line, 20001);
    ak_findings_free(&out);
    ak_buf_free(&err);
    ak_buf_free(&text);
}

static void test_fingerprint_ignores_line(void **state)
{
    (void)state;
    char id[25], a[128], b[128];
    tu_random_key_id(id);
    snprintf(a, sizeof a, "id=%s\n", id);
    snprintf(b, sizeof b, "\n\n\nid=%s\n", id);
    ak_findings fa = scan_str(a), fb = scan_str(b);
    assert_int_equal(fa.len, 1);
    assert_int_equal(fb.len, 1);
    assert_string_equal(fa.items[0].fingerprint, fb.items[0].fingerprint);
    assert_int_not_equal(fa.items[0].line, fb.items[0].line);
    ak_findings_free(&fa);
    ak_findings_free(&fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair_found_with_position),
        cmocka_unit_test(test_id_alone_and_boundaries),
        cmocka_unit_test(test_legacy_id),
        cmocka_unit_test(test_placeholders_ignored),
        cmocka_unit_test(test_bare_secret_is_not_a_finding),
        cmocka_unit_test(test_secret_found_by_three_rules_is_one_finding),
        cmocka_unit_test(test_pair_window),
        cmocka_unit_test(test_base64_blob),
        cmocka_unit_test(test_percent_and_escaped),
        cmocka_unit_test(test_utf16_file),
        cmocka_unit_test(test_utf16_cjk_prefix),
        cmocka_unit_test(test_allow_comment),
        cmocka_unit_test(test_sts_credentials),
        cmocka_unit_test(test_many_candidates_bounded),
        cmocka_unit_test(test_two_pairs_each_get_their_secret),
        cmocka_unit_test(test_windows_of_large_buffer),
        cmocka_unit_test(test_fingerprint_ignores_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
