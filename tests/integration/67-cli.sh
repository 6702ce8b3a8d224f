# The command line as a user meets it: a mistyped ref in --range is an error while an absent full
# id (shallow clone, force push) keeps its fallback; summaries agree with exit codes; help for
# every command both ways; -V; --fail-on and --exit-zero; NO_COLOR and TERM=dumb under a terminal.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
set -e
export GIT_AUTHOR_NAME=Dan GIT_AUTHOR_EMAIL=dan@example.org GIT_COMMITTER_NAME=Dan \
  GIT_COMMITTER_EMAIL=dan@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
R=$TMP/repo
git init -q -b main "$R"; cd "$R"
pair() { printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$1" "$2"; }
echo a > a.txt; git add -A; git commit -qm "clean"
k=$(new_key_id); pair "$k" "$(new_secret)" > k.env; git add -A; git commit -qm "key"

# --range: a typo is an error, not the whole history
run scan --range mian..HEAD; expect_rc 2; expect_err "'mian' is not a commit"; expect_not_out "$k"
run scan --range main..HEAD; expect_rc 0
# an absent full id falls back to every commit present, and says so
run scan --range "$(printf '%040d' 7 | tr 0 a)..HEAD"; expect_rc 1; expect_out "$k"
expect_err "not in this repository"

# a failed source: exit 2 and the summary says there was an error
run scan --git "$TMP/nothing-here"; expect_rc 2
grep -q "incomplete: 1 error" <<<"$OUT$ERR" || fail "summary hides the error: $OUT $ERR"

# help: 'akhound help CMD' and 'akhound CMD --help' print the same, that command's help
for c in scan validate respond org hook rules baseline report; do
  a=$("$AKHOUND" help "$c") || fail "help $c exit $?"; b=$("$AKHOUND" "$c" --help) || fail "$c --help"
  [ "$a" = "$b" ] || fail "help $c differs from $c --help"
  grep -q "akhound $c" <<<"$a" || fail "help $c is not $c's help: $a"
done
run help scan; expect_out "--fail-on"; expect_not_out "commands:"
run help exit-codes; expect_rc 0; expect_out "precedence: 3 over 2 over 1"
run help nosuch; expect_rc 2
run -V; expect_rc 0; expect_out "akhound $(sed -n 's/.*AK_VERSION "\(.*\)"/\1/p' "$AK_ROOT/scanner/util/version.h")"
run --version; expect_rc 0

# --fail-on over kinds and verdicts, --exit-zero
mkdir -p "$TMP/src"
printf 'id only: %s\n' "$(new_key_id)" > "$TMP/src/id.txt"
run scan "$TMP/src"; expect_rc 1
run scan --fail-on pair "$TMP/src"; expect_rc 0
run scan --fail-on id,pair:live "$TMP/src"; expect_rc 1
run scan --fail-on unvalidated "$TMP/src"; expect_rc 1
run scan --fail-on live "$TMP/src"; expect_rc 0
run scan --exit-zero "$TMP/src"; expect_rc 0
run scan --fail-on lve "$TMP/src"; expect_rc 2; expect_err "bad --fail-on 'lve'"
run scan --fail-on pair:bogus "$TMP/src"; expect_rc 2
for bad in "" , ":live" "pair:" "pair:live:x"; do run scan --fail-on "$bad" "$TMP/src"; expect_rc 2; done
run scan --fail-on any:unvalidated "$TMP/src"; expect_rc 1
run scan --exit-zero "$TMP/src" "$TMP/missing"; expect_rc 2   # errors are still errors
emu_state_basic "$TMP/e.state.json"; emu_start e
export AKHOUND_STS_ENDPOINT="$EMU_URL/sts"
printf 'id: %s\nsecret: %s\n' "$K_ID" "$K_SECRET" > "$TMP/src/live.yml"
printf 'ALIBABA_CLOUD_ACCESS_KEY_ID=%s\nALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n' "$KI_ID" "$KI_SECRET" > "$TMP/src/old.env"
run scan --validate "$TMP/src"; expect_rc 3
run scan --validate --fail-on pair:live,pair:unvalidated "$TMP/src"; expect_rc 3
rm "$TMP/src/live.yml"
run scan --validate --fail-on pair:live,pair:unvalidated "$TMP/src"; expect_rc 0
run scan --validate --fail-on invalid "$TMP/src"; expect_rc 1
run scan --validate --fail-on inactive "$TMP/src"; expect_rc 1
run scan --validate --exit-zero "$TMP/src"; expect_rc 0

# color: only on a terminal, off when NO_COLOR is set and not empty, off for TERM=dumb
tty_scan() { env "$@" python3 -c 'import os,pty,sys; pty.spawn(sys.argv[1:])' "$AKHOUND" scan "$TMP/src" 2>&1 | cat -v; }
esc='^['
grep -qF "$esc[" <<<"$(tty_scan TERM=xterm NO_COLOR=)" || fail "no color on a terminal with NO_COLOR empty"
! grep -qF "$esc[" <<<"$(tty_scan TERM=xterm NO_COLOR=1)" || fail "color with NO_COLOR=1"
! grep -qF "$esc[" <<<"$(tty_scan TERM=dumb)" || fail "color with TERM=dumb"
run scan --color always "$TMP/src"; grep -qF $'\e[' <<<"$OUT" || fail "--color always"
echo ok
