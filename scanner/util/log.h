/*
 * One way to report errors and notes, on stderr, each a single line prefixed "akhound: ".
 * Messages name the input they concern. Secrets are never passed here: callers log AccessKey IDs
 * and SHA-256 fingerprints only. Each message is escaped like text reports (control characters and
 * bytes that are not UTF-8 as "\xNN"), so a file name cannot forge a line. Thread-safe (one write
 * per line under a lock).
 */
#ifndef AK_UTIL_LOG_H
#define AK_UTIL_LOG_H

typedef enum {
    AK_LOG_QUIET = 0,
    AK_LOG_NORMAL = 1,
    AK_LOG_VERBOSE = 2,
    AK_LOG_DEBUG = 3
} ak_log_level;

void ak_log_set_level(ak_log_level level);
ak_log_level ak_log_get_level(void);
/* Always printed (even with --quiet): something went wrong and the result may be incomplete. */
void ak_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed unless --quiet. */
void ak_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed with --verbose. */
void ak_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ak_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
