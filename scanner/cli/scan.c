/*
 * akhound scan: option parsing and wiring only. Sources produce findings (sources/), the
 * baseline filters them (detect/baseline), validation fills verdicts (cloud/validate), the report
 * writers print them (report/).
 */
#include "cli/cli.h"
#include "cli/options.h"
#include "cloud/validate.h"
#include "detect/baseline.h"
#include "sources/git.h"
#include "sources/scan.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char scan_help[] =
    "usage: akhound scan [options] [PATH...]     files and directories (default: .)\n"
    "       akhound scan [options] -             standard input\n"
    "       akhound scan --git [REPO]            every blob and commit message in the history\n"
    "       akhound scan --staged [REPO]         what `git commit` would record (pre-commit)\n"
    "       akhound scan --range BASE..HEAD [REPO]  what a push or pull request introduces\n"
    "\n"
    "output:\n"
    "  -f, --format FMT       text (default), json, jsonl, sarif or gitlab (GitLab's\n"
    "                         secret-detection report)\n"
    "  -o, --output FILE      write the report to FILE (created mode 0600)\n"
    "      --show-secrets     include secrets in clear (never shown otherwise)\n"
    "      --color WHEN       auto (default: only on a terminal), always, never\n"
    "  -q, --quiet            no summary or notes on stderr, only errors\n"
    "  -v, --verbose          notes on what was not scanned and why\n"
    "filtering:\n"
    "      --baseline FILE    do not report findings listed in FILE (see 'akhound baseline')\n"
    "      --exclude GLOB     skip paths matching GLOB (gitignore syntax; repeatable)\n"
    "      --rules PATH       add rules from a YAML file or a directory of them (repeatable)\n"
    "      --pair-window N    pair an ID and a secret at most N lines apart (default 5)\n"
    "git:\n"
    "      --all-objects      with --git: also unreachable objects (dangling commits, blobs)\n"
    "      --since-commit B   the same as --range B..HEAD\n"
    "      --all-staged-lines with --staged: also keys on lines the change did not touch\n"
    "performance:\n"
    "  -j, --threads N        worker threads (default: one per core)\n"
    "      --max-file-size N  read and scan files in overlapping windows of N bytes (default 8M)\n"
    "validation:\n"
    "      --validate         check each found pair live with STS GetCallerIdentity\n"
    "      --sts-region R     use the regional endpoint sts.R.aliyuncs.com\n"
    "      --responder-credentials env|profile:NAME\n"
    "                         first read each key's last use with these credentials, so\n"
    "                         'akhound respond' can tell the validation from real use\n"
    "      --ca-file FILE     trust this CA too (TLS verification is always on)\n"
    "\n"
    "Also: .akhoundignore at a scanned root excludes paths; 'akhound:allow' in a comment on the\n"
    "line of a finding (or the line before) suppresses it.\n"
    "exit status:\n"
    "      --fail-on LIST     only these findings make the exit code 1 or 3: a comma-separated\n"
    "                         list of KIND, VERDICT or KIND:VERDICT (default: any). KIND: pair,\n"
    "                         id, secret, sts; VERDICT: live, unvalidated, invalid (wrong secret,\n"
    "                         inactive, not found, expired), unknown. e.g. live,unvalidated\n"
    "      --exit-zero        exit 0 whatever was found (2 still reports an error)\n"
    "exit: 0 nothing found, 1 findings, 2 error or incomplete scan (precedence over 1),\n"
    "      3 findings with a key validated live (precedence over 2); see 'akhound help "
    "exit-codes'\n";

typedef struct scan_run {
    ak_scan_cli cli;
    ak_rules *rules;
    ak_engine *engine;
    ak_findings found;
    ak_scan_summary sum;
} scan_run;

