/*
 * The checks that turn a regex match into a credential worth reporting: entropy, character
 * classes, placeholders ("****", EXAMPLE, runs like "aaaa" or "123456"), template context
 * ("${...}", "<...>", "{{...}}") and the inline allow comment. Pure functions over bytes.
 */
#ifndef AK_DETECT_FILTER_H
#define AK_DETECT_FILTER_H

#include "detect/rules.h"

#include <stddef.h>
#include <stdint.h>

/* Shannon entropy in bits per character. */
double ak_entropy(const char *s, size_t n);
/* Number of classes among upper case, lower case and digits present in s. */
unsigned ak_char_classes(const char *s, size_t n);
/* 1 when s looks like a placeholder under the rules' placeholder settings. */
int ak_is_placeholder(const ak_placeholders *p, const char *s, size_t n);
/* 1 when buf[start..end) is wrapped as a template variable (${...}, {{...}}, <...>, %(...)s) or
 * masked: followed by a mask ("****", "\\*\\*", "&#42;", "%2A", "…", "...", "<redacted>"). */
int ak_in_template(const uint8_t *buf, size_t len, size_t start, size_t end);
/* 1 when buf[start..end) is the AccessKeyId (OSSAccessKeyId, x-oss-credential) of a presigned URL,
 * one that also carries Signature= and Expires=: an ID such a URL shows by design. */
int ak_in_presigned_url(const uint8_t *buf, size_t len, size_t start, size_t end);
/* The time of an "Expiration" (ISO 8601 UTC, as STS writes it) within `lines` lines of `off`,
 * or -1 when there is none. */
long long ak_expiration_near(const uint8_t *buf, size_t len, size_t off, unsigned lines);
/* 1 when the line holding `off`, or the line before it, carries "akhound:allow". */
int ak_allowed_inline(const uint8_t *buf, size_t len, size_t off);
/* Checks value against the rule's length, class, digit, entropy and placeholder settings. */
int ak_value_passes(const ak_rule *r, const ak_placeholders *p, const char *value, size_t n);

#endif
