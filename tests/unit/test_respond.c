/*
 * respond/: the embedded Deny policy is the reference file byte for byte; the usage verdict
 * (akhound's own validation is not use; the unused window; ActionTrail calls); the step lists of
 * each decision; the notice text and webhook bodies carry the facts and never a secret.
 */
#include "testutil.h"

#include "respond/respond_int.h"

#include <jansson.h>

static void test_policy_embedded(void **state)
{
    (void)state;
    size_t len;
    const char *doc = ak_respond_deny_policy(&len);
    assert_true(len > 1000);
    assert_int_equal(doc[len], '\0');
    json_t *j = json_loadb(doc, len, 0, NULL);
    assert_non_null(j);
    assert_true(json_array_size(json_object_get(j, "Statement")) >= 6);
    json_decref(j);
    const char *paths[] = {"/work/shared/reference/deny-policy.json",
                           "scanner/respond/deny-policy.json"};
    for (size_t i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (!f) continue; /* the reference lives outside the repository */
        char *buf = malloc(len + 2);
        size_t n = fread(buf, 1, len + 1, f);
        fclose(f);
        assert_int_equal(n, len);
        assert_memory_equal(buf, doc, len);
        free(buf);
    }
}

static void test_in_use(void **state)
{
    (void)state;
    const char *why;
    long long now = ak_respond_parse_time("2024-06-30T12:00:00Z");
    assert_true(now > 0);
    assert_int_equal(ak_respond_in_use(NULL, NULL, now, 30, 0, &why), 0);
    assert_int_equal(ak_respond_in_use("", "2024-06-30T11:00:00Z", now, 30, 0, &why), 0);
    /* used yesterday, validated today: in use */
    assert_int_equal(
        ak_respond_in_use("2024-06-29T12:00:00Z", "2024-06-30T11:00:00Z", now, 30, 0, &why), 1);
    /* the last use is our validation (a few seconds before checked_at, or after it) */
    assert_int_equal(
        ak_respond_in_use("2024-06-30T10:59:58Z", "2024-06-30T11:00:00Z", now, 30, 0, &why), 0);
    assert_string_equal(why, "last use is akhound's own validation");
    assert_int_equal(
        ak_respond_in_use("2024-06-30T11:30:00.000Z", "2024-06-30T11:00:00Z", now, 30, 0, &why), 0);
    /* outside the window */
    assert_int_equal(ak_respond_in_use("2024-05-01T00:00:00Z", NULL, now, 30, 0, &why), 0);
    assert_int_equal(ak_respond_in_use("2024-05-01T00:00:00Z", NULL, now, 90, 0, &why), 1);
    /* ActionTrail calls other than GetCallerIdentity win */
    assert_int_equal(ak_respond_in_use(NULL, NULL, now, 30, 2, &why), 1);
    assert_int_equal(ak_respond_parse_time("yesterday"), -1);
}

static void test_steps(void **state)
{
    (void)state;
    ak_respond_opts o;
    ak_respond_opts_default(&o);
    const char *s[8];
    assert_int_equal(ak_plan_steps(&o, "none", s), 0);
    assert_int_equal(ak_plan_steps(&o, "notify", s), 0);
    assert_int_equal(ak_plan_steps(&o, "disable", s), 1);
    assert_string_equal(s[0], "disable");
    o.delete_unused = 1;
    o.webhook_url = "https://example.com/hook";
    o.smtp_url = "smtps://mail.example.com";
    o.mail_to[o.n_mail_to++] = "sec@example.com";
    assert_int_equal(ak_plan_steps(&o, "disable", s), 4);
    assert_string_equal(s[1], "delete");
    assert_string_equal(s[3], "notify_email");
    assert_int_equal(ak_plan_steps(&o, "contain", s), 4);
    assert_string_equal(s[0], "policy");
    assert_string_equal(s[1], "attach");
}

static json_t *sample_entry(const char *key_id)
{
    json_t *e = json_pack(
        "{s:s, s:s, s:s, s:[{s:s, s:s, s:i, s:{s:s, s:s, s:s, s:s}}],"
        " s:{s:{s:s, s:s, s:s, s:s}, s:{s:i, s:i, s:[s], s:[s]}},"
        " s:[{s:s, s:s, s:[{s:s, s:s, s:s}]}], s:[s]}",
        "key_id", key_id, "validation", "valid", "decision", "contain", "locations", "repository",
        "acme/web", "path", "conf/app.env", "line", 3, "commit", "id",
        "0123456789abcdef0123456789abcdef01234567", "author", "Dev One", "email", "dev@example.com",
        "date", "2024-05-01T10:00:00Z", "facts", "owner", "kind", "ram_user", "user_name", "bob",
        "user_principal_name", "bob@acme.onaliyun.com", "account_id", "123", "evidence", "days", 7,
        "events", 2, "event_names", "ListBuckets", "source_ips", "203.0.113.7", "steps", "step",
        "attach", "status", "done", "calls", "action", "AttachPolicyToUser", "request_id", "RID-1",
        "outcome", "ok", "todo", "Rotate the key.");
    assert_non_null(e);
    return e;
}

static void test_message(void **state)
{
    (void)state;
    char id[25], secret[31];
    tu_random_key_id(id);
    tu_random_secret(secret);
    json_t *e = sample_entry(id);
    ak_buf t = AK_BUF_INIT;
    ak_notify_text(&t, e);
    const char *s = ak_buf_cstr(&t);
    assert_non_null(strstr(s, id));
    assert_non_null(strstr(s, "RAM user bob"));
    assert_non_null(strstr(s, "acme/web: conf/app.env:3 (commit 0123456789ab by Dev One"));
    assert_non_null(strstr(s, "AttachPolicyToUser RequestId RID-1"));
    assert_non_null(strstr(s, "203.0.113.7"));
    assert_non_null(strstr(s, "1. Rotate the key."));
    const char *secrets[] = {secret, "short"};
    assert_int_equal(ak_notify_has_secret(s, secrets, 2), 0);
    ak_buf_printf(&t, "oops %s", secret);
    assert_int_equal(ak_notify_has_secret(ak_buf_cstr(&t), secrets, 2), 1);
    ak_buf_free(&t);

    json_t *slack = ak_notify_webhook_body(e, AK_WEBHOOK_AUTO, "https://hooks.slack.com/x");
    assert_int_equal(json_object_size(slack), 1);
    assert_non_null(strstr(json_string_value(json_object_get(slack, "text")), id));
    json_t *ding = ak_notify_webhook_body(e, AK_WEBHOOK_AUTO,
                                          "https://oapi.dingtalk.com/robot/send?access_token=t");
    assert_string_equal(json_string_value(json_object_get(ding, "msgtype")), "text");
    json_t *gen = ak_notify_webhook_body(e, AK_WEBHOOK_AUTO, "https://example.com/hook");
    assert_string_equal(json_string_value(json_object_get(gen, "key_id")), id);
    assert_string_equal(json_string_value(json_object_get(gen, "decision")), "contain");
    json_decref(slack);
    json_decref(ding);
    json_decref(gen);
    json_decref(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_embedded),
        cmocka_unit_test(test_in_use),
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
