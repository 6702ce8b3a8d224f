/* Scanning options shared by several commands: see options.h. */
#include "cli/options.h"
#include "cli/cli.h"
#include "sources/scan.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct option ak_scan_long_options[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"validate", no_argument, NULL, OPT_VALIDATE},
    {"show-secrets", no_argument, NULL, OPT_SHOW_SECRETS},
    {"baseline", required_argument, NULL, OPT_BASELINE},
    {"rules", required_argument, NULL, OPT_RULES},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"color", required_argument, NULL, OPT_COLOR},
    {"max-file-size", required_argument, NULL, OPT_MAX_FILE_SIZE},
    {"pair-window", required_argument, NULL, OPT_PAIR_WINDOW},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"sts-region", required_argument, NULL, OPT_STS_REGION},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"git", no_argument, NULL, OPT_GIT},
    {"staged", no_argument, NULL, OPT_STAGED},
    {"range", required_argument, NULL, OPT_RANGE},
    {"all-objects", no_argument, NULL, OPT_ALL_OBJECTS},
    {"all-staged-lines", no_argument, NULL, OPT_ALL_STAGED_LINES},
    {"since-commit", required_argument, NULL, OPT_SINCE_COMMIT},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"exit-zero", no_argument, NULL, OPT_EXIT_ZERO},
    {"responder-credentials", required_argument, NULL, OPT_RESPONDER_CREDENTIALS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

void ak_scan_cli_init(ak_scan_cli *c)
{
    memset(c, 0, sizeof *c);
    c->format = AK_FMT_TEXT;
    c->color = -1;
    c->max_file_size = AK_DEFAULT_WINDOW;
}

void ak_scan_cli_free(ak_scan_cli *c)
{
    ak_ignore_free(&c->excludes);
}

/* The short options every scanning command shares. */
static int long_form(int opt)
{
    switch (opt) {
    case 'f':
        return OPT_FORMAT;
    case 'o':
        return OPT_OUTPUT;
    case 'j':
        return OPT_THREADS;
    case 'q':
        return OPT_QUIET;
    case 'v':
        return OPT_VERBOSE;
    default:
        return opt;
    }
}

int ak_scan_cli_apply(ak_scan_cli *c, const char *cmd, int opt, const char *arg)
{
    switch (long_form(opt)) {
    case OPT_FORMAT: {
        int f = ak_format_parse(arg);
        if (f < 0)
            return ak_cli_usage_error(
                       cmd, "unknown --format '%s' (text, json, jsonl, sarif, gitlab)", arg),
                   -1;
        c->format = (ak_format)f;
        c->format_set = 1;
        return 0;
    }
    case OPT_OUTPUT:
        c->output = arg;
        return 0;
    case OPT_THREADS:
        if (ak_cli_parse_uint(arg, 0, 1024, &c->threads))
            return ak_cli_usage_error(cmd, "bad --threads '%s'", arg), -1;
        return 0;
    case OPT_VALIDATE:
        c->validate = 1;
        return 0;
    case OPT_RESPONDER_CREDENTIALS:
        c->responder_credentials = arg;
        return 0;
    case OPT_SHOW_SECRETS:
        c->show_secrets = 1;
        return 0;
    case OPT_BASELINE:
        c->baseline = arg;
        return 0;
    case OPT_RULES:
        if (c->n_rules_paths == 16) return ak_cli_usage_error(cmd, "too many --rules"), -1;
        c->rules_paths[c->n_rules_paths++] = arg;
        return 0;
    case OPT_QUIET:
        c->quiet = 1;
        return 0;
    case OPT_VERBOSE:
        c->verbose = 1;
        return 0;
    case OPT_COLOR:
        if (!strcmp(arg, "auto"))
            c->color = -1;
        else if (!strcmp(arg, "always"))
            c->color = 1;
        else if (!strcmp(arg, "never"))
            c->color = 0;
        else
            return ak_cli_usage_error(cmd, "bad --color '%s' (auto, always, never)", arg), -1;
        return 0;
    case OPT_MAX_FILE_SIZE:
        if (ak_cli_parse_size(arg, &c->max_file_size) || c->max_file_size < 4096)
            return ak_cli_usage_error(cmd, "bad --max-file-size '%s' (at least 4K)", arg), -1;
        return 0;
    case OPT_PAIR_WINDOW:
        if (ak_cli_parse_uint(arg, 1, 1000, &c->pair_window))
            return ak_cli_usage_error(cmd, "bad --pair-window '%s' (1 to 1000 lines)", arg), -1;
        return 0;
    case OPT_EXCLUDE:
        ak_ignore_add(&c->excludes, arg);
        return 0;
    case OPT_STS_REGION:
        c->sts_region = arg;
        return 0;
    case OPT_CA_FILE:
        c->ca_file = arg;
        return 0;
    case OPT_GIT:
        c->git = 1;
        return 0;
    case OPT_STAGED:
        c->staged = 1;
        return 0;
    case OPT_RANGE:
        c->range = arg;
        return 0;
    case OPT_ALL_OBJECTS:
        c->all_objects = 1;
        return 0;
    case OPT_ALL_STAGED_LINES:
        c->all_staged_lines = 1;
        return 0;
    case OPT_SINCE_COMMIT:
        c->since_commit = arg;
        return 0;
    case OPT_FAIL_ON:
        if (ak_fail_on_parse(arg, &c->fail_on))
            return ak_cli_usage_error(cmd,
                                      "bad --fail-on '%s' (comma-separated KIND, VERDICT or "
                                      "KIND:VERDICT; e.g. live,unvalidated or pair:live)",
                                      arg),
                   -1;
        return 0;
    case OPT_EXIT_ZERO:
        c->exit_zero = 1;
        return 0;
    default:
        return 1;
    }
}

#define N_VERDICTS (AK_VAL_UNKNOWN + 1)
#define BIT(kind, verdict) (1u << ((kind)*N_VERDICTS + (verdict)))

/* The verdicts a --fail-on word names, as a bit per ak_val_status; 0 when it names none. */
static unsigned verdict_bits(const char *w)
{
    if (!strcmp(w, "live")) return 1u << AK_VAL_VALID;
    if (!strcmp(w, "unvalidated")) return 1u << AK_VAL_NONE;
    if (!strcmp(w, "invalid"))
        return 1u << AK_VAL_WRONG_SECRET | 1u << AK_VAL_INACTIVE | 1u << AK_VAL_NOT_FOUND |
               1u << AK_VAL_EXPIRED;
    int v = ak_val_status_parse(w);
    return v > AK_VAL_NONE ? 1u << v : 0;
}

/* The kinds a --fail-on word names, as a bit per ak_kind; 0 when it names none. */
static unsigned kind_bits(const char *w)
{
    static const char *const short_names[AK_KIND__COUNT] = {"pair", "id", "secret", "sts"};
    for (int k = 0; k < AK_KIND__COUNT; k++)
        if (!strcmp(w, short_names[k])) return 1u << k;
    int k = ak_kind_parse(w);
    return k >= 0 ? 1u << k : 0;
}

/* One TERM: any | KIND | VERDICT | KIND:VERDICT. */
static uint32_t term_mask(char *term)
{
    char *colon = strchr(term, ':');
    if (colon) *colon = 0;
    unsigned all_kinds = (1u << AK_KIND__COUNT) - 1, all_verdicts = (1u << N_VERDICTS) - 1;
    unsigned kinds = !strcmp(term, "any") ? all_kinds : kind_bits(term), verdicts = all_verdicts;
    if (colon) {
        verdicts = verdict_bits(colon + 1);
    } else if (!kinds) {
        kinds = all_kinds;
        verdicts = verdict_bits(term);
    }
    if (!kinds || !verdicts) return 0;
    uint32_t mask = 0;
    for (int k = 0; k < AK_KIND__COUNT; k++)
        for (int v = 0; v < N_VERDICTS; v++)
            if (kinds & (1u << k) && verdicts & (1u << v)) mask |= BIT(k, v);
    return mask;
}

int ak_fail_on_parse(const char *list, uint32_t *mask)
{
    char *copy = ak_strdup(list), *save = NULL;
    uint32_t m = 0;
    int rc = 0, terms = 0;
    for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save), terms++) {
        uint32_t one = term_mask(t);
        if (!one) rc = -1;
        m |= one;
    }
    if (!terms) rc = -1;
    free(copy);
    if (!rc) *mask = m;
    return rc;
}

