/*
 * akhound report merge: combines the JSONL (or JSON) findings of several runs, typically the
 * shards of an organization scan or successive incremental runs, into one report.
 *
 * Deduplication: findings equal in fingerprint, repository, blob, path and line are one finding
 * (the first read wins, except that a validated copy replaces an unvalidated one). The same
 * credential found at several places (several repositories, or several files) stays one finding
 * per place, because each place must be cleaned, but they are sorted next to each other
 * (credential, then repository, path, line) and, in JSON and JSONL, each carries
 * "credential_locations" (how many places hold that key) and "credential_repositories" (in how
 * many repositories). A credential is its AccessKey ID when there is one, else its secret's
 * SHA-256, else the fingerprint.
 *
 * Exit codes as for scan: 0 nothing, 1 findings, 2 an unreadable file or bad line, 3 a finding
 * validated live.
 *
 * akhound report html: the page of report/html.h for an org inventory. Its exit code counts only
 * the keys still open (not "resolved"), so a page of cleaned-up history exits 0.
 */
#include "cli/cli.h"
#include "cli/options.h"
#include "report/html.h"
#include "report/json.h"
#include "report/redact.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char report_help[] =
    "usage: akhound report merge [options] FILE...    combine findings (JSONL or JSON) of runs\n"
    "       akhound report html [-o FILE] INVENTORY... one self-contained HTML page for people\n"
    "\n"
    "  -f, --format FMT     text (default), json, jsonl or sarif\n"
    "  -o, --output FILE    write the merged report to FILE (created mode 0600)\n"
    "      --show-secrets   keep secrets in clear when the inputs have them\n"
    "  -q, --quiet          no summary on stderr\n"
    "\n"
    "Identical findings (fingerprint, repository, blob, path, line) appear once; one credential\n"
    "found in several places stays one finding per place, sorted together and counted in\n"
    "credential_locations / credential_repositories (JSON, JSONL). FILE '-' is stdin.\n"
    "html: totals by status and verdict, a table by repository, each open key with its age (from\n"
    "the commit that introduced it), first and last seen, and a link to the forge. Never a "
    "secret.\n"
    "Ages count to SOURCE_DATE_EPOCH when it is set, else to now.\n"
    "exit: 0 nothing found, 1 findings, 2 unreadable input, 3 a key validated live\n"
    "(html: counting only keys not resolved)\n";

typedef struct entry {
    ak_finding *f;
    char cred[70]; /* the credential's key: ID, "s:" secret SHA-256 or "f:" fingerprint */
    size_t locations, repositories;
} entry;

