/*
 * The command-line front end: one file per subcommand (scanner/cli/<command>.c holding
 * cmd_<command>), each doing option parsing and wiring only; the work lives in the library
 * modules. Every command returns its process exit code (see exit codes in README):
 *   0 nothing found / success, 1 findings, 2 error or incomplete, 3 findings with one validated
 * live.
 */
#ifndef AK_CLI_CLI_H
#define AK_CLI_CLI_H

enum {
    AK_EXIT_CLEAN = 0,
    AK_EXIT_FINDINGS = 1,
    AK_EXIT_ERROR = 2,
    AK_EXIT_LIVE = 3,
    AK_EXIT_NORUN = 4 /* org only: nothing could run (listing unreadable, credentials refused) */
};

int cmd_scan(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_respond(int argc, char **argv);
int cmd_rotate(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_report(int argc, char **argv);

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

/* Opens a report file for writing (util/outfile.h: never through a planted symlink; created mode
 * 0600, and an existing file set to 0600 too when `secrets`, i.e. it will hold secrets in clear),
 * or stdout for NULL or "-". Prints a one-line error naming the file and returns NULL on failure.
 */
FILE *ak_cli_open_output(const char *cmd, const char *path, int secrets);
/* Closes what ak_cli_open_output returned (stdout is flushed, not closed); -1 on a write error. */
int ak_cli_close_output(FILE *f);

/* The redactor of a command's output (report/redact.h): the engine's rules (NULL: the built-in
 * ones) and the secrets of `found`. Never NULL: if no engine can be built, the known secrets are
 * still redacted (the failure is printed). */
struct ak_redactor;
struct ak_engine;
struct ak_findings;
struct ak_redactor *ak_cli_redactor(const struct ak_engine *engine,
                                    const struct ak_findings *found);

/* getopt_long over argv with the same error messages for every command. Calls on_opt for each
 * option; stops when it returns >= 0 (that value is returned). Returns -1 when all options were
 * read (optind then indexes the first operand), or AK_EXIT_ERROR after a usage error. */
int ak_cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
                  const struct option *longopts, int (*on_opt)(void *ctx, int c, const char *arg),
                  void *ctx);

/* The options respond and rotate share (the responder's run: Deny policy, ledger, audit log,
 * notices, transport; and the report: --format, -o, -q, -v), defined in respond.c.
 * AK_RESPOND_SHARED_OPTIONS goes into a command's struct option array; ak_cli_respond_option
 * applies any option the command does not handle itself (-1 done, else an exit code after a
 * usage error, "unknown option" for one that is not shared); ak_cli_respond_check checks them
 * together (-1 fine). */
enum {
    AK_RO_POLICY = 400,
    AK_RO_LEDGER,
    AK_RO_AUDIT,
    AK_RO_WEBHOOK,
    AK_RO_WHFMT,
    AK_RO_SMTP,
    AK_RO_TO,
    AK_RO_FROM,
    AK_RO_REGION,
    AK_RO_CA,
    AK_RO_TIMEOUT,
    AK_RO_RETRIES,
    AK_RO_FORMAT,
};
#define AK_RESPOND_SHARED_OPTIONS                                                                  \
    {"policy-name", required_argument, NULL, AK_RO_POLICY},                                        \
        {"ledger", required_argument, NULL, AK_RO_LEDGER},                                         \
        {"audit-log", required_argument, NULL, AK_RO_AUDIT},                                       \
        {"notify-webhook", required_argument, NULL, AK_RO_WEBHOOK},                                \
        {"webhook-format", required_argument, NULL, AK_RO_WHFMT},                                  \
        {"notify-smtp", required_argument, NULL, AK_RO_SMTP},                                      \
        {"notify-to", required_argument, NULL, AK_RO_TO},                                          \
        {"notify-from", required_argument, NULL, AK_RO_FROM},                                      \
        {"region", required_argument, NULL, AK_RO_REGION},                                         \
        {"ca-file", required_argument, NULL, AK_RO_CA},                                            \
        {"timeout", required_argument, NULL, AK_RO_TIMEOUT},                                       \
        {"retries", required_argument, NULL, AK_RO_RETRIES},                                       \
        {"format", required_argument, NULL, AK_RO_FORMAT},                                         \
        {"output", required_argument, NULL, 'o'}, {"quiet", no_argument, NULL, 'q'},               \
    {                                                                                              \
        "verbose", no_argument, NULL, 'v'                                                          \
    }
struct ak_respond_opts;
/* Where respond and rotate write their report, and how. */
typedef struct ak_cli_report_to {
    const char *output; /* NULL: stdout */
    int json;
} ak_cli_report_to;
int ak_cli_respond_option(const char *cmd, struct ak_respond_opts *r, ak_cli_report_to *to, int c,
                          const char *arg);
int ak_cli_respond_check(const char *cmd, const struct ak_respond_opts *r);

/* A whole decimal number in [min, max]; 0, or -1 when s is anything else. */
int ak_cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);
/* A byte count with an optional K, M or G suffix ("64K", "256M", "20G"); 0 is refused. */
int ak_cli_parse_size(const char *s, uint64_t *out);

/* Whether to color output going to `out` for --color WHEN (-1 auto, 0 never, 1 always): auto
 * means a terminal, NO_COLOR unset or empty (https://no-color.org) and TERM not "dumb". */
int ak_cli_color(int when, FILE *out);
/* Whether out is a terminal that can redraw a line (not TERM=dumb); NO_COLOR does not matter. */
int ak_cli_terminal(FILE *out);

/* Prints "akhound CMD: MSG" and a hint to run --help; returns AK_EXIT_ERROR. */
int ak_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
