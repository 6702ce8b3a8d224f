# akhound scan --git on a history large enough for its tree phase to be spread over threads in
# parts (more than 4096 commits): every finding must have the blob, path and commit the walk in
# order gives (--exclude with a pattern that matches nothing keeps the walk in order), through
# the cases where parts disagree: a blob deleted and re-added later, one blob at two paths in one
# commit, a side branch merged back, a pull-request ref forked from an old commit, a tree tag
# walked between two branches' commits, a submodule, and a tree that cannot be read.
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
R=$TMP/repo
git init -q -b main "$R"
g() { git -C "$R" "$@"; }
pair() { printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$1" "$2"; }
for k in A B C D E; do
  pair "$(new_key_id)" "$(new_secret)" > "$TMP/key$k"
done
# the history, written as a git fast-import stream: 5000 commits on main, each changing one of
# 350 files in 7 directories; the keyed files at fixed points
python3 - "$TMP" > "$TMP/stream" <<'EOF'
import sys
tmp = sys.argv[1]
out = sys.stdout
mark = [0]
def new_mark():
    mark[0] += 1
    return mark[0]
def blob(data):
    m = new_mark()
    out.write("blob\nmark :%d\ndata %d\n%s\n" % (m, len(data.encode()), data))
    return m
keys = {k: open("%s/key%s" % (tmp, k)).read() for k in "ABCDE"}
kb = {k: blob(v) for k, v in keys.items()}
t = [1700000000]
def commit(ref, msg, ops, parent=None, merge=None):
    m = new_mark()
    t[0] += 60
    out.write("commit %s\nmark :%d\ncommitter Carol <carol@example.org> %d +0000\n" % (ref, m, t[0]))
    out.write("data %d\n%s\n" % (len(msg), msg))
    if parent:
        out.write("from :%d\n" % parent)
    if merge:
        out.write("merge :%d\n" % merge)
    for op in ops:
        out.write(op + "\n")
    out.write("\n")
    return m
main = {}
for i in range(1, 5001):
    b = blob("line %d\n" % i)
    ops = ["M 100644 :%d src/d%d/f%d.c" % (b, i % 7, i % 50)]
    if i == 1000:
        ops.append("M 100644 :%d keys/a.env" % kb["A"])
    if i == 1500:
        ops.append("D keys/a.env")
    if i == 4000:
        ops.append("M 100644 :%d keys/a.env" % kb["A"])  # the same blob again
    if i == 2000:
        ops += ["M 100644 :%d x/c1.env" % kb["C"], "M 100644 :%d y/c2.env" % kb["C"]]
    if i == 2500:
        ops.append("M 160000 %s vendor/lib" % ("ab" * 20))
    if i == 4800:
        ops.append("M 100644 :%d late/d.env" % kb["D"])
    merge = None
    if i == 4500:
        merge = side
    main[i] = commit("refs/heads/main", "main %d\n" % i, ops, merge=merge)
    if i == 300:
        s1 = commit("refs/heads/side", "side 1\n", ["M 100644 :%d side/one.txt" % blob("one\n")],
                    parent=main[300])
        s2 = commit("refs/heads/side", "side 2\n", ["M 100644 :%d side/b.env" % kb["B"]])
        side = commit("refs/heads/side", "side 3\n", ["M 100644 :%d side/two.txt" % blob("two\n")])
pr = commit("refs/pull/1/head", "pr\n", ["M 100644 :%d early/d.env" % kb["D"]], parent=main[100])
tt = commit("refs/heads/treetmp", "tree only\n", ["deleteall", "M 100644 :%d e.env" % kb["E"]],
            parent=main[50])
z1 = commit("refs/tags/z-tip", "z\n", ["M 100644 :%d z/e.env" % kb["E"]], parent=main[200])
with open("%s/names" % tmp, "w") as f:
    for name, m in [("s2", s2), ("pr", pr), ("tt", tt), ("z1", z1)] + [
            ("m%d" % i, main[i]) for i in (1000, 2000, 4500, 4800)]:
        f.write("%s %d\n" % (name, m))
EOF
g fast-import --quiet --export-marks="$TMP/marks" < "$TMP/stream"
sha() { # the commit written under a name in the stream
  local m; m=$(awk -v n="$1" '$1 == n {print $2}' "$TMP/names")
  awk -v m=":$m" '$1 == m {print $2}' "$TMP/marks"
}
g update-ref refs/tags/a-tree "$(sha tt)^{tree}"
g update-ref -d refs/heads/treetmp
g update-ref -d refs/heads/side
g repack -adq
idof() { sed -n 's/^access_key_id = "\(.*\)"$/\1/p' "$TMP/key$1"; }

# findings as "key id, path, commit", sorted (jq is not assumed)
rows() {
  python3 -c '
import json, sys
rows = []
for l in sys.stdin:
    f = json.loads(l)
    rows.append("%s %s %s %s %s" % (f.get("access_key_id") or "-", f["path"], (f.get("commit") or {}).get("id", "-"), f.get("blob") or "-", f["line"]))
print("\n".join(sorted(rows)))'
}
compare() { # the spread walk and the walk in order: same findings, same counts, same exit code
  local repo=$1
  run scan --git -v --format jsonl "$repo"; spread_rc=$RC; rows <<<"$OUT" > "$TMP/spread"
  grep -q "walked in [0-9]* parts" <<<"$ERR" || fail "the tree phase was not spread: $ERR"
  grep '^scanned' <<<"$ERR" | sed 's/ in [0-9.]* s:/:/' > "$TMP/spread.sum" || true
  spread_err=$ERR
  run scan --git -v --format jsonl --exclude 'no/such/dir/**' "$repo"; rows <<<"$OUT" > "$TMP/order"
  ! grep -q "walked in [0-9]* parts" <<<"$ERR" || fail "the walk with --exclude was spread"
  grep '^scanned' <<<"$ERR" | sed 's/ in [0-9.]* s:/:/' > "$TMP/order.sum" || true
  [ "$spread_rc" = "$RC" ] || fail "exit $spread_rc spread, $RC in order"
  diff "$TMP/order" "$TMP/spread" || fail "findings differ between the spread walk and the walk in order"
  diff "$TMP/order.sum" "$TMP/spread.sum" || fail "summaries differ"
  [ "$(grep -c submodule <<<"$spread_err")" = "$(grep -c submodule <<<"$ERR")" ] ||
    fail "submodule notes differ"
}
has() { grep -qF -- "$1" "$TMP/spread" || fail "no finding '$1': $(cat "$TMP/spread")"; }

compare "$R"; [ "$spread_rc" = 1 ] || fail "expected exit 1, got $spread_rc"
grep -q "vendor/lib: submodule" <<<"$spread_err" || fail "submodule not noted: $spread_err"
has "$(idof A) keys/a.env $(sha m1000)"    # re-added in commit 4000: still the first commit
has "$(idof C) x/c1.env $(sha m2000)"      # one blob at two paths: the first path
has "$(idof B) side/b.env $(sha s2)"       # on the merged side branch
has "$(idof D) late/d.env $(sha m4800)"    # main is walked before the pull-request ref
has "$(idof E) e.env -"                    # the tree tag comes before refs/tags/z-tip
[ "$(grep -c "$(idof A)" "$TMP/spread")" = 1 ] || fail "key A reported more than once"

# a tree that cannot be read, in the middle of the history: reported once, the run is
# incomplete, the findings are still those of the walk in order
cp -a "$R" "$TMP/damaged"
pack=$(ls "$TMP/damaged/.git/objects/pack/"*.pack)
victim=$(g rev-parse "$(sha m2000):src")
off=$(git verify-pack -v "$pack" | awk -v id="$victim" '$1 == id {print $5}')
[ -n "$off" ] || fail "tree not in pack"
chmod u+w "$pack"
printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377' |
  dd of="$pack" bs=1 seek=$((off + 2)) conv=notrunc 2>/dev/null
compare "$TMP/damaged"; [ "$spread_rc" = 2 ] || fail "expected exit 2, got $spread_rc"
[ "$(grep -c "tree $victim" <<<"$spread_err")" = 1 ] || fail "the bad tree not reported once: $spread_err"
grep -q "could not read; walking in order" <<<"$spread_err" || fail "no fallback note: $spread_err"
has "$(idof A) keys/a.env $(sha m1000)"
echo ok
