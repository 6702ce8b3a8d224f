#!/usr/bin/env bash
# Builds each libFuzzer target (clang, -fsanitize=fuzzer,address,undefined) over the library
# sources and runs it for the given number of seconds from its seed corpus.
#   run.sh [SECONDS [NAME]]   NAME (e.g. jsonl) runs only fuzz_NAME
# Targets: fuzz_engine (detection), fuzz_rules (rule loader), fuzz_jsonl (the findings reader of
# validate, respond and report merge).
set -euo pipefail
seconds=${1:-60}
only=${2:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=build-fuzz
mkdir -p "$out"
pkgs="libpcre2-8 libhs libgit2 libcurl libcrypto libssl yaml-0.1 jansson sqlite3 libdeflate"
link_pkgs="libpcre2-8 libhs libgit2 libcrypto yaml-0.1 jansson sqlite3 libdeflate" # curl: curl_lazy.c
srcs=$(find scanner -name '*.c' ! -path scanner/main.c | sort)
make --no-print-directory -s BUILD="$out" "$out/gen/words.txt" # the word list words_data.c embeds
status=0
for target in tests/fuzz/fuzz_*.c; do
  name=$(basename "$target" .c)
  [ -n "$only" ] && [ "$name" != "fuzz_$only" ] && continue
  corpus=tests/fuzz/corpus_${name#fuzz_}
  echo "fuzz: building $name"
  # shellcheck disable=SC2046,SC2086
  clang -std=c17 -g -O1 -D_GNU_SOURCE -Iscanner -DAK_WORDS_FILE="\"$out/gen/words.txt\"" \
    $(pkg-config --cflags $pkgs) \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    "$target" $srcs $(pkg-config --libs $link_pkgs) -ldl -lpthread -lm -o "$out/$name"
  work=$(mktemp -d)
  cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  [ "$name" = fuzz_rules ] && cp patterns/alibaba.yml "$work/builtin.yml"
  echo "fuzz: running $name for ${seconds}s"
  if ! "$out/$name" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "$work" >"$out/$name.log" 2>&1; then
    tail -n 60 "$out/$name.log"
    echo "fuzz: $name FAILED"
    status=1
  else
    grep -E 'stat::number_of_executed_units|Done' "$out/$name.log" | tail -n 2
    echo "fuzz: $name ok"
  fi
  rm -rf "$work"
done
exit $status
