/*
 * Rule loading (libyaml document API). Every error names the file and line of the offending node,
 * because a user editing a rule file needs to be sent to the exact place. Loading validates
 * everything the engine relies on (known kind, regex with a `cred` group, references between
 * rules), so the engine never meets a half-valid rule.
 */
#include "detect/rules.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

extern const char ak_builtin_rules[];

static const char *const role_names[AK_ROLE__COUNT] = {
    "access_key_id",      "access_key_secret", "sts_access_key_id", "sts_access_key_secret",
    "sts_security_token", "access_key_pair",   "sts_credentials"};

const char *ak_role_name(ak_role role)
{
    return (unsigned)role < AK_ROLE__COUNT ? role_names[role] : "?";
}

int ak_role_is_composite(ak_role role)
{
    return role == AK_ROLE_PAIR || role == AK_ROLE_STS;
}

void ak_strlist_push(ak_strlist *l, const char *s)
{
    AK_GROW(l->items, l->cap, l->len);
    l->items[l->len++] = ak_strdup(s);
}

void ak_strlist_free(ak_strlist *l)
{
    for (size_t i = 0; i < l->len; i++) free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static void rule_free(ak_rule *r)
{
    free(r->id);
    free(r->name);
    free(r->description);
    free(r->origin);
    ak_strlist_free(&r->anchors);
    ak_strlist_free(&r->keywords);
    free(r->regex);
    free(r->prefix);
    free(r->near);
    ak_strlist_free(&r->context_words);
    free(r->part_id);
    ak_strlist_free(&r->part_secrets);
    ak_strlist_free(&r->part_tokens);
    ak_strlist_free(&r->examples);
    ak_strlist_free(&r->negative_examples);
    memset(r, 0, sizeof *r);
}

void ak_rules_free(ak_rules *rules)
{
    if (!rules) return;
    for (size_t i = 0; i < rules->len; i++) rule_free(&rules->items[i]);
    free(rules->items);
    ak_strlist_free(&rules->placeholders.words);
    ak_buf_free(&rules->digest_input);
    free(rules);
}

size_t ak_rules_count(const ak_rules *rules)
{
    return rules->len;
}

int ak_rules_index(const ak_rules *rules, const char *id)
{
    for (size_t i = 0; i < rules->len; i++)
        if (!strcmp(rules->items[i].id, id)) return (int)i;
    return -1;
}

void ak_rules_info(const ak_rules *rules, size_t index, ak_rule_info *out)
{
    const ak_rule *r = &rules->items[index];
    out->id = r->id;
    out->name = r->name ? r->name : r->id;
    out->kind = ak_role_name(r->role);
    out->description = r->description ? r->description : out->name;
    out->origin = r->origin;
}

/* Computed on first use: hashing at load time would initialise OpenSSL on every start, which
 * costs a pre-commit run more than compiling the rules. */
const char *ak_rules_version(const ak_rules *rules)
{
    ak_rules *r = (ak_rules *)rules;
    if (!r->version[0])
        ak_sha256_hex(ak_buf_cstr(&r->digest_input), r->digest_input.len, r->version);
    return r->version;
}

/* ---- YAML helpers ---- */

typedef struct ctx {
    yaml_document_t *doc;
    const char *origin;
    ak_buf *err;
} ctx;

static int fail(ctx *c, const yaml_node_t *n, const char *fmt, const char *arg)
{
    ak_buf_reset(c->err);
    ak_buf_printf(c->err, "%s:%zu: ", c->origin, n ? n->start_mark.line + 1 : 0);
    ak_buf_printf(c->err, fmt, arg);
    return -1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_string(ctx *c, const yaml_node_t *n, const char *key, char **out)
{
    const char *s = scalar(n);
    if (!s) return fail(c, n, "'%s' must be a string", key);
    free(*out);
    *out = ak_strdup(s);
    return 0;
}

static int get_list(ctx *c, const yaml_node_t *n, const char *key, ak_strlist *out)
{
    if (scalar(n)) {
        ak_strlist_push(out, scalar(n));
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE) return fail(c, n, "'%s' must be a list of strings", key);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        const yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (!scalar(item)) return fail(c, item, "'%s' items must be strings", key);
        ak_strlist_push(out, scalar(item));
    }
    return 0;
}

static int get_uint(ctx *c, const yaml_node_t *n, const char *key, unsigned *out)
{
    const char *s = scalar(n);
    char *end = NULL;
    long v = s ? strtol(s, &end, 10) : -1;
    if (!s || *end || v < 0 || v > 1000000) return fail(c, n, "'%s' must be a whole number", key);
    *out = (unsigned)v;
    return 0;
}

static int get_double(ctx *c, const yaml_node_t *n, const char *key, double *out)
{
    const char *s = scalar(n);
    char *end = NULL;
    double v = s ? strtod(s, &end) : -1;
    if (!s || *end || v < 0 || v > 64) return fail(c, n, "'%s' must be a number", key);
    *out = v;
    return 0;
}

static int get_bool(ctx *c, const yaml_node_t *n, const char *key, int *out)
{
    const char *s = scalar(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes")))
        *out = 1;
    else if (s && (!strcmp(s, "false") || !strcmp(s, "no")))
        *out = 0;
    else
        return fail(c, n, "'%s' must be true or false", key);
    return 0;
}

static int get_decoders(ctx *c, const yaml_node_t *n, unsigned *out)
{
    ak_strlist l = {0};
    if (get_list(c, n, "decoders", &l)) {
        ak_strlist_free(&l); /* items read before the bad one */
        return -1;
    }
    static const char *const names[] = {"base64", "percent", "escaped", "utf16le", "concat"};
    const size_t n_names = sizeof names / sizeof *names;
    *out = 0;
    for (size_t i = 0; i < l.len; i++) {
        size_t k = 0;
        while (k < n_names && strcmp(l.items[i], names[k])) k++;
        if (k == n_names) {
            fail(c, n, "unknown decoder '%s' (base64, percent, escaped, utf16le, concat)",
                 l.items[i]);
            ak_strlist_free(&l);
            return -1;
        }
        *out |= 1u << k;
    }
    ak_strlist_free(&l);
    return 0;
}

static int get_role(ctx *c, const yaml_node_t *n, ak_role *out)
{
    const char *s = scalar(n);
    for (int i = 0; s && i < AK_ROLE__COUNT; i++)
        if (!strcmp(s, role_names[i])) {
            *out = (ak_role)i;
            return 0;
        }
    return fail(c, n, "unknown kind '%s'", s ? s : "(not a string)");
}

/* One key of a rule mapping. Returns 1 when the key is unknown. */
static int rule_field(ctx *c, ak_rule *r, const char *k, const yaml_node_t *v, int *have_kind)
{
    if (!strcmp(k, "id")) return get_string(c, v, k, &r->id);
    if (!strcmp(k, "key_id")) return get_string(c, v, k, &r->part_id);
    if (!strcmp(k, "name")) return get_string(c, v, k, &r->name);
    if (!strcmp(k, "description")) return get_string(c, v, k, &r->description);
    if (!strcmp(k, "kind")) {
        *have_kind = 1;
        return get_role(c, v, &r->role);
    }
    if (!strcmp(k, "anchors")) return get_list(c, v, k, &r->anchors);
    if (!strcmp(k, "keywords")) return get_list(c, v, k, &r->keywords);
    if (!strcmp(k, "regex")) return get_string(c, v, k, &r->regex);
    if (!strcmp(k, "prefix")) return get_string(c, v, k, &r->prefix);
    if (!strcmp(k, "near")) return get_string(c, v, k, &r->near);
    if (!strcmp(k, "report_alone")) return get_bool(c, v, k, &r->report_alone);
    if (!strcmp(k, "value_base64")) return get_bool(c, v, k, &r->value_base64);
    if (!strcmp(k, "length")) return get_uint(c, v, k, &r->length);
    if (!strcmp(k, "min_classes")) return get_uint(c, v, k, &r->min_classes);
    if (!strcmp(k, "min_entropy")) return get_double(c, v, k, &r->min_entropy);
    if (!strcmp(k, "context_words")) return get_list(c, v, k, &r->context_words);
    if (!strcmp(k, "context_lines")) return get_uint(c, v, k, &r->context_lines);
    if (!strcmp(k, "decoders")) return get_decoders(c, v, &r->decoders);
    if (!strcmp(k, "secrets")) return get_list(c, v, k, &r->part_secrets);
    if (!strcmp(k, "tokens")) return get_list(c, v, k, &r->part_tokens);
    if (!strcmp(k, "window_lines")) return get_uint(c, v, k, &r->window_lines);
    if (!strcmp(k, "examples")) return get_list(c, v, k, &r->examples);
    if (!strcmp(k, "negative_examples")) return get_list(c, v, k, &r->negative_examples);
    return 1;
}

static int parse_rule(ctx *c, const yaml_node_t *n, ak_rule *r)
{
    if (n->type != YAML_MAPPING_NODE) return fail(c, n, "a rule must be a mapping%s", "");
    r->report_alone = 1;
    r->role = AK_ROLE__COUNT;
    int have_kind = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
        const char *k = scalar(kn);
        if (!k) return fail(c, kn, "rule keys must be strings%s", "");
        int rc = rule_field(c, r, k, vn, &have_kind);
        if (rc < 0) return -1;
        if (rc > 0) return fail(c, kn, "unknown rule field '%s'", k);
    }
    if (!r->id) return fail(c, n, "rule without an 'id'%s", "");
    if (!have_kind) return fail(c, n, "rule '%s' has no 'kind'", r->id);
    return 0;
}

/* What may stand between a credential's name and its value in every assignment syntax seen in
 * the wild: = : := => ?= || , ( > quotes, XML attributes and elements, CLI flags, full-width
 * punctuation and a few CJK characters (any non-ASCII byte), HTML-escaped quotes. Written with
 * character-class repeats: PCRE2 copies a repeated group once per allowed repetition, which made
 * the compiled rules (and every start-up) larger. Two word-bearing forms come first: a declared
 * type before `=` (Go `x string =`, TypeScript/Kotlin/Swift `x: String =`, Rust `X: &str =`),
 * and a name and its value in two fields of one entry (Kubernetes `- name: X` / `value: v`,
 * JSON {"name": "X", "value": "v"}, Hadoop <name>X</name><value>v</value>). A string literal may
 * carry a prefix (Python u'' b'' r'' f'', as Python 2 prints dicts; C++ L"" u8""), VB `As String`.
 */
#define AK_ASSIGN_TYPE_RE                                                                          \
    "(?:[ \t]*:[ \t]*|[ \t]+)(?:[Aa]s[ \t]+)?&?(?:'static[ \t]+)?[A-Za-z][A-Za-z0-9_.]{0,30}"      \
    "(?:<[^<>\r\n]{0,40}>|\\[\\])?\\??[ \t]*(?=:?=[^=])"
#define AK_ASSIGN_FIELD_RE "[^A-Za-z0-9]{1,40}(?:name[^A-Za-z0-9]{1,20})?(?i:value)(?![A-Za-z0-9])"
#define AK_ASSIGN_RE                                                                               \
    "(?=[^A-Za-z0-9])(?:" AK_ASSIGN_TYPE_RE "|" AK_ASSIGN_FIELD_RE ")?"                            \
    "(?:[^A-Za-z0-9]{0,20}&(?:quot|#3[49]|#x2[27]);){0,2}[^A-Za-z0-9]{0,40}"                       \
    "(?:(?<![A-Za-z0-9])(?:u8|[uUbBrRfFL]{1,2})[\"'])?"

/* Replaces each `marker` in the rule's regex by `with`. */
static void replace_all(ak_rule *r, const char *marker, const char *with)
{
    const char *at;
    while (r->regex && (at = strstr(r->regex, marker))) {
        ak_buf b = AK_BUF_INIT;
        ak_buf_append(&b, r->regex, (size_t)(at - r->regex));
        ak_buf_puts(&b, with);
        ak_buf_puts(&b, at + strlen(marker));
        free(r->regex);
        r->regex = ak_buf_detach(&b);
    }
}

/* Replaces {{keywords}} in the regex by an alternation of the (escaped) keywords, so the list of
 * names lives in one place and the fast pass and the regex cannot disagree; and {{assign}} by
 * AK_ASSIGN_RE, so every keyword rule accepts the same assignment syntaxes. */
static void expand_keywords(ak_rule *r)
{
    ak_buf alt = AK_BUF_INIT;
    for (size_t i = 0; i < r->keywords.len; i++) {
        if (i) ak_buf_putc(&alt, '|');
        for (const char *s = r->keywords.items[i]; *s; s++) {
            if (strchr("\\^$.|?*+()[]{}-", *s)) ak_buf_putc(&alt, '\\');
            ak_buf_putc(&alt, *s);
        }
    }
    replace_all(r, "{{keywords}}", ak_buf_cstr(&alt));
    ak_buf_free(&alt);
    replace_all(r, "{{assign}}", AK_ASSIGN_RE);
}

static int check_rule(ctx *c, const yaml_node_t *n, const ak_rule *r)
{
    if (ak_role_is_composite(r->role)) {
        if (!r->part_id) return fail(c, n, "composite rule '%s' needs a 'key_id' component", r->id);
        return 0;
    }
    if (!r->regex) return fail(c, n, "rule '%s' has no 'regex'", r->id);
    if (!strstr(r->regex, "(?<cred>"))
        return fail(c, n, "rule '%s': the regex needs a named group (?<cred>...)", r->id);
    if (!r->near && !r->anchors.len && !r->keywords.len)
        return fail(c, n, "rule '%s' needs 'anchors', 'keywords' or 'near'", r->id);
    return 0;
}

static void add_rule(ak_rules *rules, ak_rule *r)
{
    int i = ak_rules_index(rules, r->id);
    if (i >= 0) {
        rule_free(&rules->items[i]);
        rules->items[i] = *r;
    } else {
        AK_GROW(rules->items, rules->cap, rules->len);
        rules->items[rules->len++] = *r;
    }
    memset(r, 0, sizeof *r);
}

static int parse_rules_seq(ctx *c, ak_rules *rules, const yaml_node_t *seq)
{
    if (seq->type != YAML_SEQUENCE_NODE) return fail(c, seq, "'rules' must be a list%s", "");
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        const yaml_node_t *n = yaml_document_get_node(c->doc, *it);
        ak_rule r = {0};
        char where[64];
        snprintf(where, sizeof where, ":%zu", n->start_mark.line + 1);
        if (parse_rule(c, n, &r) || check_rule(c, n, &r)) {
            rule_free(&r);
            return -1;
        }
        ak_buf o = AK_BUF_INIT;
        ak_buf_printf(&o, "%s%s", c->origin, where);
        r.origin = ak_buf_detach(&o);
        expand_keywords(&r);
        add_rule(rules, &r);
    }
    return 0;
}

