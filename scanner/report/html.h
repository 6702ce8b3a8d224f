/*
 * The HTML report of an organization inventory (`akhound report html`): one self-contained page
 * (inline CSS, no script, no external asset; a Content-Security-Policy forbids both) for the people
 * who clean up: totals by status and by validation verdict, a table by repository, then every open
 * key with its age and a link to the forge, and the resolved ones apart.
 *
 * The inventory is the JSONL (or JSON array) written by `akhound org`; the fields an org run adds
 * to a finding (status, first_seen, last_seen) are optional, so older reports and plain scans
 * render too (status "unknown", listed with the open keys). Every string from the input is escaped
 * (report/escape.h, AK_ESC_HTML); links are written only for http(s) URLs. No secret is ever
 * written, whatever the input holds: a key is shown by its AccessKey ID, or by a prefix of its
 * secret's SHA-256 when it has no ID.
 */
#ifndef AK_REPORT_HTML_H
#define AK_REPORT_HTML_H

#include "detect/finding.h"
#include "util/buf.h"

#include <stdio.h>
#include <time.h>

typedef enum {
    AK_INV_NEW = 0,
    AK_INV_REAPPEARED,
    AK_INV_OPEN,
    AK_INV_UNKNOWN, /* the input did not say (not an org inventory) */
    AK_INV_RESOLVED,
    AK_INV__COUNT
} ak_inv_status;

/* What an org inventory adds to a finding; strings owned, NULL when absent. */
typedef struct ak_inv_meta {
    ak_inv_status status;
    char *first_seen, *last_seen;
} ak_inv_meta;

typedef struct ak_inventory {
    ak_findings findings;
    ak_inv_meta *meta; /* meta[i] belongs to findings.items[i] */
    size_t meta_cap;
} ak_inventory;

/* "new", "reappeared", "open", "unknown", "resolved". */
const char *ak_inv_status_name(ak_inv_status s);

/* Appends the findings of path (JSONL or a JSON array; "-" is stdin) to inv. Returns as
 * ak_findings_read_file: the number of bad lines, or -1 when unreadable; err gets one line each. */
int ak_inventory_read(ak_inventory *inv, const char *path, ak_buf *err);
void ak_inventory_free(ak_inventory *inv);

/* Writes the page for inv as of the time `now` (ages are counted up to it). Returns 0, or -1 on a
 * write error. */
int ak_report_write_html(FILE *out, const ak_inventory *inv, time_t now);

#endif
