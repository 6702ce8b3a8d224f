/*
 * Audit log writer, see audit.h. Each line is built whole and written with one write(2) on an
 * O_APPEND descriptor, so concurrent runs interleave whole lines, and fsync'd, so a line that was
 * written survives a crash right after the action it records.
 */
#include "respond/audit.h"
#include "util/mem.h"
#include "util/clock.h"
#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ak_audit {
    int fd;
};

char *ak_audit_default_path(const char *ledger_path)
{
    ak_buf b = AK_BUF_INIT;
    const char *slash = strrchr(ledger_path, '/');
    if (slash) ak_buf_append(&b, ledger_path, (size_t)(slash - ledger_path + 1));
    ak_buf_puts(&b, "audit.jsonl");
    return ak_buf_detach(&b);
}

int ak_audit_open(ak_audit **out, const char *path, ak_buf *err)
{
    *out = NULL;
    ak_buf why = AK_BUF_INIT;
    int fd = ak_outfile_open(path, AK_OUT_APPEND | AK_OUT_PRIVATE, &why);
    if (fd < 0) ak_buf_printf(err, "audit log: %s", ak_buf_cstr(&why));
    ak_buf_free(&why);
    if (fd < 0) return -1;
    *out = ak_calloc(1, sizeof **out);
    (*out)->fd = fd;
    return 0;
}

void ak_audit_close(ak_audit *a)
{
    if (!a) return;
    close(a->fd);
    free(a);
}

static void put(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

int ak_audit_write(ak_audit *a, const ak_audit_entry *e)
{
    if (!a) return 0;
    char now[21];
    ak_iso8601_now(now);
    json_t *o = json_object();
    put(o, "time", now);
    put(o, "key_id", e->key_id);
    put(o, "step", e->step);
    put(o, "action", e->action);
    put(o, "request_id", e->request_id);
    put(o, "outcome", e->outcome);
    put(o, "detail", e->detail);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s) return -1;
    size_t n = strlen(s);
    s[n] = '\n'; /* json_dumps' NUL becomes the line end; the buffer stays ours */
    ssize_t w = write(a->fd, s, n + 1);
    free(s);
    if (w != (ssize_t)(n + 1)) return -1;
    return fsync(a->fd);
}
