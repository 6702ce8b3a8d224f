/*
 * akhound hook install|uninstall: puts akhound's pre-commit and pre-push hooks into a repository.
 * The hook scripts are hooks/pre-commit and hooks/pre-push, built into the binary with .incbin
 * (as the rules are) so the files stay the single source and an installed akhound needs no share
 * directory. Installing never destroys a hook: an existing one is renamed NAME.akhound-chained and
 * run first by ours; uninstall puts it back. The hooks directory is git's own answer to where hooks
 * live (core.hooksPath, relative to the work tree; else the common git directory's hooks/).
 *
 * Hook managers own their files, so those are never renamed or replaced. husky (core.hooksPath
 * .husky/_ with its shim `h`, or husky 8's .husky with _/husky.sh, or a .husky directory not yet
 * set up) runs the user's .husky/NAME: install appends one line calling `akhound hook run NAME`
 * (the same built-in script) and uninstall removes exactly that line. A hook written by another
 * manager (pre-commit, lefthook) is left alone with the way to add akhound to that tool, and a
 * hook the project tracks in git (a committed core.hooksPath directory) gets the same line.
 */
#include "cli/cli.h"
#include "sources/git_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__asm__(".section .rodata\n"
        ".global ak_hook_pre_commit\n"
        "ak_hook_pre_commit:\n"
        ".incbin \"hooks/pre-commit\"\n"
        ".byte 0\n"
        ".global ak_hook_pre_push\n"
        "ak_hook_pre_push:\n"
        ".incbin \"hooks/pre-push\"\n"
        ".byte 0\n"
        ".previous\n");
extern const char ak_hook_pre_commit[], ak_hook_pre_push[];

#define MARKER "akhound-hook"
#define CHAINED ".akhound-chained"
/* The line added to a husky hook file (husky runs it with sh -e: a finding stops git). */
#define HUSKY_LINE                                                                                 \
    "\"${AKHOUND:-akhound}\" hook run %s \"$@\" # " MARKER                                         \
    ": 'akhound hook uninstall' removes this line\n"

static const char hook_help[] =
    "usage: akhound hook install [--pre-commit] [--pre-push] [REPO]\n"
    "       akhound hook uninstall [--pre-commit] [--pre-push] [REPO]\n"
    "       akhound hook run pre-commit|pre-push [ARG...]   run the hook script itself\n"
    "\n"
    "Installs akhound's git hooks into REPO (default: the repository containing .), in the\n"
    "directory git runs hooks from (core.hooksPath when set). Without --pre-commit/--pre-push "
    "both\n"
    "are installed. An existing hook is kept as NAME" CHAINED " and runs first; uninstall\n"
    "restores it. pre-commit scans the staged change (akhound scan --staged), pre-push each "
    "pushed\n"
    "range (akhound scan --range); both stop git when a key is found and say how to proceed.\n"
    "With husky, or a hook file the project tracks in git, the line 'akhound hook run NAME' is\n"
    "appended to it instead (.husky/NAME created if needed) and uninstall removes exactly that\n"
    "line; hooks written by pre-commit or lefthook are left alone and install says how to add\n"
    "akhound to that tool.\n"
    "exit: 0 done, 2 error\n";

/* The directory git runs hooks from; *configured when core.hooksPath names it. */
static char *hooks_dir(git_repository *repo, int *configured)
{
    git_config *cfg = NULL;
    git_buf v = {0};
    ak_buf dir = AK_BUF_INIT;
    *configured = 0;
    if (!git_repository_config_snapshot(&cfg, repo) &&
        !git_config_get_path(&v, cfg, "core.hooksPath") && v.ptr && *v.ptr) {
        const char *base = git_repository_workdir(repo);
        if (v.ptr[0] != '/') ak_buf_puts(&dir, base ? base : git_repository_path(repo));
        ak_buf_puts(&dir, v.ptr);
        while (dir.len > 1 && dir.data[dir.len - 1] == '/') dir.data[--dir.len] = 0;
        *configured = 1;
    } else {
        ak_buf_printf(&dir, "%shooks", git_repository_commondir(repo));
    }
    git_buf_dispose(&v);
    git_config_free(cfg);
    return ak_buf_detach(&dir);
}

/* The first bytes of a file, where hook scripts say who wrote them. */
static int head_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char head[1024] = "";
    size_t n = fread(head, 1, sizeof head - 1, f);
    head[n] = 0;
    fclose(f);
    return strstr(head, needle) != NULL;
}

