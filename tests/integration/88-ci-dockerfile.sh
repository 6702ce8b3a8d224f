# hooks/ci/Dockerfile, without a container engine (none is reachable here): linted
# (dockerfile-utils from npm, the linter of the VS Code Docker tools; hadolint is not in Debian),
# then every stage run by tests/ci/dockerfile_run.py on this Debian machine in a copy-on-write
# overlay + chroot (RUN lines verbatim, as root; COPY from the repository minus
# Dockerfile.dockerignore). The image's akhound must run as uid 10001 and find a planted key, and
# the final stage's package list must cover every library the binary needs (its DT_NEEDED
# entries and the libcurl it dlopens): the one thing the overlay, which starts from this machine
# and not from a bare debian image, cannot show by itself.
. "$AK_TESTS/lib/common.sh"
set -e
D=$AK_ROOT/hooks/ci/Dockerfile
. "$AK_TESTS/ci/npm_tools.sh"
npm_tools || skip "npm is not available: the Dockerfile lint needs it"
node "$NPM_TOOLS/node_modules/.bin/dockerfile-utils" lint "$D" || fail "dockerfile-utils lint"

readelf -d "$AKHOUND" | grep -q 'NEEDED.*libasan' &&
  skip "the Dockerfile's build runs once, in the plain suite (this is the sanitizer build)"
[ "$(id -u)" = 0 ] || skip "running the Dockerfile's steps needs root (overlay mount, chroot)"
unshare --mount --fork sh -c "mount -t tmpfs t $TMP" 2>/dev/null ||
  skip "this machine does not allow private mount namespaces (unshare --mount)"
W=$TMP/stages; mkdir -p "$W"
python3 "$AK_TESTS/ci/dockerfile_run.py" "$D" "$AK_ROOT" "$W" > "$TMP/run.log" 2>&1 ||
  fail "the Dockerfile's steps failed: $(tail -n 30 "$TMP/run.log")"
grep -q '^ENTRYPOINT \["akhound"\]' "$TMP/run.log" || fail "entrypoint: $(tail -3 "$TMP/run.log")"
[ -x "$W/0/upper/src/build/akhound" ] || fail "the build stage made no binary"
# nothing of the host's build tree reached the image's context
[ ! -e "$W/0/context/build" ] && [ ! -e "$W/0/context/.git" ] || fail "the .dockerignore was not honoured"
final=$W/1/upper
[ -x "$final/usr/local/bin/akhound" ] && [ -x "$final/usr/local/bin/org-shard.sh" ] &&
  [ -x "$final/usr/local/bin/org-merge.sh" ] || fail "the image lacks akhound or the recipe scripts"
[ -z "$(find "$final/var/lib/apt/lists" -type f 2>/dev/null)" ] || fail "apt lists left in the image" # (deleted lower files show as whiteout devices)
grep -q '^akhound:x:10001:10001:' "$final/etc/passwd" || fail "no user 10001 in the image"
# the final stage's packages cover the binary's libraries
runtime=$(python3 - "$D" <<'PY'
import re, sys
text = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
last = text.split("\nFROM ")[-1]
m = re.search(r"apt-get install ([^&]*)", last)
print(" ".join(w for w in m.group(1).split() if not w.startswith("-")))
PY
)
bin=$final/usr/local/bin/akhound
for lib in $(readelf -d "$bin" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p') libcurl.so.4; do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
  pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")")
  pkg=${pkg%%:*}
  case " $runtime libc6 " in *" $pkg "*) ;; *) fail "$lib comes from $pkg, which the final stage does not install ($runtime)" ;; esac
done
for pkg in $runtime; do apt-cache show "$pkg" >/dev/null 2>&1 || dpkg-query -W "$pkg" >/dev/null 2>&1 ||
  fail "the final stage installs $pkg, which Debian does not have"; done

[ ! -e /out ] || fail "a step wrote to the host"

# the image's akhound, as its user, finds a planted key
id=$(new_key_id); sec=$(new_secret)
mkdir -p "$final/home/akhound/probe"
printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$id" "$sec" > "$final/home/akhound/probe/app.ini"
chown -R 10001:10001 "$final/home/akhound/probe"
set +e
out=$("$W/enter.sh" --userspec 10001:10001 env HOME=/home/akhound akhound scan --format jsonl /home/akhound/probe 2>"$TMP/scan.err")
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "akhound in the image: exit $rc: $(cat "$TMP/scan.err")"
grep -qF "$id" <<<"$out" || fail "akhound in the image did not find the key: $out"
"$W/enter.sh" --userspec 10001:10001 sh -c 'command -v org-shard.sh && akhound report --help' >/dev/null ||
  fail "the recipe scripts or akhound report are not on PATH for uid 10001"
echo ok
