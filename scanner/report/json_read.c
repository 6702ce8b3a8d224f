/*
 * Reading findings back from JSON (json.h): the input of `validate`, `respond`, `report` and
 * baselines. Files are often hand-edited or produced by other versions, so the reader is strict
 * about the fields it needs, ignores fields it does not know, and reports every bad line with its
 * file and line number instead of giving up on the first one.
 */
#include "report/escape.h"
#include "report/json.h"
#include "util/mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * ak_finding.encoding is a static string. Known names map to literals; other names (from a later
 * version's decoders) are interned once per process, up to a bound, so reading stays lossless
 * without giving findings a string they would have to free.
 */
static const char *const known_encodings[] = {"plain",   "base64",  "percent", "escaped",
                                              "utf16le", "utf16be", "hex",     "unknown"};
enum { MAX_INTERNED = 32 };
static char *interned[MAX_INTERNED];
static size_t n_interned;
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *intern_encoding(const char *name)
{
    const char *found = "unknown";
    for (size_t i = 0; i < sizeof known_encodings / sizeof *known_encodings; i++)
        if (strcmp(name, known_encodings[i]) == 0) return known_encodings[i];
    pthread_mutex_lock(&intern_lock);
    size_t i = 0;
    while (i < n_interned && strcmp(interned[i], name) != 0) i++;
    if (i == n_interned && n_interned < MAX_INTERNED) interned[n_interned++] = ak_strdup(name);
    if (i < n_interned) found = interned[i];
    pthread_mutex_unlock(&intern_lock);
    return found;
}

/* Absent or null leaves *dst NULL. */
static int get_str(const json_t *obj, const char *key, int required, char **dst, ak_buf *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) ak_buf_printf(err, "missing field '%s'", key);
        return required ? -1 : 0;
    }
    if (!json_is_string(v)) {
        ak_buf_printf(err, "field '%s' must be a string or null", key);
        return -1;
    }
    *dst = ak_strndup(json_string_value(v), json_string_length(v));
    return 0;
}

/* 1 when s holds a C0 or C1 control character or DEL. */
static int has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) return 1;
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9f)
            return 1;
    }
    return 0;
}

/*
 * A field that names something (an ID, a hash, a URL, a date) rather than holding free text: a
 * control character in it is never legitimate, and would travel into mail headers, log lines and
 * API parameters (a CRLF in an access_key_id adds a Bcc header to respond's notice). Free text
 * (path, commit author and summary, validation detail) may hold any character; it is escaped
 * wherever it is printed.
 */
static int get_id(const json_t *obj, const char *key, int required, char **dst, ak_buf *err)
{
    if (get_str(obj, key, required, dst, err)) return -1;
    const json_t *v = json_object_get(obj, key);
    if (!*dst || !has_control(json_string_value(v), json_string_length(v))) return 0;
    ak_buf_printf(err, "field '%s' holds a control character", key);
    free(*dst);
    *dst = NULL;
    return -1;
}

static int get_u32(const json_t *obj, const char *key, uint32_t *dst, ak_buf *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        ak_buf_printf(err, "missing field '%s'", key);
        return -1;
    }
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
    if (n < 0 || n > (json_int_t)UINT32_MAX) {
        ak_buf_printf(err, "field '%s' must be an integer from 0 to %u", key, UINT32_MAX);
        return -1;
    }
    *dst = (uint32_t)n;
    return 0;
}

/* Names from the input go into error messages escaped, so a crafted file cannot send control
 * sequences to the terminal through them. */
static void put_name(ak_buf *err, const char *what, const char *name)
{
    ak_buf_printf(err, "%s '", what);
    ak_escape_append(err, name ? name : "(missing)", AK_ESC_TEXT);
    ak_buf_putc(err, '\'');
}

static int get_kind(const json_t *obj, ak_kind *dst, ak_buf *err)
{
    const char *name = json_string_value(json_object_get(obj, "kind"));
    int kind = ak_kind_parse(name);
    if (kind < 0) {
        put_name(err, "unknown kind", name);
        return -1;
    }
    *dst = (ak_kind)kind;
    return 0;
}