/* A whole hook file akhound wrote (a line akhound appended to another hook does not count). */
static int is_ours(const char *path)
{
    return head_has(path, "# " MARKER " pre-");
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int joined_exists(const char *dir, const char *name)
{
    ak_buf p = AK_BUF_INIT;
    ak_buf_printf(&p, "%s/%s", dir, name);
    int rc = exists(p.data);
    ak_buf_free(&p);
    return rc;
}

/* Where husky keeps the hooks it runs (.husky/NAME), or NULL when husky does not manage hooks
 * here. *shim_v8: husky 8, whose hook files start by sourcing _/husky.sh. */
static char *husky_dir(git_repository *repo, const char *hooks, int configured, int *shim_v8)
{
    *shim_v8 = 0;
    const char *slash = strrchr(hooks, '/');
    if (configured && slash && !strcmp(slash, "/_") && joined_exists(hooks, "h"))
        return ak_strndup(hooks, (size_t)(slash - hooks)); /* husky 9: core.hooksPath .husky/_ */
    if (configured && joined_exists(hooks, "_/husky.sh")) {
        *shim_v8 = 1;
        return ak_strdup(hooks);
    }
    const char *wd = git_repository_workdir(repo);
    if (configured || !wd) return NULL;
    /* a clone where husky is not set up yet (npm install will do it): its hooks are .husky/ */
    ak_buf d = AK_BUF_INIT;
    ak_buf_printf(&d, "%s.husky", wd);
    struct stat st;
    if (!stat(d.data, &st) && S_ISDIR(st.st_mode)) return ak_buf_detach(&d);
    ak_buf_free(&d);
    return NULL;
}

/* A hook another manager wrote: its name and how to add akhound there, or NULL. */
static const char *managed_by(const char *path, const char **how)
{
    if (head_has(path, "File generated by pre-commit")) {
        *how = "add the akhound hooks to .pre-commit-config.yaml (README, 'Hooks')";
        return "the pre-commit framework";
    }
    if (head_has(path, "lefthook")) {
        *how = "add to lefthook.yml: <hook>: { commands: { akhound: { run: akhound hook run "
               "<hook> } } }";
        return "lefthook";
    }
    return NULL;
}

/* The script with the path of this akhound as the default, so the hook works from a GUI or an IDE
 * whose PATH does not hold akhound. */
static int write_hook(const char *path, const char *script)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    const char *body = strchr(script, '\n');
    ak_buf text = AK_BUF_INIT;
    ak_buf_printf(&text, "#!/bin/sh\nAKHOUND_DEFAULT='%s'\n%s", n > 0 ? self : "akhound",
                  body ? body + 1 : "");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    int rc = fd < 0 || write(fd, text.data, text.len) != (ssize_t)text.len ? -1 : 0;
    if (fd >= 0 && close(fd)) rc = -1;
    if (!rc) chmod(path, 0755);
    ak_buf_free(&text);
    return rc;
}

static int install_one(const char *dir, const char *name, const char *script)
{
    ak_buf path = AK_BUF_INIT, chained = AK_BUF_INIT;
    ak_buf_printf(&path, "%s/%s", dir, name);
    ak_buf_printf(&chained, "%s%s", path.data, CHAINED);
    int rc = 0;
    const char *how = NULL, *tool = managed_by(path.data, &how);
    if (tool) {
        ak_error("hook: %s belongs to %s, left alone: %s", path.data, tool, how);
        rc = -1;
    } else if (exists(path.data) && !is_ours(path.data)) {
        if (exists(chained.data)) {
            ak_error("hook: %s exists and so does %s: resolve by hand", path.data, chained.data);
            rc = -1;
        } else if (rename(path.data, chained.data)) {
            ak_error("hook: cannot keep %s: %s", path.data, strerror(errno));
            rc = -1;
        } else {
            ak_warn("hook: kept the existing %s as %s; it runs first", name, chained.data);
        }
    }
    if (!rc && write_hook(path.data, script)) {
        ak_error("hook: cannot write %s: %s", path.data, strerror(errno));
        rc = -1;
    }
    if (!rc) ak_warn("hook: installed %s", path.data);
    ak_buf_free(&path);
    ak_buf_free(&chained);
    return rc;
}

