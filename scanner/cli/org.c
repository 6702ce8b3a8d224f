/*
 * akhound org: option parsing and wiring only. Enumeration, mirrors, incremental state and the
 * parallel run live in sources/org*.c; the report writers and validation are shared with scan.
 */
#include "cli/cli.h"
#include "cli/options.h"
#include "cloud/validate.h"
#include "detect/baseline.h"
#include "report/escape.h"
#include "sources/org.h"
#include "sources/org_http.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/pool.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
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
    "      --max-pages N       pages of the API listing before it is refused (default 2000)\n"
    "      --git-host HOST     the host the forge's token is offered to for clones (default:\n"
    "                          github.com, gitlab.com, or the --api-url host)\n"
    "      --shard K/N         only shard K (0-based) of N: N workers cover every repository once\n"
    "      --list              print the repositories that would be scanned, then exit\n"
    "clones:\n"
    "      --cache DIR         bare mirrors and incremental state (default ~/.cache/akhound/org)\n"
    "      --max-cache SIZE    keep at most SIZE of mirrors (e.g. 20G), least recently used go\n"
    "      --retries N         clone/fetch retries per repository (default 2)\n"
    "      --full              ignore the incremental state: read every repository's whole "
    "history\n"
    "      --change-detect M   refs (default): one ref listing per repository; fetch: always\n"
    "                          fetch; push-time: skip, uncontacted, a repository whose forge push\n"
    "                          time did not move (may miss refs the forge does not stamp)\n"
    "      --verify-every N    push-time: contact each repository anyway once every N runs\n"
    "work:\n"
    "  -J, --jobs N            repositories in parallel (default 2)\n"
    "  -j, --threads N         blob threads per repository (default: cores / jobs)\n"
    "      --progress-interval S  seconds between progress lines when stderr is not a terminal\n"
    "output:\n"
    "  -f, --format FMT        text (default), json, jsonl or sarif\n"
    "  -o, --output FILE       write the report to FILE (created mode 0600)\n"
    "      --show-secrets      include secrets in clear;  --validate  check pairs with STS\n"
    "      --baseline FILE     do not report findings listed in FILE (org: repo_fingerprint)\n"
    "      --write-baseline FILE  write a baseline of the open findings to FILE\n"
    "      --new-only          report only new and reappeared findings (default: the inventory)\n"
    "      --max-failed N|P%   failed repositories tolerated before exit 2 (default 5%)\n"
    "      --failures FILE     write the failed repositories as JSON to FILE\n"
    "      --rules PATH        add rules (repeatable)\n"
    "  -q, --quiet             no progress or summary;  -v, --verbose  more notes\n"
    "\n"
    "The report is the inventory: every finding of the listed repositories with its status (new,\n"
    "open, resolved, reappeared), first_seen and last_seen. A run reads only commits new since "
    "the\n"
    "last one; a run that was interrupted is continued by the next run of the same command.\n"
    "exit: 0 no new finding, 1 new or reappeared findings, 2 error or more failed repositories\n"
    "than --max-failed, 3 a finding validated live, 4 nothing could run (listing, credentials)\n";

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
    OPT_MAX_PAGES,
    OPT_GIT_HOST,
    OPT_NEW_ONLY,
    OPT_MAX_FAILED,
    OPT_FAILURES,
    OPT_WRITE_BASELINE,
    OPT_CHANGE_DETECT,
    OPT_VERIFY_EVERY,
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
    {"max-pages", required_argument, NULL, OPT_MAX_PAGES},
    {"git-host", required_argument, NULL, OPT_GIT_HOST},
    {"new-only", no_argument, NULL, OPT_NEW_ONLY},
    {"max-failed", required_argument, NULL, OPT_MAX_FAILED},
    {"failures", required_argument, NULL, OPT_FAILURES},
    {"write-baseline", required_argument, NULL, OPT_WRITE_BASELINE},
    {"change-detect", required_argument, NULL, OPT_CHANGE_DETECT},
    {"verify-every", required_argument, NULL, OPT_VERIFY_EVERY},
};

typedef struct org_cli {
    ak_scan_cli scan;
    const char *github, *gitlab, *repos_file, *api_url, *cache, *git_host, *failures_file;
    const char *write_baseline;
    int new_only, max_failed_set, max_failed_pct; /* max_failed: a percentage when _pct */
    unsigned max_failed;
    const char *excludes[64];
    size_t n_excludes;
    int forks, archived, list, full, max_wait_set, retries_set;
    unsigned max_wait, shard_k, shard_n, retries, jobs, interval, max_pages, verify_every;
    ak_change_detect detect;
    ak_buf token_host; /* the git host of the forge's token */
    uint64_t max_cache;
    char *cache_default;
} org_cli;

