/*
 * The options shared by the commands that scan (scan, baseline, and later org): parsed in one
 * place so every command spells and documents them the same way.
 */
#ifndef AK_CLI_OPTIONS_H
#define AK_CLI_OPTIONS_H

#include "detect/detect.h"
#include "report/report.h"
#include "util/ignore.h"

#include <getopt.h>

typedef struct ak_scan_cli {
    ak_format format;
    int format_set;
    const char *output;
    unsigned threads;
    int validate;
    int show_secrets;
    const char *baseline;
    const char *rules_paths[16];
    size_t n_rules_paths;
    int quiet, verbose;
    int color; /* -1 auto, 0 never, 1 always */
    uint64_t max_file_size;
    unsigned pair_window;
    ak_ignore excludes;
    const char *sts_region;
    const char *ca_file;
    const char *responder_credentials; /* validate: read last use first (cloud/validate.h) */
    /* git sources */
    int git, staged, all_objects, all_staged_lines;
    const char *range;        /* --range BASE..HEAD */
    const char *since_commit; /* --since-commit BASE: BASE..HEAD */
    /* exit status: --fail-on as one bit per (kind, verdict), 0 = every finding; --exit-zero */
    uint32_t fail_on;
    int exit_zero;
} ak_scan_cli;

enum {
    OPT_FORMAT = 1000,
    OPT_OUTPUT,
    OPT_THREADS,
    OPT_VALIDATE,
    OPT_SHOW_SECRETS,
    OPT_BASELINE,
    OPT_RULES,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_COLOR,
    OPT_MAX_FILE_SIZE,
    OPT_PAIR_WINDOW,
    OPT_EXCLUDE,
    OPT_STS_REGION,
    OPT_CA_FILE,
    OPT_GIT,
    OPT_STAGED,
    OPT_RANGE,
    OPT_ALL_OBJECTS,
    OPT_ALL_STAGED_LINES,
    OPT_SINCE_COMMIT,
    OPT_FAIL_ON,
    OPT_EXIT_ZERO,
    OPT_RESPONDER_CREDENTIALS,
    OPT_HELP,
};

/* The long options of every scanning command (terminated by a zero entry). */
extern const struct option ak_scan_long_options[];

void ak_scan_cli_init(ak_scan_cli *c);
void ak_scan_cli_free(ak_scan_cli *c);
/* Applies one parsed option; returns 0, 1 when `opt` is not a scan option, -1 on a bad value
 * (message printed). */
int ak_scan_cli_apply(ak_scan_cli *c, const char *cmd, int opt, const char *arg);
/* Parses a --fail-on list into *mask; -1 on an unknown term. */
int ak_fail_on_parse(const char *list, uint32_t *mask);
/* The exit code for these findings of a run whose summary is sum (NULL: complete), by the table
 * of README "Exit codes": 3 when a finding --fail-on counts is live, else 2 when incomplete, else
 * 1 when a finding counts, else 0; --exit-zero leaves only 2. */
int ak_scan_cli_exit_code(const ak_scan_cli *c, const ak_findings *found,
                          const ak_scan_summary *sum);
/* Loads the built-in rules plus --rules paths and compiles the engine. */
int ak_scan_cli_engine(const ak_scan_cli *c, ak_rules **rules, ak_engine **engine);
/* Opens --output (mode 0600 when secrets are shown) or stdout. */
FILE *ak_scan_cli_open_output(const ak_scan_cli *c);

#endif
