/*
 * akhound org: option parsing and wiring only. Enumeration, mirrors, incremental state and the
 * parallel run live in sources/org*.c; the report writers and validation are shared with scan.
 */
#include "cli/cli.h"
#include "cli/options.h"
#include "cloud/validate.h"
#include "detect/baseline.h"
#include "sources/org.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/pool.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

static const char org_help[] =
    "usage: akhound org --github ORG | --gitlab GROUP | --repos-file FILE [options]\n"
    "\n"
    "repositories:\n"
    "      --github ORG        every repository of a GitHub organization (token: GITHUB_TOKEN)\n"
    "      --gitlab GROUP      every project of a GitLab group and its subgroups (GITLAB_TOKEN)\n"
    "      --repos-file FILE   one clone URL per line (https, ssh, git://); '-' is stdin\n"
    "      --api-url URL       GitHub Enterprise (https://HOST/api/v3) or self-hosted GitLab\n"
    "      --include-forks     also forks;  --include-archived  also archived repositories\n"
    "      --exclude GLOB      skip repositories whose owner/name or name matches (repeatable)\n"
    "      --max-wait SECS     longest API rate-limit wait before giving up (default 900)\n"
    "      --shard K/N         only shard K (0-based) of N: N workers cover every repository once\n"
    "      --list              print the repositories that would be scanned, then exit\n"
    "clones:\n"
    "      --cache DIR         bare mirrors and incremental state (default ~/.cache/akhound/org)\n"
    "      --max-cache SIZE    keep at most SIZE of mirrors (e.g. 20G), least recently used go\n"
    "      --retries N         clone/fetch retries per repository (default 2)\n"
    "      --full              ignore the incremental state: scan and report everything\n"
    "work:\n"
    "  -J, --jobs N            repositories in parallel (default 2)\n"
    "  -j, --threads N         blob threads per repository (default: cores / jobs)\n"
    "      --progress-interval S  seconds between progress lines when stderr is not a terminal\n"
    "output:\n"
    "  -f, --format FMT        text (default), json, jsonl or sarif\n"
    "  -o, --output FILE       write the report to FILE (created mode 0600)\n"
    "      --show-secrets      include secrets in clear;  --validate  check pairs with STS\n"
    "      --baseline FILE     do not report findings listed in FILE\n"
    "      --rules PATH        add rules (repeatable)\n"
    "  -q, --quiet             no progress or summary;  -v, --verbose  more notes\n"
    "\n"
    "An incremental run (the default) scans only blobs no earlier run scanned with the same rules\n"
    "and reports only findings not reported before; keep each run's JSONL and combine them with\n"
    "'akhound report merge' for the complete set, or use --full.\n"
    "exit: 0 nothing found, 1 findings, 2 error, incomplete scan or a repository failed, 3 live\n";

enum {
    OPT_GITHUB = 2000,
    OPT_GITLAB,
    OPT_REPOS_FILE,
    OPT_API_URL,
    OPT_FORKS,
    OPT_ARCHIVED,
    OPT_MAX_WAIT,
    OPT_SHARD,
    OPT_LIST,
    OPT_CACHE,
    OPT_MAX_CACHE,
    OPT_RETRIES,
    OPT_FULL,
    OPT_JOBS,
    OPT_PROGRESS_INTERVAL,
};

static const struct option org_options[] = {
    {"github", required_argument, NULL, OPT_GITHUB},
    {"gitlab", required_argument, NULL, OPT_GITLAB},
    {"repos-file", required_argument, NULL, OPT_REPOS_FILE},
    {"api-url", required_argument, NULL, OPT_API_URL},
    {"include-forks", no_argument, NULL, OPT_FORKS},
    {"include-archived", no_argument, NULL, OPT_ARCHIVED},
    {"max-wait", required_argument, NULL, OPT_MAX_WAIT},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"list", no_argument, NULL, OPT_LIST},
    {"cache", required_argument, NULL, OPT_CACHE},
    {"max-cache", required_argument, NULL, OPT_MAX_CACHE},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"full", no_argument, NULL, OPT_FULL},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"progress-interval", required_argument, NULL, OPT_PROGRESS_INTERVAL},
};

typedef struct org_cli {
    ak_scan_cli scan;
    const char *github, *gitlab, *repos_file, *api_url, *cache;
    const char *excludes[64];
    size_t n_excludes;
    int forks, archived, list, full, max_wait_set, retries_set;
    unsigned max_wait, shard_k, shard_n, retries, jobs, interval;
    uint64_t max_cache;
    char *cache_default;
} org_cli;