static int uninstall_one(const char *dir, const char *name)
{
    ak_buf path = AK_BUF_INIT, chained = AK_BUF_INIT;
    ak_buf_printf(&path, "%s/%s", dir, name);
    ak_buf_printf(&chained, "%s%s", path.data, CHAINED);
    int rc = 0;
    if (!exists(path.data)) {
        ak_warn("hook: no %s installed", path.data);
    } else if (!is_ours(path.data)) {
        ak_warn("hook: %s was not installed by akhound; left alone", path.data);
    } else if (unlink(path.data)) {
        ak_error("hook: cannot remove %s: %s", path.data, strerror(errno));
        rc = -1;
    } else if (exists(chained.data) && rename(chained.data, path.data)) {
        ak_error("hook: cannot restore %s: %s", path.data, strerror(errno));
        rc = -1;
    } else {
        ak_warn("hook: removed akhound's %s%s", name,
                exists(path.data) ? ", restored the hook that was there before" : "");
    }
    ak_buf_free(&path);
    ak_buf_free(&chained);
    return rc;
}

/* A hook file that is part of the project (tracked by git, as in a committed core.hooksPath
 * directory): renaming it would change the project, so akhound adds its line to it instead. */
static int tracked(git_repository *repo, const char *path)
{
    const char *wd = git_repository_workdir(repo);
    size_t n = wd ? strlen(wd) : 0;
    git_index *idx;
    if (!n || strncmp(path, wd, n) || git_repository_index(&idx, repo)) return 0;
    int rc = git_index_get_bypath(idx, path + n, 0) != NULL;
    git_index_free(idx);
    return rc;
}

/* husky, or a hook the project tracks: one line appended to DIR/NAME (created if needed). */
static int line_install(const char *dir, const char *name, int shim_v8, const char *why)
{
    ak_buf path = AK_BUF_INIT, text = AK_BUF_INIT;
    ak_buf_printf(&path, "%s/%s", dir, name);
    FILE *f = fopen(path.data, "r");
    if (f) {
        ak_buf_read_stream(&text, f);
        fclose(f);
    }
    int rc = 0;
    if (strstr(ak_buf_cstr(&text), MARKER)) {
        ak_warn("hook: %s already runs akhound", path.data);
    } else {
        ak_buf add = AK_BUF_INIT;
        if (!text.len && shim_v8)
            ak_buf_puts(&add, "#!/usr/bin/env sh\n. \"$(dirname -- \"$0\")/_/husky.sh\"\n\n");
        if (text.len && text.data[text.len - 1] != '\n') ak_buf_putc(&add, '\n');
        ak_buf_printf(&add, HUSKY_LINE, name);
        int fd = open(path.data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0755);
        rc = fd < 0 || write(fd, add.data, add.len) != (ssize_t)add.len ? -1 : 0;
        if (fd >= 0 && close(fd)) rc = -1;
        if (rc)
            ak_error("hook: cannot write %s: %s", path.data, strerror(errno));
        else
            ak_warn("hook: %s: %s %s, adding the line 'akhound hook run %s' (commit it to share "
                    "it; akhound must be on the PATH)",
                    why, text.len ? "appended to" : "created", path.data, name);
        ak_buf_free(&add);
    }
    ak_buf_free(&path);
    ak_buf_free(&text);
    return rc;
}

/* Removes exactly the line line_install added (and the file, when nothing else is left). */
static int line_uninstall(const char *dir, const char *name)
{
    ak_buf path = AK_BUF_INIT, text = AK_BUF_INIT, kept = AK_BUF_INIT;
    ak_buf_printf(&path, "%s/%s", dir, name);
    FILE *f = fopen(path.data, "r");
    int rc = f ? ak_buf_read_stream(&text, f) : 0;
    if (f) fclose(f);
    const char *p = ak_buf_cstr(&text);
    size_t removed = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        ak_buf line = AK_BUF_INIT;
        ak_buf_append(&line, p, len);
        if (strstr(line.data, MARKER) && strstr(line.data, " hook run "))
            removed++;
        else
            ak_buf_append(&kept, p, len);
        ak_buf_free(&line);
        p += len;
    }
    if (!removed) {
        ak_warn("hook: %s has no akhound line", path.data);
    } else {
        f = kept.len ? fopen(path.data, "w") : NULL;
        if (kept.len ? !f || fwrite(kept.data, 1, kept.len, f) != kept.len : unlink(path.data) != 0)
            rc = -1;
        if (f && fclose(f)) rc = -1;
        if (rc)
            ak_error("hook: cannot rewrite %s: %s", path.data, strerror(errno));
        else
            ak_warn("hook: removed akhound's line from %s%s", path.data,
                    kept.len ? "" : " (nothing else was in it: file removed)");
    }
    ak_buf_free(&path);
    ak_buf_free(&text);
    ak_buf_free(&kept);
    return rc;
}

