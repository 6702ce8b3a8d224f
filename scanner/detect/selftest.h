/*
 * `akhound rules test`: every rule's examples must be found and its negative examples must not.
 * Examples are templates ({{alnum N}}, {{b64 TEXT}}) expanded with fresh random values on each
 * run, so rule files hold no key-shaped text and each run tries new keys.
 */
#ifndef AK_DETECT_SELFTEST_H
#define AK_DETECT_SELFTEST_H

#include "detect/detect.h"

#include <stdio.h>

/* Expands an example template into out. Returns 0, or -1 on a malformed template. */
int ak_template_expand(const char *tmpl, ak_buf *out);
/* Fills out[0..n) with random letters and digits that never form a placeholder (no vowels, no
 * runs, no sequences) and always mix upper case, lower case and digits; NUL-terminates. */
void ak_random_key_text(char *out, size_t n);
/* Runs every rule's examples; prints one line per failure to `report` and a summary line.
 * Returns the number of failures. */
int ak_rules_selftest(const ak_engine *engine, FILE *report, int verbose);

/* Checks that every rule's examples are found, silently; for trusting a cached database. Returns 0
 * when all are, else nonzero (it stops at the first miss). */
int ak_rules_examples_missed(const ak_engine *engine);

#endif
