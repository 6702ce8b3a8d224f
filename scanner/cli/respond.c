/*
 * akhound respond: plans, and with --apply carries out, the handling of leaked keys read from
 * validated findings (JSONL or a JSON array, as `scan --validate --format jsonl` or `validate`
 * write them; FILE or stdin). Options and wiring only; the workflow is in scanner/respond/.
 *
 * Exit codes: 0 every key handled (or nothing to do), 1 a dry run with actions not yet applied,
 * 2 any failure or incomplete evidence (a key's step, a needed read that failed or was refused,
 * bad input lines, setup).
 */
#include "cli/cli.h"
#include "report/json.h"
#include "respond/respond.h"
#include "util/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ropts {
    ak_respond_opts r;
    const char *input;
    ak_cli_report_to to;
} ropts;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: akhound respond [options] [FILE]\n"
        "\n"
        "Plans the handling of the leaked AccessKeys in FILE (validated findings, JSONL or a\n"
        "JSON array; default stdin), per key: resolve the owner, read the last use, then\n"
        "disable a RAM-user key proven unused, contain any other with a Deny policy, or notify\n"
        "only (root-account, other-account or unresolved keys). Dry run unless --apply.\n"
        "Uses the responder's credentials (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/"
        "_SECURITY_TOKEN,\nthen ~/.aliyun/config.json), never the leaked keys.\n"
        "\n"
        "options:\n"
        "  --apply                carry out the plan (default: print it, change nothing)\n"
        "  --delete-unused        delete unused keys after disabling them (irreversible)\n"
        "  --unused-days N        not used for N days counts as unused (default 30)\n"
        "  --evidence-days N      ActionTrail look-back (default and minimum: --unused-days)\n"
        "  --policy-name NAME     Deny policy name (default " AK_RESPOND_POLICY_NAME ")\n"
        "  --ledger PATH          state database (default ~/.local/state/akhound/ledger.db)\n"
        "  --audit-log PATH       JSON-lines audit log (default: audit.jsonl beside the "
        "ledger)\n"
        "  --notify-webhook URL   POST a JSON notice per key\n"
        "  --webhook-format FMT   auto (default), generic, slack, dingtalk\n"
        "  --notify-smtp URL      smtp://host:port or smtps://host:port (SMTP login from\n"
        "                         $AKHOUND_SMTP_USER, $AKHOUND_SMTP_PASSWORD)\n"
        "  --notify-to ADDR       mail recipient (repeatable)\n"
        "  --notify-from ADDR     mail sender (default akhound@localhost)\n"
        "  --region REGION        ActionTrail region (default cn-hangzhou)\n"
        "  --ca-file FILE         also trust this CA (PEM); also $AKHOUND_CA_FILE\n"
        "  --timeout MS           per attempt (default 10000)\n"
        "  --retries N            on throttling, 5xx and network errors (default 3)\n"
        "  --format FMT           text (default) or json\n"
        "  -o, --output FILE      write the plan/report there\n"
        "  -q, --quiet / -v, --verbose\n"
        "  -h, --help\n"
        "\n"
        "exit: 0 all handled or nothing to do, 1 dry run with actions to apply, 2 failure or\n"
        "      a needed read failed (keys then contained, not disabled)\n");
}

enum { O_APPLY = 256, O_DELETE, O_UNUSED, O_EVIDENCE };

static const struct option longopts[] = {
    {"apply", no_argument, NULL, O_APPLY},
    {"delete-unused", no_argument, NULL, O_DELETE},
    {"unused-days", required_argument, NULL, O_UNUSED},
    {"evidence-days", required_argument, NULL, O_EVIDENCE},
    AK_RESPOND_SHARED_OPTIONS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int valid_policy_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-'))
            return 0;
    return 1;
}

static int parse_style(ak_respond_opts *r, const char *cmd, const char *arg)
{
    static const char *names[] = {"auto", "generic", "slack", "dingtalk"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(arg, names[i])) {
            r->webhook_style = (ak_webhook_style)i;
            return -1;
        }
    return ak_cli_usage_error(cmd, "--webhook-format is auto, generic, slack or dingtalk");
}

/* Numeric, enumerated and report options; -1 to continue, else an exit code. */
static int shared_value(const char *cmd, ak_respond_opts *r, ak_cli_report_to *to, int c,
                        const char *arg)
{
    switch (c) {
    case AK_RO_FORMAT:
        if (strcmp(arg, "text") && strcmp(arg, "json"))
            return ak_cli_usage_error(cmd, "--format is text or json");
        to->json = !strcmp(arg, "json");
        return -1;
    case 'o':
        to->output = arg;
        return -1;
    case 'q':
        ak_log_set_level(AK_LOG_QUIET);
        return -1;
    case 'v':
        ak_log_set_level(ak_log_get_level() + 1);
        return -1;
    case AK_RO_TIMEOUT:
        if (ak_cli_parse_uint(arg, 1, 3600000, &r->timeout_ms) < 0)
            return ak_cli_usage_error(cmd, "--timeout wants milliseconds, not '%s'", arg);
        return -1;
    case AK_RO_RETRIES:
        if (ak_cli_parse_uint(arg, 0, 20, &r->max_retries) < 0)
            return ak_cli_usage_error(cmd, "--retries wants 0..20, not '%s'", arg);
        return -1;
    case AK_RO_POLICY:
        if (!valid_policy_name(arg))
            return ak_cli_usage_error(cmd, "--policy-name wants 1-128 of [A-Za-z0-9-]");
        r->policy_name = arg;
        return -1;
    case AK_RO_WHFMT:
        return parse_style(r, cmd, arg);
    case AK_RO_TO:
        if (r->n_mail_to == sizeof r->mail_to / sizeof *r->mail_to)
            return ak_cli_usage_error(cmd, "too many --notify-to");
        r->mail_to[r->n_mail_to++] = arg;
        return -1;
    default:
        return ak_cli_usage_error(cmd, "unknown option");
    }
}

