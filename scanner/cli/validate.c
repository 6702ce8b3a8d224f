/*
 * akhound validate: reads findings (JSONL or a JSON array, as `scan --format jsonl --show-secrets`
 * writes them), checks each distinct pair live against STS GetCallerIdentity, and writes the
 * findings back with `validation` filled in. `--id ID` checks one pair instead; its secret comes
 * from AKHOUND_SECRET or stdin (and an STS token from AKHOUND_SECURITY_TOKEN), never from the
 * command line, where other users could read it in the process list.
 *
 * Exit codes: 3 when at least one key is valid (a live key outranks everything else, so scripts
 * alert on it even if other lines failed); otherwise 2 when the input had bad lines, the setup
 * failed, or some verdict is `unknown` (the answer is incomplete); otherwise 0 (nothing is live).
 *
 * Options and wiring only; the work is in cloud/validate.c, reading and writing in report/json.c.
 */
#include "cli/cli.h"
#include "cloud/validate.h"
#include "report/escape.h"
#include "report/json.h"
#include "report/redact.h"
#include "util/log.h"
#include "util/mem.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vopts {
    ak_validate_opts v;
    const char *format; /* jsonl, json, text */
    const char *output;
    const char *id;
    const char *input;
    int show_secrets;
} vopts;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: akhound validate [options] [FILE]\n"
        "       akhound validate --id ACCESS_KEY_ID   (secret from $AKHOUND_SECRET or stdin)\n"
        "\n"
        "Checks found AccessKeys live with STS GetCallerIdentity (no permission needed; the\n"
        "secret never leaves the machine, only its HMAC signature) and writes the findings\n"
        "back with `validation` filled in. FILE holds JSONL or a JSON array (default: stdin).\n"
        "\n"
        "options:\n"
        "  --id ID              check one pair; STS token from $AKHOUND_SECURITY_TOKEN\n"
        "  --format FMT         jsonl (default), json (an array) or text\n"
        "  -o, --output FILE    write there instead of stdout\n"
        "  --show-secrets       keep secrets in the output (default: removed)\n"
        "  --sts-endpoint URL   STS base URL (default: $AKHOUND_STS_ENDPOINT, sts.aliyuncs.com)\n"
        "  --sts-region REGION  use https://sts.REGION.aliyuncs.com\n"
        "  --ca-file FILE       also trust this CA (PEM); also $AKHOUND_CA_FILE\n"
        "  --concurrency N      requests in flight at most (default 16)\n"
        "  --timeout MS         per attempt (default 10000)\n"
        "  --retries N          on throttling, 5xx and network errors (default 3)\n"
        "  --responder-credentials env|profile:NAME\n"
        "                       first read each key's last use with these credentials (IMS\n"
        "                       GetAccessKeyLastUsed), so respond can tell this validation from\n"
        "                       real use; never taken from the default credential chain\n"
        "  -q, --quiet / -v, --verbose\n"
        "  -h, --help\n"
        "\n"
        "verdicts: valid, wrong_secret, inactive, not_found, expired, unknown\n"
        "exit: 0 nothing live, 3 at least one valid, 2 error or an unknown verdict\n");
}

enum { O_ID = 256, O_FORMAT, O_SHOW, O_EP, O_REGION, O_CA, O_CONC, O_TIMEOUT, O_RETRIES, O_RESP };

static const struct option longopts[] = {
    {"id", required_argument, NULL, O_ID},
    {"format", required_argument, NULL, O_FORMAT},
    {"output", required_argument, NULL, 'o'},
    {"show-secrets", no_argument, NULL, O_SHOW},
    {"sts-endpoint", required_argument, NULL, O_EP},
    {"sts-region", required_argument, NULL, O_REGION},
    {"ca-file", required_argument, NULL, O_CA},
    {"concurrency", required_argument, NULL, O_CONC},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"retries", required_argument, NULL, O_RETRIES},
    {"responder-credentials", required_argument, NULL, O_RESP},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Returns -1 to continue, else an exit code. */
