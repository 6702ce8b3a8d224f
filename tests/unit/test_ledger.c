/*
 * respond/ledger and audit: files created mode 0600 (directories 0700); keys keep the earliest
 * validation time; decisions and step states survive reopening; a step left "started" reads back
 * as started; calls are logged; a read-only open of a missing ledger creates nothing; the audit
 * log appends one JSON object per line.
 */
#include "testutil.h"

#include "respond/audit.h"
#include "respond/ledger.h"

#include <jansson.h>
#include <sys/stat.h>

static void test_ledger_roundtrip(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512], key[25];
    snprintf(path, sizeof path, "%s/a/b/ledger.db", dir);
    tu_random_key_id(key);
    ak_buf err = AK_BUF_INIT;
    ak_ledger *l = NULL;
    assert_int_equal(ak_ledger_open(&l, path, 1, &err), 0);
    assert_null(l);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);

    assert_int_equal(ak_ledger_open(&l, path, 0, &err), 0);
    assert_non_null(l);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    assert_int_equal(ak_ledger_key_note(l, key, NULL, "2024-06-02T00:00:00Z", "valid", &err), 0);
    assert_int_equal(ak_ledger_key_note(l, key, "ab", "2024-06-01T00:00:00Z", NULL, &err), 0);
    assert_int_equal(ak_ledger_key_note(l, key, "cd", "2024-06-03T00:00:00Z", NULL, &err), 0);
    assert_int_equal(ak_ledger_key_note(l, key, NULL, NULL, NULL, &err), 0);
    ak_ledger_key k;
    assert_int_equal(ak_ledger_key_get(l, key, &k, &err), 0);
    assert_true(k.exists);
    assert_string_equal(k.state, "detected");
    assert_string_equal(k.first_validated_at, "2024-06-01T00:00:00Z");
    assert_null(k.decision);
    ak_ledger_key_free(&k);

    assert_int_equal(ak_ledger_key_decide(l, key, "disable", "{\"a\":1}", "owner_resolved", &err),
                     0);
    assert_int_equal(ak_ledger_step_begin(l, key, "disable", &err), 0);
    ak_ledger_call c = {key, "disable", "ims", "UpdateAccessKey", "RID", "ok", NULL, NULL, 200};
    assert_int_equal(ak_ledger_call_log(l, &c, &err), 0);
    assert_int_equal(ak_ledger_call_count(l, key, "UpdateAccessKey"), 1);
    ak_ledger_close(l);

    assert_int_equal(ak_ledger_open(&l, path, 0, &err), 0);
    ak_step_status s;
    assert_int_equal(ak_ledger_step_get(l, key, "disable", &s, &err), 0);
    assert_int_equal(s, AK_STEP_STARTED);
    assert_int_equal(ak_ledger_step_get(l, key, "delete", &s, &err), 0);
    assert_int_equal(s, AK_STEP_NONE);
    assert_int_equal(ak_ledger_step_end(l, key, "disable", 1, "ok", "disabled", &err), 0);
    assert_int_equal(ak_ledger_step_get(l, key, "disable", &s, &err), 0);
    assert_int_equal(s, AK_STEP_DONE);
    assert_int_equal(ak_ledger_step_begin(l, key, "delete", &err), 0);
    assert_int_equal(ak_ledger_step_end(l, key, "delete", 0, "NoPermission", "failed", &err), 0);
    assert_int_equal(ak_ledger_step_get(l, key, "delete", &s, &err), 0);
    assert_int_equal(s, AK_STEP_FAILED);
    assert_int_equal(ak_ledger_key_get(l, key, &k, &err), 0);
    assert_string_equal(k.state, "failed");
    assert_string_equal(k.error, "NoPermission");
    assert_string_equal(k.decision, "disable");
    assert_string_equal(k.facts, "{\"a\":1}");
    ak_ledger_key_free(&k);
    assert_string_equal(ak_step_status_name(AK_STEP_DONE), "done");
    ak_ledger_close(l);
    assert_int_equal(err.len, 0);
    ak_buf_free(&err);
    tu_rmrf(dir);
}

static void test_audit(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char ledger[512];
    snprintf(ledger, sizeof ledger, "%s/ledger.db", dir);
    char *path = ak_audit_default_path(ledger);
    ak_buf err = AK_BUF_INIT;
    ak_audit *a;
    assert_int_equal(ak_audit_open(&a, path, &err), 0);
    ak_audit_entry e1 = {"K1", "disable", "UpdateAccessKey", "RID", "ok", NULL};
    ak_audit_entry e2 = {"K2", "notify_webhook", "PostWebhook", NULL, "failed", "HTTP 500"};
    assert_int_equal(ak_audit_write(a, &e1), 0);
    assert_int_equal(ak_audit_write(a, &e2), 0);
    ak_audit_close(a);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        assert_non_null(j);
        assert_non_null(json_string_value(json_object_get(j, "time")));
        assert_string_equal(json_string_value(json_object_get(j, "key_id")), n ? "K2" : "K1");
        json_decref(j);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 2);
    free(path);
    ak_buf_free(&err);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ledger_roundtrip),
        cmocka_unit_test(test_audit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
