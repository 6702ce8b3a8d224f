/* Signature V1 and V3 against the official vectors of the reference (sections 1.1 and 1.2). */
#include "testutil.h"

#include "cloud/sign.h"

#define N(a) (sizeof(a) / sizeof *(a))

static void check_encode(const char *in, const char *want)
{
    ak_buf b = AK_BUF_INIT;
    ak_sign_percent_encode(&b, in, strlen(in));
    assert_string_equal(ak_buf_cstr(&b), want);
    ak_buf_free(&b);
}

static void test_percent_encode(void **state)
{
    (void)state;
    check_encode(" ~/*-+", "%20~%2F%2A-%2B");
    check_encode("a!b'c(d)e*f", "a%21b%27c%28d%29e%2Af");
    check_encode("\xc3\xa9", "%C3%A9");
    check_encode("\xe4\xb8\xad", "%E4%B8%AD");
    check_encode("=&:,", "%3D%26%3A%2C");
    check_encode("AZaz09-_.~", "AZaz09-_.~");
    check_encode("", "");
}

static void check_v1(const char *method, const ak_param *p, size_t n, const char *secret,
                     const char *want_sts, const char *want_sig)
{
    ak_buf sts = AK_BUF_INIT;
    ak_sign_v1_string_to_sign(&sts, method, p, n);
    if (want_sts) assert_string_equal(ak_buf_cstr(&sts), want_sts);
    char sig[AK_SIGN_V1_LEN];
    ak_sign_v1(secret, method, p, n, sig);
    assert_string_equal(sig, want_sig);
    ak_buf_free(&sts);
}

