/*
 * Time, in the few shapes akhound needs: a monotonic clock for durations and deadlines, a sleep
 * that resumes after signals, and ISO 8601 UTC text ("2026-11-28T22:59:00Z") for reports,
 * requests, the ledger and the audit log. One place, so every timestamp akhound writes looks alike.
 */
#ifndef AK_UTIL_CLOCK_H
#define AK_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

double ak_mono_seconds(void);
uint64_t ak_mono_ms(void);
void ak_sleep_ms(unsigned long ms);
/* t as "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes); out-parameter first, as everywhere. */
void ak_iso8601(char out[21], time_t t);
void ak_iso8601_now(char out[21]);
/* Parses "YYYY-MM-DDTHH:MM:SS" with optional fractional seconds and "Z" (UTC); -1 if malformed. */
long long ak_iso8601_parse(const char *s);

#endif
