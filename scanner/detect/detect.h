/*
 * The detection engine: the small public API that every source (files, stdin, git, org scans)
 * and every front end (CLI, hooks) uses. It knows nothing of where bytes come from.
 *
 *   ak_rules    rules loaded from YAML (built-in patterns/ plus user files); immutable once loaded
 *   ak_engine   rules compiled into one Vectorscan database plus PCRE2 JIT programs; immutable,
 *               shared by all threads
 *   ak_scratch  per-thread working memory (Vectorscan scratch, PCRE2 match data, hit arrays);
 *               one thread at a time
 *   ak_chunk    a byte buffer plus where it came from
 *
 * Convention (as in libgit2): out-parameters first, 0 on success, negative on error, with the
 * reason in the caller's ak_buf *err (one line, naming the input).
 */
#ifndef AK_DETECT_DETECT_H
#define AK_DETECT_DETECT_H

#include "detect/finding.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ak_rules ak_rules;
typedef struct ak_engine ak_engine;
typedef struct ak_scratch ak_scratch;

/* Loads the built-in rules (patterns/alibaba.yml compiled into the binary). */
int ak_rules_load_builtin(ak_rules **out, ak_buf *err);
/* Adds the rules of a YAML file, or of every *.yml / *.yaml file of a directory. A rule whose id
 * is already loaded replaces the earlier one. */
int ak_rules_add_path(ak_rules *rules, const char *path, ak_buf *err);
/* Adds rules from YAML text; `origin` names it in error messages. */
int ak_rules_add_text(ak_rules *rules, const char *text, size_t len, const char *origin,
                      ak_buf *err);
void ak_rules_free(ak_rules *rules);
size_t ak_rules_count(const ak_rules *rules);

/* Read-only view of one rule, for reports (SARIF rule metadata) and `akhound rules list`. The
 * strings belong to the rules and live as long as they do. */
typedef struct ak_rule_info {
    const char *id;
    const char *name;
    const char *kind; /* kind name, see ak_kind_name; component rules use their own kinds */
    const char *description;
    const char *origin; /* file the rule came from ("builtin:patterns/alibaba.yml" for built-ins) */
} ak_rule_info;

void ak_rules_info(const ak_rules *rules, size_t index, ak_rule_info *out);
/* A hex digest of every loaded rule's definition: changes whenever any rule changes. Computed on
 * the first call; not thread-safe until then. */
const char *ak_rules_version(const ak_rules *rules);

/* An ID and a secret further apart than this in the text never pair, whatever the lines between
 * them (sources that scan in windows overlap them by more, see sources/scan.h). */
#define AK_PAIR_MAX_BYTES (32u * 1024)

typedef struct ak_engine_opts {
    unsigned
        pair_window_lines; /* an ID and a secret at most this many lines apart pair (default 5) */
    unsigned max_decode_depth; /* nested decodings, e.g. base64 inside base64 (default 2) */
    int no_placeholder_filter; /* report placeholders too (testing rules) */
} ak_engine_opts;

void ak_engine_opts_default(ak_engine_opts *opts);
int ak_engine_new(ak_engine **out, const ak_rules *rules, const ak_engine_opts *opts, ak_buf *err);
void ak_engine_free(ak_engine *engine);
const ak_rules *ak_engine_rules(const ak_engine *engine);

int ak_scratch_new(ak_scratch **out, const ak_engine *engine, ak_buf *err);
void ak_scratch_free(ak_scratch *scratch);

typedef struct ak_chunk {
    const uint8_t *data;
    size_t len;
    const char *path;    /* copied into each finding; "-" for stdin */
    const char *blob;    /* git blob id or NULL; copied into each finding */
    uint32_t first_line; /* line number of data[0] (1 for a whole file; >1 for later windows) */
    const char *fingerprint_path; /* path inside the scanned tree or repository, for fingerprints
                                     (so "." and "/abs/repo" agree); NULL: path */
} ak_chunk;

/*
 * Scans one chunk and appends its findings (placeholders, allow-commented and low-entropy
 * candidates already filtered out; fingerprints computed) to *out. Thread-safe for distinct
 * scratches. Returns 0, or negative if the engine failed (the chunk is then not fully scanned).
 */
int ak_engine_scan(const ak_engine *engine, ak_scratch *scratch, const ak_chunk *chunk,
                   ak_findings *out, ak_buf *err);

/*
 * What a history scan needs to skip most of a blob that is a small edit of another. Every
 * finding starts at a hit of the fast pass (a literal: an anchor or a keyword), so a buffer
 * scanned as plain text without a single hit holds no finding, and neither does any run of bytes
 * copied from it.
 *
 * ak_scratch_take_clean: whether every chunk scanned with this scratch since the last call was
 * scanned as plain text (not decoded as UTF-16) and had no fast-pass hit; resets the record.
 * ak_engine_literal_in: 1 if data[0 .. len) holds a literal of the plain-text fast pass, 0 if
 * not, -1 if the fast pass failed. ak_engine_max_literal: the longest of those literals in bytes.
 * ak_engine_plain_only: whether a chunk with this content gets the plain-text fast pass alone
 * (not the UTF-16 one, not decoded as UTF-16).
 */
int ak_scratch_take_clean(ak_scratch *scratch);
int ak_engine_plain_only(const uint8_t *data, size_t len);
int ak_engine_literal_in(const ak_engine *engine, ak_scratch *scratch, const uint8_t *data,
                         size_t len);
size_t ak_engine_max_literal(const ak_engine *engine);

#endif
