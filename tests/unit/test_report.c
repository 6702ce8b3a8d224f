/*
 * Report writers (scanner/report/): every format written to real files and read back. The checks
 * that matter most: no secret, security token or candidate ever appears in any output unless
 * show_secrets is set (and never in SARIF); hostile paths (newline, invalid UTF-8, escape
 * sequences) give valid JSON and cannot forge a text line; findings survive a JSON round trip.
 *
 * Key material is generated at run time (testutil.h). With AK_REPORT_OUT=DIR the SARIF, JSON and
 * JSONL outputs are left in DIR, so the integration test NN-report-sarif.sh can validate them
 * against the official SARIF schema.
 */
#include "testutil.h"

#include "detect/detect.h"
#include "report/escape.h"
#include "report/json.h"
#include "report/report.h"
#include "util/mem.h"

#include <jansson.h>
#include <sys/stat.h>

/* A path that tries everything: a newline starting a forged finding line, a byte that is not
 * UTF-8, an ANSI colour sequence and a right-to-left override. */
#define HOSTILE_PATH "dir/a b\nFORGED.txt:1:1: access_key_pair\xff\x1b[31m\xe2\x80\xaes.env"

typedef struct fixture {
    ak_findings list;
    char *secrets[16]; /* every secret-like string put into the findings */
    size_t n_secrets;
    char *dir;
    int keep_dir;
} fixture;

static char *remember(fixture *fx, char *s)
{
    assert_true(fx->n_secrets < sizeof fx->secrets / sizeof *fx->secrets);
    fx->secrets[fx->n_secrets++] = ak_strdup(s);
    return s;
}

static char *new_id(void)
{
    char id[25] = {0};
    tu_random_key_id(id);
    return ak_strdup(id);
}

static char *new_secret(fixture *fx, size_t len)
{
    char *s = ak_malloc(len + 1);
    tu_random_alnum(s, len);
    return remember(fx, s);
}

/* An STS security token: "CA" "IS" plus random text, split so no key-shaped literal exists. */
static char *new_token(fixture *fx)
{
    char body[121] = {0};
    tu_random_alnum(body, 120);
    ak_buf b = AK_BUF_INIT;
    ak_buf_printf(&b, "%s%s%s", "CA", "IS", body);
    return remember(fx, ak_buf_detach(&b));
}

static void base_finding(ak_finding *f, ak_kind kind, const char *rule, const char *path,
                         uint32_t line)
{
    memset(f, 0, sizeof *f);
    f->rule = ak_strdup(rule);
    f->kind = kind;
    f->path = ak_strdup(path);
    f->line = line;
    f->column = 7;
    f->encoding = "plain";
}

static void add_pair(fixture *fx, const char *path, int with_git)
{
    ak_finding f;
    base_finding(&f, AK_KIND_ACCESS_KEY_PAIR, "alibaba-access-key-pair", path, 3);
    f.access_key_id = new_id();
    f.secret = new_secret(fx, 30);
    if (with_git) {
        f.commit = ak_commit_info_new("0123456789abcdef0123456789abcdef01234567", "A. Author\n",
                                      "a@example.org", "2024-05-01T10:00:00Z",
                                      "add config \xc3\x28 \x1b[2J");
        f.blob = ak_strdup("89abcdef0123456789abcdef0123456789abcdef");
        f.repository = ak_strdup("org/repo");
        f.link = ak_strdup("https://example.org/org/repo/blob/0123/config.env#L3");
        f.encoding = "base64";
    }
    ak_finding_fingerprint(&f);
    ak_findings_push(&fx->list, &f);
}

static void add_validated_sts(fixture *fx)
{
    ak_finding f;
    base_finding(&f, AK_KIND_STS_CREDENTIALS, "alibaba-sts-credentials", "./deploy/sts.json", 10);
    char tail[27] = {0};
    tu_random_alnum(tail, 26);
    ak_buf id = AK_BUF_INIT;
    ak_buf_printf(&id, "%s%s", "STS.", tail);
    f.access_key_id = ak_buf_detach(&id);
    f.secret = new_secret(fx, 44);
    f.security_token = new_token(fx);
    f.n_candidates = 2;
    f.candidates = ak_calloc(2, sizeof(char *));
    f.candidates[0] = new_secret(fx, 30);
    f.candidates[1] = new_secret(fx, 30);
    f.validation = ak_calloc(1, sizeof *f.validation);
    f.validation->status = AK_VAL_VALID;
    f.validation->identity_type = ak_strdup("AssumedRoleUser");
    f.validation->account_id = ak_strdup("1234567890123456");
    f.validation->arn = ak_strdup("acs:ram::1234567890123456:assumed-role/ci/session");
    f.validation->principal_id = ak_strdup("300000000000000000:session");
    f.validation->checked_at = ak_strdup("2024-05-01T10:00:00Z");
    f.validation->detail = NULL;
    ak_finding_fingerprint(&f);
    ak_findings_push(&fx->list, &f);
}

