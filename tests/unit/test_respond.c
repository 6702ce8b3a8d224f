/*
 * respond/: the embedded Deny policy is the reference file byte for byte; the usage verdict
 * (akhound's own validation is not use; the unused window; ActionTrail calls); the step lists of
 * each decision; the notice text and webhook bodies carry the facts and never a secret; grouping
 * 40,000 distinct IDs takes well under a second (it once took 13 s, quadratic).
 */
#include "testutil.h"

#include "respond/respond_int.h"

#include "util/clock.h"
#include "util/mem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

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

static int usage_of(const char *last_used, const char *created, const ak_self_use *self,
                    size_t n_self, long trail, int trail_failed, ak_usage *u)
{
    ak_usage_in in = {last_used,
                      created,
                      self,
                      n_self,
                      trail,
                      trail_failed,
                      ak_respond_parse_time("2024-06-30T12:00:00Z"),
                      30};
    ak_respond_usage(&in, u);
    return u->in_use;
}

/* The fail-safe rule: unused only when positively known. */
static void test_usage(void **state)
{
    (void)state;
    ak_usage u;
    const char *old = "2024-01-01T00:00:00Z";
    /* never used, created long ago: unused; created within the window: in use */
    assert_int_equal(usage_of("", old, NULL, 0, 0, 0, &u), 0);
    assert_int_equal(usage_of("", "2024-06-20T00:00:00Z", NULL, 0, 0, 0, &u), 1);
    /* creation date unknown, last use unread, ActionTrail unread: in use and incomplete */
    assert_int_equal(usage_of("", NULL, NULL, 0, 0, 0, &u), 1);
    assert_true(u.incomplete);
    assert_int_equal(usage_of(NULL, old, NULL, 0, 0, 0, &u), 1);
    assert_true(u.incomplete);
    assert_int_equal(usage_of("2024-01-02T00:00:00Z", old, NULL, 0, 0, 1, &u), 1);
    assert_true(u.incomplete);
    /* ActionTrail proves use; a last use that is not a date is not "never" */
    assert_int_equal(usage_of("2024-01-02T00:00:00Z", old, NULL, 0, 2, 0, &u), 1);
    assert_false(u.incomplete);
    assert_int_equal(usage_of("yesterday", old, NULL, 0, 0, 0, &u), 1);
    /* outside / inside the window */
    assert_int_equal(usage_of("2024-05-01T00:00:00Z", old, NULL, 0, 0, 0, &u), 0);
    assert_int_equal(usage_of("2024-06-29T12:00:00.000Z", old, NULL, 0, 0, 0, &u), 1);
    /* the last use is our validation, without a read before it: unknown, so in use */
    ak_self_use bare = {"2024-06-30T11:00:00Z", NULL, NULL};
    assert_int_equal(usage_of("2024-06-30T10:59:58Z", old, &bare, 1, 0, 0, &u), 1);
    assert_non_null(strstr(u.reason, "own validation"));
    /* ... with the read before it: what that read said decides */
    ak_self_use rd[] = {{"2024-06-30T11:00:00Z", "2024-06-30T10:59:55Z", ""},
                        {"2024-06-30T11:00:00Z", "2024-06-30T10:59:55Z", "2024-06-30T10:55:00Z"}};
    assert_int_equal(usage_of("2024-06-30T10:59:58Z", old, &rd[0], 1, 0, 0, &u), 0);
    assert_int_equal(usage_of("2024-06-30T10:59:58Z", old, &rd[1], 1, 0, 0, &u), 1);
    /* a use later than our validation is use, however long ago the validation was */
    assert_int_equal(usage_of("2024-06-30T11:30:00Z", old, &rd[0], 1, 0, 0, &u), 1);
    ak_self_use ten = {"2024-06-20T11:00:00Z", NULL, NULL};
    assert_int_equal(usage_of("2024-06-29T12:00:00Z", old, &ten, 1, 0, 0, &u), 1);
    /* two validations of ours, each with its read: back to the use before the first */
    ak_self_use two[] = {{"2024-06-30T11:00:00Z", "2024-06-30T10:59:55Z", "2024-06-20T09:00:05Z"},
                         {"2024-06-20T09:00:10Z", "2024-06-20T09:00:00Z", "2024-04-01T00:00:00Z"}};
    assert_int_equal(usage_of("2024-06-30T10:59:58Z", old, two, 2, 0, 0, &u), 0);
    two[1].read_at = NULL;
    assert_int_equal(usage_of("2024-06-30T10:59:58Z", old, two, 2, 0, 0, &u), 1);
    /* a record that cannot account for the span (read days before, after the validation, or
     * not a date) discounts nothing: the validation counts as one without a read */
    ak_self_use bad[] = {{"2024-06-30T11:00:00Z", "2024-06-25T11:00:00Z", ""},
                         {"2024-06-30T11:00:00Z", "2024-06-30T11:00:30Z", ""},
                         {"2024-06-30T11:00:00Z", "N/A", ""}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(usage_of("2024-06-28T00:00:00Z", old, &bad[i], 1, 0, 0, &u), 1);
        assert_int_equal(usage_of("2024-06-30T10:59:58Z", old, &bad[i], 1, 0, 0, &u), 1);
    }
    /* an ActionTrail call is ours only within a validation of ours */
    assert_true(ak_self_holds(rd, 1, ak_respond_parse_time("2024-06-30T10:59:58Z")));
    assert_false(ak_self_holds(rd, 1, ak_respond_parse_time("2024-06-29T10:59:58Z")));
    assert_false(ak_self_holds(bad, 1, ak_respond_parse_time("2024-06-27T10:59:58Z")));
    assert_int_equal(ak_respond_parse_time("yesterday"), -1);
}

