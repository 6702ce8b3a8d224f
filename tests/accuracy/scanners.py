"""Published Alibaba Cloud rules of other secret scanners, re-expressed for python3's `re`.

They cannot be installed here, so each is written down from its public rule source: the regex,
the keywords that gate it, the entropy threshold and the allowlist or false-positive filter it
applies. Each scanner is a function text -> list of reported values. Go's `(?i)` in mid-pattern is
rewritten as a scoped `(?i:...)` group; `\\b` keeps its ASCII meaning (re.ASCII).
"""
import math
import re

A = re.ASCII


def entropy(s):
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in (s.count(ch) for ch in set(s)))


def _finditer(pat, text, group=1):
    return [m.group(group) for m in pat.finditer(text)]


# gitleaks (cmd/generate/config/rules/alibaba.go, v8): a unique-token regex for the ID and a
# semi-generic "alibaba ... = value" regex for the secret, both entropy >= 2, keywords LTAI and
# alibaba; the global allowlist drops values that look like templates or stop words.
_GL_ID = re.compile(r"\b(LTAI(?i:[a-z0-9]{20}))(?:[\x60'\"\s;]|\\[nr]|$)", A)
_GL_SECRET = re.compile(
    r"(?i)[\w.-]{0,50}?(?:alibaba)(?:[ \t\w.-]{0,20})[\s'\"]{0,3}"
    r"(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'\"\s=]{0,5}([a-z0-9]{30})(?:[\x60'\"\s;]|\\[nr]|$)", A)
_GL_ALLOW = re.compile(r"(?i)^(?:true|false|null)$|^\$\{.*\}$|example|placeholder", A)


def gitleaks(text):
    out = []
    if "LTAI" in text:
        out += [v for v in _finditer(_GL_ID, text) if entropy(v) >= 2]
    if "alibaba" in text.lower():
        out += [v for v in _finditer(_GL_SECRET, text) if entropy(v) >= 2]
    return [v for v in out if not _GL_ALLOW.search(v)]


# betterleaks (cmd/generate/config/rules/alibaba.go): composite rules. The ID (LTAI + 17..21,
# entropy >= 4.0) is never reported alone; a secret (30 alphanumerics after an alibaba/aliyun name
# or an ID and a secret/token/key word, entropy >= 4.2) is reported only when an ID is found too.
# STS: an ID (STS. + 16..64, entropy >= 3.0), a token named as one (CAIS..., entropy >= 4.0) and
# a secret after an access-secret name (30..64, entropy >= 4.2), all three required.
_BL_ID = re.compile(r"\b(LTAI[A-Za-z0-9]{17,21})\b", A)
_BL_SECRET = re.compile(
    r"(?i)\b(?:(?:alibaba|alibaba[\s_-]*cloud|aliyun)|LTAI[A-Za-z0-9]{17,21})(?:.|[\n\r]){0,80}?"
    r"(?:access[\s_-]*key[\s_-]*secret|access[\s_-]*secret|secret|token|key)(?:.|[\n\r]){0,16}?"
    r"(?:=|:|[\"']\s*:\s*[\"'])\s*[\"']?([A-Za-z0-9]{30})\b[\"']?", A)
_BL_STS_ID = re.compile(r"\b(STS\.[A-Za-z0-9]{16,64})\b", A)
_BL_STS_TOKEN = re.compile(
    r"(?i)\b(?:security[\s_-]*token|sts[\s_-]*token|x[\s_-]*oss[\s_-]*security[\s_-]*token|"
    r"alibaba[\s_-]*cloud[\s_-]*security[\s_-]*token|aliyun[\s_-]*security[\s_-]*token)"
    r"(?:.|[\n\r]){0,16}?(?:=|:|[\"']\s*:\s*[\"'])\s*[\"']?"
    r"(CAIS[A-Za-z0-9+/_=-]{20,1000}[A-Za-z0-9+/_=-]{0,24})(?:[\"'\s,;}&\]]|$)", A)