static void add_lone_parts(fixture *fx)
{
    ak_finding f;
    base_finding(&f, AK_KIND_ACCESS_KEY_ID, "alibaba-access-key-id", "/abs/path/app.py", 1);
    f.access_key_id = new_id();
    ak_finding_fingerprint(&f);
    ak_findings_push(&fx->list, &f);
    base_finding(&f, AK_KIND_ACCESS_KEY_SECRET, "alibaba-access-key-secret", HOSTILE_PATH, 2);
    f.secret = new_secret(fx, 30);
    f.validation = ak_calloc(1, sizeof *f.validation);
    f.validation->status = AK_VAL_NOT_FOUND;
    f.validation->detail = ak_strdup("InvalidAccessKeyId.NotFound");
    ak_finding_fingerprint(&f);
    ak_findings_push(&fx->list, &f);
}

/* Every field NULL or zero, and a kind out of range: writers must cope. */
static void add_empty(fixture *fx)
{
    ak_finding f;
    memset(&f, 0, sizeof f);
    f.kind = (ak_kind)(AK_KIND__COUNT + 3);
    ak_findings_push(&fx->list, &f);
}

static int setup(void **state)
{
    fixture *fx = ak_calloc(1, sizeof *fx);
    const char *keep = getenv("AK_REPORT_OUT");
    if (keep && *keep) {
        mkdir(keep, 0700);
        fx->dir = ak_strdup(keep);
        fx->keep_dir = 1;
    } else {
        fx->dir = tu_tmpdir();
    }
    assert_non_null(fx->dir);
    add_pair(fx, "src/config.env", 0);
    add_pair(fx, "history/config.env", 1);
    add_validated_sts(fx);
    add_lone_parts(fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    ak_findings_free(&fx->list);
    for (size_t i = 0; i < fx->n_secrets; i++) free(fx->secrets[i]);
    if (fx->keep_dir)
        free(fx->dir);
    else
        tu_rmrf(fx->dir);
    free(fx);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    ak_buf b = AK_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) ak_buf_append(&b, chunk, n);
    fclose(f);
    return ak_buf_detach(&b);
}

static char *path_in(const fixture *fx, const char *name)
{
    ak_buf b = AK_BUF_INIT;
    ak_buf_printf(&b, "%s/%s", fx->dir, name);
    return ak_buf_detach(&b);
}

static const ak_scan_summary sample_summary = {42, 3 * 1024 * 1024, 2, 1, 0, 0, 0.25, 1, 1, NULL,
                                               0};

/* Writes fx's findings in one format to DIR/name and returns the file's text. */
static char *write_format(fixture *fx, const char *name, ak_format fmt, int show,
                          const ak_findings *list)
{
    char *path = path_in(fx, name);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    ak_report_opts opts = {fmt, show, 0, NULL, NULL};
    assert_int_equal(ak_report_write(out, list ? list : &fx->list, &sample_summary, &opts), 0);
    fclose(out);
    char *text = slurp(path);
    free(path);
    return text;
}

static void assert_no_secret(const fixture *fx, const char *text, const char *what)
{
    for (size_t i = 0; i < fx->n_secrets; i++) {
        if (strstr(text, fx->secrets[i])) fail_msg("%s output holds secret #%zu in clear", what, i);
        /* Half a secret would still be a leak worth catching. */
        char half[32];
        snprintf(half, sizeof half, "%.16s", fx->secrets[i]);
        if (strstr(text, half)) fail_msg("%s output holds part of secret #%zu", what, i);
    }
}

/* ---- small pieces ---- */

static void test_format_parse(void **state)
{
    (void)state;
    assert_int_equal(ak_format_parse("text"), AK_FMT_TEXT);
    assert_int_equal(ak_format_parse("json"), AK_FMT_JSON);
    assert_int_equal(ak_format_parse("jsonl"), AK_FMT_JSONL);
    assert_int_equal(ak_format_parse("sarif"), AK_FMT_SARIF);
    assert_int_equal(ak_format_parse("SARIF"), -1);
    assert_int_equal(ak_format_parse("xml"), -1);
    assert_int_equal(ak_format_parse(NULL), -1);
    assert_string_equal(ak_format_name(AK_FMT_JSONL), "jsonl");
    assert_null(ak_format_name((ak_format)9));
}

static void summary_is(const ak_scan_summary *s, size_t n, const char *want)
{
    ak_buf b = AK_BUF_INIT;
    ak_summary_format(s, n, &b);
    assert_string_equal(ak_buf_cstr(&b), want);
    ak_buf_free(&b);
}