/* "N" repositories or "P%" of them. */
static int parse_max_failed(org_cli *c, const char *arg)
{
    size_t n = strlen(arg);
    c->max_failed_pct = n > 1 && arg[n - 1] == '%';
    char num[16];
    if (!n || n >= sizeof num) return -1;
    memcpy(num, arg, n + 1);
    if (c->max_failed_pct) num[n - 1] = '\0';
    return ak_cli_parse_uint(num, 0, c->max_failed_pct ? 100 : 10000000, &c->max_failed) ? -1 : 0;
}

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
    case OPT_GIT_HOST:
        c->git_host = arg;
        return strchr(arg, '/') || strchr(arg, '@') || !*arg ? -1 : 0;
    case OPT_NEW_ONLY:
        c->new_only = 1;
        return 0;
    case OPT_FAILURES:
        c->failures_file = arg;
        return 0;
    case OPT_WRITE_BASELINE:
        c->write_baseline = arg;
        return 0;
    case OPT_MAX_FAILED:
        c->max_failed_set = 1;
        return parse_max_failed(c, arg);
    case OPT_CHANGE_DETECT:
        c->detect = !strcmp(arg, "refs")        ? AK_DETECT_REFS
                    : !strcmp(arg, "fetch")     ? AK_DETECT_FETCH
                    : !strcmp(arg, "push-time") ? AK_DETECT_PUSH_TIME
                                                : (ak_change_detect)-1;
        return c->detect == (ak_change_detect)-1 ? -1 : 0;
    case OPT_VERIFY_EVERY:
        return ak_cli_parse_uint(arg, 0, 1000000, &c->verify_every) ? -1 : 0;
    case OPT_MAX_PAGES:
        return ak_cli_parse_uint(arg, 1, 1000000, &c->max_pages) ? -1 : 0;
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
    if (!rc && c->verify_every && c->detect != AK_DETECT_PUSH_TIME)
        rc = ak_cli_usage_error("org", "--verify-every goes with --change-detect push-time");
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
    if (c->max_pages) api.max_pages = c->max_pages;
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

/* The git host a forge's token may go to: --git-host, else the --api-url host (api.github.com
 * stands for github.com), else the public forge. A --repos-file run uses the public forges. */
static const char *token_host(org_cli *c, const char *public_host, const char *public_api)
{
    if (c->repos_file) return public_host;
    if (c->git_host) return c->git_host;
    if (!c->api_url) return public_host;
    ak_buf_reset(&c->token_host);
    if (ak_org_url_origin(c->api_url, NULL, &c->token_host, NULL)) return NULL;
    if (public_api && !strcmp(c->token_host.data, public_api)) return public_host;
    return c->token_host.data;
}

static void run_options(org_cli *c, ak_org_opts *o)
{
    ak_org_opts_default(o);
    o->cache = cache_dir(c);
    if (c->jobs) o->jobs = c->jobs;
    if (c->retries_set) o->retries = c->retries;
    o->max_cache = c->max_cache;
    o->full = c->full;
    o->detect = c->detect;
    o->verify_every = c->verify_every;
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
    o->auth.github_host = c->gitlab ? NULL : token_host(c, "github.com", "api.github.com");
    o->auth.gitlab_host = c->github ? NULL : token_host(c, "gitlab.com", NULL);
    o->auth.ca_file = c->scan.ca_file;
}

/* New or reappeared: what makes an org run exit 1. */
static int is_change(const ak_finding *f)
{
    return f->status && (!strcmp(f->status, "new") || !strcmp(f->status, "reappeared"));
}

static int is_open(const ak_finding *f)
{
    return strcmp(f->status, "resolved") != 0;
}

/* What makes the exit code: a new or reappeared finding, or any live key. */
static int counts(const ak_finding *f)
{
    return is_change(f) || (f->validation && f->validation->status == AK_VAL_VALID);
}

/* The findings of `in` that `keep` wants, as a view (free view->items only: ownership stays with
 * `in`). */
