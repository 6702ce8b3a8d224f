# The progress line: on a terminal (a real pty) a scan longer than the delay draws
# "akhound: N files, X MiB, R MiB/s" on stderr and erases it before the summary; a git scan counts
# blobs; a note printed meanwhile erases the line first; nothing when stderr is not a terminal, with --quiet, with TERM=dumb, or when the scan
# ends within the (default one-second) delay.
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_AUTHOR_NAME=Ida GIT_AUTHOR_EMAIL=ida@example.org GIT_COMMITTER_NAME=Ida \
  GIT_COMMITTER_EMAIL=ida@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
mkdir -p "$TMP/src"
for i in $(seq 1 200); do head -c 20000 /dev/urandom | base64 > "$TMP/src/f$i.txt"; done
# pty_run ENV... -- ARGS: akhound under a pseudo-terminal, everything it wrote (raw) in $PTY_OUT
pty_run() {
  PTY_OUT=$(env "$@" python3 -c '
import os, pty, sys
args = sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[0], args)
out = b""
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace").replace("\x1b", "ESC"))
' -- "$AKHOUND" scan --format json -o /dev/null -j1 "${PTY_ARGS[@]}")
}
mkfifo "$TMP/src/zz-fifo"   # a note printed during the scan starts on a line of its own
PTY_ARGS=("$TMP/src")
pty_run TERM=xterm AKHOUND_PROGRESS_DELAY_MS=0
grep -q "zz-fifo: not a regular file" <<<"$PTY_OUT" || fail "no note for the FIFO: $PTY_OUT"
! grep -q 'MiB/sESC\[Kakhound: ' <<<"$PTY_OUT" || fail "a note was glued to the progress line: $PTY_OUT"
grep -qE 'akhound: [0-9,]+ files, [0-9.]+ MiB, [0-9.]+ MiB/s' <<<"$PTY_OUT" || fail "no progress line: $PTY_OUT"
# the summary starts on a clean line: after an erase or a newline, never glued to the progress
grep -qF $'\rESC[Kakhound: scanned 200 files' <<<"$PTY_OUT" || grep -q '^akhound: scanned 200 files' <<<"$PTY_OUT" ||
  fail "progress not erased before the summary: $PTY_OUT"
# quiet otherwise
PTY_ARGS=(--quiet "$TMP/src"); pty_run TERM=xterm AKHOUND_PROGRESS_DELAY_MS=0
! grep -q "MiB/s" <<<"$PTY_OUT" || fail "progress with --quiet"
PTY_ARGS=("$TMP/src"); pty_run TERM=dumb AKHOUND_PROGRESS_DELAY_MS=0
! grep -q "MiB/s" <<<"$PTY_OUT" || fail "progress with TERM=dumb"
pty_run TERM=xterm   # the default delay: a short scan draws nothing
! grep -q "MiB/s" <<<"$PTY_OUT" || fail "progress for a scan shorter than a second: $PTY_OUT"
err=$(AKHOUND_PROGRESS_DELAY_MS=0 "$AKHOUND" scan -j1 "$TMP/src" 2>&1 >/dev/null | cat)
! grep -q "MiB/s" <<<"$err" || fail "progress on a pipe"
# a git history scan counts blobs
R=$TMP/repo; git init -q -b main "$R"; cp "$TMP/src"/f1*.txt "$R/"; git -C "$R" add -A; git -C "$R" commit -qm c
PTY_ARGS=(--git "$R"); pty_run TERM=xterm AKHOUND_PROGRESS_DELAY_MS=0
grep -qE 'akhound: [0-9,]+ blobs' <<<"$PTY_OUT" || fail "no blob progress: $PTY_OUT"
echo ok