static void test_summary_format(void **state)
{
    (void)state;
    ak_scan_summary s = {0};
    s.files = 12;
    s.bytes = 1024 * 1024 / 2;
    s.seconds = 0.123;
    summary_is(&s, 2, "scanned 12 files (0.50 MiB) in 0.12 s: 2 findings");
    s.files = 1;
    summary_is(&s, 1, "scanned 1 file (0.50 MiB) in 0.12 s: 1 finding");
    s.suppressed = 3;
    s.skipped = 4;
    summary_is(&s, 0, "scanned 1 file (0.50 MiB) in 0.12 s: 0 findings, 3 suppressed, 4 skipped");
    s.incomplete = 1;
    s.errors = 2;
    summary_is(&s, 0,
               "scanned 1 file (0.50 MiB) in 0.12 s: 0 findings, 3 suppressed, incomplete: 2 "
               "errors, 4 skipped");
    ak_scan_summary g = {0};
    g.blobs = 40;
    g.commits = 7;
    g.seconds = 1.2;
    summary_is(&g, 1, "scanned 40 blobs in 7 commits (0.00 MiB) in 1.20 s: 1 finding");
    summary_is(NULL, 0, "scanned 0 files (0.00 MiB) in 0.00 s: 0 findings");
}

static void escaped_is(const char *in, ak_esc_mode mode, const char *want)
{
    ak_buf b = AK_BUF_INIT;
    ak_escape_append(&b, in, mode);
    assert_string_equal(ak_buf_cstr(&b), want);
    ak_buf_free(&b);
}

static void test_escape(void **state)
{
    (void)state;
    escaped_is("plain/path.txt", AK_ESC_TEXT, "plain/path.txt");
    escaped_is("caf\xc3\xa9", AK_ESC_TEXT, "caf\xc3\xa9");
    escaped_is("a\nb\tc\x1b[0m\x7f", AK_ESC_TEXT, "a\\x0ab\\x09c\\x1b[0m\\x7f");
    escaped_is("a\nb", AK_ESC_JSON, "a\nb");
    escaped_is("x\xffy", AK_ESC_JSON, "x\\xffy");
    escaped_is("\xc0\x80", AK_ESC_JSON, "\\xc0\\x80");                   /* overlong NUL */
    escaped_is("\xed\xa0\x80", AK_ESC_JSON, "\\xed\\xa0\\x80");          /* surrogate */
    escaped_is("\xf4\x90\x80\x80", AK_ESC_JSON, "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
    escaped_is("\xe2\x82", AK_ESC_JSON, "\\xe2\\x82");                   /* truncated */
    escaped_is("\xf0\x9f\x94\x91", AK_ESC_TEXT, "\xf0\x9f\x94\x91");     /* a 4-byte emoji stays */
    escaped_is("a\xe2\x80\xae"
               "b\xc2\x85",
               AK_ESC_TEXT, "a\\u{202e}b\\u{0085}");
    escaped_is(NULL, AK_ESC_TEXT, "");

    json_t *j = ak_escape_json_string("bad\xfe");
    assert_string_equal(json_string_value(j), "bad\\xfe");
    json_decref(j);
    j = ak_escape_json_string(NULL);
    assert_true(json_is_null(j));
    json_decref(j);

    ak_buf b = AK_BUF_INIT;
    ak_escape_uri_append(&b, "d ir/a:b\xff%.txt");
    assert_string_equal(ak_buf_cstr(&b), "d%20ir/a%3Ab%FF%25.txt");
    ak_buf_free(&b);
}

/* ---- JSON objects ---- */

static void assert_keys(const json_t *obj, const char *const *want)
{
    const char *key;
    const json_t *value;
    size_t i = 0;
    json_object_foreach((json_t *)obj, key, value)
    {
        (void)value;
        assert_non_null(want[i]);
        assert_string_equal(key, want[i]);
        i++;
    }
    assert_null(want[i]);
}

static void test_finding_json_redacted(void **state)
{
    fixture *fx = *state;
    const ak_finding *f = &fx->list.items[1]; /* the pair with commit */
    json_t *o = ak_finding_to_json(f, 0);
    static const char *const keys[] = {"rule",
                                       "kind",
                                       "access_key_id",
                                       "secret_redacted",
                                       "secret_sha256",
                                       "candidate_count",
                                       "path",
                                       "line",
                                       "column",
                                       "commit",
                                       "blob",
                                       "encoding",
                                       "repository",
                                       "link",
                                       "fingerprint",
                                       "validation",
                                       NULL};
    assert_keys(o, keys);
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "access_key_pair");
    assert_string_equal(json_string_value(json_object_get(o, "access_key_id")), f->access_key_id);
    char sha[65], red[64];
    ak_sha256_hex(f->secret, strlen(f->secret), sha);
    ak_redact(f->secret, red, sizeof red);
    assert_string_equal(json_string_value(json_object_get(o, "secret_sha256")), sha);
    assert_string_equal(json_string_value(json_object_get(o, "secret_redacted")), red);
    assert_int_equal(json_integer_value(json_object_get(o, "line")), 3);
    json_t *c = json_object_get(o, "commit");
    static const char *const ckeys[] = {"id", "author", "email", "date", "summary", NULL};
    assert_keys(c, ckeys);
    assert_string_equal(json_string_value(json_object_get(c, "author")), "A. Author\n");
    assert_string_equal(json_string_value(json_object_get(c, "summary")),
                        "add config \\xc3( \x1b[2J");
    assert_true(json_is_null(json_object_get(o, "validation")));
    char *dump = json_dumps(o, JSON_COMPACT);
    assert_no_secret(fx, dump, "finding json");
    free(dump);
    json_decref(o);
}

