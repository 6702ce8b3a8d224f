# akhound report html: an inventory from a real git history (keys under hostile file names, a
# commit summary with markup) plus the org fields, rendered as one page and loaded in headless
# Chromium: the page text is what the inventory says, no markup from the repository became an
# element, no secret is anywhere, nothing is fetched, and the screenshot is not blank.
# AK_HTML_SHOT=FILE keeps the screenshot (to look at it).
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_AUTHOR_NAME='Mal "lory"' GIT_AUTHOR_EMAIL=m@example.org GIT_COMMITTER_NAME=M \
  GIT_COMMITTER_EMAIL=m@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
R=$TMP/repo; git init -q -b main "$R"
id1=$(new_key_id); sec1=$(new_secret); id2=$(new_key_id); sec2=$(new_secret)
hostile_file=$'a"b\'<script>alert(1)</script>\n\xff.env'
mkdir -p "$(dirname "$R/$hostile_file")" # the '/' of '</script>' makes a directory
printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$id1" "$sec1" > "$R/$hostile_file"
GIT_AUTHOR_DATE=2024-01-01T00:00:00Z git -C "$R" add -A
GIT_AUTHOR_DATE=2024-01-01T00:00:00Z git -C "$R" commit -qm 'add </td><script>steal()</script>'
printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$id2" "$sec2" > "$R/old.ini"
git -C "$R" add -A; GIT_AUTHOR_DATE=2024-03-01T00:00:00Z git -C "$R" commit -qm 'old key'
run scan --git --show-secrets --format jsonl "$R"; expect_rc 1
printf '%s\n' "$OUT" > "$TMP/scan.jsonl"
grep -qF "$sec1" "$TMP/scan.jsonl" || fail "the input should hold the secrets in clear"

# the org fields: the first key open in a hostile repository, the second resolved; plus a line of
# today's output (no org fields) and one bad line
python3 - "$TMP/scan.jsonl" "$TMP/inv.jsonl" "$id1" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
plain = dict(rows[0], path="plain.env"); plain.pop("repository", None)
out = open(sys.argv[2], "w")
for r in rows:
    hostile = r["access_key_id"] == sys.argv[3]
    r["repository"] = 'gh/acme/<script>x</script>"' if hostile else "gh/acme/web"
    r["link"] = "https://forge.test/acme/web/blob/1/a?x=1&y=2" if hostile else "javascript:alert(2)"
    r.update(status="reappeared" if hostile else "resolved", first_seen="2024-06-01T00:00:00Z",
             last_seen="2024-07-01T00:00:00Z", repo_fingerprint="0" * 64)
    out.write(json.dumps(r) + "\n")
out.write(json.dumps(plain) + "\n")
EOF
export SOURCE_DATE_EPOCH=1720000000 # 2024-07-03T09:46:40Z
run report html -o "$TMP/page.html" "$TMP/inv.jsonl"; expect_rc 1
expect_err "3 findings, 2 open, 0 live"
[ "$(stat -c %a "$TMP/page.html")" = 600 ] || fail "the page should be mode 0600"
echo '{"rule": 1}' >> "$TMP/inv.jsonl"
run report html -o "$TMP/page2.html" "$TMP/inv.jsonl"; expect_rc 2; expect_err "inv.jsonl:4:"
run report html --show-secrets "$TMP/inv.jsonl"; expect_rc 2; expect_err "html takes only"
run report html; expect_rc 2
for s in "$sec1" "$sec2"; do
  ! grep -qF "${s:0:10}" "$TMP/page.html" || fail "the page holds a secret"
done
! grep -qi '<script' "$TMP/page.html" || fail "markup from the repository reached the page"

command -v chromium >/dev/null || skip "chromium not installed (apt-get install chromium; make dev-deps)"
chrome() {
  DBUS_SESSION_BUS_ADDRESS=disabled: timeout 60 chromium --headless --no-sandbox --disable-gpu \
    --no-first-run --disable-extensions --user-data-dir="$TMP/chromium" "$@" 2>>"$TMP/chromium.log"
}
chrome --dump-dom "file://$TMP/page.html" > "$TMP/dom.html" || fail "chromium failed: $(tail -3 "$TMP/chromium.log")"
python3 - "$TMP/dom.html" "$id1" "$id2" "$sec1" "$sec2" <<'EOF'
import sys
from html.parser import HTMLParser
dom, id1, id2, sec1, sec2 = sys.argv[1], *sys.argv[2:]
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.tags = {}; s.text = []; s.links = []; s.table = None; s.rows = {}
    def handle_starttag(s, tag, attrs):
        s.tags[tag] = s.tags.get(tag, 0) + 1
        a = dict(attrs)
        if tag == "table": s.table = a.get("id")
        if tag == "tr" and s.table: s.rows[s.table] = s.rows.get(s.table, 0) + 1
        if tag == "a": s.links.append(a.get("href"))
        for k, v in attrs:
            if k.startswith("on") or k == "src": sys.exit("an event handler or source: %s" % k)
    def handle_data(s, d): s.text.append(d)
p = P(); p.feed(open(dom, encoding="utf-8").read())
text = " ".join(" ".join(p.text).split())
def need(cond, what):
    if not cond: sys.exit("FAIL: " + what + "\n" + text[:3000])
need(p.tags.get("script", 0) == 0 and "img" not in p.tags and "b" not in p.tags, "elements from the input: %s" % p.tags)
need("3 findings in 3 repositories, as of 2024-07-03T09:46:40Z" in text, "summary line")
need("gh/acme/<script>x</script>\"" in text, "the hostile repository name as text")
need("a\"b'<script>alert(1)</script>\\x0a\\xff.env:1" in text, "the hostile file name as text")
need("2024-01-01 add </td><script>steal()</script> (Mal " in text, "the commit date, summary and author as text")
need("reappeared 1 open 0 unknown 1 resolved 1" in text, "totals by status")
need("live (valid) 0" in text and "not validated 3" in text, "totals by verdict")
need(p.links == ["https://forge.test/acme/web/blob/1/a?x=1&y=2"], "links: %s" % p.links)
need(p.rows == {"by-status": 5, "by-verdict": 7, "repositories": 4, "open": 3, "resolved": 2}, "rows: %s" % p.rows)
need(id1 in text and id2 in text, "the AccessKey IDs")
need("184 days" in text, "the age of the open key (2024-01-01 to 2024-07-03)")
need(sec1[:10] not in text and sec2[:10] not in text, "a secret in the page")
EOF
# nothing fetched: the page names no URL but the forge link (and the W3C-free doctype)
! grep -Eo '(src|href)="[^"]*"' "$TMP/page.html" | grep -v 'href="https://forge.test/' || fail "external reference"

chrome --screenshot="$TMP/page.png" --window-size=1280,900 "file://$TMP/page.html" >/dev/null \
  || fail "chromium screenshot failed"
[ -n "${AK_HTML_SHOT:-}" ] && cp "$TMP/page.png" "$AK_HTML_SHOT"
python3 - "$TMP/page.png" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24]); assert (w, h) == (1280, 900), (w, h)
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT": idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
# a blank or failed render is one colour; text, badges and table rules give many byte values
assert len(set(raw)) > 40, "the screenshot looks blank"
EOF
echo ok
