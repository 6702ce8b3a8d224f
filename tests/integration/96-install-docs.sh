# make install: the binary, the man page and bash/zsh/fish completions, and nothing nothing reads
# (no rule files: the rules are built in). The man page is the help texts (one source): `man
# akhound` shows each command's help and the exit codes; completion works in the real shells.
. "$AK_TESTS/lib/common.sh"
set -e
build=$(cd "$(dirname "$AKHOUND")" && pwd)
D=$TMP/inst
env -u MAKEFLAGS -u MFLAGS make -s -C "$AK_ROOT" install BUILD="$build" DESTDIR="$D" PREFIX=/usr >"$TMP/make.log" 2>&1 || fail "make install: $(cat "$TMP/make.log")"
(cd "$D" && find . -type f | sort) > "$TMP/files"
cat > "$TMP/want" <<'L'
./usr/bin/akhound
./usr/share/bash-completion/completions/akhound
./usr/share/fish/vendor_completions.d/akhound.fish
./usr/share/man/man1/akhound.1
./usr/share/zsh/site-functions/_akhound
L
diff "$TMP/want" "$TMP/files" || fail "installed files differ"

# bash: complete commands, actions and options
comp() { # WORDS...: COMPREPLY for the last word, one per line
  bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _akhound; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$D/usr/share/bash-completion/completions/akhound" "$@"
}
grep -qx hook <<<"$(comp akhound ho)" || fail "bash: commands"
grep -qx install <<<"$(comp akhound hook in)" || fail "bash: hook actions"
grep -qx -- --fail-on <<<"$(comp akhound scan --fa)" || fail "bash: scan options"
grep -qx -- --exit-zero <<<"$(comp akhound scan --ex)" || fail "bash: --exit-zero"
! grep -qx -- --staged <<<"$(comp akhound hook --st)" || fail "bash: another command's option offered"
grep -qx exit-codes <<<"$(comp akhound help ex)" || fail "bash: help topics"
# fish: its own completion engine
if command -v fish >/dev/null; then
  f=$(fish -c "source $D/usr/share/fish/vendor_completions.d/akhound.fish; complete -C 'akhound scan --fa'; complete -C 'akhound re'")
  grep -q -- '^--fail-on' <<<"$f" && grep -q '^report' <<<"$f" && grep -q '^respond' <<<"$f" || fail "fish: $f"
fi
# zsh: the function parses, and names every command
if command -v zsh >/dev/null; then
  zsh -n "$D/usr/share/zsh/site-functions/_akhound" || fail "zsh: syntax"
  grep -q "'rules:" "$D/usr/share/zsh/site-functions/_akhound" || fail "zsh: commands"
fi
# man akhound: every command's help, word for word, and the exit codes
command -v man >/dev/null || skip "man is not installed (apt-get install man-db)"
page=$(MANPATH="$D/usr/share/man" MANWIDTH=200 LC_ALL=C.UTF-8 man akhound 2>/dev/null) || fail "man akhound"
for c in scan validate respond org hook rules baseline report; do
  "$AKHOUND" help "$c" | grep -v '^$' | sed 's/^ *//' > "$TMP/help"
  missing=$(while IFS= read -r l; do grep -qF -- "$l" <<<"$page" || echo "$l"; done <"$TMP/help")
  [ -z "$missing" ] || fail "man page lacks lines of 'akhound help $c': $missing"
done
grep -q "precedence: 3 over 2 over 1" <<<"$page" || fail "man page lacks the exit codes"
grep -qF -- "--fail-on" <<<"$page" || fail "options are not copyable as written"

echo ok