static void test_steps(void **state)
{
    (void)state;
    ak_respond_opts o;
    ak_respond_opts_default(&o);
    const char *s[8];
    assert_int_equal(ak_plan_steps(&o, "none", 1, s), 0);
    assert_int_equal(ak_plan_steps(&o, "notify", 1, s), 0);
    assert_int_equal(ak_plan_steps(&o, "disable", 1, s), 1);
    assert_string_equal(s[0], "disable");
    o.delete_unused = 1;
    o.webhook_url = "https://example.com/hook";
    o.smtp_url = "smtps://mail.example.com";
    o.mail_to[o.n_mail_to++] = "sec@example.com";
    assert_int_equal(ak_plan_steps(&o, "disable", 1, s), 4);
    assert_string_equal(s[1], "delete");
    assert_string_equal(s[3], "notify_email");
    /* a key that is not proven unused is never deleted */
    assert_int_equal(ak_plan_steps(&o, "disable", 0, s), 3);
    assert_string_equal(s[1], "notify_webhook");
    assert_int_equal(ak_plan_steps(&o, "contain", 1, s), 4);
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

/* The run stops at the responder's missing credentials, right after grouping the findings. */
static void test_group_many(void **state)
{
    (void)state;
    unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
    unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true", 1);
    enum { N = 40000 };
    ak_findings list = {0};
    for (size_t i = 0; i < N + N / 4; i++) {
        char id[32];
        /* a few IDs twice, in an order unlike the sorted one */
        snprintf(id, sizeof id, "KEYID%07zu", (i * 7919) % N);
        ak_finding f = {0};
        f.rule = ak_strdup("t");
        f.access_key_id = ak_strdup(id);
        f.path = ak_strdup("p");
        f.encoding = "plain";
        ak_findings_push(&list, &f);
    }
    ak_respond_opts o;
    ak_respond_opts_default(&o);
    json_t *report = NULL;
    ak_respond_result res;
    ak_buf err = AK_BUF_INIT;
    double t0 = ak_mono_seconds();
    assert_int_equal(ak_respond_run(&list, &o, &report, &res, &err), -1);
    double secs = ak_mono_seconds() - t0;
    assert_non_null(strstr(ak_buf_cstr(&err), "no credentials"));
    assert_int_equal(res.keys, N);
    if (secs > 2.0) fail_msg("grouping %d IDs took %.2f s", N, secs);
    ak_buf_free(&err);
    ak_findings_free(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_embedded), cmocka_unit_test(test_usage),
        cmocka_unit_test(test_steps),           cmocka_unit_test(test_message),
        cmocka_unit_test(test_group_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
