/*
 * Rule definitions as loaded from YAML (internal to scanner/detect/). See patterns/alibaba.yml
 * for the format. A rule is either a component rule (it finds one piece of a credential with
 * literal anchors or keywords plus a PCRE2 regex, or near another rule's hits) or a composite
 * rule (it joins components into one finding). Rules are plain data; engine.c compiles them.
 */
#ifndef AK_DETECT_RULES_H
#define AK_DETECT_RULES_H

#include "detect/detect.h"

typedef enum {
    AK_ROLE_ID = 0,     /* access_key_id */
    AK_ROLE_SECRET,     /* access_key_secret */
    AK_ROLE_STS_ID,     /* sts_access_key_id */
    AK_ROLE_STS_SECRET, /* sts_access_key_secret */
    AK_ROLE_STS_TOKEN,  /* sts_security_token */
    AK_ROLE_PAIR,       /* access_key_pair (composite) */
    AK_ROLE_STS,        /* sts_credentials (composite) */
    AK_ROLE__COUNT
} ak_role;

enum {
    AK_DEC_BASE64 = 1u << 0,
    AK_DEC_PERCENT = 1u << 1,
    AK_DEC_ESCAPED = 1u << 2,
    AK_DEC_UTF16LE = 1u << 3,
    AK_DEC_CONCAT = 1u << 4,
};

typedef struct ak_strlist {
    char **items;
    size_t len;
    size_t cap;
} ak_strlist;

typedef struct ak_rule {
    char *id;
    char *name;
    char *description;
    char *origin; /* "file:line" of the rule's definition */
    ak_role role;
    ak_strlist anchors;  /* case-sensitive literals */
    ak_strlist keywords; /* case-insensitive literals */
    char *regex;         /* with {{keywords}} expanded */
    char *prefix;        /* skipped by the entropy / placeholder checks */
    char *near;          /* rule id whose hits define where this rule is searched */
    int report_alone;    /* default 1 */
    int value_base64;    /* the captured value may be the base64 of the credential */
    unsigned length;     /* exact length of the credential, 0 = any */
    unsigned min_classes;
    double min_entropy;
    ak_strlist context_words;
    unsigned context_lines;
    unsigned decoders;
    /* composite */
    char *part_id;
    ak_strlist part_secrets;
    ak_strlist part_tokens;
    unsigned window_lines;
    ak_strlist examples;
    ak_strlist negative_examples;
} ak_rule;

typedef struct ak_placeholders {
    ak_strlist words;
    unsigned max_repeat;
    unsigned max_sequence;
    double max_word_coverage; /* 0 = off; see detect/words.h */
} ak_placeholders;

struct ak_rules {
    ak_rule *items;
    size_t len;
    size_t cap;
    ak_placeholders placeholders;
    char version[65];
    ak_buf digest_input; /* every definition's text, hashed into version */
};

const char *ak_role_name(ak_role role);
int ak_rules_index(const ak_rules *rules, const char *id);
int ak_role_is_composite(ak_role role);

void ak_strlist_push(ak_strlist *l, const char *s);
void ak_strlist_free(ak_strlist *l);

#endif
