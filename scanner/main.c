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
    {"hook", cmd_hook, "install, uninstall or run akhound's git hooks"},
    {"rules", cmd_rules, "list the rules, or run every rule's own examples"},
    {"baseline", cmd_baseline, "write a baseline of the current findings"},
    {"report", cmd_report, "merge JSONL findings of several runs into one report"},
};

/* The exit-code table of README and DESIGN ("Exit codes"): every command follows it. */
static const char exit_codes[] =
    "exit codes (every command):\n"
    "  0  nothing to report\n"
    "  1  findings (subject to --fail-on; for org: only new or reappeared findings)\n"
    "  2  error or incomplete: something was not scanned or checked (unreadable input, a scan\n"
    "     limit hit, a bad option, an org run whose failed repositories exceed --max-failed,\n"
    "     a respond run where a needed read failed or was refused)\n"
    "  3  findings, at least one validated live\n"
    "  4  org only: could not run at all (repository listing unreadable, credentials refused)\n"
    "  precedence: 3 over 2 over 1 (4 only when nothing ran)\n"
    "  validate reads findings already reported: 0 none live, 2 a verdict unknown, 3 live;\n"
    "  respond and rotate: 1 a dry run with steps still to apply\n";

static void usage(FILE *out)
{
    fprintf(out, "usage: akhound <command> [options]\n"
                 "       akhound help [<command>|exit-codes]\n"
                 "       akhound -V|--version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n'akhound help <command>' (or 'akhound <command> --help') shows a command's "
            "options.\n\n%s",
            exit_codes);
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(name, commands[i].name)) return &commands[i];
    return NULL;
}

/* akhound help [TOPIC]: the top-level help, the exit codes, or a command's own --help. */
static int help(const char *topic)
{
    if (!topic) {
        usage(stdout);
        return AK_EXIT_CLEAN;
    }
    if (!strcmp(topic, "exit-codes")) return fputs(exit_codes, stdout), AK_EXIT_CLEAN;
    const command *c = find(topic);
    if (!c) {
        fprintf(stderr, "akhound help: unknown command '%s'\n", topic);
        usage(stderr);
        return AK_EXIT_ERROR;
    }
    char *argv[] = {(char *)c->name, "--help", NULL};
    return c->run(2, argv);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return AK_EXIT_ERROR;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help"))
        return help(argc > 2 ? argv[2] : NULL);
    if (!strcmp(name, "-V") || !strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("akhound %s\n", AK_VERSION);
        return AK_EXIT_CLEAN;
    }
    const command *c = find(name);
    if (c) return c->run(argc - 1, argv + 1);
    fprintf(stderr, "akhound: unknown command '%s'\n", name);
    usage(stderr);
    return AK_EXIT_ERROR;
}