/* Applies an org option; 0, 1 when not one, -1 on a bad value. */
static int apply_org(org_cli *c, int opt, const char *arg)
{
    switch (opt) {
    case OPT_GITHUB:
        c->github = arg;
        return 0;
    case OPT_GITLAB:
        c->gitlab = arg;
        return 0;
    case OPT_REPOS_FILE:
        c->repos_file = arg;
        return 0;
    case OPT_API_URL:
        c->api_url = arg;
        return 0;
    case OPT_FORKS:
        c->forks = 1;
        return 0;
    case OPT_ARCHIVED:
        c->archived = 1;
        return 0;
    case OPT_LIST:
        c->list = 1;
        return 0;
    case OPT_CACHE:
        c->cache = arg;
        return 0;
    case OPT_FULL:
        c->full = 1;
        return 0;
    case OPT_EXCLUDE:
        if (c->n_excludes == 64) return ak_cli_usage_error("org", "too many --exclude"), -1;
        c->excludes[c->n_excludes++] = arg;
        return 0;
    case OPT_MAX_WAIT:
        c->max_wait_set = 1;
        return ak_cli_parse_uint(arg, 0, 86400, &c->max_wait) ? -1 : 0;
    case OPT_RETRIES:
        c->retries_set = 1;
        return ak_cli_parse_uint(arg, 0, 20, &c->retries) ? -1 : 0;
    case OPT_JOBS:
        return ak_cli_parse_uint(arg, 1, 256, &c->jobs) ? -1 : 0;
    case OPT_PROGRESS_INTERVAL:
        return ak_cli_parse_uint(arg, 1, 86400, &c->interval) ? -1 : 0;
    case OPT_MAX_CACHE:
        return ak_cli_parse_size(arg, &c->max_cache);
    case OPT_SHARD:
        return ak_org_shard_parse(arg, &c->shard_k, &c->shard_n);
    default:
        return 1;
    }
}

static struct option *all_options(void)
{
    size_t n_scan = 0, n_org = sizeof org_options / sizeof *org_options;
    while (ak_scan_long_options[n_scan].name) n_scan++;
    struct option *o = ak_calloc(n_scan + n_org + 1, sizeof *o);
    memcpy(o, org_options, sizeof org_options);
    memcpy(o + n_org, ak_scan_long_options, n_scan * sizeof *o);
    return o;
}

static int short_to_long(int opt)
{
    switch (opt) {
    case 'f':
        return OPT_FORMAT;
    case 'o':
        return OPT_OUTPUT;
    case 'j':
        return OPT_THREADS;
    case 'J':
        return OPT_JOBS;
    case 'q':
        return OPT_QUIET;
    case 'v':
        return OPT_VERBOSE;
    case 'h':
        return OPT_HELP;
    default:
        return opt;
    }
}

typedef struct parse_ctx {
    org_cli *c;
    const struct option *longs;
} parse_ctx;

static const char *option_name(const struct option *longs, int val)
{
    for (; longs->name; longs++)
        if (longs->val == val) return longs->name;
    return "?";
}

static int on_option(void *ctx, int opt, const char *arg)
{
    parse_ctx *p = ctx;
    opt = short_to_long(opt);
    if (opt == OPT_HELP) {
        fputs(org_help, stdout);
        return 0;
    }
    int a = apply_org(p->c, opt, arg);
    if (a < 0)
        return ak_cli_usage_error("org", "bad value '%s' for --%s", arg ? arg : "",
                                  option_name(p->longs, opt));
    if (a > 0) a = ak_scan_cli_apply(&p->c->scan, "org", opt, arg); /* prints its own error */
    if (a < 0) return AK_EXIT_ERROR;
    if (a > 0) return ak_cli_usage_error("org", "option not supported here");
    return -1;
}

/* 0 to go on, -1 after --help, AK_EXIT_ERROR on a usage error. */
static int parse_args(org_cli *c, int argc, char **argv)
{
    struct option *longs = all_options();
    parse_ctx p = {c, longs};
    int rc = ak_cli_getopt("org", argc, argv, "f:o:j:J:qvh", longs, on_option, &p);
    rc = rc == 0 ? -1 : rc < 0 ? 0 : rc;
    free(longs);
    if (!rc && optind < argc)
        rc = ak_cli_usage_error("org", "unexpected argument '%s'", argv[optind]);
    if (!rc && !!c->github + !!c->gitlab + !!c->repos_file != 1)
        rc = ak_cli_usage_error("org", "give one of --github, --gitlab or --repos-file");
    if (!rc && (c->scan.git || c->scan.staged || c->scan.range || c->scan.since_commit))
        rc = ak_cli_usage_error("org", "--git, --staged and --range are scan options");
    return rc;
}

