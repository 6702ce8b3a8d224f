/*
 * Time, in the few shapes akhound needs: a monotonic clock for durations and deadlines, a sleep
 * that resumes after signals, and ISO 8601 UTC text ("2026-11-28T22:59:00Z") for reports,
 * requests, the ledger and the audit log. One place, so every timestamp akhound writes looks alike.
 */
#ifndef AK_UTIL_CLOCK_H
#define AK_UTIL_CLOCK_H

#include <stddef.h>
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
/* Seconds since the epoch of a "YYYY-MM-DDTHH:MM:SS" (or with a space for T) that starts text
 * s[0..n), which need not end there (a date inside a scanned file; a zone suffix is not read:
 * STS writes UTC); -1 when s does not start with one. */
long long ak_iso8601_at(const char *s, size_t n);
/* The current time for judging dates found in scanned text (an STS Expiration): AKHOUND_NOW
 * (ISO 8601) when set, so tests can fix the clock, else the system clock. */
time_t ak_now(void);

#endif
