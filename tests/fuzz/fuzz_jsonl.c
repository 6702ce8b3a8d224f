/*
 * libFuzzer target: the findings reader behind validate, respond and report merge (JSONL or a JSON
 * array, report/json_read.c). Every finding it accepts is written back (with secrets, as
 * `--show-secrets` would) and must read back as one finding with the same fingerprint: what the
 * reader lets in, the writer can carry, and a rewrite (validate, report merge) loses nothing.
 */
#include "report/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void round_trip(const ak_finding *f)
{
    json_t *j = ak_finding_to_json(f, 1);
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!text) abort();
    ak_findings again = {0};
    ak_buf err = AK_BUF_INIT;
    int bad = ak_findings_read_text(&again, text, strlen(text), "rewritten", &err);
    if (bad || again.len != 1 || strcmp(again.items[0].fingerprint, f->fingerprint)) abort();
    ak_findings_free(&again);
    ak_buf_free(&err);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ak_findings list = {0};
    ak_buf err = AK_BUF_INIT;
    ak_findings_read_text(&list, (const char *)data, size, "fuzz.jsonl", &err);
    /* every line of err is "NAME:LINE: reason\n": one line each, nothing forged */
    for (const char *p = ak_buf_cstr(&err); *p; p = strchr(p, '\n') + 1)
        if (strncmp(p, "fuzz.jsonl:", 11) || !strchr(p, '\n')) abort();
    for (size_t i = 0; i < list.len; i++) round_trip(&list.items[i]);
    ak_findings_free(&list);
    ak_buf_free(&err);
    return 0;
}