static int enumerate(org_cli *c, ak_org_list *list)
{
    ak_buf err = AK_BUF_INIT;
    ak_org_api api;
    ak_org_api_default(&api);
    api.api_url = c->api_url;
    api.ca_file = c->scan.ca_file;
    if (c->max_wait_set) api.max_wait = c->max_wait;
    int rc;
    const char *what;
    if (c->github) {
        api.token = getenv("GITHUB_TOKEN");
        rc = ak_org_list_github(list, c->github, &api, &err);
        what = c->github;
    } else if (c->gitlab) {
        api.token = getenv("GITLAB_TOKEN");
        rc = ak_org_list_gitlab(list, c->gitlab, &api, &err);
        what = c->gitlab;
    } else {
        rc = ak_org_list_file(list, c->repos_file, &err);
        what = c->repos_file;
    }
    if (rc)
        ak_error("org: %s: %s", what, ak_buf_cstr(&err));
    else if (api.requests)
        ak_info("org: %s: %zu repositories in %lu requests, %lu rate-limit waits", what, list->len,
                api.requests, api.waits);
    ak_buf_free(&err);
    return rc;
}

static void select_repos(org_cli *c, ak_org_list *list)
{
    ak_org_list_sort(list);
    ak_org_filter f = {c->forks, c->archived, c->excludes, c->n_excludes};
    size_t total = list->len, dropped = ak_org_list_filter(list, &f);
    size_t other = c->shard_n ? ak_org_list_shard(list, c->shard_k, c->shard_n) : 0;
    ak_info("org: %zu repositories listed, %zu filtered out, %zu in other shards, %zu to scan",
            total, dropped, other, list->len);
}

static const char *cache_dir(org_cli *c)
{
    if (c->cache) return c->cache;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    ak_buf b = AK_BUF_INIT;
    if (xdg && *xdg)
        ak_buf_printf(&b, "%s/akhound", xdg);
    else
        ak_buf_printf(&b, "%s/.cache/akhound", home && *home ? home : ".");
    mkdir(b.data, 0700); /* the parent of ~/.cache/akhound exists or the run says why */
    ak_buf_puts(&b, "/org");
    c->cache_default = ak_buf_detach(&b);
    return c->cache_default;
}

static ak_progress_mode progress_mode(const org_cli *c)
{
    if (c->scan.quiet) return AK_PROGRESS_NONE;
    return isatty(fileno(stderr)) ? AK_PROGRESS_TTY : AK_PROGRESS_LINES;
}

static void run_options(org_cli *c, ak_org_opts *o)
{
    ak_org_opts_default(o);
    o->cache = cache_dir(c);
    if (c->jobs) o->jobs = c->jobs;
    if (c->retries_set) o->retries = c->retries;
    o->max_cache = c->max_cache;
    o->full = c->full;
    o->progress = progress_mode(c);
    if (c->interval) o->progress_secs = c->interval;
    o->git.scan.threads = c->scan.threads;
    if (!o->git.scan.threads) {
        unsigned cores = ak_cpu_count();
        o->git.scan.threads = cores > o->jobs ? cores / o->jobs : 1;
    }
    o->git.scan.max_file_size = c->scan.max_file_size;
    o->git.scan.excludes = NULL; /* --exclude names repositories here, not paths */
    o->git.scan.verbose = c->scan.verbose;
    o->auth.github_token = getenv("GITHUB_TOKEN");
    o->auth.gitlab_token = getenv("GITLAB_TOKEN");
    o->auth.ca_file = c->scan.ca_file;
}

