/* akhound rules list|test: show the loaded rules, or run every rule's own examples. */
#include "cli/cli.h"
#include "cli/options.h"
#include "detect/selftest.h"

#include <stdio.h>
#include <string.h>

static const char rules_help[] =
    "usage: akhound rules list [--rules PATH]...   show every loaded rule\n"
    "       akhound rules test [--rules PATH]...   check every rule's examples and negative "
    "examples\n"
    "  --rules PATH   add rules from a YAML file or directory (a rule with a built-in id replaces "
    "it)\n"
    "  -v, --verbose  (test) print every example checked\n"
    "exit: 0 done (test: every example passed), 1 an example failed, 2 error\n";

static void list_rules(const ak_rules *rules)
{
    printf("%-40s %-22s %s\n", "ID", "KIND", "NAME");
    for (size_t i = 0; i < ak_rules_count(rules); i++) {
        ak_rule_info info;
        ak_rules_info(rules, i, &info);
        printf("%-40s %-22s %s\n", info.id, info.kind, info.name);
    }
    printf("rule set version %s\n", ak_rules_version(rules));
}

int cmd_rules(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(rules_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? AK_EXIT_ERROR : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "list") && strcmp(sub, "test"))
        return ak_cli_usage_error("rules", "unknown subcommand '%s' (list, test)", sub);
    ak_scan_cli c;
    ak_scan_cli_init(&c);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc - 1, argv + 1, "v", ak_scan_long_options, NULL)) != -1) {
        if (opt == 'v') opt = OPT_VERBOSE;
        if (opt == OPT_HELP) {
            fputs(rules_help, stdout);
            return 0;
        }
        if (opt != OPT_RULES && opt != OPT_VERBOSE)
            return ak_cli_usage_error("rules", "only --rules and --verbose apply here");
        ak_scan_cli_apply(&c, "rules", opt, optarg);
    }
    ak_rules *rules;
    ak_engine *engine;
    if (ak_scan_cli_engine(&c, &rules, &engine)) return AK_EXIT_ERROR;
    int rc = 0;
    if (!strcmp(sub, "list"))
        list_rules(rules);
    else
        rc = ak_rules_selftest(engine, stdout, c.verbose) ? AK_EXIT_FINDINGS : 0;
    ak_engine_free(engine);
    ak_rules_free(rules);
    ak_scan_cli_free(&c);
    return rc;
}