static void test_finding_json_shown(void **state)
{
    fixture *fx = *state;
    const ak_finding *f = &fx->list.items[2]; /* STS, validated, with candidates */
    json_t *o = ak_finding_to_json(f, 1);
    static const char *const keys[] = {"rule",
                                       "kind",
                                       "access_key_id",
                                       "secret",
                                       "secret_redacted",
                                       "secret_sha256",
                                       "security_token",
                                       "security_token_sha256",
                                       "candidates",
                                       "candidate_count",
                                       "path",
                                       "line",
                                       "column",
                                       "commit",
                                       "blob",
                                       "encoding",
                                       "fingerprint",
                                       "validation",
                                       NULL};
    assert_keys(o, keys);
    assert_string_equal(json_string_value(json_object_get(o, "secret")), f->secret);
    assert_string_equal(json_string_value(json_object_get(o, "security_token")), f->security_token);
    assert_int_equal(json_array_size(json_object_get(o, "candidates")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "candidate_count")), 2);
    json_t *v = json_object_get(o, "validation");
    static const char *const vkeys[] = {"status",       "identity_type", "account_id", "arn",
                                        "principal_id", "checked_at",    "detail",     NULL};
    assert_keys(v, vkeys);
    assert_string_equal(json_string_value(json_object_get(v, "status")), "valid");
    assert_true(json_is_null(json_object_get(v, "detail")));
    json_decref(o);

    o = ak_finding_to_json(f, 0);
    assert_null(json_object_get(o, "secret"));
    assert_null(json_object_get(o, "security_token"));
    assert_null(json_object_get(o, "candidates"));
    assert_non_null(json_object_get(o, "security_token_sha256"));
    json_decref(o);
}

static void assert_str_same(const char *a, const char *b)
{
    if (!a || !b)
        assert_true(a == b);
    else
        assert_string_equal(a, b);
}

static void assert_same_finding(const ak_finding *a, const ak_finding *b, int secrets)
{
    assert_str_same(a->rule, b->rule);
    assert_int_equal(a->kind, b->kind);
    assert_str_same(a->access_key_id, b->access_key_id);
    assert_str_same(secrets ? a->secret : NULL, b->secret);
    assert_str_same(secrets ? a->security_token : NULL, b->security_token);
    assert_int_equal(secrets ? a->n_candidates : 0, b->n_candidates);
    for (size_t i = 0; i < b->n_candidates; i++)
        assert_string_equal(a->candidates[i], b->candidates[i]);
    assert_str_same(a->path, b->path);
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->column, b->column);
    assert_str_same(a->encoding, b->encoding);
    assert_str_same(a->blob, b->blob);
    assert_str_same(a->repository, b->repository);
    assert_str_same(a->link, b->link);
    assert_string_equal(a->fingerprint, b->fingerprint);
    assert_true((a->commit == NULL) == (b->commit == NULL));
    if (a->commit) {
        assert_str_same(a->commit->id, b->commit->id);
        assert_str_same(a->commit->email, b->commit->email);
        assert_str_same(a->commit->date, b->commit->date);
    }
    assert_true((a->validation == NULL) == (b->validation == NULL));
    if (a->validation) {
        assert_int_equal(a->validation->status, b->validation->status);
        assert_str_same(a->validation->arn, b->validation->arn);
        assert_str_same(a->validation->detail, b->validation->detail);
    }
}

static void test_finding_roundtrip(void **state)
{
    fixture *fx = *state;
    for (size_t i = 0; i < fx->list.len; i++) {
        const ak_finding *f = &fx->list.items[i];
        if (!f->rule || !strcmp(f->path, HOSTILE_PATH)) continue; /* read back as escaped text */
        for (int show = 0; show <= 1; show++) {
            json_t *o = ak_finding_to_json(f, show);
            ak_finding back;
            ak_buf err = AK_BUF_INIT;
            if (ak_finding_from_json(&back, o, &err) != 0)
                fail_msg("finding %zu: %s", i, ak_buf_cstr(&err));
            assert_same_finding(f, &back, show);
            ak_finding_free(&back);
            ak_buf_free(&err);
            json_decref(o);
        }
    }
}

