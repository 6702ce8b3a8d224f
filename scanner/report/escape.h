/*
 * Making arbitrary bytes safe to print, shared by every report format so that a path looks the
 * same in text, JSON, JSONL and SARIF.
 *
 * Paths, commit authors and summaries come from the file system and from git objects: they may hold
 * bytes that are not UTF-8, newlines, or terminal control sequences. The convention, used in every
 * format:
 *   - a byte that is not part of well-formed UTF-8 is written as the four characters "\xNN"
 *     (lower-case hex), so the original byte stays visible and the result is valid UTF-8, which
 *     jansson requires;
 *   - in text output, C0 controls and DEL are written the same way ("\x0a" for a newline), and C1
 *     controls, line/paragraph separators and bidirectional overrides as "\u{XXXX}", so a crafted
 *     path can neither start a forged output line nor reorder what the reader sees;
 *   - JSON keeps control characters as they are (the JSON encoder escapes them itself);
 *   - HTML is text output with & < > " ' written as character references on top, so a name can
 *     neither open a tag nor leave an attribute;
 *   - SARIF URIs percent-encode the raw bytes instead ("%FF"), which is the URI's own escape.
 * A backslash is not escaped, so a name that literally contains "\x41" reads back the same as one
 * that held byte 0x41 would have been escaped to; such names are too rare to justify doubling every
 * backslash of every path.
 */
#ifndef AK_REPORT_ESCAPE_H
#define AK_REPORT_ESCAPE_H

#include "util/buf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { AK_ESC_JSON = 0, AK_ESC_TEXT = 1, AK_ESC_HTML = 2 } ak_esc_mode;

/* Length (1-4) of the well-formed UTF-8 sequence at s, at most n bytes long, with its code point
 * in *cp; 0 if s does not start one (overlong forms, surrogates and values past U+10FFFF are
 * rejected, as jansson rejects them). */
size_t ak_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Appends s (NULL appends nothing) to out, escaped for `mode` as described above. */
void ak_escape_append(ak_buf *out, const char *s, ak_esc_mode mode);

/* A new JSON string holding s escaped for JSON, or a JSON null when s is NULL. Never NULL. */
json_t *ak_escape_json_string(const char *s);

/* Appends path to out as a URI reference: bytes other than unreserved characters and '/' are
 * percent-encoded. */
void ak_escape_uri_append(ak_buf *out, const char *path);

#endif