static int cmp_null(const char *a, const char *b)
{
    if (!a || !b) return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int same_place(const ak_finding *a, const ak_finding *b)
{
    return !strcmp(a->fingerprint, b->fingerprint) && !cmp_null(a->repository, b->repository) &&
           !cmp_null(a->blob, b->blob) && !cmp_null(a->path, b->path) && a->line == b->line;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    int c = strcmp(a->cred, b->cred);
    return c ? c : ak_finding_cmp(a->f, b->f);
}

static void cred_key(entry *e)
{
    const ak_finding *f = e->f;
    char sha[65] = "";
    if (f->secret)
        ak_sha256_hex(f->secret, strlen(f->secret), sha);
    else
        memcpy(sha, f->secret_sha256, sizeof sha);
    if (f->access_key_id)
        snprintf(e->cred, sizeof e->cred, "%s", f->access_key_id);
    else if (sha[0])
        snprintf(e->cred, sizeof e->cred, "s:%s", sha);
    else
        snprintf(e->cred, sizeof e->cred, "f:%s", f->fingerprint);
}

/* Sorts, drops identical findings (keeping a validated copy) and counts each credential's
 * places and repositories. Returns the number dropped. */
static size_t dedup(ak_findings *all, entry **out, size_t *n_out)
{
    entry *e = ak_calloc(all->len + 1, sizeof *e);
    for (size_t i = 0; i < all->len; i++) {
        e[i].f = &all->items[i];
        cred_key(&e[i]);
    }
    if (all->len > 1) qsort(e, all->len, sizeof *e, entry_cmp);
    size_t k = 0;
    for (size_t i = 0; i < all->len; i++) {
        if (k && !strcmp(e[k - 1].cred, e[i].cred) && same_place(e[k - 1].f, e[i].f)) {
            if (!e[k - 1].f->validation && e[i].f->validation) e[k - 1].f = e[i].f;
            continue;
        }
        e[k++] = e[i];
    }
    for (size_t i = 0, j; i < k; i = j) {
        size_t repos = 0;
        for (j = i; j < k && !strcmp(e[j].cred, e[i].cred); j++)
            if (j == i || cmp_null(e[j].f->repository, e[j - 1].f->repository)) repos++;
        for (size_t m = i; m < j; m++) {
            e[m].locations = j - i;
            e[m].repositories = repos;
        }
    }
    *out = e;
    *n_out = k;
    return all->len - k;
}

typedef struct json_job {
    const entry *e;
    size_t n;
    ak_format fmt;
    int show;
} json_job;

static int write_json(FILE *out, void *ctx)
{
    const json_job *j = ctx;
    json_t *arr = j->fmt == AK_FMT_JSON ? json_array() : NULL;
    int rc = 0;
    for (size_t i = 0; i < j->n && !rc; i++) {
        json_t *o = ak_finding_to_json(j->e[i].f, j->show);
        json_object_set_new(o, "credential_locations", json_integer((json_int_t)j->e[i].locations));
        json_object_set_new(o, "credential_repositories",
                            json_integer((json_int_t)j->e[i].repositories));
        if (arr) {
            json_array_append_new(arr, o);
            continue;
        }
        rc = json_dumpf(o, out, JSON_PRESERVE_ORDER | JSON_COMPACT) || fputc('\n', out) == EOF;
        json_decref(o);
    }
    if (arr) {
        rc = json_dumpf(arr, out, JSON_PRESERVE_ORDER | JSON_INDENT(2)) || fputc('\n', out) == EOF;
        json_decref(arr);
    }
    return rc ? -1 : 0;
}

/* The writers of report/ for text and SARIF, on the merged order. */
static int write_other(FILE *out, const entry *e, size_t n, const ak_scan_cli *c, ak_redactor *red)
{
    ak_findings view = {ak_calloc(n + 1, sizeof(ak_finding)), n, n};
    for (size_t i = 0; i < n; i++) view.items[i] = *e[i].f; /* shallow: not freed here */
    ak_report_opts ro = {c->format, c->show_secrets, 0, NULL, red};
    ro.color = ak_cli_color(c->color, out);
    int rc = ak_report_write(out, &view, NULL, &ro);
    free(view.items);
    return rc;
}

static int read_inputs(ak_findings *all, char **files, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        ak_buf err = AK_BUF_INIT;
        int rc = ak_findings_read_file(all, files[i], &err);
        if (rc) {
            fputs(ak_buf_cstr(&err), stderr);
            bad = 1;
        }
        ak_buf_free(&err);
    }
    return bad;
}

static int exit_code(const entry *e, size_t n, int bad)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].f->validation && e[i].f->validation->status == AK_VAL_VALID) return AK_EXIT_LIVE;
    if (bad) return AK_EXIT_ERROR;
    return n ? AK_EXIT_FINDINGS : AK_EXIT_CLEAN;
}

static int merge(ak_scan_cli *c, char **files, int n_files)
{
    ak_findings all = {0};
    int bad = read_inputs(&all, files, n_files);
    entry *e;
    size_t n;
    size_t dropped = dedup(&all, &e, &n);
    FILE *out = ak_scan_cli_open_output(c);
    int rc = out ? 0 : -1;
    ak_redactor *red = out ? ak_cli_redactor(NULL, &all) : NULL;
    json_job j = {e, n, c->format, c->show_secrets};
    if (out && (c->format == AK_FMT_JSON || c->format == AK_FMT_JSONL))
        rc = ak_redact_capture(c->show_secrets ? NULL : red, out, write_json, &j);
    else if (out)
        rc = write_other(out, e, n, c, red);
    ak_redactor_free(red);
    if (out && out != stdout && fclose(out)) rc = -1;
    if (rc) ak_error("report: cannot write the report");
    if (!c->quiet)
        fprintf(stderr, "akhound: report: merged %d files: %zu findings (%zu duplicates dropped)\n",
                n_files, n, dropped);
    int code = rc ? AK_EXIT_ERROR : exit_code(e, n, bad);
    free(e);
    ak_findings_free(&all);
    return code;
}

