/* Detection engine: real rules (the built-in file), real Vectorscan and PCRE2, generated keys. */
#include "testutil.h"

#include "detect/decode.h"
#include "detect/detect.h"
#include "detect/filter.h"
#include "detect/rules.h"
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

/* ---------- issue 14: accuracy classes ---------- */

static size_t count_kind(const ak_findings *f, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < f->len; i++) n += !strcmp(ak_kind_name(f->items[i].kind), kind);
    return n;
}

/* Uniform random text over `abc` (vowels included, unlike tu_random_alnum): what real keys are. */
static void uniform_text(uint64_t *st, char *out, size_t n, const char *abc)
{
    size_t m = strlen(abc);
    for (size_t i = 0; i < n; i++) {
        *st ^= *st << 13;
        *st ^= *st >> 7;
        *st ^= *st << 17;
        out[i] = abc[*st % m];
    }
    out[n] = '\0';
}

/* uniform_text redrawn until the placeholder checks accept it (they reject < 0.1%, see below). */
static void plausible_text(uint64_t *st, char *out, size_t n, const char *abc)
{
    do uniform_text(st, out, n, abc);
    while (ak_is_placeholder(&rules->placeholders, out, n));
}

static const char ALNUM[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* A million random keys of every shape the rules see: fewer than 0.1% may be taken for
 * placeholders (words, runs, sequences), and documentation values spelled from words are. */
static void test_word_likeness_calibrated(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        const char *abc;
    } shapes[] = {{20, ALNUM},
                  {12, ALNUM},
                  {30, ALNUM},
                  {44, ALNUM},
                  {30, "abcdefghijklmnopqrstuvwxyz0123456789"},
                  {12, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
                  {20, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}};
    const size_t per_shape = 1000000 / (sizeof shapes / sizeof *shapes) + 1;
    uint64_t st = 0x9e3779b97f4a7c15ull;
    size_t total = 0, rejected = 0;
    char key[65];
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++)
        for (size_t i = 0; i < per_shape; i++, total++) {
            uniform_text(&st, key, shapes[k].len, shapes[k].abc);
            rejected += ak_is_placeholder(&rules->placeholders, key, shapes[k].len);
        }
    assert_true(total >= 1000000);
    assert_true(rejected * 1000 < total);
    static const char *const wordy[] = {
        "NotARealSecretForDocsPurposes1", "Dem0Acc3ssKey",
        "IntegrationTestSuite",           "ntegrationTestSuite",
        "5tInsertAccessKeyHere",          "SuperSecretPasswordForTesting1"};
    for (size_t i = 0; i < sizeof wordy / sizeof *wordy; i++)
        assert_true(ak_is_placeholder(&rules->placeholders, wordy[i], strlen(wordy[i])));
}

static void test_lone_secret_under_alibaba_names(void **state)
{
    (void)state;
    static const char *const names[] = {"alibabaToken",
                                        "alibaba-token",
                                        "ALIBABA_KEY",
                                        "alibaba_api_token",
                                        "aliyun_sts_access_key_secret",
                                        "AliCloudSecret"};
    static const char *const forms[] = {"%s=%s",
                                        "export %s='%s'",
                                        "%s: %s",
                                        "{\"%s\": \"%s\"}",
                                        "%s = \"%s\"",
                                        "%s := \"%s\"",
                                        "'%s' => '%s',",
                                        "<%s>%s</x>",
                                        "<c %s=\"%s\"/>",
                                        "tool --%s %s",
                                        "x = env.%s || '%s'",
                                        "%s ?= %s",
                                        "getenv(\"%s\", \"%s\")",
                                        "%s：%s",
                                        "%s的值为：“%s”",
                                        "%s 是「%s」"};
    char sec[31], text[256];
    uint64_t st = 42;
    for (size_t n = 0; n < sizeof names / sizeof *names; n++)
        for (size_t k = 0; k < sizeof forms / sizeof *forms; k++) {
            /* any case mix, lower case and digits only included */
            plausible_text(&st, sec, 30, k % 2 ? "abcdefghijklmnopqrstuvwxyz0123456789" : ALNUM);
            snprintf(text, sizeof text, forms[k], names[n], sec);
            ak_findings f = scan_str(text);
            if (f.len != 1 || !f.items[0].secret || strcmp(f.items[0].secret, sec))
                fail_msg("not found once: %s", text);
            ak_findings_free(&f);
        }
    static const char *const not_secrets[] = {"ALIBABA_KEY_ID=%s", "alibabaRegion: %s",
                                              "alibaba_bucket = \"%s\""};
    for (size_t k = 0; k < sizeof not_secrets / sizeof *not_secrets; k++) {
        tu_random_secret(sec);
        snprintf(text, sizeof text, not_secrets[k], sec);
        ak_findings f = scan_str(text);
        if (f.len) fail_msg("reported: %s", text);
        ak_findings_free(&f);
    }
}

