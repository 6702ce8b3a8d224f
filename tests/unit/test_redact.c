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

/* The engine reads each free-text field next to the finding's ID; what it recognises there is
 * redacted wherever it appears. */
static void test_engine_free_text(void **state)
{
    (void)state;
    char id[25], sts[40], s1[31], s2[31], s3[31], p1[64], p2[64], p3[64], in[1024], want[1024];
    tu_random_key_id(id);
    memcpy(sts, "STS.", 4);
    tu_random_alnum(sts + 4, 28);
    tu_random_secret(s1);
    tu_random_secret(s2);
    tu_random_secret(s3);
    preview(s1, p1);
    preview(s2, p2);
    preview(s3, p3);
    ak_redactor *r = NULL;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_redactor_new(&r, NULL, &err), 0);
    char path[128], summary[128], name[128];
    snprintf(path, sizeof path, "backup-%s.env", s1);             /* a bare token next to the ID */
    snprintf(summary, sizeof summary, "fix: %s %s", id, s2);      /* a pair on the summary line */
    snprintf(name, sizeof name, "keys/access_key_secret=%s", s3); /* assigned by name */
    ak_commit_info c = {"0123456789abcdef0123456789abcdef01234567", "Dev", "dev@example.com",
                        "2024-01-01T00:00:00Z", summary};
    ak_finding f[2] = {{0}};
    f[0].access_key_id = id;
    f[0].path = path;
    f[0].commit = &c;
    f[1].access_key_id = sts; /* an STS ID: the report's hashes next to it stay as they are */
    f[1].path = name;
    ak_findings list = {f, 2, 2};
    ak_redactor_add_findings(r, &list);
    const char *hash = "db5c709fa41bb62a76461a689b49c5315e321953070160a61a32a61f9549ebd7";
    snprintf(in, sizeof in, "%s %s\n%s\n%s %s\nfingerprint %s", path, summary, name, sts, id, hash);
    snprintf(want, sizeof want,
             "backup-%s.env fix: %s %s\nkeys/access_key_secret=%s\n%s %s\n"
             "fingerprint %s",
             p1, id, p2, p3, sts, id, hash);
    redact_is(r, in, want, 3);
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