static void from_json_fails(fixture *fx, const char *text, const char *want)
{
    json_error_t jerr;
    json_t *o = json_loads(text, JSON_DECODE_ANY, &jerr);
    assert_non_null(o);
    ak_finding f;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_finding_from_json(&f, o, &err), -1);
    if (!strstr(ak_buf_cstr(&err), want))
        fail_msg("error '%s' lacks '%s' for %s", ak_buf_cstr(&err), want, text);
    assert_no_secret(fx, ak_buf_cstr(&err), "error message");
    assert_null(f.rule);
    ak_buf_free(&err);
    json_decref(o);
}

static void test_finding_from_json_errors(void **state)
{
    fixture *fx = *state;
    const char *ok = "\"rule\":\"r\",\"kind\":\"access_key_id\",\"path\":\"p\"";
    char text[512];
    from_json_fails(fx, "[1]", "not a JSON object");
    from_json_fails(fx, "{\"kind\":\"access_key_id\",\"path\":\"p\",\"line\":1,\"column\":1}",
                    "missing field 'rule'");
    from_json_fails(fx, "{\"rule\":\"r\",\"kind\":\"nope\",\"path\":\"p\",\"line\":1,\"column\":1}",
                    "unknown kind 'nope'");
    snprintf(text, sizeof text, "{%s,\"line\":\"3\",\"column\":1}", ok);
    from_json_fails(fx, text, "field 'line' must be an integer");
    snprintf(text, sizeof text, "{%s,\"line\":-1,\"column\":1}", ok);
    from_json_fails(fx, text, "field 'line'");
    snprintf(text, sizeof text, "{%s,\"line\":1}", ok);
    from_json_fails(fx, text, "missing field 'column'");
    snprintf(text, sizeof text, "{%s,\"line\":1,\"column\":1,\"validation\":{\"status\":\"ok\"}}",
             ok);
    from_json_fails(fx, text, "unknown validation status 'ok'");
    snprintf(text, sizeof text, "{%s,\"line\":1,\"column\":1,\"commit\":{\"author\":\"x\"}}", ok);
    from_json_fails(fx, text, "missing field 'id'");
    snprintf(text, sizeof text, "{%s,\"line\":1,\"column\":1,\"fingerprint\":\"abc\"}", ok);
    from_json_fails(fx, text, "fingerprint");
    snprintf(text, sizeof text, "{%s,\"line\":1,\"column\":1,\"candidates\":[1]}", ok);
    from_json_fails(fx, text, "candidates");
    snprintf(text, sizeof text,
             "{%s,\"line\":1,\"column\":1,\"secret\":\"%s\",\"secret_sha256\":\"%064d\"}", ok,
             fx->secrets[0], 0);
    from_json_fails(fx, text, "does not match");
}

/* A finding without fingerprint gets one computed; unknown fields are ignored; an unknown
 * encoding name is kept. */
static void test_finding_from_json_lenient(void **state)
{
    (void)state;
    const char *text = "{\"rule\":\"r\",\"kind\":\"access_key_secret\",\"path\":\"p\",\"line\":4,"
                       "\"column\":2,\"encoding\":\"rot13\",\"future_field\":{\"x\":1}}";
    json_t *o = json_loads(text, 0, NULL);
    ak_finding f;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_finding_from_json(&f, o, &err), 0);
    assert_int_equal(strlen(f.fingerprint), 64);
    assert_string_equal(f.encoding, "rot13");
    ak_finding g;
    assert_int_equal(ak_finding_from_json(&g, o, &err), 0);
    assert_ptr_equal(f.encoding, g.encoding); /* interned once */
    ak_finding_free(&f);
    ak_finding_free(&g);
    ak_buf_free(&err);
    json_decref(o);
}

/* ---- whole reports ---- */

static void test_json_report(void **state)
{
    fixture *fx = *state;
    char *text = write_format(fx, "findings.json", AK_FMT_JSON, 0, NULL);
    assert_no_secret(fx, text, "json");
    json_error_t jerr;
    json_t *arr = json_loads(text, 0, &jerr);
    if (!arr) fail_msg("json report does not parse: %s (line %d)", jerr.text, jerr.line);
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), fx->list.len);
    json_t *hostile = json_array_get(arr, 4);
    assert_string_equal(json_string_value(json_object_get(hostile, "path")),
                        "dir/a b\nFORGED.txt:1:1: access_key_pair\\xff\x1b[31m\xe2\x80\xaes.env");
    json_decref(arr);
    free(text);
}

