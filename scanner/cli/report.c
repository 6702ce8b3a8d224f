/* akhound report: not built yet (see the open issues). */
#include "cli/cli.h"

#include <stdio.h>

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "akhound report: not available in this version yet\n");
    return AK_EXIT_ERROR;
}
