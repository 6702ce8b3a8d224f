/* akhound baseline: scan, then write the fingerprints of every finding to a baseline file. */
#include "cli/cli.h"
#include "cli/options.h"
#include "detect/baseline.h"
#include "sources/scan.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

static const char baseline_help[] =
    "usage: akhound baseline [options] [FILE]\n"
    "Scans the current directory (or --path P, repeatable) and writes every finding's fingerprint\n"
    "to FILE (default .akhound-baseline.json, mode 0600). Later scans given --baseline FILE do "
    "not\n"
    "report those findings. Scan options that apply: --rules, --exclude, --pair-window, -j.\n"
    "exit: 0 written, 2 error or incomplete scan (nothing written)\n";

int cmd_baseline(int argc, char **argv)
{
    ak_scan_cli c;
    ak_scan_cli_init(&c);
    static const struct option extra[] = {{"path", required_argument, NULL, 'p'}};
    struct option opts[32];
    size_t n = 0;
    while (ak_scan_long_options[n].name) n++;
    memcpy(opts, ak_scan_long_options, n * sizeof *opts);
    opts[n] = extra[0];
    memset(&opts[n + 1], 0, sizeof *opts);
    char *paths[64];
    int n_paths = 0, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "j:p:qh", opts, NULL)) != -1) {
        if (opt == 'h' || opt == OPT_HELP) {
            fputs(baseline_help, stdout);
            return 0;
        }
        if (opt == 'p' && n_paths < 64)
            paths[n_paths++] = optarg;
        else if (opt == 'j')
            ak_scan_cli_apply(&c, "baseline", OPT_THREADS, optarg);
        else if (opt == 'q')
            c.quiet = 1;
        else if (opt == '?' || ak_scan_cli_apply(&c, "baseline", opt, optarg))
            return ak_cli_usage_error("baseline", "bad option");
    }
    const char *file = optind < argc ? argv[optind] : ".akhound-baseline.json";
    static char *dot[] = {"."};
    ak_rules *rules;
    ak_engine *engine;
    if (ak_scan_cli_engine(&c, &rules, &engine)) return AK_EXIT_ERROR;
    ak_scan_opts so;
    ak_scan_opts_default(&so);
    so.threads = c.threads;
    so.excludes = &c.excludes;
    ak_findings found = {0};
    ak_scan_summary sum = {0};
    int rc = ak_scan_paths(engine, n_paths ? paths : dot, n_paths ? (size_t)n_paths : 1, &so,
                           &found, &sum);
    ak_findings_sort(&found);
    ak_buf err = AK_BUF_INIT;
    if (!rc && !sum.incomplete && ak_baseline_write(&found, file, &err)) {
        ak_error("%s", ak_buf_cstr(&err));
        rc = -1;
    }
    if (!rc && !sum.incomplete && !c.quiet)
        fprintf(stderr, "akhound: wrote %zu findings to %s\n", found.len, file);
    else if (rc || sum.incomplete)
        ak_error("baseline: the scan was incomplete; %s not written", file);
    ak_buf_free(&err);
    ak_findings_free(&found);
    ak_engine_free(engine);
    ak_rules_free(rules);
    ak_scan_cli_free(&c);
    return rc || sum.incomplete ? AK_EXIT_ERROR : 0;
}
