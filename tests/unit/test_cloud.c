/*
 * cloud/: endpoint rules (no network), then the HTTP client and validation against the Python
 * emulator (tests/emulator/emulator.py), started here on a free loopback port: V1 and V3 signing
 * seen by an independent verifier, RAM/IMS calls that change state, STS tokens, bounded
 * concurrency, dedup and candidate secrets. Skipped when python3 is missing.
 */
#include "testutil.h"

#include "cloud/client.h"
#include "cloud/endpoint.h"
#include "cloud/validate.h"

#include <signal.h>
#include <sys/wait.h>

#define N(a) (sizeof(a) / sizeof *(a))

static void test_loopback(void **state)
{
    (void)state;
    assert_true(ak_endpoint_is_loopback("127.0.0.1"));
    assert_true(ak_endpoint_is_loopback("127.10.0.3"));
    assert_true(ak_endpoint_is_loopback("localhost"));
    assert_true(ak_endpoint_is_loopback("[::1]"));
    assert_false(ak_endpoint_is_loopback("128.0.0.1"));
    assert_false(ak_endpoint_is_loopback("[::2]"));
    assert_false(ak_endpoint_is_loopback("localhost.example.com"));
    assert_false(ak_endpoint_is_loopback("sts.aliyuncs.com"));
}

static int check(const char *url)
{
    ak_buf err = AK_BUF_INIT;
    int rc = ak_endpoint_check(url, &err);
    ak_buf_free(&err);
    return rc;
}

static void test_policy(void **state)
{
    (void)state;
    assert_int_equal(check("https://sts.aliyuncs.com"), 0);
    assert_int_equal(check("http://127.0.0.1:8080/sts"), 0);
    assert_int_equal(check("http://[::1]:8080"), 0);
    assert_int_equal(check("http://localhost:1"), 0);
    assert_int_equal(check("http://sts.aliyuncs.com"), -1);
    assert_int_equal(check("http://192.0.2.1"), -1);
    assert_int_equal(check("http://127.0.0.1.example.com"), -1);
    assert_int_equal(check("ftp://127.0.0.1"), -1);
    assert_int_equal(check("sts.aliyuncs.com"), -1);
}

static void test_resolve(void **state)
{
    (void)state;
    ak_buf out = AK_BUF_INIT, err = AK_BUF_INIT;
    unsetenv("AKHOUND_STS_ENDPOINT");
    assert_int_equal(ak_endpoint_resolve(&out, AK_PRODUCT_STS, NULL, NULL, &err), 0);
    assert_string_equal(ak_buf_cstr(&out), "https://sts.aliyuncs.com");
    ak_buf_reset(&out);
    assert_int_equal(ak_endpoint_resolve(&out, AK_PRODUCT_STS, NULL, "ap-southeast-1", &err), 0);
    assert_string_equal(ak_buf_cstr(&out), "https://sts.ap-southeast-1.aliyuncs.com");
    ak_buf_reset(&out);
    assert_int_equal(ak_endpoint_resolve(&out, AK_PRODUCT_STS, NULL, "x/../y", &err), -1);
    setenv("AKHOUND_STS_ENDPOINT", "http://127.0.0.1:9/sts/", 1);
    assert_int_equal(ak_endpoint_resolve(&out, AK_PRODUCT_STS, NULL, NULL, &err), 0);
    assert_string_equal(ak_buf_cstr(&out), "http://127.0.0.1:9/sts");
    ak_buf_reset(&out);
    setenv("AKHOUND_STS_ENDPOINT", "http://10.0.0.1/", 1);
    assert_int_equal(ak_endpoint_resolve(&out, AK_PRODUCT_STS, NULL, NULL, &err), -1);
    assert_non_null(strstr(ak_buf_cstr(&err), "loopback"));
    unsetenv("AKHOUND_STS_ENDPOINT");
    assert_int_equal(ak_endpoint_resolve(&out, AK_PRODUCT_ACTIONTRAIL, NULL, NULL, &err), 0);
    assert_string_equal(ak_buf_cstr(&out), "https://actiontrail.cn-hangzhou.aliyuncs.com");
    ak_buf_free(&out);
    ak_buf_free(&err);
}

/* --- against the emulator --- */

