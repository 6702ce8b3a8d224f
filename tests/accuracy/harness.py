#!/usr/bin/env python3
"""Accuracy harness: scores akhound and other scanners' published Alibaba Cloud rules on the
corpus of cases.py. Key material is generated now (from --seed) and written to a temporary
directory that akhound scans once; the other scanners' rules (scanners.py) run in-process.

Usage: harness.py AKHOUND [--seed N] [--verbose] [--keep DIR]
Exit: 0 when akhound meets the targets on this corpus (>= 97% found, <= 1 false alarm),
1 when it does not, 2 when akhound could not be run.
"""
import argparse
import base64
import json
import os
import random
import string
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import CASES  # noqa: E402
from scanners import SCANNERS  # noqa: E402

ALNUM = string.ascii_letters + string.digits
# A fixed clock for dead samples (Expiration in the past): the verdict must not change with the
# day the harness runs.
NOW = "2026-01-01T00:00:00Z"


class Keys:
    LETTERS = string.ascii_letters
    LOWER_ONLY = string.ascii_lowercase

    def __init__(self, rng):
        self.rng = rng
        self.values = []

    def _draw(self, prefix, n, alphabet):
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(n))

    def id(self, prefix, n, alphabet=ALNUM):
        v = self._draw(prefix, n, alphabet)
        self.values.append(v)
        return v

    def secret(self, n=30, alpha=None):
        v = self._draw("", n, alpha or ALNUM)
        self.values.append(v)
        return v

    def token(self, prefix="CAIS", embed=None):
        """An STS security token: base64 of a protobuf-like message (08 02 12 ... -> CAIS)."""
        head = {"CAIS": b"\x08\x02\x12", "CAES": b"\x08\x01\x12"}[prefix]
        body = bytes(self.rng.getrandbits(8) for _ in range(420))
        if embed:
            body = body[:60] + b"\x1a\x19" + embed.encode() + body[60:]
        v = base64.b64encode(head + body).decode()
        self.values.append(v)
        return v

    def noise(self, prefix, n, alphabet=ALNUM):
        return self._draw(prefix, n, alphabet)

    @staticmethod
    def b64(text):
        return base64.b64encode(text.encode()).decode()


def build_corpus(seed):
    rng = random.Random(seed)
    built = []
    for i, c in enumerate(CASES):
        k = Keys(rng)
        body = c["build"](k)
        data = body if isinstance(body, bytes) else (body + "\n").encode()
        built.append(dict(c, file=f"{i:03d}-{c['name']}.{c['ext']}", data=data, values=k.values))
    return built


def run_akhound(akhound, built, keep):
    tmp = keep or tempfile.mkdtemp(prefix="akhound-accuracy-")
    os.makedirs(tmp, exist_ok=True)
    for b in built:
        with open(os.path.join(tmp, b["file"]), "wb") as f:
            f.write(b["data"])
    env = dict(os.environ, AKHOUND_NOW=NOW)
    p = subprocess.run([akhound, "scan", "--format", "jsonl", "--show-secrets", "-q", tmp],
                       capture_output=True, text=True, env=env)
    if p.returncode not in (0, 1, 3):
        sys.stderr.write(f"accuracy: akhound exited {p.returncode}: {p.stderr.strip()}\n")
        sys.exit(2)
    by_file = {}
    for line in p.stdout.splitlines():
        f = json.loads(line)
        vals = [f.get("access_key_id"), f.get("secret"), f.get("security_token")]
        vals += f.get("candidates") or []
        status = (f.get("validation") or {}).get("status")
        by_file.setdefault(os.path.basename(f["path"]), []).append((set(filter(None, vals)), status))
    if not keep:
        for b in built:
            os.unlink(os.path.join(tmp, b["file"]))
        os.rmdir(tmp)
    return by_file


def score_case(b, findings):
    """findings: list of (values, status). Returns (found, false_alarm) for this case."""
    live = [f for f in findings if f[1] != "expired"]
    hit = any(set(b["values"]) & vals for vals, _ in findings)
    label = b["label"]
    if label == "pos":
        return hit, False
    if label == "one":
        return hit, len(findings) > 1
    if label == "expired":
        return True, bool(live)
    return False, bool(findings)


def other_findings(fn, b):
    text = b["data"].decode("utf-8", "replace")
    vals = fn(text)
    return [({v}, None) for v in vals]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("akhound")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("ACCURACY_SEED", "14")))
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--keep")
    a = ap.parse_args()
    built = build_corpus(a.seed)
    n_pos = sum(b["label"] in ("pos", "one") for b in built)
    n_neg = sum(b["label"] in ("neg", "expired") for b in built)
    n_con = sum(b["contested"] for b in built)
    ak = run_akhound(a.akhound, built, a.keep)
    rows = [("akhound", lambda b: ak.get(b["file"], []))]
    rows += [(name, lambda b, fn=fn: other_findings(fn, b)) for name, fn in SCANNERS.items()]
    print(f"accuracy corpus: {len(built)} cases ({n_pos} credentials, {n_neg} negatives, "
          f"{n_con} contested), seed {a.seed}")
    print(f"{'scanner':<12} {'found':>9} {'false alarms':>13} {'contested as README':>20}")
    result = None
    for name, get in rows:
        found = fa = agree = 0
        misses = []
        for b in built:
            f, x = score_case(b, get(b))
            found += f and b["label"] in ("pos", "one")
            fa += x
            ok = (f if b["label"] in ("pos", "one") else True) and not x
            agree += b["contested"] and ok
            if not ok:
                misses.append(f"{b['file']} ({'missed' if not f and b['label'] != 'neg' else 'false alarm'}; {b['prov']})")
        print(f"{name:<12} {found:>4}/{n_pos:<4} {fa:>6}/{n_neg:<6} {agree:>13}/{n_con}")
        if name == "akhound":
            result = (found, fa)
        if a.verbose and misses:
            for m in misses:
                print(f"    {name}: {m}")
    found, fa = result
    ok = found * 100 >= 97 * n_pos and fa <= 1
    print(f"akhound target (>= 97% found, <= 1 false alarm): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
