# akhound scan --git reads most versions of a file as a delta of another version: when that other
# version holds no literal of the fast pass, only the places where the two differ are searched.
# A key must still be found when it is made by the delta: joined from two copied runs of the
# older version (a line break removed), or inserted into it.
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_AUTHOR_NAME=Dan GIT_AUTHOR_EMAIL=dan@example.org GIT_COMMITTER_NAME=Dan \
  GIT_COMMITTER_EMAIL=dan@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
R=$TMP/repo
git init -q -b main "$R"
g() { git -C "$R" "$@"; }
tail1=$(rand_alnum 20); id2=$(new_key_id)
# v1: no literal at all; "LT" and "AI..." on two lines
python3 - "$R/f.txt" "$tail1" <<'EOF'
import sys
lines = ["line %d of a plain file, nothing to see here\n" % i for i in range(3000)]
open(sys.argv[1], "w").write("".join(lines[:1000]) + 'key_id = "LT\nAI%s"\n' % sys.argv[2] +
                             "".join(lines[1000:]))
EOF
g add f.txt; g commit -qm "plain"
v1=$(g rev-parse HEAD:f.txt)
# v2: the line break removed, which makes the key out of two runs of v1
sed -i -z 's/"LT\nAI/"LTAI/' "$R/f.txt"; g commit -qam "joined"
v2=$(g rev-parse HEAD:f.txt)
# v3, from v1 on a branch: 300 lines dropped and a line with a key inserted
g checkout -q -b other HEAD~1
python3 - "$R/f.txt" "$id2" <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
lines = lines[:100] + lines[400:2000] + ['id2 = "%s"' % sys.argv[2]] + lines[2000:]
open(sys.argv[1], "w").write("\n".join(lines))
EOF
g commit -qam "inserted"
v3=$(g rev-parse HEAD:f.txt)
g checkout -q main
g repack -adq
# the layout this test is about: v2 and v3 stored as deltas of the plain v1
layout=$(git verify-pack -v "$R"/.git/objects/pack/*.pack)
awk -v v="$v2" -v b="$v1" '$1 == v && $NF == b {ok = 1} END {exit !ok}' <<<"$layout" ||
  skip "git did not store v2 as a delta of v1: $(grep blob <<<"$layout")"
awk -v v="$v3" -v b="$v1" '$1 == v && $NF == b {ok = 1} END {exit !ok}' <<<"$layout" ||
  skip "git did not store v3 as a delta of v1: $(grep blob <<<"$layout")"

run scan --git --format jsonl "$R"; expect_rc 1
expect_out "LTAI$tail1"; expect_out "$v2"
expect_out "$id2"; expect_out "$v3"
expect_not_out "$v1"
echo ok