_BL_STS_SECRET = re.compile(
    r"(?i)\b(?:(?:alibaba|alibaba[\s_-]*cloud|aliyun|sts)|STS\.[A-Za-z0-9]{16,64})(?:.|[\n\r]){0,120}?"
    r"(?:access[\s_-]*key[\s_-]*secret|access[\s_-]*secret)(?:.|[\n\r]){0,16}?"
    r"(?:=|:|[\"']\s*:\s*[\"'])\s*[\"']?([A-Za-z0-9]{30,64})\b[\"']?", A)


def betterleaks(text):
    out = []
    ids = [v for v in _finditer(_BL_ID, text) if entropy(v) >= 4.0]
    secrets = [v for v in _finditer(_BL_SECRET, text) if entropy(v) >= 4.2]
    if ids and secrets:
        out += ids + secrets
    sids = [v for v in _finditer(_BL_STS_ID, text) if entropy(v) >= 3.0]
    toks = [v for v in _finditer(_BL_STS_TOKEN, text) if entropy(v) >= 4.0]
    ssec = [v for v in _finditer(_BL_STS_SECRET, text) if entropy(v) >= 4.2]
    if sids and toks and ssec:
        out += sids + toks + ssec
    return out


# trufflehog (pkg/detectors/alibaba): keyword LTAI; an ID LTAI + 17..21 and any 30-character
# alphanumeric word in the same chunk; only the pair is a result; the default false-positive
# list (example, xxxxxx, aaaaaa, abcde, 00000, sample, *****) applies to the ID.
_TH_ID = re.compile(r"\b(LTAI[a-zA-Z0-9]{17,21})[\"' ;\s]*", A)
_TH_SECRET = re.compile(r"\b([a-zA-Z0-9]{30})\b", A)
_TH_FP = ("example", "xxxxxx", "aaaaaa", "abcde", "00000", "sample", "*****")


def trufflehog(text):
    if "ltai" not in text.lower():
        return []
    ids = [v for v in _finditer(_TH_ID, text) if not any(w in v.lower() for w in _TH_FP)]
    secrets = _finditer(_TH_SECRET, text)
    return ids + secrets if ids and secrets else []


# Kingfisher (data/rules/alibaba.yml): the ID LTAI + 17..21 (any case), min entropy 4.0; the
# secret 30 alphanumerics within 16 characters after "alibaba", min entropy 4.2.
_KF_ID = re.compile(r"(?i)\b(LTAI[a-z0-9]{17,21})\b", A)
_KF_SECRET = re.compile(r"(?i)\balibaba(?:.|[\n\r]){0,16}?\b([a-z0-9]{30})\b", A)


def kingfisher(text):
    out = [v for v in _finditer(_KF_ID, text) if entropy(v) >= 4.0]
    return out + [v for v in _finditer(_KF_SECRET, text) if entropy(v) >= 4.2]


# trivy (pkg/fanal/secret/builtin-rules.go): the ID between non-alphanumerics, keyword LTAI;
# the secret quoted after "alibaba" + up to 25 name characters and an assignment operator.
_TV_ID = re.compile(r"(?:[^0-9a-z]|^)(LTAI(?i:[a-z0-9]{20}))(?:[^0-9a-z]|$)", A)
_TV_SECRET = re.compile(
    r"(?i)alibaba[a-z0-9_ .\-,]{0,25}(?:=|>|:=|\|\|:|<=|=>|:).{0,5}['\"]([a-z0-9]{30})['\"]", A)


def trivy(text):
    out = _finditer(_TV_ID, text) if "LTAI" in text else []
    if "alibaba" in text.lower():
        out += _finditer(_TV_SECRET, text)
    return out


# sonar-text (SonarSource secrets, rule S6336): an ID of LTAI + 12 or LTAI + 20, any context,
# dropped when it contains EXAMPLE.
_SN_ID = re.compile(r"\b(LTAI[0-9A-Za-z]{12}(?:[0-9A-Za-z]{8})?)\b", A)


def sonar(text):
    return [v for v in _finditer(_SN_ID, text) if "EXAMPLE" not in v]


SCANNERS = {
    "gitleaks": gitleaks,
    "betterleaks": betterleaks,
    "trufflehog": trufflehog,
    "kingfisher": kingfisher,
    "trivy": trivy,
    "sonar-text": sonar,
}