typedef struct emu {
    char *dir;
    pid_t pid;
    char base[64];
    char id[25], secret[31], root_id[25], root_secret[31], sts_id[32], sts_secret[45];
} emu;

static void write_state(emu *e)
{
    tu_random_key_id(e->id);
    tu_random_secret(e->secret);
    tu_random_key_id(e->root_id);
    tu_random_secret(e->root_secret);
    memcpy(e->sts_id, "STS.", 4);
    tu_random_alnum(e->sts_id + 4, 25);
    tu_random_alnum(e->sts_secret, 44);
    char path[512], *json = malloc(4096);
    snprintf(json, 4096,
             "{\"accounts\":[{\"id\":\"1000000000000001\",\"alias\":\"acme\"}],"
             "\"users\":[{\"account\":\"1000000000000001\",\"name\":\"alice\",\"id\":\"2001\"}],"
             "\"access_keys\":[{\"id\":\"%s\",\"secret\":\"%s\",\"account\":\"1000000000000001\","
             "\"user\":\"alice\"},{\"id\":\"%s\",\"secret\":\"%s\",\"account\":"
             "\"1000000000000001\",\"user\":null}],"
             "\"sts_credentials\":[{\"id\":\"%s\",\"secret\":\"%s\",\"token\":\"CAIS+t/k==\","
             "\"account\":\"1000000000000001\",\"expiration\":\"2099-01-01T00:00:00Z\","
             "\"role_name\":\"r\",\"role_id\":\"3001\",\"session\":\"s\"}]}",
             e->id, e->secret, e->root_id, e->root_secret, e->sts_id, e->sts_secret);
    snprintf(path, sizeof path, "%s/state.json", e->dir);
    tu_write_file(path, json, strlen(json));
    free(json);
}

