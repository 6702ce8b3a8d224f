/* Helpers shared by every subcommand. */
#include "cli/cli.h"

#include "report/redact.h"
#include "util/log.h"
#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ak_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "akhound %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'akhound %s --help')\n", cmd);
    va_end(ap);
    return AK_EXIT_ERROR;
}

int ak_cli_terminal(FILE *out)
{
    const char *term = getenv("TERM");
    return !(term && !strcmp(term, "dumb")) && isatty(fileno(out));
}

int ak_cli_color(int when, FILE *out)
{
    if (when >= 0) return when;
    const char *no_color = getenv("NO_COLOR");
    if (no_color && *no_color) return 0;
    return ak_cli_terminal(out);
}

FILE *ak_cli_open_output(const char *cmd, const char *path, int secrets)
{
    if (!path || !strcmp(path, "-")) return stdout;
    ak_buf err = AK_BUF_INIT;
    int fd = ak_outfile_open(path, secrets ? AK_OUT_PRIVATE : 0, &err);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && !f) ak_buf_printf(&err, "%s: cannot write: %s", path, strerror(errno));
    if (!f) {
        ak_error("%s: %s", cmd, ak_buf_cstr(&err));
        if (fd >= 0) close(fd);
    }
    ak_buf_free(&err);
    return f;
}

ak_redactor *ak_cli_redactor(const ak_engine *engine, const ak_findings *found)
{
    ak_redactor *r = NULL;
    ak_buf err = AK_BUF_INIT;
    if (ak_redactor_new(&r, engine, &err)) {
        ak_error("%s", ak_buf_cstr(&err));
        r = ak_redactor_new_known();
    }
    ak_buf_free(&err);
    ak_redactor_add_findings(r, found);
    return r;
}

int ak_cli_close_output(FILE *f)
{
    if (!f) return -1;
    if (f == stdout) return fflush(f) == 0 ? 0 : -1;
    return fclose(f) == 0 ? 0 : -1;
}

int ak_cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
                  const struct option *longopts, int (*on_opt)(void *ctx, int c, const char *arg),
                  void *ctx)
{
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == '?' && optopt == 0)
            return ak_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        if (c == '?' || c == ':')
            return ak_cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        int rc = on_opt(ctx, c, optarg);
        if (rc >= 0) return rc;
    }
    return -1;
}

int ak_cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end = NULL;
    if (!s || *s < '0' || *s > '9') return -1; /* strtoul would accept "-1" and " 1" */
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = (unsigned)v;
    return 0;
}

int ak_cli_parse_size(const char *s, uint64_t *out)
{
    char *end = NULL;
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10;
    else if (*end == 'm' || *end == 'M')
        shift = 20;
    else if (*end == 'g' || *end == 'G')
        shift = 30;
    else if (*end)
        return -1;
    if (errno || (shift && end[1]) || v > (UINT64_MAX >> shift)) return -1;
    *out = (uint64_t)v << shift;
    return *out ? 0 : -1;
}
