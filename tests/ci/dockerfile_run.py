#!/usr/bin/env python3
"""Runs a Dockerfile's stages without a container engine (none is reachable here), as honestly as a
Debian machine allows:

  dockerfile_run.py DOCKERFILE CONTEXT WORKDIR

Each stage runs in its own copy-on-write view of this machine's root file system (an overlay mount
in a private mount namespace, then chroot), so RUN lines run verbatim, as root, on Debian, and
what they write (rm -rf /var/lib/apt/lists/*, /out, useradd) lands in WORKDIR/STAGE/upper and never
on the host. COPY copies from CONTEXT (minus DOCKERFILE.dockerignore) or, with --from, from the
files that stage added. WORKDIR, ENV, USER and ARG are honoured. What this does NOT show: that the
base image (debian:TAG) has only what the Dockerfile installs, since the view starts from this
machine, which has more; the caller checks the runtime package list against the binary instead.

Prints one line per instruction; exits non-zero at the first failing step. Leaves the stages'
upper directories in WORKDIR (WORKDIR/N/upper) for the caller to inspect; WORKDIR/N/root.sh
enters the final stage: `WORKDIR/enter.sh [--userspec U:G] CMD...` runs CMD in it.
"""
import fnmatch, os, re, shlex, shutil, subprocess, sys

dockerfile, context, work = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])


def instructions(text):
    """(keyword, argument text) per instruction: continuations joined, comments dropped."""
    out, cur = [], ""
    for line in text.splitlines():
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if cur and line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        cur += line
        kw, _, arg = cur.strip().partition(" ")
        out.append((kw.upper(), arg.strip()))
        cur = ""
    return out


def ignored(rel, patterns):
    return any(fnmatch.fnmatch(rel, p) or rel.startswith(p.rstrip("/") + "/") for p in patterns)


def copy_context(dst, patterns):
    for top, dirs, files in os.walk(context):
        rel_top = os.path.relpath(top, context)
        dirs[:] = [d for d in dirs if not ignored(os.path.normpath(os.path.join(rel_top, d)), patterns)]
        for f in files:
            rel = os.path.normpath(os.path.join(rel_top, f))
            if ignored(rel, patterns):
                continue
            os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
            shutil.copy2(os.path.join(context, rel), os.path.join(dst, rel), follow_symlinks=False)


def expand(s, env):
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), m.group(0)), s)


ign_file = dockerfile + ".dockerignore"
ignore = [l.strip() for l in open(ign_file) if l.strip() and not l.startswith("#")] if os.path.exists(ign_file) else []
args, stages, stage = {}, {}, None
script = None


def start_stage(n, name):
    d = os.path.join(work, str(n))
    for sub in ("upper", "ovl", "merged"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    # the namespace script of this stage: mount the overlay, then one command per instruction
    return {"dir": d, "name": name, "cmds": [
        "set -e",
        "mount -t overlay overlay -o lowerdir=/,upperdir=%s/upper,workdir=%s/ovl %s/merged" % (d, d, d),
        "for m in proc sys dev; do mount --rbind /$m %s/merged/$m; done" % d,
        "mount -t tmpfs tmpfs %s/merged/tmp" % d,
    ], "workdir": "/", "user": None, "env": {}}


def finish_stage(st):
    path = os.path.join(st["dir"], "stage.sh")
    open(path, "w").write("\n".join(st["cmds"]) + "\n")
    r = subprocess.run(["unshare", "--mount", "--fork", "sh", path])
    if r.returncode:
        sys.exit("stage %s failed (exit %d)" % (st["name"], r.returncode))


def chroot_cmd(st, cmd):
    env = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in st["env"].items())
    inner = "cd %s && %s%s" % (shlex.quote(st["workdir"]), ("export %s; " % env) if env else "", cmd)
    user = ["--userspec=%s" % st["user"]] if st["user"] else []
    return " ".join(["chroot"] + user + [st["dir"] + "/merged", "/bin/sh", "-c", shlex.quote(inner)])


n = 0
for kw, arg in instructions(open(dockerfile).read()):
    print("%s %s" % (kw, arg[:100]), flush=True)
    if kw == "ARG":
        k, _, v = arg.partition("=")
        args[k] = v
    elif kw == "FROM":
        if stage:
            finish_stage(stage)
        words = expand(arg, args).split()
        if not words[0].startswith("debian:"):
            sys.exit("only Debian base images can be run here: " + words[0])
        name = words[2] if len(words) > 2 and words[1].upper() == "AS" else str(n)
        stage = start_stage(n, name)
        stages[name] = stage
        n += 1
    elif kw == "WORKDIR":
        stage["workdir"] = os.path.join(stage["workdir"], expand(arg, stage["env"]))
        stage["cmds"].append("mkdir -p %s/merged%s" % (stage["dir"], stage["workdir"]))
    elif kw == "ENV":
        k, _, v = arg.partition("=")
        stage["env"][k] = v
    elif kw == "USER":
        uid = arg.split(":")[0]
        stage["user"] = "%s:%s" % (uid, arg.split(":")[1] if ":" in arg else uid)
    elif kw == "RUN":
        stage["cmds"].append("echo \"  RUN started at $(date +%T)\"")
        stage["cmds"].append(chroot_cmd(stage, arg))
        stage["cmds"].append("echo \"  RUN ended at $(date +%T)\"")
    elif kw == "COPY":
        words = arg.split()
        src_stage = None
        if words[0].startswith("--from="):
            src_stage = stages[words[0][7:]]
            words = words[1:]
        *srcs, dst = words
        dst_abs = os.path.join(stage["workdir"], dst)
        root = stage["dir"] + "/merged"
        for s in srcs:
            if src_stage:
                stage["cmds"].append("mkdir -p %s%s && cp -a %s/upper/%s/. %s%s" % (
                    root, dst_abs, src_stage["dir"], s.strip("/"), root, dst_abs))
            elif s == ".":
                tmp = os.path.join(stage["dir"], "context")
                copy_context(tmp, ignore)
                stage["cmds"].append("mkdir -p %s%s && cp -a %s/. %s%s" % (root, dst_abs, tmp, root, dst_abs))
            else:
                stage["cmds"].append("cp -a %s %s%s" % (shlex.quote(os.path.join(context, s)), root, dst_abs))
    elif kw in ("ENTRYPOINT", "CMD", "LABEL", "EXPOSE"):
        stage[kw.lower()] = arg
    else:
        sys.exit("instruction not supported by this runner: " + kw)
if stage:
    # the final stage stays available: enter.sh mounts it again and runs a command inside
    finish_stage(stage)
    enter = os.path.join(work, "enter.sh")
    open(enter, "w").write("\n".join([
        '[ -n "${AK_IN_NS:-}" ] || AK_IN_NS=1 exec unshare --mount --fork sh "$0" "$@"'] + stage["cmds"][:4] + [
        'if [ "${1:-}" = --userspec ]; then u="--userspec=$2"; shift 2; else u=; fi',
        'exec chroot $u %s/merged "$@"' % stage["dir"]]) + "\n")
    os.chmod(enter, 0o755)
    print("ENTRYPOINT %s" % stage.get("entrypoint", ""))