static int parse_one(void *ctx, int c, const char *arg)
{
    vopts *o = ctx;
    switch (c) {
    case O_ID:
        o->id = arg;
        break;
    case O_FORMAT:
        o->format = arg;
        break;
    case 'o':
        o->output = arg;
        break;
    case O_SHOW:
        o->show_secrets = 1;
        break;
    case O_EP:
        o->v.sts_endpoint = arg;
        break;
    case O_REGION:
        o->v.sts_region = arg;
        break;
    case O_CA:
        o->v.ca_file = arg;
        break;
    case O_RESP:
        o->v.responder_credentials = arg;
        break;
    case O_CONC:
        if (ak_cli_parse_uint(arg, 1, 1024, &o->v.concurrency) < 0)
            return ak_cli_usage_error("validate", "--concurrency wants 1..1024, not '%s'", arg);
        break;
    case O_TIMEOUT:
        if (ak_cli_parse_uint(arg, 1, 3600000, &o->v.timeout_ms) < 0)
            return ak_cli_usage_error("validate", "--timeout wants milliseconds, not '%s'", arg);
        break;
    case O_RETRIES:
        if (ak_cli_parse_uint(arg, 0, 20, &o->v.max_retries) < 0)
            return ak_cli_usage_error("validate", "--retries wants 0..20, not '%s'", arg);
        break;
    case 'q':
        ak_log_set_level(AK_LOG_QUIET);
        break;
    case 'v':
        ak_log_set_level(ak_log_get_level() + 1);
        break;
    case 'h':
        usage(stdout);
        return AK_EXIT_CLEAN;
    default:
        return ak_cli_usage_error("validate", "unknown option");
    }
    return -1;
}

static int parse_args(vopts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    ak_validate_opts_default(&o->v);
    o->format = "jsonl";
    int rc = ak_cli_getopt("validate", argc, argv, "o:qvh", longopts, parse_one, o);
    if (rc >= 0) return rc;
    if (optind < argc) o->input = argv[optind++];
    if (optind < argc) return ak_cli_usage_error("validate", "one FILE at most");
    if (o->id && o->input)
        return ak_cli_usage_error("validate", "--id reads no FILE (the secret comes from stdin)");
    if (strcmp(o->format, "jsonl") && strcmp(o->format, "json") && strcmp(o->format, "text"))
        return ak_cli_usage_error("validate", "--format is jsonl, json or text");
    return -1;
}

/* First line of stdin, without its line end; NULL when empty. */
static char *read_secret_stdin(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n <= 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = '\0';
    if (n == 0) {
        free(line);
        return NULL;
    }
    char *s = ak_strdup(line);
    OPENSSL_cleanse(line, cap);
    free(line);
    return s;
}

static int single_finding(ak_findings *list, const char *id)
{
    const char *env = getenv("AKHOUND_SECRET");
    char *secret = env && *env ? ak_strdup(env) : read_secret_stdin();
    if (!secret) {
        ak_error("validate: no secret for %s: set AKHOUND_SECRET or pipe it on stdin", id);
        return -1;
    }
    const char *token = getenv("AKHOUND_SECURITY_TOKEN");
    ak_finding f = {0};
    f.rule = ak_strdup("manual");
    f.access_key_id = ak_strdup(id);
    f.secret = secret;
    if (token && *token) f.security_token = ak_strdup(token);
    f.kind = f.security_token || !strncmp(id, "STS.", 4) ? AK_KIND_STS_CREDENTIALS
                                                         : AK_KIND_ACCESS_KEY_PAIR;
    f.path = ak_strdup("-");
    f.line = 1;
    f.column = 1;
    f.encoding = "plain";
    ak_finding_fingerprint(&f);
    ak_findings_push(list, &f);
    return 0;
}

/* One line per finding; untrusted text escaped as in reports (a newline cannot forge a line). */
static void write_text(FILE *out, const ak_findings *list)
{
    ak_buf b = AK_BUF_INIT;
    for (size_t i = 0; i < list->len; i++) {
        const ak_finding *f = &list->items[i];
        const ak_validation *v = f->validation;
        ak_buf_reset(&b);
        ak_escape_append(&b, f->path, AK_ESC_TEXT);
        ak_buf_printf(&b, ":%u:%u ", f->line, f->column);
        ak_escape_append(&b, f->access_key_id ? f->access_key_id : "-", AK_ESC_TEXT);
        ak_buf_printf(&b, " %s", v ? ak_val_status_name(v->status) : "not-checked");
        if (v && v->status == AK_VAL_VALID) {
            ak_buf_putc(&b, ' ');
            ak_escape_append(&b, v->identity_type ? v->identity_type : "?", AK_ESC_TEXT);
            ak_buf_puts(&b, " account=");
            ak_escape_append(&b, v->account_id ? v->account_id : "?", AK_ESC_TEXT);
            ak_buf_puts(&b, " arn=");
            ak_escape_append(&b, v->arn ? v->arn : "?", AK_ESC_TEXT);
        }
        if (v && v->detail) {
            ak_buf_puts(&b, " (");
            ak_escape_append(&b, v->detail, AK_ESC_TEXT);
            ak_buf_putc(&b, ')');
        }
        ak_buf_putc(&b, '\n');
        fwrite(b.data, 1, b.len, out);
    }
    ak_buf_free(&b);
}

