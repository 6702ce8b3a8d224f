/*
 * GitLab's secret-detection report (security report schema 15.2.1,
 * tests/data/gitlab-secret-detection-report-format-15.2.1.json), what a job declares as
 * `artifacts: reports: secret_detection` so that merge requests and the security dashboard show
 * the findings. Like SARIF it goes to a service, so it never holds a secret: the description is the
 * secret-free message SARIF uses, and raw_source_code_extract (which GitLab's own analyzer fills
 * with the secret) is left out.
 *
 * The schema requires a commit for every finding; a scan of files has none, and then the commit is
 * "0000000", as GitLab's own secret detection writes for the same case. A vulnerability id is a
 * UUID-shaped digest of the finding's fingerprint and place, so it is stable across runs.
 */
#include "report/escape.h"
#include "report/writers.h"
#include "util/clock.h"
#include "util/version.h"

#include <string.h>
#include <time.h>

#define GITLAB_SCHEMA_VERSION "15.2.1"
#define GITLAB_SCHEMA                                                                              \
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"               \
    "v" GITLAB_SCHEMA_VERSION "/dist/secret-detection-report-format.json"

/* "YYYY-MM-DDTHH:MM:SS": the schema's UTC time, without the zone letter. */
static json_t *gitlab_time(time_t t)
{
    char iso[21];
    ak_iso8601(iso, t);
    iso[19] = 0;
    return json_string(iso);
}

static json_t *tool(void)
{
    return json_pack("{ss ss ss s{ss}}", "id", "akhound", "name", "akhound", "version", AK_VERSION,
                     "vendor", "name", "akhound");
}

static json_t *scan_section(const ak_scan_summary *s)
{
    time_t end = time(NULL), start = end - (time_t)(s ? s->seconds : 0);
    int ok = !s || (!s->incomplete && !s->errors);
    json_t *scan = json_pack("{so so ss so so ss}", "analyzer", tool(), "scanner", tool(), "type",
                             "secret_detection", "start_time", gitlab_time(start), "end_time",
                             gitlab_time(end), "status", ok ? "success" : "failure");
    if (!ok)
        json_object_set_new(
            scan, "messages",
            json_pack("[{ss ss}]", "level", "warn", "value",
                      "the scan was incomplete: some input was not scanned (see the job log)"));
    return scan;
}

/* A UUID-shaped id from the finding's fingerprint and place. */
static json_t *vuln_id(const ak_finding *f)
{
    ak_buf key = AK_BUF_INIT;
    ak_buf_printf(&key, "%s\n%s\n%s\n%u\n%u\n%s", f->fingerprint,
                  f->repository ? f->repository : "", f->path ? f->path : "", f->line, f->column,
                  f->blob ? f->blob : "");
    char h[65];
    ak_sha256_hex(key.data, key.len, h);
    ak_buf_free(&key);
    char uuid[37];
    snprintf(uuid, sizeof uuid, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
    return json_string(uuid);
}

static json_t *location(const ak_finding *f)
{
    const ak_commit_info *c = f->commit;
    json_t *commit =
        json_pack("{so}", "sha", ak_escape_json_string(c && c->id ? c->id : "0000000"));
    if (c && c->author) json_object_set_new(commit, "author", ak_escape_json_string(c->author));
    if (c && c->date) json_object_set_new(commit, "date", ak_escape_json_string(c->date));
    if (c && c->summary) json_object_set_new(commit, "message", ak_escape_json_string(c->summary));
    json_t *loc = json_pack("{so so}", "file", ak_escape_json_string(f->path ? f->path : "-"),
                            "commit", commit);
    if (f->line > 0) {
        json_object_set_new(loc, "start_line", json_integer(f->line));
        json_object_set_new(loc, "end_line", json_integer(f->line));
    }
    return loc;
}

static json_t *vulnerability(const ak_finding *f)
{
    const char *rule = f->rule ? f->rule : "unknown";
    ak_buf text = AK_BUF_INIT;
    ak_report_message(&text, f);
    int live = f->validation && f->validation->status == AK_VAL_VALID;
    json_t *v = json_pack(
        "{so ss so ss s[{ss so so}] so}", "id", vuln_id(f), "name", ak_report_kind_title(f->kind),
        "description", ak_escape_json_string(ak_buf_cstr(&text)), "severity",
        live ? "Critical" : "High", "identifiers", "type", "akhound_rule", "name",
        ak_escape_json_string(rule), "value", ak_escape_json_string(rule), "location", location(f));
    ak_buf_free(&text);
    return v;
}

int ak_report_write_gitlab(FILE *out, const ak_findings *findings, const ak_scan_summary *summary,
                           const ak_report_opts *opts)
{
    (void)opts; /* no secret, whatever show_secrets says */
    json_t *vulns = json_array();
    for (size_t i = 0; i < findings->len; i++)
        json_array_append_new(vulns, vulnerability(&findings->items[i]));
    json_t *doc = json_pack("{ss ss so so}", "version", GITLAB_SCHEMA_VERSION, "schema",
                            GITLAB_SCHEMA, "scan", scan_section(summary), "vulnerabilities", vulns);
    int rc = json_dumpf(doc, out, JSON_PRESERVE_ORDER | JSON_INDENT(2));
    json_decref(doc);
    return rc != 0 || fputc('\n', out) == EOF ? -1 : 0;
}
