/*
 * akhound rotate KEY_ID / rotate --finish KEY_ID: replace a leaked key that is still in use (see
 * scanner/respond/rotate.c). Options and wiring only. Exit codes: 0 done, 1 dry run with steps to
 * apply, 2 stopped (a check failed: two keys already, the old key still in use, ...) or error.
 */
#include "cli/cli.h"
#include "report/escape.h"
#include "report/redact.h"
#include "respond/respond.h"
#include "util/log.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

typedef struct rtopts {
    ak_respond_opts r;
    ak_rotate_opts o;
    ak_cli_report_to to;
} rtopts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: akhound rotate [options] KEY_ID\n"
            "       akhound rotate --finish [--delete] [--force] [options] KEY_ID\n"
            "\n"
            "Rotates a leaked AccessKey that is still in use. First: create a new AccessKey for\n"
            "the same RAM user and hand its secret only to --secret-file (created 0600) or to\n"
            "--secret-command's stdin. Then, once the workload uses the new key: --finish checks\n"
            "that KEY_ID was not used since the new key's first use (last use and ActionTrail,\n"
            "with source IPs), disables it, deletes it with --delete, and only then detaches the\n"
            "Deny policy. Dry run unless --apply. Uses the responder's credentials.\n"
            "\n"
            "options:\n"
            "  --apply                carry it out (default: print the plan, change nothing)\n"
            "  --secret-file PATH     write the new key's ID and secret here (JSON, mode 0600)\n"
            "  --secret-command CMD   or pipe that JSON to CMD's stdin (run by /bin/sh)\n"
            "  --finish               retire the old key (after the workload switched)\n"
            "  --delete               with --finish: delete it, then detach the Deny policy\n"
            "  --force                with --finish: go on although the old key was used since\n"
            "                         (after a human judged that use)\n"
            "  --policy-name NAME     Deny policy name (default " AK_RESPOND_POLICY_NAME ")\n"
            "  --ledger PATH, --audit-log PATH, --notify-webhook URL, --webhook-format F,\n"
            "  --notify-smtp URL, --notify-to A, --notify-from A, --region R, --ca-file FILE,\n"
            "  --timeout MS, --retries N   as for akhound respond (a notice per run that acts)\n"
            "  --format text|json, -o FILE, -q, -v, -h\n"
            "\n"
            "exit: 0 done, 1 dry run with steps to apply, 2 stopped (the reason is printed) or\n"
            "      error\n");
}

enum { O_APPLY = 256, O_FINISH, O_DELETE, O_FORCE, O_SFILE, O_SCMD };

static const struct option longopts[] = {
    {"apply", no_argument, NULL, O_APPLY},
    {"finish", no_argument, NULL, O_FINISH},
    {"delete", no_argument, NULL, O_DELETE},
    {"force", no_argument, NULL, O_FORCE},
    {"secret-file", required_argument, NULL, O_SFILE},
    {"secret-command", required_argument, NULL, O_SCMD},
    AK_RESPOND_SHARED_OPTIONS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_one(void *ctx, int c, const char *arg)
{
    rtopts *o = ctx;
    if (c == O_APPLY)
        o->r.apply = 1;
    else if (c == O_FINISH)
        o->o.finish = 1;
    else if (c == O_DELETE)
        o->o.delete_old = 1;
    else if (c == O_FORCE)
        o->o.force = 1;
    else if (c == O_SFILE)
        o->o.secret_file = arg;
    else if (c == O_SCMD)
        o->o.secret_command = arg;
    else if (c == 'h') {
        usage(stdout);
        return AK_EXIT_CLEAN;
    } else
        return ak_cli_respond_option("rotate", &o->r, &o->to, c, arg);
    return -1;
}

static int check_args(const rtopts *o)
{
    if (o->o.finish && (o->o.secret_file || o->o.secret_command))
        return ak_cli_usage_error("rotate", "--finish takes no --secret-file/--secret-command");
    if (!o->o.finish && (o->o.delete_old || o->o.force))
        return ak_cli_usage_error("rotate", "--delete and --force go with --finish");
    if (!o->o.finish && !!o->o.secret_file == !!o->o.secret_command)
        return ak_cli_usage_error("rotate", "name where the new secret goes: --secret-file PATH "
                                            "or --secret-command CMD (one of them)");
    return ak_cli_respond_check("rotate", &o->r);
}

/* Appends the string member k of o with printf-style text around it, escaped: steps' details and
 * the reason a run stopped carry the cloud's error messages. */
static void put(ak_buf *b, const char *before, const json_t *o, const char *k, const char *after)
{
    const char *s = json_string_value(json_object_get(o, k));
    if (!s) return;
    ak_buf_puts(b, before);
    ak_escape_append(b, s, AK_ESC_TEXT);
    ak_buf_puts(b, after);
}

static void render(FILE *out, const json_t *r)
{
    ak_buf b = AK_BUF_INIT;
    const char *cmd = json_string_value(json_object_get(r, "command"));
    put(&b, cmd && !strcmp(cmd, "finish") ? "akhound rotate --finish " : "akhound rotate ", r,
        "key_id", ": ");
    put(&b, "", r, "mode", "\n");
    put(&b, "  new key: ", r, "new_key_id", "\n");
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(r, "steps"), i, st)
    {
        put(&b, "  step ", st, "step", ": ");
        put(&b, "", st, "status", "");
        put(&b, ": would ", st, "would", "");
        put(&b, " (", st, "detail", ")");
        ak_buf_putc(&b, '\n');
    }
    put(&b, "  note: ", r, "note", "\n");
    put(&b, "stopped: ", r, "stopped", "\n");
    fwrite(b.data ? b.data : "", 1, b.len, out);
    ak_buf_free(&b);
}

static int write_json(FILE *out, void *report)
{
    return json_dumpf(report, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', out) == EOF
               ? -1
               : 0;
}

static int write_text(FILE *out, void *report)
{
    render(out, report);
    return ferror(out) ? -1 : 0;
}

int cmd_rotate(int argc, char **argv)
{
    rtopts o;
    memset(&o, 0, sizeof o);
    ak_respond_opts_default(&o.r);
    int rc = ak_cli_getopt("rotate", argc, argv, "o:qvh", longopts, parse_one, &o);
    if (rc >= 0) return rc;
    if (optind + 1 != argc) return ak_cli_usage_error("rotate", "one KEY_ID, please");
    rc = check_args(&o);
    if (rc >= 0) return rc;
    json_t *report = NULL;
    ak_buf err = AK_BUF_INIT;
    o.r.redactor = ak_redactor_new_known(); /* learns the new key's secret once it exists */
    rc = ak_rotate_run(argv[optind], &o.r, &o.o, &report, &err);
    if (rc < 0) {
        ak_redact_buf(o.r.redactor, &err);
        ak_error("rotate: %s", ak_buf_cstr(&err));
        ak_buf_free(&err);
        ak_redactor_free(o.r.redactor);
        return AK_EXIT_ERROR;
    }
    ak_buf_free(&err);
    FILE *out = ak_cli_open_output("rotate", o.to.output, 0);
    if (!out || ak_redact_capture(o.r.redactor, out, o.to.json ? write_json : write_text, report))
        rc = AK_EXIT_ERROR;
    if (out && ak_cli_close_output(out) != 0) rc = AK_EXIT_ERROR;
    json_decref(report);
    ak_redactor_free(o.r.redactor);
    return rc;
}