/* SOURCE_DATE_EPOCH (the reproducible-builds convention) fixes "now", so a page can be compared. */
static time_t html_now(void)
{
    const char *e = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long t = e && *e ? strtoll(e, &end, 10) : -1;
    return t >= 0 && end && !*end ? (time_t)t : time(NULL);
}

typedef struct html_job {
    const ak_inventory *inv;
    time_t now;
} html_job;

static int write_html(FILE *out, void *ctx)
{
    const html_job *j = ctx;
    return ak_report_write_html(out, j->inv, j->now);
}

static int html(ak_scan_cli *c, char **files, int n_files)
{
    ak_inventory inv = {0};
    int bad = 0;
    for (int i = 0; i < n_files; i++) {
        ak_buf err = AK_BUF_INIT;
        if (ak_inventory_read(&inv, files[i], &err)) bad = 1;
        fputs(ak_buf_cstr(&err), stderr);
        ak_buf_free(&err);
    }
    FILE *out = ak_cli_open_output("report", c->output, 0);
    int rc = -1;
    if (out) { /* the page shows no secret field, but free text (paths, summaries) can hold one */
        ak_redactor *red = ak_cli_redactor(NULL, &inv.findings);
        html_job j = {&inv, html_now()};
        rc = ak_redact_capture(red, out, write_html, &j);
        ak_redactor_free(red);
    }
    if (out && ak_cli_close_output(out)) rc = -1;
    if (rc) ak_error("report: cannot write the HTML report");
    size_t open = 0, live = 0;
    for (size_t i = 0; i < inv.findings.len; i++) {
        if (inv.meta[i].status == AK_INV_RESOLVED) continue;
        open++;
        const ak_validation *v = inv.findings.items[i].validation;
        live += v && v->status == AK_VAL_VALID;
    }
    if (!c->quiet)
        fprintf(stderr, "akhound: report: %zu findings, %zu open, %zu live\n", inv.findings.len,
                open, live);
    ak_inventory_free(&inv);
    if (rc) return AK_EXIT_ERROR;
    return live ? AK_EXIT_LIVE : bad ? AK_EXIT_ERROR : open ? AK_EXIT_FINDINGS : AK_EXIT_CLEAN;
}

int cmd_report(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(report_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? AK_EXIT_ERROR : 0;
    }
    int is_html = !strcmp(argv[1], "html");
    if (strcmp(argv[1], "merge") && !is_html)
        return ak_cli_usage_error("report", "unknown action '%s' (merge, html)", argv[1]);
    ak_scan_cli c;
    ak_scan_cli_init(&c);
    int opt, rc = 0;
    optind = 1;
    argc--, argv++;
    while (!rc && (opt = getopt_long(argc, argv, "f:o:qh", ak_scan_long_options, NULL)) != -1) {
        opt = opt == 'f' ? OPT_FORMAT : opt == 'o' ? OPT_OUTPUT : opt == 'q' ? OPT_QUIET : opt;
        if (opt == 'h' || opt == OPT_HELP) {
            fputs(report_help, stdout);
            rc = -1;
        } else if (opt == '?' || (opt != OPT_FORMAT && opt != OPT_OUTPUT && opt != OPT_QUIET &&
                                  opt != OPT_SHOW_SECRETS && opt != OPT_COLOR)) {
            rc = ak_cli_usage_error("report", "bad option");
        } else if (is_html && opt != OPT_OUTPUT && opt != OPT_QUIET) {
            /* the page never holds a secret, and its format is HTML */
            rc = ak_cli_usage_error("report", "html takes only --output and --quiet");
        } else if (ak_scan_cli_apply(&c, "report", opt, optarg)) {
            rc = AK_EXIT_ERROR;
        }
    }
    if (!rc && optind >= argc) rc = ak_cli_usage_error("report", "give at least one FILE");
    if (!rc) rc = (is_html ? html : merge)(&c, argv + optind, argc - optind);
    ak_scan_cli_free(&c);
    return rc < 0 ? 0 : rc;
}