static int get_commit(const json_t *obj, ak_commit_info **dst, ak_buf *err)
{
    const json_t *c = json_object_get(obj, "commit");
    if (!c || json_is_null(c)) return 0;
    if (!json_is_object(c)) {
        ak_buf_puts(err, "field 'commit' must be an object or null");
        return -1;
    }
    ak_commit_info *ci = ak_calloc(1, sizeof *ci);
    *dst = ci;
    if (get_id(c, "id", 1, &ci->id, err) || get_str(c, "author", 0, &ci->author, err) ||
        get_id(c, "email", 0, &ci->email, err) || get_id(c, "date", 0, &ci->date, err) ||
        get_str(c, "summary", 0, &ci->summary, err))
        return -1;
    return 0;
}

static int get_status(const json_t *v, ak_val_status *dst, ak_buf *err)
{
    const char *name = json_string_value(json_object_get(v, "status"));
    int status = ak_val_status_parse(name);
    if (status < 0) {
        put_name(err, "unknown validation status", name);
        return -1;
    }
    *dst = (ak_val_status)status;
    return 0;
}

/* validation.last_used_before: {"source", "read_at", "date"}; absent or null when not read. */
static int get_last_used_before(const json_t *v, ak_validation *val, ak_buf *err)
{
    const json_t *lu = json_object_get(v, "last_used_before");
    if (!lu || json_is_null(lu)) return 0;
    if (!json_is_object(lu)) {
        ak_buf_puts(err, "field 'validation.last_used_before' must be an object or null");
        return -1;
    }
    return get_str(lu, "source", 1, &val->lu_source, err) ||
                   get_str(lu, "read_at", 1, &val->lu_read_at, err) ||
                   get_str(lu, "date", 0, &val->lu_date, err)
               ? -1
               : 0;
}

static int get_validation(const json_t *obj, ak_validation **dst, ak_buf *err)
{
    const json_t *v = json_object_get(obj, "validation");
    if (!v || json_is_null(v)) return 0;
    if (!json_is_object(v)) {
        ak_buf_puts(err, "field 'validation' must be an object or null");
        return -1;
    }
    ak_validation *val = ak_calloc(1, sizeof *val);
    *dst = val;
    if (get_status(v, &val->status, err) ||
        get_id(v, "identity_type", 0, &val->identity_type, err) ||
        get_id(v, "account_id", 0, &val->account_id, err) || get_id(v, "arn", 0, &val->arn, err) ||
        get_id(v, "principal_id", 0, &val->principal_id, err) ||
        get_id(v, "checked_at", 0, &val->checked_at, err) ||
        get_str(v, "detail", 0, &val->detail, err))
        return -1;
    return get_last_used_before(v, val, err);
}

static int get_candidates(const json_t *obj, ak_finding *f, ak_buf *err)
{
    const json_t *arr = json_object_get(obj, "candidates");
    if (!arr || json_is_null(arr)) return 0;
    if (!json_is_array(arr)) {
        ak_buf_puts(err, "field 'candidates' must be an array");
        return -1;
    }
    size_t n = json_array_size(arr);
    if (n == 0) return 0;
    f->candidates = ak_calloc(n, sizeof *f->candidates);
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(arr, i);
        if (!json_is_string(s) || has_control(json_string_value(s), json_string_length(s))) {
            ak_buf_puts(err,
                        "field 'candidates' must hold only strings without control characters");
            return -1;
        }
        f->candidates[f->n_candidates++] = ak_strndup(json_string_value(s), json_string_length(s));
    }
    return 0;
}

/* A clear secret and its recorded hash must agree: a mismatch means the line was edited by hand
 * and one of the two is wrong, and acting on the wrong key is worse than refusing. */
static int check_sha256(const json_t *obj, const char *key, const char *secret, ak_buf *err)
{
    const char *want = json_string_value(json_object_get(obj, key));
    char got[65];
    if (!secret || !want) return 0;
    ak_sha256_hex(secret, strlen(secret), got);
    if (strcmp(got, want) == 0) return 0;
    ak_buf_printf(err, "field '%s' does not match the clear value", key);
    return -1;
}

/* Without the clear secret, remember its hash and preview so a rewrite keeps them. */
static int keep_secret_identity(const json_t *obj, ak_finding *f, ak_buf *err)
{
    const char *sha = json_string_value(json_object_get(obj, "secret_sha256"));
    const char *red = json_string_value(json_object_get(obj, "secret_redacted"));
    if (f->secret) return 0;
    if (sha && (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)) {
        ak_buf_puts(err, "field 'secret_sha256' must be 64 lower-case hex digits");
        return -1;
    }
    if (red && has_control(red, strlen(red))) {
        ak_buf_puts(err, "field 'secret_redacted' holds a control character");
        return -1;
    }
    if (sha) memcpy(f->secret_sha256, sha, 65);
    if (red) snprintf(f->secret_redacted, sizeof f->secret_redacted, "%s", red);
    return 0;
}