static int parse_placeholders(ctx *c, ak_rules *rules, const yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE) return fail(c, n, "'placeholders' must be a mapping%s", "");
    ak_placeholders *p = &rules->placeholders;
    for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top; q++) {
        const yaml_node_t *kn = yaml_document_get_node(c->doc, q->key);
        const yaml_node_t *vn = yaml_document_get_node(c->doc, q->value);
        const char *k = scalar(kn);
        int rc;
        if (k && !strcmp(k, "words"))
            rc = get_list(c, vn, k, &p->words);
        else if (k && !strcmp(k, "max_repeat"))
            rc = get_uint(c, vn, k, &p->max_repeat);
        else if (k && !strcmp(k, "max_sequence"))
            rc = get_uint(c, vn, k, &p->max_sequence);
        else if (k && !strcmp(k, "max_word_coverage"))
            rc = get_double(c, vn, k, &p->max_word_coverage);
        else
            rc = fail(c, kn, "unknown placeholders field '%s'", k ? k : "?");
        if (rc) return -1;
    }
    return 0;
}

static int parse_root(ctx *c, ak_rules *rules, const yaml_node_t *root)
{
    if (!root) return 0; /* an empty file holds no rules */
    if (root->type != YAML_MAPPING_NODE)
        return fail(c, root, "a rule file must be a mapping with a 'rules' list%s", "");
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
        const char *k = scalar(kn);
        int rc = 0;
        if (k && !strcmp(k, "rules"))
            rc = parse_rules_seq(c, rules, vn);
        else if (k && !strcmp(k, "placeholders"))
            rc = parse_placeholders(c, rules, vn);
        else if (k && !strcmp(k, "version"))
            rc = 0;
        else
            rc = fail(c, kn, "unknown top-level field '%s'", k ? k : "?");
        if (rc) return -1;
    }
    return 0;
}