static void test_jsonl_report(void **state)
{
    fixture *fx = *state;
    char *text = write_format(fx, "findings.jsonl", AK_FMT_JSONL, 0, NULL);
    assert_no_secret(fx, text, "jsonl");
    size_t lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        if (!o) fail_msg("jsonl line %zu does not parse: %s", lines + 1, jerr.text);
        assert_true(json_is_object(o));
        json_decref(o);
    }
    assert_int_equal(lines, fx->list.len);
    free(text);
}

static void test_text_report(void **state)
{
    fixture *fx = *state;
    char *text = write_format(fx, "findings.txt", AK_FMT_TEXT, 0, NULL);
    assert_no_secret(fx, text, "text");
    assert_non_null(strstr(text, "src/config.env:3:7:"));
    assert_non_null(strstr(text, fx->list.items[0].access_key_id));
    assert_non_null(strstr(text, "\\x0aFORGED.txt"));
    assert_non_null(strstr(text, "\\xff\\x1b[31m\\u{202e}s.env"));
    assert_null(strchr(text, '\x1b')); /* no colour asked, and none smuggled in */
    assert_non_null(strstr(text, "validation    valid"));
    assert_non_null(strstr(text, "commit        0123456789ab 2024-05-01T10:00:00Z A. Author\\x0a"));
    for (const char *line = text; line; line = strchr(line, '\n')) {
        if (*line == '\n') line++;
        assert_true(strncmp(line, "FORGED", 6) != 0);
    }
    const char *last = strstr(text, "scanned 42 files (3.00 MiB) in 0.25 s: 5 findings, 1 "
                                    "suppressed, incomplete: 1 error, 2 skipped\n");
    assert_non_null(last);
    assert_string_equal(last + strcspn(last, "\n"), "\n"); /* the summary ends the report */
    free(text);
}

static void test_text_color_and_shown(void **state)
{
    fixture *fx = *state;
    char *path = path_in(fx, "findings-shown.txt");
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    ak_report_opts opts = {AK_FMT_TEXT, 1, 1, NULL, NULL};
    assert_int_equal(ak_report_write(out, &fx->list, NULL, &opts), 0);
    fclose(out);
    char *text = slurp(path);
    assert_non_null(strstr(text, "\033[1;31m"));
    for (size_t i = 0; i < fx->n_secrets; i++) assert_non_null(strstr(text, fx->secrets[i]));
    assert_null(strstr(text, "scanned ")); /* no summary given, no summary line */
    remove(path);
    free(path);
    free(text);
}

static json_t *sarif_run(const char *text)
{
    json_error_t jerr;
    json_t *log = json_loads(text, 0, &jerr);
    if (!log) fail_msg("sarif does not parse: %s", jerr.text);
    assert_string_equal(json_string_value(json_object_get(log, "version")), "2.1.0");
    assert_non_null(json_string_value(json_object_get(log, "$schema")));
    assert_int_equal(json_array_size(json_object_get(log, "runs")), 1);
    return log;
}

static void check_sarif_result(const json_t *res, const json_t *rules, const ak_finding *f)
{
    size_t idx = (size_t)json_integer_value(json_object_get(res, "ruleIndex"));
    const char *rule_id = json_string_value(json_object_get(res, "ruleId"));
    assert_true(idx < json_array_size(rules));
    assert_string_equal(json_string_value(json_object_get(json_array_get(rules, idx), "id")),
                        rule_id);
    assert_string_equal(json_string_value(json_object_get(res, "level")), "error");
    const char *msg = json_string_value(json_object_get(json_object_get(res, "message"), "text"));
    if (f->access_key_id) assert_non_null(strstr(msg, f->access_key_id));
    if (f->secret) {
        char red[64];
        ak_redact(f->secret, red, sizeof red);
        assert_non_null(strstr(msg, red));
    }
    if (f->validation) assert_non_null(strstr(msg, ak_val_status_name(f->validation->status)));
    const json_t *fp = json_object_get(json_object_get(res, "partialFingerprints"), "akhound/v1");
    if (f->fingerprint[0]) assert_string_equal(json_string_value(fp), f->fingerprint);
}

static const char *result_uri(const json_t *res)
{
    const json_t *loc =
        json_object_get(json_array_get(json_object_get(res, "locations"), 0), "physicalLocation");
    return json_string_value(json_object_get(json_object_get(loc, "artifactLocation"), "uri"));
}

