/* akhound: find leaked Alibaba Cloud AccessKeys, prove whether they are live, contain them.
 * This file only dispatches to a subcommand (scanner/cli/<command>.c). */
#include "cli/cli.h"
#include "util/version.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"scan", cmd_scan, "scan files, directories, stdin or git history for Alibaba Cloud keys"},
    {"validate", cmd_validate, "check found keys live against Alibaba Cloud STS"},
    {"respond", cmd_respond, "plan (and with --apply, carry out) the handling of live keys"},
    {"rotate", cmd_rotate, "replace a leaked key still in use: new key, then retire the old"},
    {"org", cmd_org, "scan every repository of an organization"},
    {"hook", cmd_hook, "install or uninstall git hooks"},
    {"rules", cmd_rules, "list the rules, or run every rule's own examples"},
    {"baseline", cmd_baseline, "write a baseline of the current findings"},
    {"report", cmd_report, "merge JSONL findings of several runs into one report"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: akhound <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'akhound <command> --help' shows a command's options.\n"
                 "exit codes: 0 nothing found, 1 findings, 2 error or incomplete scan,\n"
                 "            3 findings with at least one key validated live\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return AK_EXIT_ERROR;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("akhound %s\n", AK_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(name, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "akhound: unknown command '%s'\n", name);
    usage(stderr);
    return AK_EXIT_ERROR;
}