static int post_process(org_cli *c, ak_findings *found)
{
    int failed = 0;
    if (c->scan.baseline) {
        ak_baseline b;
        ak_buf err = AK_BUF_INIT;
        if (ak_baseline_load(&b, c->scan.baseline, &err)) {
            ak_error("%s", ak_buf_cstr(&err));
            failed = -1;
        } else {
            ak_baseline_filter(&b, found);
            ak_baseline_free(&b);
        }
        ak_buf_free(&err);
    }
    ak_findings_sort(found);
    if (c->scan.validate) {
        ak_validate_opts vo;
        ak_validate_opts_default(&vo);
        vo.sts_region = c->scan.sts_region;
        vo.ca_file = c->scan.ca_file;
        ak_buf err = AK_BUF_INIT;
        if (ak_validate_findings(found, &vo, &err)) {
            ak_error("validation: %s", ak_buf_cstr(&err));
            failed = -1;
        }
        ak_buf_free(&err);
    }
    return failed;
}

static void print_summary(const ak_org_result *res, size_t n_findings)
{
    ak_buf line = AK_BUF_INIT;
    ak_summary_format(&res->sum, n_findings, &line);
    fprintf(stderr,
            "akhound: org: %zu repositories (%zu scanned, %zu failed), %" PRIu64
            " unchanged blobs skipped; %s\n",
            res->repos, res->scanned, res->failed, res->skipped_blobs, ak_buf_cstr(&line));
    for (size_t i = 0; i < res->failed; i++) ak_warn("org: failed: %s", res->failures[i]);
    ak_buf_free(&line);
}

static int write_report(org_cli *c, const ak_findings *found, const ak_org_result *res,
                        const ak_engine *engine)
{
    FILE *out = ak_scan_cli_open_output(&c->scan);
    if (!out) return -1;
    ak_report_opts ro = {c->scan.format, c->scan.show_secrets, 0, ak_engine_rules(engine),
                         ak_cli_redactor(engine, found)};
    if (c->scan.color == 1 || (c->scan.color == -1 && isatty(fileno(out)) && !getenv("NO_COLOR")))
        ro.color = 1;
    int with_sum = c->scan.format == AK_FMT_SARIF;
    int rc = ak_report_write(out, found, with_sum ? &res->sum : NULL, &ro);
    ak_redactor_free(ro.redactor);
    if (out != stdout) fclose(out);
    if (rc) ak_error("cannot write the report");
    if (!c->scan.quiet) print_summary(res, found->len);
    return rc;
}

static int exit_code(const ak_findings *found, const ak_org_result *res)
{
    for (size_t i = 0; i < found->len; i++)
        if (found->items[i].validation && found->items[i].validation->status == AK_VAL_VALID)
            return AK_EXIT_LIVE;
    if (res->failed || res->sum.incomplete || res->sum.errors) return AK_EXIT_ERROR;
    return found->len ? AK_EXIT_FINDINGS : AK_EXIT_CLEAN;
}

static int list_only(const ak_org_list *list)
{
    for (size_t i = 0; i < list->len; i++) printf("%s\n", list->items[i].name);
    return fflush(stdout) ? AK_EXIT_ERROR : AK_EXIT_CLEAN;
}

static int scan_repos(org_cli *c, const ak_org_list *list)
{
    ak_rules *rules;
    ak_engine *engine;
    if (ak_scan_cli_engine(&c->scan, &rules, &engine)) return AK_EXIT_ERROR;
    ak_org_opts o;
    run_options(c, &o);
    ak_findings found = {0};
    ak_org_result res;
    int failed = ak_org_run(engine, list, &o, &found, &res);
    failed |= post_process(c, &found);
    if (failed) res.sum.incomplete = 1;
    int code = write_report(c, &found, &res, engine) ? AK_EXIT_ERROR : exit_code(&found, &res);
    ak_findings_free(&found);
    ak_org_result_free(&res);
    ak_engine_free(engine);
    ak_rules_free(rules);
    return code;
}

int cmd_org(int argc, char **argv)
{
    org_cli c = {0};
    ak_scan_cli_init(&c.scan);
    int rc = parse_args(&c, argc, argv);
    if (rc) {
        ak_scan_cli_free(&c.scan);
        return rc < 0 ? 0 : rc;
    }
    ak_log_set_level(c.scan.quiet ? AK_LOG_QUIET : c.scan.verbose ? AK_LOG_VERBOSE : AK_LOG_NORMAL);
    ak_org_list list = {0};
    if (enumerate(&c, &list))
        rc = AK_EXIT_ERROR;
    else {
        select_repos(&c, &list);
        rc = c.list ? list_only(&list) : scan_repos(&c, &list);
    }
    ak_org_list_free(&list);
    free(c.cache_default);
    ak_scan_cli_free(&c.scan);
    return rc;
}
