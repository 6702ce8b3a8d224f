# Helpers for the akhound org tests: fake forge APIs, git servers on loopback, planted repositories.
# Source after tests/lib/common.sh. Every server started here is stopped (by its pid) on exit.
export GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.org GIT_COMMITTER_NAME=Alice \
  GIT_COMMITTER_EMAIL=alice@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
# libgit2's own leak under `make asan` (see lsan.supp); harmless without sanitizers
export LSAN_OPTIONS="suppressions=$AK_TESTS/org/lsan.supp:fast_unwind_on_malloc=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
ORG_PIDS=()
org_cleanup() { for p in "${ORG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap org_cleanup EXIT

# wait_port FILE: prints the port a server wrote to FILE (at most 10 s)
wait_port() {
  for _ in $(seq 1 100); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.1; done
  fail "server did not start ($1)"
}

# start_forge CONFIG -> FORGE_PORT, FORGE_LOG
start_forge() {
  FORGE_LOG=$TMP/forge.log; : > "$FORGE_LOG"
  python3 "$AK_TESTS/org/fake_forge.py" "$1" "$TMP/forge.port" "$FORGE_LOG" & ORG_PIDS+=($!)
  FORGE_PORT=$(wait_port "$TMP/forge.port")
}

# start_git_daemon ROOT -> DAEMON_PORT (git://127.0.0.1:PORT/NAME.git)
start_git_daemon() {
  DAEMON_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  git daemon --base-path="$1" --export-all --reuseaddr --listen=127.0.0.1 --port="$DAEMON_PORT" \
    "$1" 2>"$TMP/daemon.log" & ORG_PIDS+=($!)
  for _ in $(seq 1 100); do
    git ls-remote "git://127.0.0.1:$DAEMON_PORT/probe.git" >/dev/null 2>&1 && return
    sleep 0.1
  done
  fail "git daemon did not start"
}

# start_git_http ROOT [ADDRESS [LOG]] -> HTTP_PORT (http://ADDRESS:PORT/NAME.git); the environment
# variables of git_http.py (GIT_HTTP_TOKEN, GIT_HTTP_REDIRECT, GIT_HTTP_FAIL) apply
start_git_http() {
  local pf; pf=$(mktemp "$TMP/http.port.XXXXXX"); rm -f "$pf"
  python3 "$AK_TESTS/org/git_http.py" "$1" "$pf" "${2:-127.0.0.1}" "${3:-}" & ORG_PIDS+=($!)
  HTTP_PORT=$(wait_port "$pf")
}

pair() { printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$1" "$2"; }

# make_repo ROOT NAME ID SECRET: a bare repository ROOT/NAME.git with a planted pair in
# config.ini (second commit); prints the commit that added it.
make_repo() {
  local w=$TMP/work/$2
  git init -q -b main "$w"
  echo "# $2" > "$w/README"; git -C "$w" add -A; git -C "$w" commit -qm initial
  pair "$3" "$4" > "$w/config.ini"; git -C "$w" add -A; git -C "$w" commit -qm "add config"
  git -C "$w" rev-parse HEAD
  rm -rf "$1/$2.git"; git clone -q --bare "$w" "$1/$2.git"
}

# add_commit ROOT NAME FILE CONTENT: a new commit in the working copy, pushed to the bare repo
add_commit() {
  local w=$TMP/work/$2
  printf '%s\n' "$4" > "$w/$3"; git -C "$w" add -A; git -C "$w" commit -qm "add $3"
  git -C "$w" push -q "$1/$2.git" main
  git -C "$w" rev-parse HEAD
}

# pyjson FILE EXPR: evaluates a Python expression over `f` (a list of JSONL findings)
pyjson() {
  python3 -c "import json,sys; f=[json.loads(l) for l in open('$1') if l.strip()]; sys.exit(0 if ($2) else 1)" \
    || fail "check on $1: $2"
}