/* Example A: ECS DescribeRegions, given in a shuffled order to exercise the sort. */
static void test_v1_ecs_describe_regions(void **state)
{
    (void)state;
    const ak_param p[] = {
        {"Version", "2014-05-26"},
        {"Timestamp", "2016-02-23T12:46:24Z"},
        {"AccessKeyId", "testid"},
        {"SignatureVersion", "1.0"},
        {"Action", "DescribeRegions"},
        {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
        {"Format", "XML"},
        {"SignatureMethod", "HMAC-SHA1"},
    };
    ak_buf cqs = AK_BUF_INIT;
    ak_sign_canonical_query(&cqs, p, N(p));
    assert_string_equal(ak_buf_cstr(&cqs),
                        "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-"
                        "SHA1&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion="
                        "1.0&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26");
    ak_buf_free(&cqs);
    check_v1("GET", p, N(p), "testsecret",
             "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%"
             "26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-"
             "4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%"
             "26Version%3D2014-05-26",
             "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

/* Example B: SMS SendSms with a UTF-8 SignName and a JSON TemplateParam. */
static void test_v1_sms_utf8(void **state)
{
    (void)state;
    const ak_param p[] = {
        {"AccessKeyId", "testId"},
        {"Action", "SendSms"},
        {"Format", "XML"},
        {"OutId", "123"},
        {"PhoneNumbers", "15300000001"},
        {"RegionId", "cn-hangzhou"},
        {"SignName", "\xe9\x98\xbf\xe9\x87\x8c\xe4\xba\x91\xe7\x9f\xad\xe4\xbf\xa1\xe6\xb5\x8b\xe8"
                     "\xaf\x95\xe4\xb8\x93\xe7\x94\xa8"},
        {"SignatureMethod", "HMAC-SHA1"},
        {"SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"},
        {"SignatureVersion", "1.0"},
        {"TemplateCode", "SMS_71390007"},
        {"TemplateParam", "{\"customer\":\"test\"}"},
        {"Timestamp", "2017-07-12T02:42:19Z"},
        {"Version", "2017-05-25"},
    };
    check_v1("GET", p, N(p), "testSecret",
             "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%"
             "26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%"
             "25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%"
             "25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%"
             "26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%"
             "26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%"
             "2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-"
             "25",
             "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
}

/* The official SDKs' own unit-test vectors. */
static void test_v1_sdk_vectors(void **state)
{
    (void)state;
    const ak_param a[] = {{"query", "test"}, {"body", "test"}};
    check_v1("GET", a, N(a), "secret", "GET&%2F&body%3Dtest%26query%3Dtest",
             "XlUyV4sXjOuX5FnjUz9IF9tm5rU=");
    const ak_param b[] = {{"test", "ok"}};
    check_v1("", b, N(b), "accessKeySecret", "&%2F&test%3Dok", "jHx/oHoHNrbVfhncHEvPdHXZwHU=");
    char sig[AK_SIGN_V1_LEN];
    ak_sign_hmac_sha1_b64("secret", 6, "source", 6, sig);
    assert_string_equal(sig, "Jv4yi8SobFhg5t1C7nWLbhBSFZQ=");
    const ak_param c[] = {{"key", "value"}, {"q", "http://domain/?q=value&q2=value2"}};
    ak_buf sts = AK_BUF_INIT;
    ak_sign_v1_string_to_sign(&sts, "GET", c, N(c));
    assert_string_equal(ak_buf_cstr(&sts), "GET&%2F&key%3Dvalue%26q%3Dhttp%253A%252F%252Fdomain%"
                                           "252F%253Fq%253Dvalue%2526q2%253Dvalue2");
    ak_buf_free(&sts);
}

/* Example D: the exact request the validator sends (STS GetCallerIdentity, POST). */
static void test_v1_sts_get_caller_identity(void **state)
{
    (void)state;
    ak_param p[] = {
        {"AccessKeyId", "LTAI5tEXAMPLEEXAMPLE1234"},
        {"Action", "GetCallerIdentity"},
        {"Format", "json"},
        {"SignatureMethod", "HMAC-SHA1"},
        {"SignatureNonce", "d6f5c2a1-0000-4000-8000-000000000001"},
        {"SignatureVersion", "1.0"},
        {"Timestamp", "2024-01-01T00:00:00Z"},
        {"Version", "2015-04-01"},
        {"Signature", "ignored: never part of the string to sign"},
    };
    check_v1("POST", p, N(p), "EXAMPLEsecretEXAMPLEsecret1234",
             "POST&%2F&AccessKeyId%3DLTAI5tEXAMPLEEXAMPLE1234%26Action%3DGetCallerIdentity%"
             "26Format%3Djson%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dd6f5c2a1-0000-4000-"
             "8000-000000000001%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-01T00%253A00%"
             "253A00Z%26Version%3D2015-04-01",
             "BM4fydoM3BpQWKS0kfYTOrmxC8s=");
    p[0].value = "STS.EXAMPLEexampleEXAMPLE1234";
    p[8].name = "SecurityToken";
    p[8].value = "CAIS+example/token==";
    check_v1("POST", p, N(p), "EXAMPLEstsSecretEXAMPLEstsSecretEXAMPLE1234", NULL,
             "bU1o8dheRXTQ/ElrCbFeQ4vjfcY=");
}

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void check_v3(const ak_v3_request *r, const char *id, const char *secret, const char *want)
{
    ak_buf auth = AK_BUF_INIT;
    ak_sign_v3_authorization(&auth, id, secret, r);
    assert_string_equal(ak_buf_cstr(&auth), want);
    ak_buf_free(&auth);
}

/* The official V3 example (ECS RunInstances), with every intermediate step. */
static void test_v3_official(void **state)
{
    (void)state;
    const ak_param q[] = {{"RegionId", "cn-shanghai"},
                          {"ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"}};
    const ak_param h[] = {
        {"x-acs-action", "RunInstances"},
        {"host", "ecs.cn-shanghai.aliyuncs.com"},
        {"x-acs-content-sha256", EMPTY_SHA},
        {"x-acs-date", "2023-10-26T10:22:32Z"},
        {"x-acs-version", "2014-05-26"},
        {"x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"},
    };
    char empty[65];
    ak_sign_sha256_hex("", 0, empty);
    assert_string_equal(empty, EMPTY_SHA);
    ak_v3_request r = {"POST", "/", q, N(q), h, N(h), EMPTY_SHA};
    ak_buf cr = AK_BUF_INIT;
    ak_sign_v3_canonical_request(&cr, NULL, &r);
    assert_string_equal(ak_buf_cstr(&cr),
                        "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&"
                        "RegionId=cn-shanghai\nhost:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:"
                        "RunInstances\nx-acs-content-sha256:" EMPTY_SHA
                        "\nx-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:"
                        "3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n\nhost;x-acs-"
                        "action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-"
                        "version\n" EMPTY_SHA);
    char hash[65];
    ak_sign_sha256_hex(cr.data, cr.len, hash);
    assert_string_equal(hash, "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
    ak_buf_free(&cr);
    check_v3(&r, "YourAccessKeyId", "YourAccessKeySecret",
             "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-"
             "content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="
             "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
}

/* SDK vectors: a same-named header in two cases merges into one line; an empty method. */
static void test_v3_sdk_vectors(void **state)
{
    (void)state;
    const ak_param q[] = {{"test", "ok"}, {"empty", ""}};
    const ak_param h[] = {{"x-acs-test", "http"}, {"x-acs-TEST", "https"}};
    const char *payload = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";
    ak_v3_request r = {"GET", "/", q, N(q), h, N(h), payload};
    check_v3(&r, "acesskey", "secret",
             "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,Signature="
             "d16b30a7699ae9e43875b13195b2f81bcc3ed10c14a9b5eb780e51619aa50be1");
    r.method = "";
    check_v3(&r, "acesskey", "secret",
             "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,Signature="
             "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3");
    char h4[65];
    ak_sign_sha256_hex("test", 4, h4);
    assert_string_equal(h4, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

/* The reference's computed V3 examples for STS (long-term and STS credentials) and IMS. */
static void test_v3_computed(void **state)
{
    (void)state;
    ak_param h[] = {
        {"host", "sts.aliyuncs.com"},
        {"x-acs-action", "GetCallerIdentity"},
        {"x-acs-version", "2015-04-01"},
        {"x-acs-date", "2024-01-01T00:00:00Z"},
        {"x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"},
        {"x-acs-content-sha256", EMPTY_SHA},
        {"x-acs-security-token", "CAIS+example/token=="},
        {"x-acs-accesskey-id", "STS.EXAMPLEexampleEXAMPLE1234"},
    };
    ak_v3_request r = {"POST", "/", NULL, 0, h, 6, EMPTY_SHA};
    check_v3(&r, "LTAI5tEXAMPLEEXAMPLE1234", "EXAMPLEsecretEXAMPLEsecret1234",
             "ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEEXAMPLE1234,SignedHeaders=host;x-acs-action;"
             "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="
             "161ca645792c2f460f244cbc3b8e6ad1c202b519db3abe39894a6c4e8779979a");
    r.n_headers = 8;
    check_v3(&r, "STS.EXAMPLEexampleEXAMPLE1234", "EXAMPLEstsSecretEXAMPLEstsSecretEXAMPLE1234",
             "ACS3-HMAC-SHA256 Credential=STS.EXAMPLEexampleEXAMPLE1234,SignedHeaders=host;x-acs-"
             "accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-"
             "acs-signature-nonce;x-acs-version,Signature="
             "24bdc77467c151e7ca14ceeafebd6a9d911cb73a738ee128f1d8139c90afedfa");
    /* Split so that no key-shaped literal sits in the source. */
    const char *responder = "LT"
                            "AI5tRESPONDERKEY0000000";
    const ak_param q[] = {{"UserAccessKeyId", "LTAI5tEXAMPLEEXAMPLE1234"}};
    const ak_param hi[] = {
        {"host", "ims.aliyuncs.com"},
        {"x-acs-action", "GetUser"},
        {"x-acs-version", "2019-08-15"},
        {"x-acs-date", "2024-01-01T00:00:00Z"},
        {"x-acs-signature-nonce", "0123456789abcdef0123456789abcdef"},
        {"x-acs-content-sha256", EMPTY_SHA},
    };
    ak_v3_request ri = {"POST", "/", q, 1, hi, N(hi), EMPTY_SHA};
    ak_buf auth = AK_BUF_INIT;
    ak_sign_v3_authorization(&auth, responder, "RESPONDERsecretRESPONDER12345", &ri);
    assert_non_null(
        strstr(ak_buf_cstr(&auth),
               ",Signature=8830709c95c53b76a671908e9bb08c2fcbf541081f810a8fe97c87ee021cd991"));
    ak_buf_free(&auth);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_encode),
        cmocka_unit_test(test_v1_ecs_describe_regions),
        cmocka_unit_test(test_v1_sms_utf8),
        cmocka_unit_test(test_v1_sdk_vectors),
        cmocka_unit_test(test_v1_sts_get_caller_identity),
        cmocka_unit_test(test_v3_official),
        cmocka_unit_test(test_v3_sdk_vectors),
        cmocka_unit_test(test_v3_computed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
