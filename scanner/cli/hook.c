/*
 * akhound hook install|uninstall: puts akhound's pre-commit and pre-push hooks into a repository.
 * The hook scripts are hooks/pre-commit and hooks/pre-push, built into the binary with .incbin
 * (as the rules are) so the files stay the single source and an installed akhound needs no share
 * directory. Installing never destroys a hook: an existing one is renamed NAME.akhound-chained and
 * run first by ours; uninstall puts it back. The hooks directory is git's own answer to where hooks
 * live (core.hooksPath, relative to the work tree; else the common git directory's hooks/).
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

static const char hook_help[] =
    "usage: akhound hook install [--pre-commit] [--pre-push] [REPO]\n"
    "       akhound hook uninstall [--pre-commit] [--pre-push] [REPO]\n"
    "\n"
    "Installs akhound's git hooks into REPO (default: the repository containing .), in the\n"
    "directory git runs hooks from (core.hooksPath when set). Without --pre-commit/--pre-push "
    "both\n"
    "are installed. An existing hook is kept as NAME" CHAINED " and runs first; uninstall\n"
    "restores it. pre-commit scans the staged change (akhound scan --staged), pre-push each "
    "pushed\n"
    "range (akhound scan --range); both stop git when a key is found and say how to proceed.\n"
    "exit: 0 done, 2 error\n";

static char *hooks_dir(git_repository *repo)
{
    git_config *cfg = NULL;
    git_buf v = {0};
    ak_buf dir = AK_BUF_INIT;
    if (!git_repository_config_snapshot(&cfg, repo) &&
        !git_config_get_path(&v, cfg, "core.hooksPath") && v.ptr && *v.ptr) {
        const char *base = git_repository_workdir(repo);
        if (v.ptr[0] != '/') ak_buf_puts(&dir, base ? base : git_repository_path(repo));
        ak_buf_puts(&dir, v.ptr);
    } else {
        ak_buf_printf(&dir, "%shooks", git_repository_commondir(repo));
    }
    git_buf_dispose(&v);
    git_config_free(cfg);
    return ak_buf_detach(&dir);
}

static int is_ours(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char head[512] = "";
    size_t n = fread(head, 1, sizeof head - 1, f);
    head[n] = 0;
    fclose(f);
    return strstr(head, MARKER) != NULL;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
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
    if (exists(path.data) && !is_ours(path.data)) {
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
    char *dir = hooks_dir(repo);
    if (install && mkdir(dir, 0755) && errno != EEXIST) {
        ak_error("hook: cannot create %s: %s", dir, strerror(errno));
        rc = -1;
    }
    static const char *const names[] = {"pre-commit", "pre-push"};
    const char *scripts[] = {ak_hook_pre_commit, ak_hook_pre_push};
    for (int i = 0; !rc && i < 2; i++)
        if (which & (1 << i))
            rc = install ? install_one(dir, names[i], scripts[i]) : uninstall_one(dir, names[i]);
    free(dir);
    git_repository_free(repo);
    ak_git_done();
    return rc ? AK_EXIT_ERROR : AK_EXIT_CLEAN;
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
    int install = !strcmp(argv[1], "install");
    if (!install && strcmp(argv[1], "uninstall"))
        return ak_cli_usage_error("hook", "unknown action '%s' (install, uninstall)", argv[1]);
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
