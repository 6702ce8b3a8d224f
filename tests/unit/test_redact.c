/* Unit tests of report/redact: known secrets, secrets the engine recognises in free text, merged
 * overlaps, and text without secrets left byte for byte as it was. */
#include "report/redact.h"
#include "testutil.h"

static void redact_is(ak_redactor *r, const char *in, const char *want, size_t n_want)
{
    ak_buf b = AK_BUF_INIT;
    ak_buf_puts(&b, in);
    assert_int_equal(ak_redact_buf(r, &b), n_want);
    assert_string_equal(ak_buf_cstr(&b), want);
    ak_buf_free(&b);
}

static void preview(const char *secret, char out[64])
{
    ak_redact(secret, out, 64);
}

static void test_known_secrets(void **state)
{
    (void)state;
    char s1[31], s2[31], p1[64], p2[64], in[256], want[256];
    tu_random_secret(s1);
    tu_random_secret(s2);
    preview(s1, p1);
    preview(s2, p2);
    ak_redactor *r = ak_redactor_new_known();
    redact_is(r, "nothing known yet", "nothing known yet", 0);
    ak_redactor_add_secret(r, s1);
    ak_redactor_add_secret(r, s2);
    ak_redactor_add_secret(r, s1);      /* twice: one entry */
    ak_redactor_add_secret(r, "short"); /* too short to be told from ordinary text */
    snprintf(in, sizeof in, "a/%s/b %s, %s; short", s1, s2, s1);
    snprintf(want, sizeof want, "a/%s/b %s, %s; short", p1, p2, p1);
    redact_is(r, in, want, 3);
    /* overlapping matches become one replacement */
    ak_redactor_add_secret(r, s1 + 10);
    snprintf(in, sizeof in, "[%s]", s1);
    snprintf(want, sizeof want, "[%s]", p1);
    redact_is(r, in, want, 1);
    redact_is(NULL, in, in, 0);
    ak_redactor_free(r);
}

static void test_engine_free_text(void **state)
{
    (void)state;
    char id[25], secret[31], p[64], in[256], want[256];
    tu_random_key_id(id);
    tu_random_secret(secret);
    preview(secret, p);
    ak_redactor *r = NULL;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_redactor_new(&r, NULL, &err), 0);
    /* an ID and its secret on a summary line: the secret goes, the ID stays */
    snprintf(in, sizeof in, "fix: %s %s\n", id, secret);
    snprintf(want, sizeof want, "fix: %s %s\n", id, p);
    redact_is(r, in, want, 1);
    /* a secret assigned by name in a file name */
    snprintf(in, sizeof in, "keys/access_key_secret=%s:1:1", secret);
    snprintf(want, sizeof want, "keys/access_key_secret=%s:1:1", p);
    redact_is(r, in, want, 1);
    /* a bare token is nobody's secret until a finding says so */
    snprintf(in, sizeof in, "backup-%s.env", secret);
    redact_is(r, in, in, 0);
    ak_finding f = {0};
    f.access_key_id = id;
    f.path = in;
    ak_findings list = {&f, 1, 1};
    ak_redactor_add_findings(r, &list); /* the path read next to the finding's ID */
    snprintf(want, sizeof want, "backup-%s.env", p);
    redact_is(r, in, want, 1);
    ak_redactor_free(r);
    ak_buf_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_secrets),
        cmocka_unit_test(test_engine_free_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