static void view_if(const ak_findings *in, int (*keep)(const ak_finding *), ak_findings *view)
{
    for (size_t i = 0; i < in->len; i++)
        if (keep(&in->items[i])) {
            AK_GROW(view->items, view->cap, view->len);
            view->items[view->len++] = in->items[i];
        }
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
    if (c->new_only) {
        size_t k = 0;
        for (size_t i = 0; i < found->len; i++) {
            if (is_change(&found->items[i]))
                found->items[k++] = found->items[i];
            else
                ak_finding_free(&found->items[i]);
        }
        found->len = k;
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

/* Counts of the report's findings by status. */
static void count_status(const ak_findings *found, size_t n[4])
{
    static const char *const names[4] = {"new", "open", "resolved", "reappeared"};
    memset(n, 0, 4 * sizeof *n);
    for (size_t i = 0; i < found->len; i++)
        for (int k = 0; k < 4; k++)
            if (found->items[i].status && !strcmp(found->items[i].status, names[k])) n[k]++;
}

static void print_summary(const ak_org_result *res, const ak_findings *found, ak_redactor *red)
{
    ak_buf line = AK_BUF_INIT;
    ak_summary_format(&res->sum, found->len, &line);
    size_t n[4];
    count_status(found, n);
    fprintf(stderr,
            "akhound: org: %zu repositories (%zu scanned, %zu failed; %zu unchanged), %" PRIu64
            " unchanged blobs skipped; %s\n",
            res->repos, res->scanned, res->failed, res->unchanged, res->skipped_blobs,
            ak_buf_cstr(&line));
    fprintf(stderr, "akhound: org: %zu new, %zu open, %zu resolved, %zu reappeared\n", n[0], n[1],
            n[2], n[3]);
    if (n[2])
        fprintf(stderr, "akhound: org: resolved keys are no longer reachable from any ref, but "
                        "may still be live: disable them\n");
    if (res->not_contacted)
        fprintf(stderr,
                "akhound: org: %zu repositories not re-checked (forge push time unchanged; "
                "their findings are as last seen)\n",
                res->not_contacted);
    for (size_t i = 0; i < res->failed; i++) { /* a repository's name can hold a secret */
        ak_buf_reset(&line);
        ak_buf_puts(&line, res->failures[i]);
        ak_redact_buf(red, &line);
        ak_warn("org: failed: %s", ak_buf_cstr(&line));
    }
    ak_buf_free(&line);
}

/* --failures FILE: {"repositories": N, "failed": [{"repository": ..., "reason": ...}]}. */
static int write_failures(const char *path, const ak_org_result *res, ak_redactor *red)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < res->failed; i++) {
        const char *f = res->failures[i], *sep = strstr(f, ": ");
        json_t *name = json_stringn(f, sep ? (size_t)(sep - f) : strlen(f));
        json_array_append_new(arr, json_pack("{s:o, s:o}", "repository", name, "reason",
                                             ak_escape_json_string(sep ? sep + 2 : "")));
    }
    json_t *o = json_pack("{s:I, s:I, s:o}", "repositories", (json_int_t)res->repos, "scanned",
                          (json_int_t)res->scanned, "failed", arr);
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    ak_buf doc = AK_BUF_INIT, err = AK_BUF_INIT;
    ak_buf_puts(&doc, text);
    ak_redact_buf(red, &doc); /* a reason can quote a forge's text holding a secret */
    int rc = ak_org_write_atomic(path, doc.data, doc.len, &err);
    if (rc) ak_error("%s", ak_buf_cstr(&err));
    ak_buf_free(&doc);
    ak_buf_free(&err);
    free(text);
    json_decref(o);
    return rc;
}

static int write_report(org_cli *c, const ak_findings *found, const ak_org_result *res,
                        const ak_rules *rules, const ak_engine *engine)
{
    FILE *out = ak_scan_cli_open_output(&c->scan);
    if (!out) return -1;
    ak_report_opts ro = {c->scan.format, c->scan.show_secrets, 0, rules,
                         ak_cli_redactor(engine, found)};
    ro.color = ak_cli_color(c->scan.color, out);
    ak_scan_summary sum = res->sum;
    sum.notices = res->failures;
    sum.n_notices = res->failed;
    int with_sum = c->scan.format == AK_FMT_SARIF;
    int rc = ak_report_write(out, found, with_sum ? &sum : NULL, &ro);
    if (out != stdout && fclose(out)) rc = -1;
    if (rc) ak_error("cannot write the report");
    if (!rc && c->failures_file) rc = write_failures(c->failures_file, res, ro.redactor);
    if (!rc && c->write_baseline) {
        ak_buf err = AK_BUF_INIT;
        ak_findings open = {0};
        view_if(found, is_open, &open);
        if ((rc = ak_baseline_write(&open, c->write_baseline, &err))) ak_error("%s", err.data);
        free(open.items);
        ak_buf_free(&err);
    }
    if (!c->scan.quiet) print_summary(res, found, ro.redactor);
    ak_redactor_free(ro.redactor);
    return rc;
}

/* More failed repositories than --max-failed allows (default 5%). */
static int over_budget(const org_cli *c, const ak_org_result *res)
{
    if (!c->max_failed_set) return res->failed * 100 > res->repos * 5;
    if (c->max_failed_pct) return res->failed * 100 > res->repos * c->max_failed;
    return res->failed > c->max_failed;
}

