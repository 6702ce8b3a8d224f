#!/bin/sh
# Combines the shards of an organization scan (written by org-shard.sh) into the org report:
#   org-merge.sh DIR N
# DIR/org.jsonl   every shard's inventory (shards hold disjoint repositories, so this is their
#                 concatenation, every field kept), DIR/org.sarif (akhound report merge),
# DIR/org.html    akhound report html, DIR/org-status.txt  the state of each shard.
# Each file is written beside and renamed into place, under a lock (flock on DIR/.merge.lock), so
# two shards finishing together cannot interleave and the last merge sees every finished shard.
# Exit: 0 when all N shards are done, 2 when one is missing, incomplete or failed (the report
# then covers the shards that finished).
set -u
[ $# -eq 2 ] || { echo "usage: org-merge.sh DIR N" >&2; exit 2; }
dir=$1 n=$2
ak=${AKHOUND:-akhound}
cd "$dir" || exit 2
exec 9>>.merge.lock
flock 9 || exit 2
files="" complete=1
: > org-status.txt.tmp
k=0
while [ "$k" -lt "$n" ]; do
  state=$(cat "shard-$k.status" 2>/dev/null || echo "pending")
  [ -f "shard-$k.jsonl" ] && files="$files shard-$k.jsonl"
  case $state in done*) ;; *) complete=0 ;; esac
  printf 'shard %s: %s\n' "$k" "$state" >> org-status.txt.tmp
  k=$((k + 1))
done
# shellcheck disable=SC2086 # file names are shard-K.jsonl, no spaces
if [ -n "$files" ]; then
  cat $files > org.jsonl.tmp && mv -f org.jsonl.tmp org.jsonl
  "$ak" report merge -q --format sarif -o org.sarif.tmp $files
  [ $? -ne 2 ] && mv -f org.sarif.tmp org.sarif
  "$ak" report html -q -o org.html.tmp $files
  [ $? -ne 2 ] && mv -f org.html.tmp org.html
fi
printf 'complete: %s\n' "$([ "$complete" = 1 ] && echo yes || echo no)" >> org-status.txt.tmp
mv -f org-status.txt.tmp org-status.txt
[ "$complete" = 1 ] || exit 2