static int get_fingerprint(const json_t *obj, ak_finding *f, ak_buf *err)
{
    const json_t *v = json_object_get(obj, "fingerprint");
    if (!v || json_is_null(v)) {
        ak_finding_fingerprint(f);
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64) {
        ak_buf_puts(err, "field 'fingerprint' must be 64 lower-case hex digits");
        return -1;
    }
    memcpy(f->fingerprint, s, 65);
    return 0;
}

static int get_encoding(const json_t *obj, ak_finding *f, ak_buf *err)
{
    char *name = NULL;
    if (get_id(obj, "encoding", 0, &name, err)) return -1;
    f->encoding = name ? intern_encoding(name) : NULL;
    free(name);
    return 0;
}

/* status, first_seen, last_seen and repo_fingerprint of an organization inventory. */
static int get_inventory(const json_t *obj, ak_finding *f, ak_buf *err)
{
    char *status = NULL;
    if (get_str(obj, "status", 0, &status, err)) return -1;
    f->status = ak_status_intern(status);
    int bad = status && !f->status;
    free(status);
    const char *rfp = json_string_value(json_object_get(obj, "repo_fingerprint"));
    if (bad || (rfp && (strlen(rfp) != 64 || strspn(rfp, "0123456789abcdef") != 64))) {
        ak_buf_puts(err, bad ? "field 'status' is not new, open, resolved or reappeared"
                             : "field 'repo_fingerprint' must be 64 lower-case hex digits");
        return -1;
    }
    if (rfp) memcpy(f->repo_fingerprint, rfp, 65);
    return get_str(obj, "first_seen", 0, &f->first_seen, err) ||
           get_str(obj, "last_seen", 0, &f->last_seen, err);
}

static int read_fields(const json_t *obj, ak_finding *f, ak_buf *err)
{
    return get_id(obj, "rule", 1, &f->rule, err) || get_kind(obj, &f->kind, err) ||
           get_id(obj, "access_key_id", 0, &f->access_key_id, err) ||
           get_id(obj, "secret", 0, &f->secret, err) ||
           get_id(obj, "security_token", 0, &f->security_token, err) ||
           get_candidates(obj, f, err) || get_str(obj, "path", 1, &f->path, err) ||
           get_u32(obj, "line", &f->line, err) || get_u32(obj, "column", &f->column, err) ||
           get_commit(obj, &f->commit, err) || get_id(obj, "blob", 0, &f->blob, err) ||
           get_encoding(obj, f, err) || get_id(obj, "repository", 0, &f->repository, err) ||
           get_id(obj, "link", 0, &f->link, err) || get_validation(obj, &f->validation, err) ||
           check_sha256(obj, "secret_sha256", f->secret, err) ||
           check_sha256(obj, "security_token_sha256", f->security_token, err) ||
           keep_secret_identity(obj, f, err) || get_fingerprint(obj, f, err) ||
           get_inventory(obj, f, err);
}

int ak_finding_from_json(ak_finding *out, const json_t *obj, ak_buf *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj)) {
        ak_buf_puts(err, "not a JSON object");
        return -1;
    }
    if (read_fields(obj, out, err)) {
        ak_finding_free(out);
        return -1;
    }
    return 0;
}

