# Helpers for integration tests that talk to the emulator. Source after tests/lib/common.sh:
#   . "$AK_TESTS/emulator/lib.sh"
# emu_start NAME [--tls] [--faults JSON]  starts an emulator with state $TMP/NAME.state.json,
#   sets EMU_URL (base URL, no product), EMU_PORT, EMU_CA (with --tls) and remembers the pid.
# emu_ctl METHOD PATH [JSON]  talks to the last started emulator's control endpoint.
# emu_state_basic FILE  writes a state with generated keys (see the variables it sets).

EMU_DIR=${AK_TESTS:?}/emulator
EMU_PIDS=()
command -v python3 >/dev/null || skip "python3 is not installed (needed by the emulator)"
command -v openssl >/dev/null || skip "openssl CLI is not installed (needed for test certificates)"

emu_stop_all() {
  local p
  for p in "${EMU_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  EMU_PIDS=()
}
trap 'emu_stop_all; rm -rf "$TMP"' EXIT

emu_certs() { # DIR
  [ -f "$1/ca.pem" ] || bash "$EMU_DIR/mkcerts.sh" "$1" || fail "mkcerts failed"
}

emu_start() {
  local name=$1 tls=0 faults=
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --tls) tls=1 ;;
      --faults) faults=$2; shift ;;
    esac
    shift
  done
  local pf="$TMP/$name.port"
  # A second emulator without its own state file serves a copy of the previous one's state.
  [ -f "$TMP/$name.state.json" ] || cp "${EMU_LAST_STATE:?no state file}" "$TMP/$name.state.json"
  EMU_LAST_STATE="$TMP/$name.state.json"
  local args=(serve --state "$TMP/$name.state.json" --port-file "$pf")
  rm -f "$pf"
  if [ "$tls" = 1 ]; then
    emu_certs "$TMP/certs"
    args+=(--cert "$TMP/certs/server.pem" --key "$TMP/certs/server.key")
    EMU_CA="$TMP/certs/ca.pem"
  fi
  [ -n "$faults" ] && args+=(--faults "$faults")
  python3 "$EMU_DIR/emulator.py" "${args[@]}" >"$TMP/$name.log" 2>&1 &
  EMU_PIDS+=($!)
  local i
  for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
  [ -s "$pf" ] || fail "emulator $name did not start: $(cat "$TMP/$name.log")"
  EMU_PORT=$(cat "$pf")
  if [ "$tls" = 1 ]; then EMU_URL="https://127.0.0.1:$EMU_PORT"; else EMU_URL="http://127.0.0.1:$EMU_PORT"; fi
  EMU_CTL_URL=$EMU_URL
  EMU_CTL_CA=${EMU_CA:-}
  [ "$tls" = 1 ] || EMU_CTL_CA=
}

emu_ctl() { # METHOD PATH [JSON]
  local ca=()
  [ -n "${EMU_CTL_CA:-}" ] && ca=(--cafile "$EMU_CTL_CA")
  python3 "$EMU_DIR/emulator.py" ctl "$EMU_CTL_URL" "$@" "${ca[@]}"
}

# Requests counted for one AccessKey ID (all actions).
emu_count_key() {
  emu_ctl GET counters | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(d["by_key"].get(sys.argv[1],{}).values()))' "$1"
}
emu_count_total() {
  emu_ctl GET counters | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}

# A state with one account (ACCT), a RAM user "alice" with an active key (K_ID/K_SECRET), an
# inactive key (KI_ID/KI_SECRET), a root key (KR_ID/KR_SECRET), live STS credentials
# (S_ID/S_SECRET/S_TOKEN) and expired ones (SX_ID/SX_SECRET/SX_TOKEN). KN_ID exists nowhere.
emu_state_basic() {
  ACCT=1234567890123456
  K_ID=$(new_key_id) K_SECRET=$(new_secret)
  KI_ID=$(new_key_id) KI_SECRET=$(new_secret)
  KR_ID=$(new_key_id) KR_SECRET=$(new_secret)
  KN_ID=$(new_key_id) KN_SECRET=$(new_secret)
  S_ID=$(new_sts_id) S_SECRET=$(new_sts_secret) S_TOKEN=$(new_sts_token)
  SX_ID=$(new_sts_id) SX_SECRET=$(new_sts_secret) SX_TOKEN=$(new_sts_token)
  cat >"$1" <<JSON
{"accounts": [{"id": "$ACCT", "alias": "acme"}],
 "users": [{"account": "$ACCT", "name": "alice", "id": "276543210987654"}],
 "access_keys": [
  {"id": "$K_ID", "secret": "$K_SECRET", "account": "$ACCT", "user": "alice", "status": "Active"},
  {"id": "$KI_ID", "secret": "$KI_SECRET", "account": "$ACCT", "user": "alice", "status": "Inactive"},
  {"id": "$KR_ID", "secret": "$KR_SECRET", "account": "$ACCT", "user": null, "status": "Active"}],
 "sts_credentials": [
  {"id": "$S_ID", "secret": "$S_SECRET", "token": "$S_TOKEN", "account": "$ACCT",
   "expiration": "2099-01-01T00:00:00Z", "role_name": "deployer", "role_id": "300000000000001",
   "session": "ci"},
  {"id": "$SX_ID", "secret": "$SX_SECRET", "token": "$SX_TOKEN", "account": "$ACCT",
   "expiration": "2000-01-01T00:00:00Z", "role_name": "deployer", "role_id": "300000000000001",
   "session": "old"}]}
JSON
}

# One JSONL finding line: finding_line KIND ID SECRET [TOKEN] [CANDIDATES_JSON_ARRAY]
finding_line() {
  local kind=$1 id=$2 secret=$3 token=${4:-} cands=${5:-}
  python3 - "$kind" "$id" "$secret" "$token" "$cands" <<'PY'
import hashlib, json, sys
kind, kid, secret, token, cands = sys.argv[1:6]
o = {"rule": "alibaba-test", "kind": kind, "access_key_id": kid, "secret": secret,
     "secret_redacted": secret[:3] + "..." + secret[-2:],
     "secret_sha256": hashlib.sha256(secret.encode()).hexdigest(),
     "path": "conf/app.env", "line": 3, "column": 7, "commit": None, "blob": None,
     "encoding": "plain", "validation": None}
if token:
    o["security_token"] = token
if cands:
    o["candidates"] = json.loads(cands)
print(json.dumps(o))
PY
}

# Field of the JSONL line in $OUT whose access_key_id is ID: out_field ID validation.status
out_field() {
  python3 -c '
import json, sys
kid, path = sys.argv[1], sys.argv[2].split(".")
for line in sys.stdin.read().splitlines():
    if not line.strip():
        continue
    o = json.loads(line)
    if o.get("access_key_id") != kid:
        continue
    for p in path:
        o = o.get(p) if isinstance(o, dict) else None
    print("" if o is None else o)
    break
' "$1" "$2" <<<"$OUT"
}