static ak_findings scan_id(const char *tail)
{
    char text[128];
    snprintf(text, sizeof text, "access_key_id = LT%s%s\n", "AI", tail);
    return scan_str(text);
}

/* LTAI + 12 exactly, or LTAI + 17..21; with or without a digit. */
static void test_id_lengths_and_letters_only(void **state)
{
    (void)state;
    uint64_t st = 7;
    char tail[32];
    for (size_t n = 10; n <= 24; n++) {
        plausible_text(&st, tail, n, ALNUM);
        tail[0] = 'K'; /* never "5t" + 12: that is tested below */
        ak_findings f = scan_id(tail);
        size_t want = n == 12 || (n >= 17 && n <= 21);
        if (f.len != want) fail_msg("LTAI + %zu: %zu findings", n, f.len);
        ak_findings_free(&f);
    }
    tu_random_alnum(tail, 12);
    char five_t[16] = "5t";
    memcpy(five_t + 2, tail, 13);
    ak_findings f = scan_id(five_t);
    assert_int_equal(f.len, 0);
    ak_findings_free(&f);
    for (size_t n = 12; n <= 20; n += 8)
        for (int i = 0; i < 20; i++) {
            plausible_text(&st, tail, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
            f = scan_id(tail);
            if (f.len != 1) fail_msg("letters-only ID LTAI%s not found", tail);
            ak_findings_free(&f);
        }
}

/* A key split into adjacent string literals is joined before matching. */
static void test_split_literals(void **state)
{
    (void)state;
    char id[25], sec[31], tok[401], text[1024];
    tu_random_key_id(id);
    tu_random_secret(sec);
    tu_random_alnum(tok, 400);
    static const char *const id_forms[] = {"id = '%.10s' + '%s'", "ID = (\"%.10s\"\n      \"%s\")",
                                           "$id = '%.10s' . '%s';", "char *id = \"%.10s\" \"%s\";"};
    for (size_t k = 0; k < sizeof id_forms / sizeof *id_forms; k++) {
        snprintf(text, sizeof text, id_forms[k], id, id + 10);
        ak_findings f = scan_str(text);
        if (f.len != 1 || strcmp(f.items[0].access_key_id, id)) fail_msg("split ID: %s", text);
        assert_int_equal(f.items[0].line, 1);
        ak_findings_free(&f);
    }
    static const char *const sec_forms[] = {"ALIYUN_SECRET = \"%.12s\" \"%s\"",
                                            "ALIYUN_SECRET=\"%.12s\"\"%s\"",
                                            "ALIYUN_SECRET := '%.12s' || '%s'"};
    for (size_t k = 1; k < sizeof sec_forms / sizeof *sec_forms; k++) {
        snprintf(text, sizeof text, sec_forms[k], sec, sec + 12);
        ak_findings g = scan_str(text);
        if (g.len != 1 || strcmp(g.items[0].secret, sec)) fail_msg("split secret: %s", text);
        ak_findings_free(&g);
    }
    snprintf(text, sizeof text, sec_forms[0], sec, sec + 12);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(f.items[0].secret, sec);
    ak_findings_free(&f);
    snprintf(text, sizeof text, "const token = 'CAIS%.150s' +\n  '%s';", tok, tok + 150);
    f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_int_equal(strlen(f.items[0].security_token), 404);
    ak_findings_free(&f);
}

/* CAES tokens (older format) are tokens; short CAIS/CAES runs are not; an STS secret under an
 * STS name is reported alone, a lone STS ID is not. */
static void test_sts_classes(void **state)
{
    (void)state;
    char tok[301], sec[45], sid[26], text[512];
    tu_random_alnum(tok, 300);
    tu_random_alnum(sec, 44);
    tu_random_alnum(sid, 25);
    snprintf(text, sizeof text, "ALIBABA_CLOUD_SECURITY_TOKEN=CAES%s\n", tok);
    ak_findings f = scan_str(text);
    assert_int_equal(count_kind(&f, "sts_credentials"), 1);
    ak_findings_free(&f);
    snprintf(text, sizeof text, "token = \"CAIS%.40s\"\nother: CAES%.60s\n", tok, tok + 50);
    f = scan_str(text);
    assert_int_equal(f.len, 0);
    ak_findings_free(&f);
    snprintf(text, sizeof text, "ALIBABA_CLOUD_STS_ACCESS_KEY_SECRET=%s\n", sec);
    f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(f.items[0].secret, sec);
    ak_findings_free(&f);
    snprintf(text, sizeof text, "AccessKeyId: STS.%s\n", sid);
    f = scan_str(text);
    assert_int_equal(f.len, 0);
    ak_findings_free(&f);
}

/* A mask written with escapes is a mask, and the key-shaped prefix before it is no key. */
static void test_escaped_masks(void **state)
{
    (void)state;
    static const char *const masks[] = {"****",         "\\*\\*\\*\\*", "&#42;&#42;", "%2A%2A",
                                        "\xe2\x80\xa6", "...",          "<redacted>", "[REDACTED]"};
    char id12[13], sec[31], sid[22], text[256];
    tu_random_alnum(id12, 12);
    tu_random_secret(sec);
    tu_random_alnum(sid, 21);
    for (size_t k = 0; k < sizeof masks / sizeof *masks; k++) {
        snprintf(text, sizeof text,
                 "id: LTAI%s%s\nx\nx\nx\nx\nx\nx\nAccessKeySecret: %s%s\nx\nx\nx\nx\nx\nx\n"
                 "AccessKeyId: STS.%s%s\n",
                 id12, masks[k], sec, masks[k], sid, masks[k]);
        ak_findings f = scan_str(text);
        if (f.len) fail_msg("mask %s: %zu findings", masks[k], f.len);
        ak_findings_free(&f);
    }
}

/* A security token embeds its STS ID: decoded, it is the same credential, one finding. */
static void test_token_embedding_its_id(void **state)
{
    (void)state;
    char sid[30] = "STS.", sec[45], pad[200], text[2048];
    tu_random_alnum(sid + 4, 25);
    tu_random_alnum(sec, 44);
    tu_random_alnum(pad, 199);
    ak_buf raw = AK_BUF_INIT, tok = AK_BUF_INIT;
    ak_buf_append(&raw, "\x08\x02\x12", 3);
    ak_buf_append(&raw, pad, 60);
    ak_buf_append(&raw, "\x1a\x1d", 2); /* a protobuf field: tag, length, then the ID */
    ak_buf_append(&raw, sid, strlen(sid));
    ak_buf_append(&raw, "\x22\x10", 2);
    ak_buf_append(&raw, pad, 199);
    ak_base64_encode((const uint8_t *)raw.data, raw.len, &tok);
    snprintf(
        text, sizeof text,
        "{\"AccessKeyId\": \"%s\",\n \"AccessKeySecret\": \"%s\",\n \"SecurityToken\": \"%s\"}\n",
        sid, sec, ak_buf_cstr(&tok));
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_string_equal(f.items[0].access_key_id, sid);
    assert_string_equal(f.items[0].security_token, ak_buf_cstr(&tok));
    ak_findings_free(&f);
    ak_buf_free(&raw);
    ak_buf_free(&tok);
}

/* An STS credential beside an Expiration that has passed is expired, judged by the clock the
 * test fixes; one whose Expiration is ahead is not. */
static void test_expired_sts_sample(void **state)
{
    (void)state;
    char sid[26], sec[45], tok[301], text[1024];
    tu_random_alnum(sid, 25);
    tu_random_alnum(sec, 44);
    tu_random_alnum(tok, 300);
    snprintf(text, sizeof text,
             "{\"AccessKeyId\": \"STS.%s\",\n \"AccessKeySecret\": \"%s\",\n"
             " \"SecurityToken\": \"CAIS%s\",\n \"Expiration\": \"2024-05-01T08:00:00Z\"}\n",
             sid, sec, tok);
    setenv("AKHOUND_NOW", "2024-05-01T09:00:00Z", 1);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_non_null(f.items[0].validation);
    assert_string_equal(ak_val_status_name(f.items[0].validation->status), "expired");
    ak_findings_free(&f);
    setenv("AKHOUND_NOW", "2024-05-01T07:00:00Z", 1);
    f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_null(f.items[0].validation);
    ak_findings_free(&f);
    /* a token shown alone, its Expiration written with a space */
    snprintf(text, sizeof text, "SecurityToken: CAIS%s\nExpiration: 2024-04-30 23:00:00\n", tok);
    f = scan_str(text);
    assert_int_equal(f.len, 1);
    assert_non_null(f.items[0].validation);
    assert_string_equal(ak_val_status_name(f.items[0].validation->status), "expired");
    ak_findings_free(&f);
    unsetenv("AKHOUND_NOW");
}

/* The same STS ID and secret repeated 30 lines below their expired sample (a test asserting the
 * fixture's values) are the same dead sample: both findings are expired. A different credential
 * further down is not. */
static void test_expired_sts_repeated(void **state)
{
    (void)state;
    char sid[26], sec[45], tok[301], sid2[26], sec2[45];
    tu_random_alnum(sid, 25);
    tu_random_alnum(sec, 44);
    tu_random_alnum(tok, 300);
    tu_random_alnum(sid2, 25);
    tu_random_alnum(sec2, 44);
    ak_buf b = AK_BUF_INIT;
    ak_buf_printf(&b,
                  "{\"AccessKeyId\": \"STS.%s\",\n \"AccessKeySecret\": \"%s\",\n"
                  " \"SecurityToken\": \"CAIS%s\",\n \"Expiration\": \"2024-05-01T08:00:00Z\"}\n",
                  sid, sec, tok);
    for (int i = 0; i < 30; i++) ak_buf_puts(&b, "// ...\n");
    ak_buf_printf(&b, "assert(id == \"STS.%s\");\nassert(secret == \"%s\");\n", sid, sec);
    for (int i = 0; i < 30; i++) ak_buf_puts(&b, "// ...\n");
    ak_buf_printf(&b, "other_id = \"STS.%s\"\nother_secret = \"%s\"\n", sid2, sec2);
    setenv("AKHOUND_NOW", "2024-05-01T09:00:00Z", 1);
    ak_findings f = scan_str(b.data);
    assert_int_equal(f.len, 3);
    for (size_t i = 0; i < f.len; i++) {
        int other = !strcmp(f.items[i].access_key_id + 4, sid2);
        if (other) {
            assert_null(f.items[i].validation);
        } else {
            assert_non_null(f.items[i].validation);
            assert_string_equal(ak_val_status_name(f.items[i].validation->status), "expired");
        }
    }
    ak_findings_free(&f);
    unsetenv("AKHOUND_NOW");
    ak_buf_free(&b);
}

/* The AccessKeyId of a presigned URL is public by design; the same ID in a plain API URL is not. */
static void test_presigned_url_id(void **state)
{
    (void)state;
    char id[25], sig[28], text[512];
    tu_random_key_id(id);
    tu_random_alnum(sig, 27);
    snprintf(text, sizeof text,
             "https://b.oss-cn-hangzhou.aliyuncs.com/a.jpg?OSSAccessKeyId=%s&Expires=1700000000"
             "&Signature=%s%%3D\n",
             id, sig);
    ak_findings f = scan_str(text);
    assert_int_equal(f.len, 0);
    ak_findings_free(&f);
    snprintf(text, sizeof text, "https://ecs.aliyuncs.com/?Action=DescribeRegions&AccessKeyId=%s\n",
             id);
    f = scan_str(text);
    assert_int_equal(f.len, 1);
    ak_findings_free(&f);
}

/* What the history scan relies on to skip most of a blob: a clean chunk (plain text, no hit of
 * the fast pass) has no finding, and ak_engine_literal_in sees the literals that make a hit. */
static void test_clean_chunks(void **state)
{
    (void)state;
    char id[25], sec[31], text[256];
    tu_random_key_id(id);
    tu_random_secret(sec);
    ak_scratch_take_clean(scratch);
    ak_findings f = scan_str("int main(void) { return 0; }\n");
    assert_int_equal(f.len, 0);
    assert_int_equal(ak_scratch_take_clean(scratch), 1);
    ak_findings_free(&f);
    snprintf(text, sizeof text, "AccessKeyId=%s\nAccessKeySecret=%s\n", id, sec);
    f = scan_str(text);
    assert_true(f.len > 0);
    assert_int_equal(ak_scratch_take_clean(scratch), 0);
    ak_findings_free(&f);
    f = scan_str("the accesskeysecret goes in the vault\n"); /* a keyword, no finding */
    assert_int_equal(f.len, 0);
    assert_int_equal(ak_scratch_take_clean(scratch), 0);
    ak_findings_free(&f);
    static const char u16[] = "h\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0\n\0";
    f = scan_text(u16, sizeof u16 - 1); /* decoded as UTF-16: never called clean */
    assert_int_equal(ak_scratch_take_clean(scratch), 0);
    assert_int_equal(ak_engine_plain_only((const uint8_t *)u16, sizeof u16 - 1), 0);
    ak_findings_free(&f);
    assert_int_equal(ak_scratch_take_clean(scratch), 1); /* taking it reset it */
    assert_int_equal(ak_engine_literal_in(engine, scratch, (const uint8_t *)id, 24), 1);
    assert_int_equal(ak_engine_literal_in(engine, scratch, (const uint8_t *)"plain words", 11), 0);
    assert_int_equal(ak_engine_literal_in(engine, scratch, (const uint8_t *)"x_ACCESS_SECRET=", 16),
                     1);
    assert_true(ak_engine_max_literal(engine) >= strlen("secretaccesskey_aliyun"));
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
        cmocka_unit_test(test_word_likeness_calibrated),
        cmocka_unit_test(test_lone_secret_under_alibaba_names),
        cmocka_unit_test(test_id_lengths_and_letters_only),
        cmocka_unit_test(test_split_literals),
        cmocka_unit_test(test_sts_classes),
        cmocka_unit_test(test_escaped_masks),
        cmocka_unit_test(test_token_embedding_its_id),
        cmocka_unit_test(test_expired_sts_sample),
        cmocka_unit_test(test_expired_sts_repeated),
        cmocka_unit_test(test_presigned_url_id),
        cmocka_unit_test(test_clean_chunks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