static int on_option(void *ctx, int opt, const char *arg)
{
    if (opt == 'h' || opt == OPT_HELP) {
        fputs(scan_help, stdout);
        return 0;
    }
    int rc = ak_scan_cli_apply(ctx, "scan", opt, arg);
    if (rc > 0) return ak_cli_usage_error("scan", "option not supported here");
    return rc < 0 ? AK_EXIT_ERROR : -1;
}

/* The git sources: one mode, at most one repository (default: the one containing "."). */
static int run_git(scan_run *r, const ak_scan_opts *so, char **paths, int n_paths)
{
    int modes = !!r->cli.git + !!r->cli.staged + !!(r->cli.range || r->cli.since_commit);
    const char *err = modes > 1                             ? "--git, --staged and --range "
                                                              "(--since-commit) exclude each other"
                      : n_paths > 1                         ? "give at most one repository"
                      : r->cli.range && r->cli.since_commit ? "--range or --since-commit, not both"
                      : r->cli.all_objects && !r->cli.git   ? "--all-objects needs --git"
                      : r->cli.all_staged_lines && !r->cli.staged
                          ? "--all-staged-lines needs --staged"
                          : NULL;
    if (err) {
        ak_error("scan: %s", err);
        return -1;
    }
    ak_git_opts go;
    ak_git_opts_default(&go);
    go.scan = *so;
    go.all_objects = r->cli.all_objects;
    go.all_staged_lines = r->cli.all_staged_lines;
    const char *repo = n_paths ? paths[0] : NULL;
    /* .akhoundignore at the top of the work tree applies to its history as to its files (the
     * file as it is now: excluding a path should not depend on which commit added the rule) */
    ak_buf ign = AK_BUF_INIT;
    ak_buf_printf(&ign, "%s/.akhoundignore", repo ? repo : ".");
    ak_buf why = AK_BUF_INIT;
    if (ak_ignore_add_file(&r->cli.excludes, ign.data, &why) != 0) ak_warn("%s", why.data);
    ak_buf_free(&why);
    ak_buf_free(&ign);
    if (r->cli.git) return ak_git_scan_history(r->engine, repo, &go, &r->found, &r->sum);
    if (r->cli.staged) return ak_git_scan_staged(r->engine, repo, &go, &r->found, &r->sum);
    ak_buf range = AK_BUF_INIT;
    if (r->cli.since_commit)
        ak_buf_printf(&range, "%s..HEAD", r->cli.since_commit);
    else
        ak_buf_puts(&range, r->cli.range);
    int rc = ak_git_scan_range(r->engine, repo, range.data, &go, &r->found, &r->sum);
    ak_buf_free(&range);
    return rc;
}

static int run_sources(scan_run *r, char **paths, int n_paths)
{
    ak_scan_opts so;
    ak_scan_opts_default(&so);
    so.threads = r->cli.threads;
    so.max_file_size = r->cli.max_file_size;
    so.excludes = &r->cli.excludes;
    so.verbose = r->cli.verbose;
    if (r->cli.git || r->cli.staged || r->cli.range || r->cli.since_commit)
        return run_git(r, &so, paths, n_paths);
    if (r->cli.all_objects || r->cli.all_staged_lines) {
        ak_error("scan: --all-objects needs --git, --all-staged-lines needs --staged");
        return -1;
    }
    if (n_paths == 1 && !strcmp(paths[0], "-"))
        return ak_scan_fd(r->engine, 0, "-", &so, &r->found, &r->sum);
    static char *dot[] = {"."};
    if (!n_paths) return ak_scan_paths(r->engine, dot, 1, &so, &r->found, &r->sum);
    return ak_scan_paths(r->engine, paths, (size_t)n_paths, &so, &r->found, &r->sum);
}

static int apply_baseline(scan_run *r)
{
    if (!r->cli.baseline) return 0;
    ak_baseline b;
    ak_buf err = AK_BUF_INIT;
    if (ak_baseline_load(&b, r->cli.baseline, &err)) {
        ak_error("%s", ak_buf_cstr(&err));
        ak_buf_free(&err);
        return -1;
    }
    r->sum.suppressed += (unsigned)ak_baseline_filter(&b, &r->found);
    ak_baseline_free(&b);
    return 0;
}