int ak_scan_cli_exit_code(const ak_scan_cli *c, const ak_findings *found,
                          const ak_scan_summary *sum)
{
    int counted = 0, live = 0;
    for (size_t i = 0; i < found->len; i++) {
        const ak_finding *f = &found->items[i];
        ak_val_status v = f->validation ? f->validation->status : AK_VAL_NONE;
        if (c->fail_on && !(c->fail_on & BIT(f->kind, v))) continue;
        /* A sample dead by its own Expiration does not fail a run unless --fail-on names it: a
         * pre-commit hook must not block on a documentation sample. */
        if (!c->fail_on && v == AK_VAL_EXPIRED) continue;
        counted = 1;
        live |= v == AK_VAL_VALID;
    }
    if (c->exit_zero) counted = live = 0;
    if (live) return AK_EXIT_LIVE;
    if (sum && (sum->incomplete || sum->errors)) return AK_EXIT_ERROR;
    return counted ? AK_EXIT_FINDINGS : AK_EXIT_CLEAN;
}

int ak_scan_cli_engine(const ak_scan_cli *c, ak_rules **rules, ak_engine **engine)
{
    ak_buf err = AK_BUF_INIT;
    *rules = NULL;
    *engine = NULL;
    int rc = ak_rules_load_builtin(rules, &err);
    for (size_t i = 0; !rc && i < c->n_rules_paths; i++)
        rc = ak_rules_add_path(*rules, c->rules_paths[i], &err);
    ak_engine_opts eo;
    ak_engine_opts_default(&eo);
    eo.pair_window_lines = c->pair_window;
    if (!rc) rc = ak_engine_new(engine, *rules, &eo, &err);
    if (rc) {
        ak_error("%s", ak_buf_cstr(&err));
        ak_rules_free(*rules);
        *rules = NULL;
    }
    ak_buf_free(&err);
    return rc;
}

FILE *ak_scan_cli_open_output(const ak_scan_cli *c)
{
    return ak_cli_open_output("scan", c->output, c->show_secrets);
}
