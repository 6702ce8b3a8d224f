/*
 * The format writers behind ak_report_write, one per file (text.c, json.c, sarif.c). Internal to
 * scanner/report/: the public entry point is report.h. Each writes everything to out and returns 0,
 * or -1 when a write failed; findings is never NULL here.
 */
#ifndef AK_REPORT_WRITERS_H
#define AK_REPORT_WRITERS_H

#include "report/report.h"

int ak_report_write_text(FILE *out, const ak_findings *findings, const ak_scan_summary *summary,
                         const ak_report_opts *opts);
int ak_report_write_json(FILE *out, const ak_findings *findings, const ak_report_opts *opts);
int ak_report_write_jsonl(FILE *out, const ak_findings *findings, const ak_report_opts *opts);
int ak_report_write_sarif(FILE *out, const ak_findings *findings, const ak_scan_summary *summary,
                          const ak_report_opts *opts);
int ak_report_write_gitlab(FILE *out, const ak_findings *findings, const ak_scan_summary *summary,
                           const ak_report_opts *opts);

/* Shared by the reports made for code-hosting services (sarif.c): a kind's title ("Alibaba Cloud
 * AccessKey pair"), and a one-paragraph message that never holds a secret (the ID, the redacted
 * secret, the encoding, the commit, the verdict). */
const char *ak_report_kind_title(ak_kind kind);
void ak_report_message(ak_buf *b, const ak_finding *f);

#endif