static int run_validation(scan_run *r)
{
    if (!r->cli.validate) return 0;
    ak_validate_opts vo;
    ak_validate_opts_default(&vo);
    vo.sts_region = r->cli.sts_region;
    vo.ca_file = r->cli.ca_file;
    vo.responder_credentials = r->cli.responder_credentials;
    ak_buf err = AK_BUF_INIT;
    int rc = ak_validate_findings(&r->found, &vo, &err);
    if (rc) ak_error("validation: %s", ak_buf_cstr(&err));
    ak_buf_free(&err);
    return rc;
}

static int write_report(scan_run *r)
{
    FILE *out = ak_scan_cli_open_output(&r->cli);
    if (!out) return -1;
    ak_report_opts ro = {r->cli.format, r->cli.show_secrets, 0, r->rules, NULL};
    /* building one scans every finding's context again: not for a report that shows secrets */
    if (ak_report_redacts(&ro)) ro.redactor = ak_cli_redactor(r->engine, &r->found);
    ro.color = ak_cli_color(r->cli.color, out);
    int text = r->cli.format == AK_FMT_TEXT;
    /* SARIF carries the summary too: its invocation says whether the scan was complete */
    int with_sum =
        r->cli.format == AK_FMT_SARIF || r->cli.format == AK_FMT_GITLAB || (text && !r->cli.quiet);
    int rc = ak_report_write(out, &r->found, with_sum ? &r->sum : NULL, &ro);
    ak_redactor_free(ro.redactor);
    if (ak_cli_close_output(out)) rc = -1;
    if (rc) ak_error("scan: cannot write the report");
    if ((!text || out != stdout) && !r->cli.quiet) {
        ak_buf line = AK_BUF_INIT;
        ak_summary_format(&r->sum, r->found.len, &line);
        fprintf(stderr, "akhound: %s\n", ak_buf_cstr(&line));
        ak_buf_free(&line);
    }
    return rc;
}

int cmd_scan(int argc, char **argv)
{
    scan_run r = {0};
    ak_scan_cli_init(&r.cli);
    int rc =
        ak_cli_getopt("scan", argc, argv, "f:o:j:qvh", ak_scan_long_options, on_option, &r.cli);
    if (rc >= 0) { /* --help, or a usage error */
        ak_scan_cli_free(&r.cli);
        return rc;
    }
    ak_log_set_level(r.cli.quiet ? AK_LOG_QUIET : r.cli.verbose ? AK_LOG_VERBOSE : AK_LOG_NORMAL);
    double start = ak_mono_seconds();
    if (ak_scan_cli_engine(&r.cli, &r.rules, &r.engine)) {
        ak_scan_cli_free(&r.cli);
        return AK_EXIT_ERROR;
    }
    /* a progress line for long scans, on a terminal only (it redraws itself with \r) */
    int progress = !r.cli.quiet && ak_cli_terminal(stderr);
    if (progress)
        ak_progress_start(stderr,
                          r.cli.git || r.cli.range || r.cli.since_commit ? "blobs" : "files");
    int failed = run_sources(&r, argv + optind, argc - optind);
    ak_progress_stop();
    failed |= apply_baseline(&r);
    ak_findings_sort(&r.found);
    failed |= run_validation(&r);
    r.sum.seconds = ak_mono_seconds() - start;
    if (failed) { /* an error that stopped a source is an error: the summary counts it */
        r.sum.incomplete = 1;
        if (!r.sum.errors) r.sum.errors = 1;
    }
    int code = write_report(&r) ? AK_EXIT_ERROR : ak_scan_cli_exit_code(&r.cli, &r.found, &r.sum);
    ak_findings_free(&r.found);
    ak_engine_free(r.engine);
    ak_rules_free(r.rules);
    ak_scan_cli_free(&r.cli);
    return code;
}