static int emu_start(void **state)
{
    if (system("python3 -c 'import ssl' >/dev/null 2>&1") != 0) return 0;
    emu *e = calloc(1, sizeof *e);
    e->dir = tu_tmpdir();
    write_state(e);
    char state_path[512], port_path[512];
    snprintf(state_path, sizeof state_path, "%s/state.json", e->dir);
    snprintf(port_path, sizeof port_path, "%s/port", e->dir);
    e->pid = fork();
    if (e->pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(126);
        execlp("python3", "python3", "tests/emulator/emulator.py", "serve", "--state", state_path,
               "--port-file", port_path, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && access(port_path, F_OK) != 0; i++) usleep(25000);
    FILE *f = fopen(port_path, "r");
    int port = 0;
    if (!f || fscanf(f, "%d", &port) != 1) return -1;
    fclose(f);
    snprintf(e->base, sizeof e->base, "http://127.0.0.1:%d", port);
    *state = e;
    return 0;
}

static int emu_stop(void **state)
{
    emu *e = *state;
    if (!e) return 0;
    kill(e->pid, SIGTERM);
    waitpid(e->pid, NULL, 0);
    tu_rmrf(e->dir);
    free(e);
    return 0;
}

/* POSTs to the emulator's control endpoint with curl's own client. */
static void emu_control(const emu *e, const char *what, const char *json)
{
    ak_buf cmd = AK_BUF_INIT;
    ak_buf_printf(&cmd, "python3 tests/emulator/emulator.py ctl %s PUT %s '%s' >/dev/null", e->base,
                  what, json);
    assert_int_equal(system(ak_buf_cstr(&cmd)), 0);
    ak_buf_free(&cmd);
}

static ak_client *client_for(const emu *e, ak_sig_version sig, unsigned conc)
{
    static char urls[AK_PRODUCT__COUNT][96];
    ak_client_opts o;
    ak_client_opts_default(&o);
    for (int p = 0; p < AK_PRODUCT__COUNT; p++) {
        snprintf(urls[p], sizeof urls[p], "%s/%s", e->base, ak_product_name((ak_product)p));
        o.endpoint[p] = urls[p];
    }
    o.sig = sig;
    o.concurrency = conc;
    o.backoff_ms = 10;
    ak_buf err = AK_BUF_INIT;
    ak_client *c = ak_client_new(&o, &err);
    if (!c) fail_msg("client: %s", ak_buf_cstr(&err));
    ak_buf_free(&err);
    return c;
}

static const char *body_str(const ak_call *c, const char *obj, const char *key)
{
    json_t *o = obj ? json_object_get(c->body, obj) : c->body;
    return json_string_value(json_object_get(o, key));
}

#define SKIP_WITHOUT_EMU(e)                                                                        \
    do {                                                                                           \
        if (!(e)) skip();                                                                          \
    } while (0)

static void test_v1_v3_identity(void **state)
{
    emu *e = *state;
    SKIP_WITHOUT_EMU(e);
    for (int sig = AK_SIG_V1; sig <= AK_SIG_V3; sig++) {
        ak_client *c = client_for(e, (ak_sig_version)sig, 4);
        ak_call calls[3] = {{0}};
        for (size_t i = 0; i < N(calls); i++) {
            calls[i].product = AK_PRODUCT_STS;
            calls[i].action = "GetCallerIdentity";
        }
        calls[0].cred = (ak_cred){e->id, e->secret, NULL};
        calls[1].cred = (ak_cred){e->root_id, e->root_secret, NULL};
        calls[2].cred = (ak_cred){e->sts_id, e->sts_secret, "CAIS+t/k=="};
        ak_buf err = AK_BUF_INIT;
        assert_int_equal(ak_client_run(c, calls, N(calls), &err), 0);
        for (size_t i = 0; i < N(calls); i++)
            if (calls[i].state != AK_CALL_OK)
                fail_msg("sig v%d call %zu: %s %s", sig, i, calls[i].code, calls[i].message);
        assert_string_equal(body_str(&calls[0], NULL, "IdentityType"), "RAMUser");
        assert_string_equal(body_str(&calls[1], NULL, "IdentityType"), "Account");
        assert_string_equal(body_str(&calls[2], NULL, "IdentityType"), "AssumedRoleUser");
        calls[0].cred.secret = e->root_secret; /* wrong secret for this ID */
        assert_int_equal(ak_client_call(c, &calls[0], &err), 0);
        assert_int_equal(calls[0].state, AK_CALL_API_ERROR);
        assert_string_equal(calls[0].code, "SignatureDoesNotMatch");
        assert_int_equal(calls[0].attempts, 1); /* a definite answer is not retried */
        for (size_t i = 0; i < N(calls); i++) ak_call_clear(&calls[i]);
        ak_buf_free(&err);
        ak_client_free(c);
    }
}

/* The responder's calls (next issue) through the same API: IMS finds the user, RAM disables. */
static void test_ims_ram_state(void **state)
{
    emu *e = *state;
    SKIP_WITHOUT_EMU(e);
    ak_client *c = client_for(e, AK_SIG_V3, 2);
    ak_buf err = AK_BUF_INIT;
    ak_param p1[] = {{"UserAccessKeyId", e->id}};
    ak_call call = {.product = AK_PRODUCT_IMS, .action = "GetUser", .params = p1, .n_params = 1};
    call.cred = (ak_cred){e->root_id, e->root_secret, NULL};
    assert_int_equal(ak_client_call(c, &call, &err), 0);
    assert_int_equal(call.state, AK_CALL_OK);
    assert_string_equal(body_str(&call, "User", "UserPrincipalName"), "alice@acme.onaliyun.com");
    ak_param p2[] = {{"UserName", "alice"}, {"UserAccessKeyId", e->id}, {"Status", "Inactive"}};
    call.product = AK_PRODUCT_RAM;
    call.action = "UpdateAccessKey";
    call.params = p2;
    call.n_params = N(p2);
    assert_int_equal(ak_client_call(c, &call, &err), 0);
    assert_int_equal(call.state, AK_CALL_OK);
    call.product = AK_PRODUCT_STS;
    call.action = "GetCallerIdentity";
    call.n_params = 0;
    call.cred = (ak_cred){e->id, e->secret, NULL};
    assert_int_equal(ak_client_call(c, &call, &err), 0);
    assert_int_equal(call.state, AK_CALL_API_ERROR);
    assert_string_equal(call.code, "InvalidAccessKeyId.Inactive");
    ak_call_clear(&call);
    ak_buf_free(&err);
    ak_client_free(c);
    emu_control(e, "faults", "{}");
    /* Put the key back for the other tests. */
    ak_client *c1 = client_for(e, AK_SIG_V1, 1);
    p2[2].value = "Active";
    ak_call back = {.product = AK_PRODUCT_RAM,
                    .action = "UpdateAccessKey",
                    .params = p2,
                    .n_params = N(p2),
                    .cred = {e->root_id, e->root_secret, NULL}};
    assert_int_equal(ak_client_call(c1, &back, &err), 0);
    assert_int_equal(back.state, AK_CALL_OK);
    ak_call_clear(&back);
    ak_client_free(c1);
}

/* 32 calls of 100 ms each at concurrency 8 take about 4 rounds, not 32; throttling is retried. */
static void test_concurrency_and_retry(void **state)
{
    emu *e = *state;
    SKIP_WITHOUT_EMU(e);
    emu_control(e, "faults",
                "{\"latency_ms\":100,\"rules\":[{\"kind\":\"throttle\",\"count\":3,"
                "\"retry_after_ms\":20},{\"kind\":\"status\",\"status\":503,\"count\":2}]}");
    ak_client *c = client_for(e, AK_SIG_V1, 8);
    ak_call calls[32] = {{0}};
    for (size_t i = 0; i < N(calls); i++) {
        calls[i].product = AK_PRODUCT_STS;
        calls[i].action = "GetCallerIdentity";
        calls[i].cred = (ak_cred){e->id, e->secret, NULL};
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_client_run(c, calls, N(calls), &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    for (size_t i = 0; i < N(calls); i++) {
        assert_int_equal(calls[i].state, AK_CALL_OK);
        ak_call_clear(&calls[i]);
    }
    ak_client_stats st;
    ak_client_stats_get(c, &st);
    assert_int_equal(st.requests, N(calls) + 5);
    assert_int_equal(st.retries, 5);
    assert_true(st.max_in_flight <= 8);
    assert_true(st.max_in_flight >= 4);
    if (secs > 2.0) fail_msg("32 x 100 ms at concurrency 8 took %.2f s", secs);
    ak_buf_free(&err);
    ak_client_free(c);
    emu_control(e, "faults", "{}");
}

static void test_validate_candidates_dedup(void **state)
{
    emu *e = *state;
    SKIP_WITHOUT_EMU(e);
    char wrong1[31], wrong2[31], url[96];
    tu_random_secret(wrong1);
    tu_random_secret(wrong2);
    ak_findings list = {0};
    for (int i = 0; i < 3; i++) {
        ak_finding f = {0};
        f.rule = strdup("r");
        f.kind = i < 2 ? AK_KIND_ACCESS_KEY_PAIR : AK_KIND_ACCESS_KEY_ID;
        f.access_key_id = strdup(e->id);
        f.secret = strdup(i < 2 ? e->secret : wrong1);
        if (i == 2) {
            f.candidates = calloc(2, sizeof *f.candidates);
            f.candidates[0] = strdup(wrong2);
            f.candidates[1] = strdup(e->secret);
            f.n_candidates = 2;
        }
        f.path = strdup("x");
        ak_findings_push(&list, &f);
    }
    ak_validate_opts o;
    ak_validate_opts_default(&o);
    snprintf(url, sizeof url, "%s/sts", e->base);
    o.sts_endpoint = url;
    ak_buf err = AK_BUF_INIT;
    assert_int_equal(ak_validate_findings(&list, &o, &err), 0);
    for (size_t i = 0; i < list.len; i++) {
        assert_non_null(list.items[i].validation);
        assert_int_equal(list.items[i].validation->status, AK_VAL_VALID);
        assert_string_equal(list.items[i].validation->account_id, "1000000000000001");
    }
    assert_string_equal(list.items[2].secret, e->secret);
    assert_string_equal(list.items[2].candidates[1], wrong1);
    ak_validate_stats st;
    ak_validate_stats_last(&st);
    assert_int_equal(st.pairs, 3); /* (id, secret) once, wrong1, wrong2; the third is cached */
    assert_int_equal(st.requests, 3);
    ak_findings_free(&list);
    ak_buf_free(&err);
}

int main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_resolve),
    };
    const struct CMUnitTest online[] = {
        cmocka_unit_test(test_v1_v3_identity),
        cmocka_unit_test(test_ims_ram_state),
        cmocka_unit_test(test_concurrency_and_retry),
        cmocka_unit_test(test_validate_candidates_dedup),
    };
    int rc = cmocka_run_group_tests(offline, NULL, NULL);
    return rc | cmocka_run_group_tests(online, emu_start, emu_stop);
}
