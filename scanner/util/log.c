/* Logging: see log.h. */
#include "util/log.h"
#include "report/escape.h"
#include "util/buf.h"
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

/* Messages name files, repositories and commits, which can hold newlines or terminal sequences:
 * the whole line is escaped as text reports escape them (report/escape.h), so a crafted name
 * cannot forge a line of its own on stderr. */
static void emit(const char *prefix, const char *fmt, va_list ap)
{
    ak_buf msg = AK_BUF_INIT, line = AK_BUF_INIT;
    ak_buf_vprintf(&msg, fmt, ap);
    ak_buf_printf(&line, "akhound: %s", prefix);
    ak_escape_append(&line, ak_buf_cstr(&msg), AK_ESC_TEXT);
    ak_buf_putc(&line, '\n');
    pthread_mutex_lock(&lock);
    ak_progress_erase();
    fwrite(line.data, 1, line.len, stderr);
    pthread_mutex_unlock(&lock);
    ak_buf_free(&msg);
    ak_buf_free(&line);
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