static void test_sarif_report(void **state)
{
    fixture *fx = *state;
    /* show_secrets on purpose: SARIF must stay clean even then. */
    char *text = write_format(fx, "findings.sarif", AK_FMT_SARIF, 1, NULL);
    assert_no_secret(fx, text, "sarif");
    json_t *log = sarif_run(text);
    json_t *run = json_array_get(json_object_get(log, "runs"), 0);
    json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
    assert_string_equal(json_string_value(json_object_get(driver, "name")), "akhound");
    json_t *rules = json_object_get(driver, "rules");
    json_t *results = json_object_get(run, "results");
    assert_int_equal(json_array_size(results), fx->list.len);
    for (size_t i = 0; i < fx->list.len; i++)
        check_sarif_result(json_array_get(results, i), rules, &fx->list.items[i]);
    assert_string_equal(result_uri(json_array_get(results, 0)), "src/config.env");
    assert_string_equal(result_uri(json_array_get(results, 2)), "deploy/sts.json");
    assert_string_equal(result_uri(json_array_get(results, 3)), "file:///abs/path/app.py");
    assert_string_equal(
        result_uri(json_array_get(results, 4)),
        "dir/a%20b%0AFORGED.txt%3A1%3A1%3A%20access_key_pair%FF%1B%5B31m%E2%80%AEs.env");
    json_t *inv = json_array_get(json_object_get(run, "invocations"), 0);
    assert_true(json_is_false(json_object_get(inv, "executionSuccessful")));
    json_decref(log);
    free(text);
}

/* With the built-in rules, every rule is listed and results point at the right one. */
static void test_sarif_rules_metadata(void **state)
{
    fixture *fx = *state;
    ak_rules *rules = NULL;
    ak_buf err = AK_BUF_INIT;
    if (ak_rules_load_builtin(&rules, &err) != 0) {
        print_message("built-in rules unavailable (%s); skipping\n", ak_buf_cstr(&err));
        ak_buf_free(&err);
        skip();
    }
    char *path = path_in(fx, "findings-rules.sarif");
    FILE *out = fopen(path, "wb");
    ak_report_opts opts = {AK_FMT_SARIF, 0, 0, rules, NULL};
    assert_int_equal(ak_report_write(out, &fx->list, &sample_summary, &opts), 0);
    fclose(out);
    char *text = slurp(path);
    json_t *log = sarif_run(text);
    json_t *run = json_array_get(json_object_get(log, "runs"), 0);
    json_t *jrules =
        json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
    assert_true(json_array_size(jrules) >= ak_rules_count(rules));
    for (size_t i = 0; i < ak_rules_count(rules); i++) {
        ak_rule_info info;
        ak_rules_info(rules, i, &info);
        json_t *r = json_array_get(jrules, i);
        assert_string_equal(json_string_value(json_object_get(r, "id")), info.id);
        assert_non_null(json_object_get(json_object_get(r, "fullDescription"), "text"));
        assert_non_null(json_object_get(json_object_get(r, "help"), "markdown"));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(r, "defaultConfiguration"), "level")),
            "error");
        assert_true(json_array_size(json_object_get(json_object_get(r, "properties"), "tags")) > 0);
    }
    json_t *results = json_object_get(run, "results");
    for (size_t i = 0; i < fx->list.len; i++)
        check_sarif_result(json_array_get(results, i), jrules, &fx->list.items[i]);
    json_decref(log);
    free(text);
    free(path);
    ak_rules_free(rules);
    ak_buf_free(&err);
}

/* Findings whose every field is NULL must not crash any writer, and still give valid JSON. */
static void test_null_fields(void **state)
{
    fixture *fx = *state;
    fixture empty = {0};
    empty.dir = fx->dir;
    add_empty(&empty);
    static const char *const names[] = {"null.txt", "null.json", "null.jsonl", "null.sarif"};
    for (int fmt = AK_FMT_TEXT; fmt <= AK_FMT_SARIF; fmt++) {
        char *text = write_format(&empty, names[fmt], (ak_format)fmt, 1, &empty.list);
        if (fmt != AK_FMT_TEXT) {
            json_t *j = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
            assert_non_null(j);
            json_decref(j);
        }
        char *path = path_in(fx, names[fmt]);
        remove(path);
        free(path);
        free(text);
    }
    ak_findings_free(&empty.list);
}

static void test_write_error(void **state)
{
    fixture *fx = *state;
    FILE *out = fopen("/dev/full", "wb");
    if (!out) skip();
    for (int fmt = AK_FMT_TEXT; fmt <= AK_FMT_SARIF; fmt++) {
        ak_report_opts opts = {(ak_format)fmt, 0, 0, NULL, NULL};
        assert_int_equal(ak_report_write(out, &fx->list, &sample_summary, &opts), -1);
        clearerr(out);
    }
    fclose(out);
    ak_report_opts bad = {(ak_format)17, 0, 0, NULL, NULL};
    FILE *null_out = fopen("/dev/null", "wb");
    assert_int_equal(ak_report_write(null_out, &fx->list, NULL, &bad), -1);
    fclose(null_out);
}

