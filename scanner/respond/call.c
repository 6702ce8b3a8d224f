/*
 * Every Alibaba Cloud call respond makes goes through ak_rcall, so the ledger and the audit log
 * cannot miss one and the crash hook sits at the worst instant: after the cloud acted, before
 * anything was recorded. AKHOUND_TEST_CRASH_AFTER=N (a test hook, documented in the README) makes
 * the process _exit(86) right after its Nth API call returns.
 */
#include "respond/respond_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

char *ak_rcall_error(const ak_call *call)
{
    ak_buf b = AK_BUF_INIT;
    if (call->state == AK_CALL_API_ERROR) {
        ak_buf_printf(&b, "%s %s: %s", ak_product_name(call->product), call->action,
                      call->code ? call->code : "error");
        /* Messages of signature errors echo the string to sign; only the code is kept then. */
        if (call->message && strncmp(call->code ? call->code : "", "Signature", 9))
            ak_buf_printf(&b, " (%.200s)", call->message);
        if (call->request_id) ak_buf_printf(&b, " RequestId %s", call->request_id);
    } else {
        ak_buf_printf(&b, "%s", call->error ? call->error : "no answer");
    }
    return ak_buf_detach(&b);
}

static const char *outcome_of(const ak_call *call)
{
    return call->state == AK_CALL_OK          ? "ok"
           : call->state == AK_CALL_API_ERROR ? "api_error"
                                              : "failed";
}

static void record(ak_rctx *c, const char *key_id, const char *step, int write, const ak_call *call,
                   const char *detail)
{
    ak_ledger_call lc = {key_id,
                         step,
                         ak_product_name(call->product),
                         call->action,
                         call->request_id,
                         outcome_of(call),
                         call->code,
                         detail,
                         call->http_status};
    ak_buf err = AK_BUF_INIT;
    if (c->ledger && c->o->apply && ak_ledger_call_log(c->ledger, &lc, &err) < 0)
        ak_error("respond: %s", ak_buf_cstr(&err));
    ak_buf_free(&err);
    if (!write) return;
    ak_audit_entry e = {key_id, step, call->action, call->request_id, outcome_of(call), detail};
    if (ak_audit_write(c->audit, &e) < 0) ak_error("respond: cannot write the audit log");
}

/* An answer with HTTP 200 whose body carries an error Code (a gateway or a service fault) is an
 * error, not an empty success: otherwise a last-use read would read as "never used". */
static void error_in_success(ak_call *call)
{
    const char *code = json_string_value(json_object_get(call->body, "Code"));
    if (call->state != AK_CALL_OK || !code) return;
    call->state = AK_CALL_API_ERROR;
    free(call->code);
    call->code = ak_strdup(code);
    const char *msg = json_string_value(json_object_get(call->body, "Message"));
    free(call->message);
    call->message = msg ? ak_strdup(msg) : NULL;
}

int ak_rcall(ak_rctx *c, const char *key_id, const char *step, int write, ak_call *call,
             json_t *calls)
{
    call->cred = c->cred;
    call->write = write;
    call->signer = "the responder's credentials";
    ak_buf err = AK_BUF_INIT;
    if (ak_client_call(c->client, call, &err) < 0) {
        call->state = AK_CALL_FAILED;
        free(call->error);
        call->error = ak_buf_detach(&err);
    }
    ak_buf_free(&err);
    error_in_success(call);
    c->calls++;
    if (c->crash_after >= 0 && c->calls >= (unsigned long)c->crash_after) _exit(86);
    char *detail = call->state == AK_CALL_OK ? NULL : ak_rcall_error(call);
    record(c, key_id, step, write, call, detail);
    ak_info("respond %s: %s %s -> %s%s%s", key_id ? key_id : "-", ak_product_name(call->product),
            call->action, outcome_of(call), detail ? ": " : "", detail ? detail : "");
    if (calls) {
        json_t *j =
            json_pack("{s:s, s:s, s:s?, s:s}", "product", ak_product_name(call->product), "action",
                      call->action, "request_id", call->request_id, "outcome", outcome_of(call));
        if (call->code) json_object_set_new(j, "code", json_string(call->code));
        json_array_append_new(calls, j);
    }
    free(detail);
    return call->state == AK_CALL_OK          ? AK_RCALL_OK
           : call->state == AK_CALL_API_ERROR ? AK_RCALL_API_ERROR
                                              : AK_RCALL_FAILED;
}

long long ak_respond_parse_time(const char *s)
{
    return ak_iso8601_parse(s);
}
