/* Logging: see log.h. */
#include "util/log.h"
#include "util/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static ak_log_level current = AK_LOG_NORMAL;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void ak_log_set_level(ak_log_level level)
{
    current = level;
}

ak_log_level ak_log_get_level(void)
{
    return current;
}

static void emit(const char *prefix, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&lock);
    ak_progress_erase();
    fprintf(stderr, "akhound: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&lock);
}

#define AK_LOG_FN(name, min, prefix)                                                               \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        if (current < (min)) return;                                                               \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        emit(prefix, fmt, ap);                                                                     \
        va_end(ap);                                                                                \
    }

void ak_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("error: ", fmt, ap);
    va_end(ap);
}

AK_LOG_FN(ak_warn, AK_LOG_NORMAL, "")
AK_LOG_FN(ak_info, AK_LOG_VERBOSE, "")
AK_LOG_FN(ak_debug, AK_LOG_DEBUG, "debug: ")