/* ---- reading files back ---- */

static void test_read_jsonl(void **state)
{
    fixture *fx = *state;
    char *text = write_format(fx, "shown.jsonl", AK_FMT_JSONL, 1, NULL);
    free(text);
    char *path = path_in(fx, "shown.jsonl");
    ak_findings back = {0};
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_findings_read_file(&back, path, &err), 0);
    assert_string_equal(ak_buf_cstr(&err), "");
    assert_int_equal(back.len, fx->list.len);
    for (size_t i = 0; i < back.len; i++) {
        assert_string_equal(back.items[i].fingerprint, fx->list.items[i].fingerprint);
        assert_str_same(back.items[i].secret, fx->list.items[i].secret);
    }
    ak_findings_free(&back);
    ak_buf_free(&err);
    remove(path);
    free(path);
}

static void test_read_bad_lines(void **state)
{
    fixture *fx = *state;
    json_t *good = ak_finding_to_json(&fx->list.items[0], 0);
    char *line = json_dumps(good, JSON_COMPACT);
    ak_buf file = AK_BUF_INIT;
    /* line 3 is truncated right inside a secret: the error must not quote it */
    ak_buf_printf(&file, "%s\n\n{\"rule\":\"r\",\"secret\":\"%s\n%s\r\n[]\n{\"rule\":1}\n%s", line,
                  fx->secrets[1], line, line);
    char *path = path_in(fx, "bad.jsonl");
    tu_write_file(path, file.data, file.len);
    ak_findings back = {0};
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_findings_read_file(&back, path, &err), 3);
    assert_int_equal(back.len, 3);
    const char *e = ak_buf_cstr(&err);
    assert_non_null(strstr(e, "bad.jsonl:3: invalid JSON"));
    assert_non_null(strstr(e, "bad.jsonl:5: not a JSON object"));
    assert_non_null(strstr(e, "bad.jsonl:6: field 'rule' must be a string"));
    assert_no_secret(fx, e, "read error");
    ak_findings_free(&back);
    ak_buf_free(&err);
    ak_buf_free(&file);
    remove(path);
    free(path);
    free(line);
    json_decref(good);
}

static void test_read_array(void **state)
{
    fixture *fx = *state;
    free(write_format(fx, "arr.json", AK_FMT_JSON, 0, NULL));
    char *path = path_in(fx, "arr.json");
    ak_findings back = {0};
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_findings_read_file(&back, path, &err), 0);
    assert_int_equal(back.len, fx->list.len);
    assert_null(back.items[0].secret);
    ak_findings_free(&back);

    /* second element bad (kind), third element malformed: reading stops there */
    const char *text = "[\n  {\"rule\":\"r\",\"kind\":\"access_key_id\",\"path\":\"p\",\"line\":1,"
                       "\"column\":1},\n  {\"rule\":\"r\",\"kind\":\"x\",\"path\":\"p\","
                       "\"line\":1,\"column\":1},\n\n  {\"rule\": ]\n";
    tu_write_file(path, text, strlen(text));
    ak_buf_reset(&err);
    assert_int_equal(ak_findings_read_file(&back, path, &err), 2);
    assert_int_equal(back.len, 1);
    assert_non_null(strstr(ak_buf_cstr(&err), "arr.json:3: unknown kind 'x'"));
    assert_non_null(strstr(ak_buf_cstr(&err), "arr.json:5: invalid JSON"));
    ak_findings_free(&back);

    tu_write_file(path, "[]", 2);
    ak_buf_reset(&err);
    assert_int_equal(ak_findings_read_file(&back, path, &err), 0);
    assert_int_equal(back.len, 0);
    tu_write_file(path, "[{\"rule\":\"r\"} {}]", 17);
    assert_int_equal(ak_findings_read_file(&back, path, &err), 2);
    ak_buf_free(&err);
    ak_findings_free(&back);
    remove(path);
    free(path);
}

static void test_read_missing_file(void **state)
{
    fixture *fx = *state;
    char *path = path_in(fx, "does-not-exist.jsonl");
    ak_findings back = {0};
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_findings_read_file(&back, path, &err), -1);
    assert_non_null(strstr(ak_buf_cstr(&err), "does-not-exist.jsonl: No such file"));
    ak_buf_free(&err);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_summary_format),
        cmocka_unit_test(test_escape),
        cmocka_unit_test_setup_teardown(test_finding_json_redacted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finding_json_shown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finding_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finding_from_json_errors, setup, teardown),
        cmocka_unit_test(test_finding_from_json_lenient),
        cmocka_unit_test_setup_teardown(test_json_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_color_and_shown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sarif_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sarif_rules_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_jsonl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_bad_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_array, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_missing_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