static void update_version(ak_rules *rules, const char *text, size_t len)
{
    ak_buf_append(&rules->digest_input, text, len);
    rules->version[0] = '\0';
}

/*
 * Rule files nest three or four levels deep. libyaml has no nesting limit, and its scanner costs
 * time quadratic in the depth of flow collections ("[[[[...]]]]" 20,000 deep: 13 s), so a file is
 * first read as a stream of events, which stops as soon as the depth passes MAX_DEPTH: the
 * deepest events are read only in files of sane depth.
 */
#define MAX_DEPTH 64

static int check_depth(const char *text, size_t len, const char *origin, ak_buf *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int depth = 0, rc = 0;
    while (rc == 0 && yaml_parser_parse(&parser, &ev)) {
        yaml_event_type_t t = ev.type;
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) depth++;
        if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) depth--;
        if (depth > MAX_DEPTH) {
            ak_buf_reset(err);
            ak_buf_printf(err, "%s:%zu: nested deeper than %d levels; not a rule file", origin,
                          ev.start_mark.line + 1, MAX_DEPTH);
            rc = -1;
        }
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&parser);
    return rc; /* a syntax error is left for the loader to report */
}

/* Parses and adds the rules of a YAML text whose depth is known to be sane. */
static int add_yaml(ak_rules *rules, const char *text, size_t len, const char *origin, ak_buf *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        ak_buf_reset(err);
        ak_buf_printf(err, "%s:%zu: %s", origin, parser.problem_mark.line + 1,
                      parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        return -1;
    }
    ctx c = {&doc, origin, err};
    int rc = parse_root(&c, rules, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (!rc) update_version(rules, text, len);
    return rc;
}

int ak_rules_add_text(ak_rules *rules, const char *text, size_t len, const char *origin,
                      ak_buf *err)
{
    if (check_depth(text, len, origin, err)) return -1;
    return add_yaml(rules, text, len, origin, err);
}

static int add_file(ak_rules *rules, const char *path, ak_buf *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ak_buf_reset(err);
        ak_buf_printf(err, "%s: cannot read rule file: %s", path, strerror(errno));
        return -1;
    }
    ak_buf text = AK_BUF_INIT;
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) ak_buf_append(&text, tmp, n);
    fclose(f);
    int rc = ak_rules_add_text(rules, ak_buf_cstr(&text), text.len, path, err);
    ak_buf_free(&text);
    return rc;
}