int ak_cli_respond_option(const char *cmd, struct ak_respond_opts *r, ak_cli_report_to *to, int c,
                          const char *arg)
{
    switch (c) {
    case AK_RO_LEDGER:
        r->ledger_path = arg;
        break;
    case AK_RO_AUDIT:
        r->audit_path = arg;
        break;
    case AK_RO_WEBHOOK:
        r->webhook_url = arg;
        break;
    case AK_RO_SMTP:
        r->smtp_url = arg;
        break;
    case AK_RO_FROM:
        r->mail_from = arg;
        break;
    case AK_RO_REGION:
        r->region = arg;
        break;
    case AK_RO_CA:
        r->ca_file = arg;
        break;
    default:
        return shared_value(cmd, r, to, c, arg);
    }
    return -1;
}

int ak_cli_respond_check(const char *cmd, const struct ak_respond_opts *r)
{
    if (r->smtp_url && !r->n_mail_to)
        return ak_cli_usage_error(cmd, "--notify-smtp needs at least one --notify-to");
    return -1;
}

static int parse_one(void *ctx, int c, const char *arg)
{
    ropts *o = ctx;
    switch (c) {
    case O_APPLY:
        o->r.apply = 1;
        break;
    case O_DELETE:
        o->r.delete_unused = 1;
        break;
    case O_UNUSED:
        if (ak_cli_parse_uint(arg, 1, 36500, &o->r.unused_days) < 0)
            return ak_cli_usage_error("respond", "--unused-days wants 1..36500, not '%s'", arg);
        break;
    case O_EVIDENCE:
        if (ak_cli_parse_uint(arg, 1, 90, &o->r.evidence_days) < 0)
            return ak_cli_usage_error("respond", "--evidence-days wants 1..90, not '%s'", arg);
        break;
    case 'h':
        usage(stdout);
        return AK_EXIT_CLEAN;
    default:
        return ak_cli_respond_option("respond", &o->r, &o->to, c, arg);
    }
    return -1;
}

static int parse_args(ropts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    ak_respond_opts_default(&o->r);
    int rc = ak_cli_getopt("respond", argc, argv, "o:qvh", longopts, parse_one, o);
    if (rc >= 0) return rc;
    if (optind < argc) o->input = argv[optind++];
    if (optind < argc) return ak_cli_usage_error("respond", "one FILE at most");
    return ak_cli_respond_check("respond", &o->r);
}

static int write_report(const ropts *o, const json_t *report)
{
    FILE *out = ak_cli_open_output("respond", o->to.output, 0);
    if (!out) return -1;
    ak_buf b = AK_BUF_INIT;
    if (o->to.json) {
        char *s = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        ak_buf_puts(&b, s ? s : "null");
        ak_buf_putc(&b, '\n');
        free(s);
    } else {
        ak_respond_render_text(&b, report);
    }
    int bad = ak_redact_write(o->r.redactor, out, b.data, b.len) != 0;
    ak_buf_free(&b);
    bad |= ferror(out);
    bad |= ak_cli_close_output(out) != 0;
    if (bad) ak_error("respond: error writing %s", o->to.output ? o->to.output : "stdout");
    return bad ? -1 : 0;
}

int cmd_respond(int argc, char **argv)
{
    ropts o;
    int rc = parse_args(&o, argc, argv);
    if (rc >= 0) return rc;
    ak_findings list = {0};
    ak_buf err = AK_BUF_INIT;
    int bad = ak_findings_read_file(&list, o.input ? o.input : "-", &err);
    if (err.len) fprintf(stderr, "%s", ak_buf_cstr(&err));
    ak_buf_reset(&err);
    if (bad < 0) {
        ak_findings_free(&list);
        ak_buf_free(&err);
        return AK_EXIT_ERROR;
    }
    json_t *report = NULL;
    ak_respond_result res;
    o.r.redactor = ak_cli_redactor(NULL, &list);
    if (ak_respond_run(&list, &o.r, &report, &res, &err) < 0) {
        ak_error("respond: %s", ak_buf_cstr(&err));
        rc = AK_EXIT_ERROR;
    } else {
        rc = res.failed || res.incomplete || bad ? AK_EXIT_ERROR
             : res.pending                       ? AK_EXIT_FINDINGS
                                                 : AK_EXIT_CLEAN;
        if (write_report(&o, report) < 0) rc = AK_EXIT_ERROR;
    }
    json_decref(report);
    ak_redactor_free(o.r.redactor);
    ak_buf_free(&err);
    ak_findings_free(&list);
    return rc;
}
