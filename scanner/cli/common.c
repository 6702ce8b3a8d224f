/* Helpers shared by every subcommand. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>

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