static int is_rule_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' &&
           ((n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml")));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ak_rules_add_path(ak_rules *rules, const char *path, ak_buf *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        ak_buf_reset(err);
        ak_buf_printf(err, "%s: cannot read rules: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return add_file(rules, path, err);
    DIR *d = opendir(path);
    if (!d) {
        ak_buf_reset(err);
        ak_buf_printf(err, "%s: cannot open rule directory: %s", path, strerror(errno));
        return -1;
    }
    ak_strlist names = {0};
    for (struct dirent *e; (e = readdir(d));)
        if (is_rule_file(e->d_name)) ak_strlist_push(&names, e->d_name);
    closedir(d);
    if (names.len) qsort(names.items, names.len, sizeof *names.items, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < names.len && !rc; i++) {
        ak_buf full = AK_BUF_INIT;
        ak_buf_printf(&full, "%s/%s", path, names.items[i]);
        rc = add_file(rules, full.data, err);
        ak_buf_free(&full);
    }
    ak_strlist_free(&names);
    return rc;
}

int ak_rules_load_builtin(ak_rules **out, ak_buf *err)
{
    ak_rules *rules = ak_calloc(1, sizeof *rules);
    if (add_yaml(rules, ak_builtin_rules, strlen(ak_builtin_rules), "builtin:patterns/alibaba.yml",
                 err)) {
        ak_rules_free(rules);
        return -1;
    }
    *out = rules;
    return 0;
}