static void write_json(FILE *out, const ak_findings *list, const vopts *o)
{
    int lines = !strcmp(o->format, "jsonl");
    json_t *arr = lines ? NULL : json_array();
    for (size_t i = 0; i < list->len; i++) {
        json_t *j = ak_finding_to_json(&list->items[i], o->show_secrets);
        if (lines) {
            json_dumpf(j, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
            fputc('\n', out);
            json_decref(j);
        } else {
            json_array_append_new(arr, j);
        }
    }
    if (!lines) {
        json_dumpf(arr, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        json_decref(arr);
    }
}

typedef struct out_job {
    const ak_findings *list;
    const vopts *o;
} out_job;

static int write_any(FILE *out, void *ctx)
{
    const out_job *j = ctx;
    if (!strcmp(j->o->format, "text"))
        write_text(out, j->list);
    else
        write_json(out, j->list, j->o);
    return ferror(out) ? -1 : 0;
}

static int write_all(const ak_findings *list, const vopts *o)
{
    FILE *out = ak_cli_open_output("validate", o->output, o->show_secrets);
    if (!out) return -1;
    ak_redactor *red = o->show_secrets ? NULL : ak_cli_redactor(NULL, list);
    out_job j = {list, o};
    int bad = ak_redact_capture(red, out, write_any, &j) != 0;
    ak_redactor_free(red);
    bad |= ferror(out);
    bad |= ak_cli_close_output(out) != 0;
    if (bad) ak_error("validate: error writing %s", o->output ? o->output : "stdout");
    return bad ? -1 : 0;
}

static int load(ak_findings *list, const vopts *o)
{
    if (o->id) return single_finding(list, o->id);
    ak_buf err = AK_BUF_INIT;
    int bad = ak_findings_read_file(list, o->input ? o->input : "-", &err);
    if (err.len) fprintf(stderr, "%s", ak_buf_cstr(&err)); /* one "path:line: reason" per line */
    ak_buf_free(&err);
    return bad;
}

/* 3 if any valid, else 2 if any unknown, else 0. Counts keys without a secret for a hint. */
static int verdict_code(const ak_findings *list, size_t *unchecked)
{
    int live = 0, unknown = 0;
    *unchecked = 0;
    for (size_t i = 0; i < list->len; i++) {
        const ak_validation *v = list->items[i].validation;
        if (!v) {
            (*unchecked)++;
            continue;
        }
        live |= v->status == AK_VAL_VALID;
        unknown |= v->status == AK_VAL_UNKNOWN;
    }
    return live ? AK_EXIT_LIVE : unknown ? AK_EXIT_ERROR : AK_EXIT_CLEAN;
}

int cmd_validate(int argc, char **argv)
{
    vopts o;
    int rc = parse_args(&o, argc, argv);
    if (rc >= 0) return rc;
    ak_findings list = {0};
    int bad = load(&list, &o);
    if (bad < 0) {
        ak_findings_free(&list);
        return AK_EXIT_ERROR;
    }
    ak_buf err = AK_BUF_INIT;
    if (ak_validate_findings(&list, &o.v, &err) < 0) {
        ak_error("validate: %s", ak_buf_cstr(&err));
        ak_buf_free(&err);
        ak_findings_free(&list);
        return AK_EXIT_ERROR;
    }
    ak_buf_free(&err);
    size_t unchecked;
    rc = verdict_code(&list, &unchecked);
    if (unchecked)
        ak_warn("validate: %zu finding(s) carry no AccessKey ID and secret to check (write them "
                "with --show-secrets)",
                unchecked);
    if (write_all(&list, &o) < 0 || (bad > 0 && rc != AK_EXIT_LIVE)) rc = AK_EXIT_ERROR;
    ak_findings_free(&list);
    return rc;
}
