/* Time helpers: see clock.h. */
#include "util/clock.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

double ak_mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t ak_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ak_sleep_ms(unsigned long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1) continue;
}

void ak_iso8601(char out[21], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ak_iso8601_now(char out[21])
{
    ak_iso8601(out, time(NULL));
}

long long ak_iso8601_parse(const char *s)
{
    if (!s || !*s) return -1;
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) return -1;
    if (*end == '.')
        for (end++; *end >= '0' && *end <= '9'; end++) continue;
    if (*end != 'Z' && *end != '\0') return -1;
    return (long long)timegm(&tm);
}

long long ak_iso8601_at(const char *s, size_t n)
{
    char tmp[20];
    struct tm tm = {0};
    if (n < 19) return -1;
    memcpy(tmp, s, 19);
    tmp[19] = '\0';
    if (tmp[10] == ' ') tmp[10] = 'T'; /* "2024-05-01 08:00:00" too */
    const char *rest = strptime(tmp, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest || *rest) return -1;
    return (long long)timegm(&tm);
}

time_t ak_now(void)
{
    const char *fixed = getenv("AKHOUND_NOW");
    long long t = fixed ? ak_iso8601_at(fixed, strlen(fixed)) : -1;
    return t >= 0 ? (time_t)t : time(NULL);
}
