/*
 * Redaction of free text before it leaves the process. A secret pasted into a commit message, a
 * tag message, a file name or a forge's repository data travels into reports as text (the commit
 * summary, the path, the link), where the writers' secret fields cannot hide it. Every writer
 * (reports of every format, the HTML page, validate's output, respond's plan, rotate's report,
 * org's failure list, notification bodies) therefore
 * hands its final bytes to ak_redact_buf, which replaces every secret it knows with its redacted
 * preview (ak_redact). The known secrets are every secret, security token and candidate of the
 * findings the output is about, and every secret the detection engine recognises in one of their
 * free-text fields (path, repository, link, commit author, e-mail and summary) read next to the
 * finding's AccessKey ID, the context the secret had (ak_redactor_add_findings). They are found
 * with one Vectorscan literal database, so the cost is linear in the text whatever their number.
 *
 * The engine is not run over the output itself: a report puts 64-hex hashes next to STS IDs, which
 * the STS rules would take for a secret. Secrets are ASCII letters, digits and "+/=", which no
 * format escapes, so they match as written. A secret the engine only sees encoded (base64 in a
 * commit message) is replaced only when it is a known secret in clear elsewhere.
 *
 * Not thread-safe: one thread at a time per redactor (it keeps scratch space).
 */
#ifndef AK_REPORT_REDACT_H
#define AK_REPORT_REDACT_H

#include "detect/detect.h"
#include "util/buf.h"

#include <stdio.h>

typedef struct ak_redactor ak_redactor;

/* A redactor that runs `engine` (borrowed; it must outlive the redactor) over the findings' free
 * text, or, when engine is NULL, one over the built-in rules that it builds and owns. Returns 0 or
 * -1 with err. */
int ak_redactor_new(ak_redactor **out, const ak_engine *engine, ak_buf *err);
/* A redactor of known secrets only (no engine): what a writer uses when its caller gave none. */
ak_redactor *ak_redactor_new_known(void);
void ak_redactor_free(ak_redactor *r);

/* Adds every secret, security token and candidate of the findings to the known secrets (copied),
 * and with an engine what it recognises in their free text (path, repository, link, commit). */
void ak_redactor_add_findings(ak_redactor *r, const ak_findings *list);
/* Adds one known secret (copied); shorter than 8 bytes is ignored (too likely to be ordinary). */
void ak_redactor_add_secret(ak_redactor *r, const char *secret);

/* The redaction: replaces, in place, every secret in text (see above). NULL r: nothing changes.
 * Returns the number of replacements. */
size_t ak_redact_buf(ak_redactor *r, ak_buf *text);

/* Writes len bytes of data to out, redacted by r (NULL: as they are). 0, or -1 on a write error.
 */
int ak_redact_write(ak_redactor *r, FILE *out, const char *data, size_t len);

/* Runs write(mem, ctx) into memory, then writes what it wrote to out, redacted by r (NULL: as
 * is): how a writer that prints piece by piece passes its whole output through the redaction.
 * Returns 0, or -1 when write returned nonzero or a write failed. */
int ak_redact_capture(ak_redactor *r, FILE *out, int (*write)(FILE *mem, void *ctx), void *ctx);

#endif
