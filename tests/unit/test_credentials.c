/* The responder's credential chain: environment first, then ~/.aliyun/config.json profiles. */
#include "testutil.h"

#include "cloud/credentials.h"

#include <sys/stat.h>

static char *home;

static void clear_env(void)
{
    unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
    unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    unsetenv("ALIBABA_CLOUD_SECURITY_TOKEN");
    unsetenv("ALIBABA_CLOUD_PROFILE");
    unsetenv("ALIBABA_CLOUD_CONFIG_FILE");
    unsetenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED");
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    home = tu_tmpdir();
    setenv("HOME", home, 1);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/.aliyun", home);
    mkdir(dir, 0700);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmrf(home);
    home = NULL;
    clear_env();
    return 0;
}

static void write_config(const char *json)
{
    char path[512];
    snprintf(path, sizeof path, "%s/.aliyun/config.json", home);
    tu_write_file(path, json, strlen(json));
}

static void test_env_first(void **state)
{
    (void)state;
    char id[25], secret[31];
    tu_random_key_id(id);
    tu_random_secret(secret);
    setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", id, 1);
    setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret, 1);
    setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "CAIStoken", 1);
    write_config("{\"current\":\"AK\",\"profiles\":[{\"name\":\"AK\",\"mode\":\"AK\","
                 "\"access_key_id\":\"akid\",\"access_key_secret\":\"secret\"}]}");
    ak_credentials c;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key_id, id);
    assert_string_equal(c.secret, secret);
    assert_string_equal(c.security_token, "CAIStoken");
    assert_string_equal(c.source, "environment");
    ak_credentials_free(&c);
    ak_buf_free(&err);
}

static void test_env_half_set(void **state)
{
    (void)state;
    setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "someid", 1);
    ak_credentials c;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_credentials_load(&c, &err), -1);
    assert_non_null(strstr(ak_buf_cstr(&err), "ALIBABA_CLOUD_ACCESS_KEY_SECRET is not"));
    assert_null(c.access_key_id);
    ak_buf_free(&err);
}

/* The official fixture's shape: "current" names the profile; ALIBABA_CLOUD_PROFILE overrides. */
static const char fixture[] =
    "{\"current\":\"AK\",\"profiles\":["
    "{\"name\":\"AK\",\"mode\":\"AK\",\"access_key_id\":\"akid\",\"access_key_secret\":\"secret\"},"
    "{\"name\":\"StsToken\",\"mode\":\"StsToken\",\"access_key_id\":\"accessKeyId\","
    "\"access_key_secret\":\"accessKeySecret\",\"sts_token\":\"stsToken\"},"
    "{\"name\":\"EcsRamRole\",\"mode\":\"EcsRamRole\",\"ram_role_name\":\"rolename\"}],"
    "\"meta_path\":\"\"}";

static void test_profile_current(void **state)
{
    (void)state;
    write_config(fixture);
    ak_credentials c;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key_id, "akid");
    assert_string_equal(c.secret, "secret");
    assert_null(c.security_token);
    assert_non_null(strstr(c.source, "profile AK"));
    ak_credentials_free(&c);
    ak_buf_free(&err);
}

static void test_profile_sts_by_env(void **state)
{
    (void)state;
    write_config(fixture);
    setenv("ALIBABA_CLOUD_PROFILE", "StsToken", 1);
    ak_credentials c;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key_id, "accessKeyId");
    assert_string_equal(c.security_token, "stsToken");
    ak_credentials_free(&c);
    ak_buf_free(&err);
}

static void expect_error(const char *needle)
{
    ak_credentials c;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_credentials_load(&c, &err), -1);
    if (!strstr(ak_buf_cstr(&err), needle)) fail_msg("error '%s' lacks '%s'", err.data, needle);
    assert_null(c.secret);
    ak_buf_free(&err);
}

static void test_profile_errors(void **state)
{
    (void)state;
    expect_error("no credentials");
    write_config(fixture);
    setenv("ALIBABA_CLOUD_PROFILE", "EcsRamRole", 1);
    expect_error("supports AK and StsToken");
    setenv("ALIBABA_CLOUD_PROFILE", "nope", 1);
    expect_error("profile 'nope' not found");
    unsetenv("ALIBABA_CLOUD_PROFILE");
    write_config("{\"current\":\"AK\",\"profiles\":[{\"name\":\"AK\",\"mode\":\"AK\"}]}");
    expect_error("lacks access_key_id");
    write_config("{not json");
    expect_error("cannot read");
    setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true", 1);
    expect_error("profile is disabled");
}

/* Named credentials: exactly the source named, never the rest of the chain. */
static void test_named(void **state)
{
    (void)state;
    write_config(fixture);
    ak_credentials c;
    ak_buf err = AK_BUF_INIT;
    /* "env" with the variables unset does not fall back to the profile file */
    assert_int_equal(ak_credentials_load_named(&c, "env", &err), -1);
    assert_non_null(strstr(ak_buf_cstr(&err), "not set"));
    ak_buf_reset(&err);
    assert_int_equal(ak_credentials_load_named(&c, "profile:StsToken", &err), 0);
    assert_string_equal(c.security_token, "stsToken");
    ak_credentials_free(&c);
    setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "envid", 1);
    setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envsecret", 1);
    /* a named profile wins over the environment */
    assert_int_equal(ak_credentials_load_named(&c, "profile:AK", &err), 0);
    assert_string_equal(c.access_key_id, "akid");
    ak_credentials_free(&c);
    assert_int_equal(ak_credentials_load_named(&c, "env", &err), 0);
    assert_string_equal(c.access_key_id, "envid");
    ak_credentials_free(&c);
    assert_int_equal(ak_credentials_load_named(&c, "default", &err), -1);
    assert_non_null(strstr(ak_buf_cstr(&err), "env or profile:NAME"));
    ak_buf_reset(&err);
    assert_int_equal(ak_credentials_load_named(&c, "profile:nope", &err), -1);
    assert_null(c.secret);
    ak_buf_free(&err);
}

static void test_config_file_env(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/other.json", home);
    tu_write_file(path, fixture, strlen(fixture));
    setenv("ALIBABA_CLOUD_CONFIG_FILE", path, 1);
    ak_credentials c;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_credentials_load(&c, &err), 0);
    assert_non_null(strstr(c.source, "other.json"));
    ak_credentials_free(&c);
    ak_buf_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_env_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_half_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_sts_by_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_file_env, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
