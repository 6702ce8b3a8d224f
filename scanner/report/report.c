/*
 * The report entry point: format names, dispatch to the writer of each format, and the one-line
 * scan summary shared by the text report and the CLI's stderr line. See report.h.
 */
#include "report/report.h"
#include "report/writers.h"

#include <errno.h>
#include <string.h>

static const char *const format_names[] = {"text", "json", "jsonl", "sarif", "gitlab"};
#define N_FORMATS (sizeof format_names / sizeof *format_names)

int ak_format_parse(const char *name)
{
    for (size_t i = 0; name && i < N_FORMATS; i++)
        if (strcmp(name, format_names[i]) == 0) return (int)i;
    return -1;
}

const char *ak_format_name(ak_format format)
{
    return (unsigned)format < N_FORMATS ? format_names[format] : NULL;
}

static int dispatch(FILE *out, const ak_findings *list, const ak_scan_summary *summary,
                    const ak_report_opts *opts)
{
    switch (opts->format) {
    case AK_FMT_TEXT:
        return ak_report_write_text(out, list, summary, opts);
    case AK_FMT_JSON:
        return ak_report_write_json(out, list, opts);
    case AK_FMT_JSONL:
        return ak_report_write_jsonl(out, list, opts);
    case AK_FMT_SARIF:
        return ak_report_write_sarif(out, list, summary, opts);
    case AK_FMT_GITLAB:
        return ak_report_write_gitlab(out, list, summary, opts);
    }
    errno = EINVAL;
    return -1;
}

typedef struct report_job {
    const ak_findings *list;
    const ak_scan_summary *summary;
    const ak_report_opts *opts;
} report_job;

static int dispatch_job(FILE *mem, void *ctx)
{
    const report_job *j = ctx;
    return dispatch(mem, j->list, j->summary, j->opts);
}

static int write_redacted(FILE *out, const ak_findings *list, const ak_scan_summary *summary,
                          const ak_report_opts *opts, ak_redactor *r)
{
    report_job j = {list, summary, opts};
    return ak_redact_capture(r, out, dispatch_job, &j);
}

int ak_report_write(FILE *out, const ak_findings *findings, const ak_scan_summary *summary,
                    const ak_report_opts *opts)
{
    static const ak_findings none = {NULL, 0, 0};
    static const ak_report_opts defaults = {AK_FMT_TEXT, 0, 0, NULL, NULL};
    if (!findings) findings = &none;
    if (!opts) opts = &defaults;
    int rc;
    if (!ak_report_redacts(opts)) {
        rc = dispatch(out, findings, summary, opts);
    } else if (opts->redactor) {
        rc = write_redacted(out, findings, summary, opts, opts->redactor);
    } else {
        ak_redactor *own = ak_redactor_new_known();
        ak_redactor_add_findings(own, findings);
        rc = write_redacted(out, findings, summary, opts, own);
        ak_redactor_free(own);
    }
    /* Buffered stdio reports a full disk or a closed pipe only at flush time. */
    if (fflush(out) != 0 || ferror(out)) rc = -1;
    return rc;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void ak_summary_format(const ak_scan_summary *s, size_t n_findings, ak_buf *out)
{
    static const ak_scan_summary zero;
    if (!s) s = &zero;
    double mib = (double)s->bytes / (1024.0 * 1024.0);
    if (s->blobs || s->commits)
        ak_buf_printf(out, "scanned %llu %s in %llu %s", (unsigned long long)s->blobs,
                      plural(s->blobs, "blob", "blobs"), (unsigned long long)s->commits,
                      plural(s->commits, "commit", "commits"));
    else
        ak_buf_printf(out, "scanned %llu %s", (unsigned long long)s->files,
                      plural(s->files, "file", "files"));
    ak_buf_printf(out, " (%.2f MiB) in %.2f s: %zu %s", mib, s->seconds, n_findings,
                  plural(n_findings, "finding", "findings"));
    if (s->suppressed) ak_buf_printf(out, ", %u suppressed", s->suppressed);
    if (s->incomplete || s->errors)
        ak_buf_printf(out, ", incomplete: %llu %s, %llu skipped", (unsigned long long)s->errors,
                      plural(s->errors, "error", "errors"), (unsigned long long)s->skipped);
    else if (s->skipped)
        ak_buf_printf(out, ", %llu skipped", (unsigned long long)s->skipped);
}

void ak_summary_add(ak_scan_summary *into, const ak_scan_summary *s)
{
    into->files += s->files;
    into->bytes += s->bytes;
    into->skipped += s->skipped;
    into->errors += s->errors;
    into->blobs += s->blobs;
    into->commits += s->commits;
    into->incomplete |= s->incomplete;
}