static int read_all(const char *path, ak_buf *text, ak_buf *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        ak_buf_printf(err, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    int bad = ak_buf_read_stream(text, f);
    int saved = errno;
    if (!is_stdin) fclose(f);
    if (bad)
        ak_buf_printf(err, "%s: read error: %s\n", is_stdin ? "<stdin>" : path, strerror(saved));
    return bad ? -1 : 0;
}

/* Where parsed values go: the list, the input's name for messages, and the caller's hook. */
typedef struct reader {
    ak_findings *list;
    const char *name;
    ak_buf *err;
    ak_findings_read_cb cb;
    void *ctx;
} reader;

/* Converts one parsed value, reporting a bad one as "NAME:LINE: reason". Returns 1 if bad. */
static int take_value(const reader *r, const json_t *v, size_t line)
{
    ak_finding f;
    ak_buf why = AK_BUF_INIT;
    int bad = ak_finding_from_json(&f, v, &why) != 0;
    if (bad) {
        ak_buf_printf(r->err, "%s:%zu: %s\n", r->name, line, ak_buf_cstr(&why));
    } else {
        ak_findings_push(r->list, &f);
        if (r->cb) r->cb(v, r->list->len - 1, r->ctx);
    }
    ak_buf_free(&why);
    return bad;
}

/*
 * jansson's messages quote the token near the error ("... near '\"Kq7...'"), and that token can be
 * a secret from a truncated line: keep only the reason and the column.
 */
static void put_json_error(ak_buf *err, const json_error_t *jerr)
{
    const char *near = strstr(jerr->text, " near ");
    int n = near ? (int)(near - jerr->text) : (int)strlen(jerr->text);
    ak_buf_printf(err, "invalid JSON (column %d): %.*s", jerr->column, n, jerr->text);
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n\f\v", s[i]) || s[i] == '\0') return 0;
    return 1;
}

static int read_lines(const reader *r, const char *data, size_t len)
{
    int bad = 0;
    size_t line = 0;
    for (size_t pos = 0; pos < len; line++) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
        const char *s = data + pos;
        pos += n + 1;
        if (blank(s, n)) continue;
        json_error_t jerr;
        json_t *v = json_loadb(s, n, 0, &jerr);
        if (!v) {
            ak_buf_printf(r->err, "%s:%zu: ", r->name, line + 1);
            put_json_error(r->err, &jerr);
            ak_buf_putc(r->err, '\n');
            bad++;
            continue;
        }
        bad += take_value(r, v, line + 1);
        json_decref(v);
    }
    return bad;
}

static size_t skip_ws(const char *data, size_t len, size_t pos)
{
    while (pos < len && strchr(" \t\r\n\f\v", data[pos]) && data[pos]) pos++;
    return pos;
}

/* Line number of data[pos], counting on from a previous (pos, line) pair to stay linear. */
static size_t line_at(const char *data, size_t pos, size_t *from, size_t *line)
{
    for (; *from < pos; (*from)++)
        if (data[*from] == '\n') (*line)++;
    return *line;
}

/* Walks the array one element at a time so each bad element can be named by its line. */
static int read_array(const reader *r, const char *data, size_t len, size_t pos)
{
    size_t from = 0, line = 1;
    int bad = 0;
    pos = skip_ws(data, len, pos + 1);
    if (pos < len && data[pos] == ']') return 0;
    for (;;) {
        json_error_t jerr;
        size_t at = line_at(data, pos, &from, &line);
        json_t *v = json_loadb(data + pos, len - pos, JSON_DISABLE_EOF_CHECK, &jerr);
        if (!v) {
            ak_buf_printf(r->err, "%s:%zu: ", r->name,
                          at + (size_t)(jerr.line > 0 ? jerr.line - 1 : 0));
            put_json_error(r->err, &jerr);
            ak_buf_puts(r->err, "; the rest of the file is not read\n");
            return bad + 1;
        }
        bad += take_value(r, v, at);
        json_decref(v);
        pos = skip_ws(data, len, pos + (size_t)jerr.position);
        if (pos < len && data[pos] == ',') {
            pos = skip_ws(data, len, pos + 1);
            continue;
        }
        if (pos < len && data[pos] == ']' && skip_ws(data, len, pos + 1) == len) return bad;
        ak_buf_printf(r->err, "%s:%zu: expected ',' or a final ']' after an element\n", r->name,
                      line_at(data, pos, &from, &line));
        return bad + 1;
    }
}

static int read_text(const reader *r, const char *data, size_t len)
{
    size_t start = skip_ws(data, len, 0);
    return start < len && data[start] == '[' ? read_array(r, data, len, start)
                                             : read_lines(r, data, len);
}

int ak_findings_read_text(ak_findings *list, const char *data, size_t len, const char *name,
                          ak_buf *err)
{
    reader r = {list, name, err, NULL, NULL};
    return read_text(&r, data, len);
}

int ak_findings_read_file_cb(ak_findings *list, const char *path, ak_buf *err,
                             ak_findings_read_cb cb, void *ctx)
{
    ak_buf text = AK_BUF_INIT;
    if (read_all(path, &text, err) < 0) {
        ak_buf_free(&text);
        return -1;
    }
    reader r = {list, strcmp(path, "-") == 0 ? "<stdin>" : path, err, cb, ctx};
    int bad = read_text(&r, ak_buf_cstr(&text), text.len);
    ak_buf_free(&text);
    return bad;
}

int ak_findings_read_file(ak_findings *list, const char *path, ak_buf *err)
{
    return ak_findings_read_file_cb(list, path, err, NULL, NULL);
}