/* Only new or reappeared findings (and any live key) count, then --fail-on and --exit-zero apply
 * as for scan; failures beyond the budget make the run incomplete. */
static int exit_code(const org_cli *c, const ak_findings *found, const ak_org_result *res)
{
    if (res->repos && !res->scanned && res->failed == res->repos) return AK_EXIT_NORUN;
    ak_findings counted = {0};
    view_if(found, counts, &counted);
    ak_scan_summary sum = {0};
    sum.incomplete = res->sum.incomplete || over_budget(c, res);
    int rc = ak_scan_cli_exit_code(&c->scan, &counted, &sum);
    free(counted.items);
    return rc;
}

static int list_only(const ak_org_list *list)
{
    for (size_t i = 0; i < list->len; i++) printf("%s\n", list->items[i].name);
    return fflush(stdout) ? AK_EXIT_ERROR : AK_EXIT_CLEAN;
}

/* What identifies "the same command" for resuming an interrupted run: the listing and shard. */
static void scope_of(const org_cli *c, ak_buf *out)
{
    ak_buf_printf(out, "%s\n%s\n%s\n%s\n%u/%u", c->github ? c->github : "",
                  c->gitlab ? c->gitlab : "", c->repos_file ? c->repos_file : "",
                  c->api_url ? c->api_url : "", c->shard_k, c->shard_n);
}

/* The report: the inventories of every listed repository (failed ones included, as last seen). */
static void collect(const ak_org_list *list, const ak_org_opts *o, ak_findings *found,
                    ak_org_result *res)
{
    for (size_t i = 0; i < list->len; i++) {
        ak_buf path = AK_BUF_INIT, err = AK_BUF_INIT;
        ak_org_cache_path(o->cache, &list->items[i], ".inventory.jsonl", &path);
        ak_org_inventory inv;
        if (ak_org_inventory_load(&inv, path.data, &err)) {
            ak_error("org: %s", err.data);
            res->sum.incomplete = 1;
        }
        ak_org_inventory_report(&inv, o->run_id, found);
        ak_buf_free(&path);
        ak_buf_free(&err);
    }
}

static int scan_repos(org_cli *c, const ak_org_list *list)
{
    ak_rules *rules;
    ak_engine *engine;
    if (ak_scan_cli_engine(&c->scan, &rules, &engine)) return AK_EXIT_ERROR;
    ak_org_opts o;
    run_options(c, &o);
    ak_buf scope = AK_BUF_INIT, err = AK_BUF_INIT;
    scope_of(c, &scope);
    ak_org_runmark mark = {0};
    int code = -1;
    if (mkdir(o.cache, 0700) && errno != EEXIST) {
        ak_error("org: cannot create the cache directory %s: %s", o.cache, strerror(errno));
        code = AK_EXIT_NORUN;
    } else if (ak_org_run_begin(&mark, o.cache, scope.data, &err)) {
        ak_error("org: %s", err.data);
        code = AK_EXIT_NORUN;
    }
    ak_findings found = {0};
    ak_org_result res = {0};
    if (code < 0) {
        if (mark.resumed) ak_info("org: continuing the interrupted run %s", mark.id);
        o.run_id = mark.id;
        o.run_seq = mark.seq;
        if (ak_org_run(engine, list, &o, &res)) code = AK_EXIT_NORUN;
    }
    if (code < 0) {
        collect(list, &o, &found, &res);
        if (post_process(c, &found)) res.sum.incomplete = 1;
        int unwritten = write_report(c, &found, &res, rules, engine);
        code = unwritten ? AK_EXIT_ERROR : exit_code(c, &found, &res);
        ak_buf_reset(&err);
        if (!unwritten && ak_org_run_end(&mark, &err)) /* delivered: the next run is a new one */
            ak_error("org: %s", err.data);
    }
    ak_org_runmark_free(&mark);
    ak_buf_free(&scope);
    ak_buf_free(&err);
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
    if (c.detect == AK_DETECT_PUSH_TIME && c.repos_file)
        ak_warn("org: a repos file has no push times: every repository's refs are listed");
    ak_org_list list = {0};
    if (enumerate(&c, &list))
        rc = AK_EXIT_NORUN;
    else {
        select_repos(&c, &list);
        rc = c.list ? list_only(&list) : scan_repos(&c, &list);
    }
    ak_org_list_free(&list);
    free(c.cache_default);
    ak_buf_free(&c.token_host);
    ak_scan_cli_free(&c.scan);
    return rc;
}