static int run(int install, int which, const char *repo_path)
{
    git_repository *repo;
    ak_buf err = AK_BUF_INIT;
    ak_git_init();
    int rc = ak_git_open(&repo, repo_path, &err);
    if (rc) {
        ak_error("hook: %s", ak_buf_cstr(&err));
        ak_buf_free(&err);
        ak_git_done();
        return AK_EXIT_ERROR;
    }
    int configured, v8;
    char *dir = hooks_dir(repo, &configured);
    char *husky = husky_dir(repo, dir, configured, &v8);
    if (husky) {
        free(dir);
        dir = husky;
    }
    if (install && mkdir(dir, 0755) && errno != EEXIST) {
        ak_error("hook: cannot create %s: %s", dir, strerror(errno));
        rc = -1;
    }
    static const char *const names[] = {"pre-commit", "pre-push"};
    const char *scripts[] = {ak_hook_pre_commit, ak_hook_pre_push};
    for (int i = 0; !rc && i < 2; i++) {
        if (!(which & (1 << i))) continue;
        ak_buf path = AK_BUF_INIT;
        ak_buf_printf(&path, "%s/%s", dir, names[i]);
        const char *why = husky                      ? "husky manages the hooks here"
                          : tracked(repo, path.data) ? "the hook is the project's (tracked by git)"
                                                     : NULL;
        ak_buf_free(&path);
        if (why)
            rc = install ? line_install(dir, names[i], husky && v8, why)
                         : line_uninstall(dir, names[i]);
        else
            rc = install ? install_one(dir, names[i], scripts[i]) : uninstall_one(dir, names[i]);
    }
    if (!rc && husky && install && !configured)
        ak_warn("hook: husky is not set up in this clone yet: git runs these once it is "
                "(npm install, or npx husky)");
    free(dir);
    git_repository_free(repo);
    ak_git_done();
    return rc ? AK_EXIT_ERROR : AK_EXIT_CLEAN;
}

/* akhound hook run NAME ARG...: the built-in script, for hook managers that call a command.
 * stdin (pre-push's ref lines) passes through. */
static int run_script(int argc, char **argv)
{
    const char *script = argc < 1                         ? NULL
                         : !strcmp(argv[0], "pre-commit") ? ak_hook_pre_commit
                         : !strcmp(argv[0], "pre-push")   ? ak_hook_pre_push
                                                          : NULL;
    if (!script) return ak_cli_usage_error("hook", "run needs pre-commit or pre-push");
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        setenv("AKHOUND_DEFAULT", self, 1);
    }
    char **args = ak_calloc((size_t)argc + 4, sizeof *args);
    args[0] = "sh";
    args[1] = "-c";
    args[2] = (char *)script;
    for (int i = 0; i < argc; i++) args[3 + i] = argv[i]; /* $0 is the hook's name */
    execv("/bin/sh", args);
    ak_error("hook: cannot run /bin/sh: %s", strerror(errno));
    free(args);
    return AK_EXIT_ERROR;
}

int cmd_hook(int argc, char **argv)
{
    static const struct option opts[] = {{"pre-commit", no_argument, NULL, 'c'},
                                         {"pre-push", no_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(hook_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? AK_EXIT_ERROR : AK_EXIT_CLEAN;
    }
    if (!strcmp(argv[1], "run")) return run_script(argc - 2, argv + 2);
    int install = !strcmp(argv[1], "install");
    if (!install && strcmp(argv[1], "uninstall"))
        return ak_cli_usage_error("hook", "unknown action '%s' (install, uninstall, run)", argv[1]);
    int which = 0, opt;
    optind = 1;
    while ((opt = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
        if (opt == 'c')
            which |= 1;
        else if (opt == 'p')
            which |= 2;
        else if (opt == 'h')
            return fputs(hook_help, stdout), AK_EXIT_CLEAN;
        else
            return ak_cli_usage_error("hook", "bad option");
    }
    int rest = argc - 1 - optind;
    if (rest > 1) return ak_cli_usage_error("hook", "give at most one repository");
    return run(install, which ? which : 3, rest ? argv[1 + optind] : NULL);
}
