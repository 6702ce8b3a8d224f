#!/bin/sh
# Writes the man page akhound(1) to stdout from the help texts built into AKHOUND ('akhound help',
# 'akhound help COMMAND', 'akhound help exit-codes'): the --help texts are the one source, so the
# page and the help never disagree. Usage: doc/mkman.sh build/akhound > build/akhound.1
set -eu
ak=${1:?usage: mkman.sh AKHOUND}
version=$("$ak" -V | sed 's/^akhound //')
# roff: backslashes and hyphens (options must stay copyable) escaped, a leading dot or quote made
# literal, each line kept as it is
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
verbatim() { printf '.nf\n'; esc; printf '.fi\n'; }
commands=$("$ak" help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
cat <<HEAD
.TH AKHOUND 1 "" "akhound $version" "User Commands"
.SH NAME
akhound \\- find leaked Alibaba Cloud AccessKeys, prove whether they are live, contain them
.SH SYNOPSIS
HEAD
"$ak" help | sed -n '1,/^$/p' | sed '/^$/d' | verbatim
printf '.SH DESCRIPTION\n'
"$ak" help | awk '/^commands:/ {on = 1} on && /^$/ {exit} on' | verbatim
printf '.SH COMMANDS\n'
for c in $commands; do
  printf '.SS %s\n' "$c"
  "$ak" help "$c" | verbatim
done
printf '.SH EXIT STATUS\n'
"$ak" help exit-codes | verbatim
cat <<'TAIL'
.SH ENVIRONMENT
NO_COLOR (set and not empty) or TERM=dumb turn colours off. The README lists every variable
akhound reads.
.SH SEE ALSO
git(1), git-hooks(5), pre-commit(1)
TAIL
