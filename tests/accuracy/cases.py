"""The accuracy corpus: cases in the shape of other scanners' public test suites and of real
leaks seen in public code (values always generated here, never copied).

A case is (name, provenance, label, ext, build) where build(k) returns the file text and draws
key material from k (see harness.py): k.id/k.secret/k.token... record the values a scanner must
report; k.noise draws values that are not credentials. Labels:
  pos      a credential: found when a finding reports one of the recorded values
  neg      nothing to report: any finding is a false alarm
  one      a credential that must be reported exactly once (a second finding is a false alarm)
  expired  a dead sample: found nothing, or found it with the verdict `expired`
Contested cases (the suites disagree whether they are findings) carry contested=True and are
scored by the side README takes, and also counted apart.
"""

CASES = []


def case(name, prov, label, ext, contested=False):
    def add(build):
        CASES.append(dict(name=name, prov=prov, label=label, ext=ext, build=build,
                          contested=contested))
        return build
    return add


GL = "gitleaks cmd/generate/config/rules/alibaba.go"
BL = "betterleaks cmd/generate/config/rules/alibaba.go"
TH = "trufflehog pkg/detectors/alibaba"
KF = "kingfisher data/rules/alibaba.yml"
TV = "trivy pkg/fanal/secret/builtin-rules.go + testdata"
SN = "sonar-text alibaba rules (S6336)"
SC = "osv-scalibr veles secret extractors"
SG = "semgrep-rules generic/secrets"
MS = "2ms engine/rules/ruledefine/alibaba_access_key.go"
RL = "real leak in public code (scrambled)"
DOC = "Alibaba Cloud docs / SDK samples"

# ---------- IDs: formats and lengths ----------

ID_SYNTAX = [
    ("go", "go", 'alibabaKey := "{v}"'),
    ("env", "env", "ALIBABA_CLOUD_ACCESS_KEY_ID={v}"),
    ("yaml", "yml", "accessKeyId: {v}"),
    ("json", "json", '{{"AccessKeyId": "{v}"}}'),
    ("py", "py", "ACCESS_KEY_ID = '{v}'"),
    ("java", "java", 'String accessKeyId = "{v}";'),
    ("xml", "xml", "<accessKeyId>{v}</accessKeyId>"),
    ("ini", "ini", "[default]\naccess_key_id = {v}"),
    ("sh", "sh", "aliyun configure set --access-key-id {v} --region cn-hangzhou"),
    ("props", "properties", "aliyun.oss.accessKeyId={v}"),
    ("tf", "tf", 'provider "alicloud" {{\n  access_key = "{v}"\n}}'),
    ("md", "md", "Use the key `{v}` for the demo bucket."),
]
for tag, ext, tpl in ID_SYNTAX:
    case(f"id-current-{tag}", GL if tag == "go" else RL, "pos", ext)(
        lambda k, tpl=tpl: tpl.format(v=k.id("LTAI5t", 18)))
for tag, ext, tpl in ID_SYNTAX[:6]:
    case(f"id-legacy-{tag}", SN, "pos", ext)(lambda k, tpl=tpl: tpl.format(v=k.id("LTAI", 12)))
for n in (17, 18, 19, 21):
    case(f"id-len-{n}", TH + " (LTAI + 17..21)", "pos", "txt")(
        lambda k, n=n: f"access_key_id: {k.id('LTAI', n)}")
case("id-kingfisher-shape", KF + " examples", "pos", "txt")(
    lambda k: k.id("LTAI", 20))
case("id-hex-gitleaks", GL + " (hex tps)", "pos", "go")(
    lambda k: f'alibabaKey := "{k.id("LTAI", 20, "0123456789abcdef")}"')
case("id-lower", KF, "pos", "txt")(
    lambda k: f"key={k.id('LTAI', 20, 'abcdefghijklmnopqrstuvwxyz0123456789')}")
for tag, n in (("legacy", 12), ("current", 20)):
    for i in range(3):
        case(f"id-no-digit-{tag}-{i}", RL + " (ID without a digit)", "pos", "env")(
            lambda k, n=n: f"ALIYUN_ACCESS_KEY_ID={k.id('LTAI', n, k.LETTERS)}")
case("id-4-prefix", DOC, "pos", "yml")(lambda k: f"access_key_id: {k.id('LTAI4G', 18)}")
case("id-in-url", TV, "pos", "txt")(
    lambda k: f"https://ecs.aliyuncs.com/?Action=DescribeRegions&AccessKeyId={k.id('LTAI5t', 18)}&Format=JSON")
case("id-base64", RL + " (k8s Secret)", "pos", "yml")(
    lambda k: f"data:\n  id: {k.b64(k.id('LTAI5t', 18))}")
case("id-percent", RL, "pos", "txt")(
    lambda k: f"callback=https%3A%2F%2Fx%2F%3FAccessKeyId%3D{k.id('LTAI5t', 18)}%26x%3D1")
case("id-json-escaped", RL, "pos", "json")(
    lambda k: '{"conf": "{\\"AccessKeyId\\":\\"' + k.id("LTAI5t", 18) + '\\"}"}')
case("id-utf16", RL + " (PowerShell UTF-16 file)", "pos", "ps1")(
    lambda k: ("$id = '" + k.id("LTAI5t", 18) + "'").encode("utf-16-le"))
case("id-split-plus-js", RL + " (split to dodge push protection)", "pos", "js")(
    lambda k: (lambda v: f"const ak = '{v[:10]}' + '{v[10:]}';")(k.id("LTAI5t", 18)))
case("id-split-py", RL + " (split to dodge push protection)", "pos", "py")(
    lambda k: (lambda v: f'AK = ("{v[:12]}"\n      "{v[12:]}")')(k.id("LTAI5t", 18)))
case("id-split-java", RL, "pos", "java")(
    lambda k: (lambda v: f'String id = "{v[:8]}" +\n    "{v[8:]}";')(k.id("LTAI5t", 18)))

# ---------- pairs ----------

PAIR_SYNTAX = [
    ("env", "env", "ALIBABA_CLOUD_ACCESS_KEY_ID={i}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={s}"),
    ("py-sdk", "py", 'client = AcsClient("{i}", "{s}", "cn-hangzhou")'),
    ("java-sdk", "java", 'DefaultProfile.getProfile("cn-hangzhou", "{i}", "{s}");'),
    ("go-sdk", "go", 'client, err := ecs.NewClientWithAccessKey("cn-hangzhou", "{i}", "{s}")'),
    ("php", "php", "$config = ['accessKeyId' => '{i}', 'accessKeySecret' => '{s}'];"),
    ("yaml", "yml", "oss:\n  access-key-id: {i}\n  access-key-secret: {s}"),
    ("ini", "ini", "[default]\naccess_key_id = {i}\naccess_key_secret = {s}"),
    ("json", "json", '{{"AccessKeyId":"{i}","AccessKeySecret":"{s}"}}'),
    ("betterleaks-tps", "txt", "AccessKeyId={i} AccessKeySecret={s}"),
    ("xml", "xml", "<AccessKeyId>{i}</AccessKeyId>\n<AccessKeySecret>{s}</AccessKeySecret>"),
    ("bare", "txt", "{i}\n{s}"),
    ("csv", "csv", "AccessKey ID,AccessKey Secret\n{i},{s}"),
]
for tag, ext, tpl in PAIR_SYNTAX:
    case(f"pair-{tag}", BL if "better" in tag else (TH if tag == "bare" else RL), "pos", ext)(
        lambda k, tpl=tpl: tpl.format(i=k.id("LTAI5t", 18), s=k.secret()))
case("pair-base64-k8s", RL, "pos", "yml")(
    lambda k: f"data:\n  id: {k.b64(k.id('LTAI5t', 18))}\n  secret: {k.b64(k.secret())}")
case("pair-split-secret", RL + " (split secret)", "pos", "js")(
    lambda k: (lambda i, s: f"const id = '{i}';\nconst sk = '{s[:15]}' + '{s[15:]}';")(
        k.id("LTAI5t", 18), k.secret()))

# ---------- lone secrets under names that say Alibaba Cloud ----------

NAMES = ["alibabaToken", "alibaba-token", "ALIBABA_KEY", "alibaba_api_token",
         "aliyun_sts_access_key_secret", "AliyunSecret", "ALICLOUD_SECRET", "alibaba_secret",
         "aliyunApiKey", "ALIBABA_CLOUD_SK", "alicloudAccessSecret", "aliyun.secret-key"]
SYNTAX = [
    ("env", "env", "{n}={v}"),
    ("env-quoted", "env", '{n}="{v}"'),
    ("export", "sh", "export {n}='{v}'"),
    ("yaml", "yml", "{n}: {v}"),
    ("json", "json", '{{"{n}": "{v}"}}'),
    ("toml", "toml", '{n} = "{v}"'),
    ("go", "go", '{n} := "{v}"'),
    ("php", "php", "'{n}' => '{v}',"),
    ("ruby", "rb", ":{n} => \"{v}\","),
    ("py", "py", '{n} = "{v}"'),
    ("js", "js", "const {n} = '{v}';"),
    ("xml-el", "xml", "<{n}>{v}</{n}>"),
    ("xml-attr", "xml", '<cfg {n}="{v}"/>'),
    ("cli", "sh", "tool --{n} {v}"),
    ("or", "js", "const t = process.env.{n} || '{v}';"),
    ("make", "mk", "{n} ?= {v}"),
    ("comma", "py", 'os.getenv("{n}", "{v}")'),
    ("cjk-colon", "md", "{n}：{v}"),
    ("cjk-quote", "md", "{n}的值为：“{v}”"),
    ("cjk-corner", "md", "{n} 是「{v}」"),
]
for i, (tag, ext, tpl) in enumerate(SYNTAX):
    for j in range(2):
        name = NAMES[(2 * i + j) % len(NAMES)]
        if tag in ("xml-el", "xml-attr", "ruby", "go", "js", "or") and not name.replace("_", "").isalnum():
            name = "alibabaToken"
        alpha = [None, "abcdefghijklmnopqrstuvwxyz0123456789"][j]
        case(f"lone-secret-{tag}-{j}", GL + " (semi-generic tps) / " + RL, "pos", ext)(
            lambda k, tpl=tpl, name=name, alpha=alpha: tpl.format(n=name, v=k.secret(alpha=alpha)))
case("lone-secret-kingfisher", KF + " examples", "pos", "txt")(
    lambda k: f"alibaba_secret = {k.secret()}")
case("lone-secret-trivy", TV, "pos", "txt")(
    lambda k: f'alibaba_secret_key = "{k.secret()}"')
case("lone-secret-k8s-b64", RL, "pos", "yml")(
    lambda k: f"data:\n  access-key-secret: {k.b64(k.secret())}")
case("lone-secret-split", RL + " (split secret)", "pos", "py")(
    lambda k: (lambda s: f'ALIYUN_SECRET = "{s[:14]}" "{s[14:]}"')(k.secret()))

# ---------- STS ----------


def sts_block(k, expiration=None, spaces="  "):
    lines = [f'{spaces}"AccessKeyId": "{k.id("STS.", 25)}",',
             f'{spaces}"AccessKeySecret": "{k.secret(44)}",',
             f'{spaces}"SecurityToken": "{k.token()}"']
    if expiration:
        lines[-1] += ","
        lines.append(f'{spaces}"Expiration": "{expiration}"')
    return '{"Credentials": {\n' + "\n".join(lines) + "\n}}"


case("sts-json", DOC + " (AssumeRole response)", "pos", "json")(lambda k: sts_block(k, "2099-01-01T00:00:00Z"))
case("sts-env", BL, "pos", "env")(
    lambda k: f"ALIBABA_CLOUD_ACCESS_KEY_ID={k.id('STS.', 25)}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={k.secret(44)}\nALIBABA_CLOUD_SECURITY_TOKEN={k.token()}")
case("sts-caes", RL + " (older CAES token)", "pos", "env")(
    lambda k: f"ALIBABA_CLOUD_SECURITY_TOKEN={k.token('CAES')}")
case("sts-token-alone", BL, "pos", "env")(lambda k: f"ALIBABA_CLOUD_SECURITY_TOKEN={k.token()}")
for tag, ext, tpl in [("env", "env", "ALIBABA_CLOUD_STS_ACCESS_KEY_SECRET={v}"),
                      ("json", "json", '{{"StsAccessKeySecret": "{v}"}}'),
                      ("yaml", "yml", "sts_access_key_secret: {v}"),
                      ("betterleaks", "txt", "aliyun sts access_key_secret: {v}")]:
    case(f"sts-secret-alone-{tag}", BL if tag == "betterleaks" else RL, "pos", ext)(
        lambda k, tpl=tpl: tpl.format(v=k.secret(44)))
case("sts-token-split-py", RL + " (token over adjacent literals)", "pos", "py")(
    lambda k: (lambda t: 'token = ("' + t[:120] + '"\n         "' + t[120:] + '")')(k.token()))
case("sts-token-split-js", RL, "pos", "js")(
    lambda k: (lambda t: "const token = '" + t[:200] + "' +\n  '" + t[200:] + "';")(k.token()))
case("sts-token-split-c", RL, "pos", "c")(
    lambda k: (lambda t: 'const char *tok = "' + t[:100] + '"\n    "' + t[100:] + '";')(k.token()))
case("sts-id-inside-token", RL + " (token embeds its STS ID)", "one", "json")(
    lambda k: (lambda i: '{"AccessKeyId": "' + i + '",\n "AccessKeySecret": "' + k.secret(44)
               + '",\n "SecurityToken": "' + k.token(embed=i) + '"}')(k.id("STS.", 25)))
case("sts-expired", DOC + " (sample with Expiration)", "expired", "json")(
    lambda k: sts_block(k, "2019-03-12T10:00:00Z"))
case("sts-expired-yaml", DOC, "expired", "yml")(
    lambda k: f"AccessKeyId: {k.id('STS.', 25)}\nAccessKeySecret: {k.secret(44)}\nSecurityToken: {k.token()}\nExpiration: 2021-06-01T00:00:00Z")
case("sts-id-alone", BL + " (STS ID is SkipReport)", "neg", "txt", contested=True)(
    lambda k: f"AccessKeyId: {k.noise('STS.', 25)}")
case("sts-id-alone-log", RL + " (log line)", "neg", "log", contested=True)(
    lambda k: f"2024-01-01 assumed role, temporary key {k.noise('STS.', 25)}")

# ---------- presigned URLs (contested: public by design) ----------

for tag in ("oss", "oss-v1", "sts-url"):
    case(f"presigned-{tag}", DOC + " (presigned URL)", "neg", "md", contested=True)(
        lambda k, tag=tag: f"https://bucket.oss-cn-hangzhou.aliyuncs.com/a.jpg?OSSAccessKeyId={k.noise('LTAI5t', 18)}&Expires=1700000000&Signature={k.noise('', 27)}%3D")
case("presigned-accesskeyid", DOC, "neg", "txt", contested=True)(
    lambda k: f"GET /?AccessKeyId={k.noise('LTAI5t', 18)}&Action=GetObject&Expires=1700000000&Signature={k.noise('', 27)}%3D")

# ---------- lone IDs (contested: trufflehog and betterleaks need a secret) ----------

case("lone-id-contested", TH + " (needs a secret)", "pos", "txt", contested=True)(
    lambda k: f"the key is {k.id('LTAI5t', 18)}")

# ---------- negatives: impossible lengths ----------

for n in (13, 14, 15, 16):
    case(f"neg-len-{n}", TH + " / " + RL, "neg", "txt")(
        lambda k, n=n: f"access_key_id = {k.noise('LTAI', n)}")
case("neg-5t-12", RL, "neg", "txt")(lambda k: f"access_key_id = {k.noise('LTAI5t', 12)}")
case("neg-len-22", RL, "neg", "txt")(lambda k: f"id = {k.noise('LTAI', 22)}")
case("neg-len-30", RL, "neg", "txt")(lambda k: f"blob = {k.noise('LTAI', 30)}")
case("neg-secret-31", TV, "neg", "env")(lambda k: f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={k.noise('', 31)}")
case("neg-secret-29", TV, "neg", "env")(lambda k: f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={k.noise('', 29)}")
case("neg-short-cais", BL + " (fps)", "neg", "txt")(
    lambda k: f'securityToken = "CAIS{k.noise("", 40)}"')
case("neg-short-caes", RL, "neg", "txt")(lambda k: f"token: CAES{k.noise('', 60)}")

# ---------- negatives: values spelled from words ----------

WORDY_IDS = ["LTAIntegrationTestSuite", "LTAI5tNotARealKeyForDocs", "LTAI4GDem0Acc3ssKeyValue",
             "LTAIDocumentationSample", "LTAI5tMyCompanyProdAccount", "LTAI5tREPLACEWITHYOURID",
             "LTAIAbcdefghIjklmnOpqrs", "LTAI5tInsertAccessKeyHere", "LTAI4FakeKeyForUnitTests",
             "LTAI5tPlaceHolderKeyIdX"]
for i, v in enumerate(WORDY_IDS):
    case(f"neg-wordy-id-{i}", SN + " / " + RL + " (docs)", "neg", "md")(
        lambda k, v=v: f"accessKeyId: {v}")
WORDY_SECRETS = ["NotARealSecretForDocsPurposes1", "Dem0Acc3ssKeySecretForTheDemo2",
                 "IntegrationTestSuiteSecretVal3", "ThisIsMyAlibabaCloudSecretKey4",
                 "YourAccessKeySecretGoesHereNow", "ReplaceThisWithTheRealSecretAb",
                 "pleasechangemetoyourownsecretk", "SuperSecretPasswordForTesting1"]
for i, v in enumerate(WORDY_SECRETS):
    case(f"neg-wordy-secret-{i}", RL + " (docs)", "neg", "env")(
        lambda k, v=v: f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={v}")

# ---------- negatives: masks ----------

MASKS = ["****", "\\*\\*\\*\\*", "&#42;&#42;&#42;&#42;", "%2A%2A%2A%2A", "…", "...",
         "<redacted>", "[REDACTED]", "xxxx", "&ast;&ast;&ast;"]
for i, m in enumerate(MASKS):
    case(f"neg-mask-id-{i}", DOC + " (masked)", "neg", "md")(
        lambda k, m=m: f"AccessKeyId: {k.noise('LTAI5t', 14)}{m}")
    case(f"neg-mask-secret-{i}", DOC + " (masked)", "neg", "md")(
        lambda k, m=m: f"AccessKeySecret: {k.noise('', 26)}{m}")
case("neg-mask-prefix-long", DOC, "neg", "md")(
    lambda k: f"AccessKeyId: {k.noise('LTAI', 12)}\\*\\*\\*\\*\\*\\*\\*\\*")
case("neg-mask-sts", DOC, "neg", "md")(lambda k: f"AccessKeyId: {k.noise('STS.', 21)}****")

# ---------- negatives: templates and placeholders ----------

for i, t in enumerate(["${ALIBABA_CLOUD_ACCESS_KEY_SECRET}", "<your-access-key-secret>",
                       "{{ .Values.secret }}", "%(secret)s", "os.environ['ALIYUN_SECRET']",
                       "LTAI5tEXAMPLEexampleKEY12", "LTAIxxxxxxxxxxxxxxxxxxxx",
                       "LTAI************************"]):
    case(f"neg-template-{i}", GL + " (allowlist) / " + SG, "neg", "env")(
        lambda k, t=t: f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={t}")

# ---------- negatives: key-shaped text that is something else ----------

case("neg-b64-blob", RL + " (image data)", "neg", "html")(
    lambda k: f'<img src="data:image/png;base64,{k.noise("", 20)}+LTAI5t{k.noise("", 14)}/{k.noise("", 20)}=">')
case("neg-sha-prefix", RL, "neg", "txt")(lambda k: f"commit 9f{k.noise('LTAI5t', 18)}")
case("neg-30-no-context", SG, "neg", "env")(lambda k: f"GITHUB_TOKEN={k.noise('', 30)}")
case("neg-30-secret-key-no-alibaba", SG, "neg", "py")(lambda k: f"secret_key = '{k.noise('', 30)}'")
case("neg-alibaba-region", RL, "neg", "env")(lambda k: "ALIBABA_REGION=cn-hangzhou\nALIBABA_BUCKET=my-bucket")
case("neg-alibaba-token-var", RL, "neg", "js")(
    lambda k: "const alibabaToken = process.env.ALIBABA_TOKEN;")
case("neg-alibaba-key-id-name", RL, "neg", "env")(
    lambda k: f"ALIBABA_ACCOUNT_NAME={k.noise('', 30, k.LOWER_ONLY)}")
case("neg-hash-near-id", TH + " (any 30 chars pair)", "neg", "txt", contested=True)(
    lambda k: f"sha={k.noise('', 30, '0123456789abcdef')}\nrequest id {k.noise('', 8)}")
case("neg-uuid-alibaba", RL, "neg", "yml")(
    lambda k: "alibaba:\n  request_id: 5B2A3C4D-1E2F-3A4B-5C6D-7E8F9A0B1C2D")
case("neg-sts-api-name", DOC, "neg", "md")(lambda k: "call STS.AssumeRoleWithOIDCProvider here")
case("neg-ltai-word", RL, "neg", "txt")(lambda k: "LTAIlosAlbumReviewsArchive was a blog")
case("neg-aliyun-doc-url", DOC, "neg", "md")(
    lambda k: "See https://help.aliyun.com/document_detail/53045.html for the AccessKeySecret.")
case("neg-alibaba-secret-ref", RL, "neg", "yml")(
    lambda k: "alibaba_secret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256")

# ---------- more shapes from real code ----------

MORE_POS = [
    ("id-dockerfile", "Dockerfile", "ENV ALIBABA_CLOUD_ACCESS_KEY_ID={i}", RL),
    ("id-gha", "yml", "env:\n  ALICLOUD_ACCESS_KEY: {i}", RL),
    ("id-sql", "sql", "INSERT INTO creds VALUES ('{i}', 'prod');", RL),
    ("id-html-attr", "html", '<input name="ak" value="{i}">', RL),
    ("id-cjk", "md", "密钥ID：{i}", RL + " (Chinese README)"),
    ("id-notebook", "ipynb", '{{"source": ["ak = \\"{i}\\"\\n", "print(ak)"]}}', RL),
    ("id-kotlin", "kt", 'val accessKeyId = "{i}"', RL),
    ("id-csharp", "cs", 'var cfg = new Config {{ AccessKeyId = "{i}" }};', RL),
    ("id-rust", "rs", 'let ak = String::from("{i}");', RL),
    ("id-lua", "lua", 'local ak = "{i}"', RL),
]
for tag, ext, tpl, prov in MORE_POS:
    case(tag, prov, "pos", ext)(lambda k, tpl=tpl: tpl.format(i=k.id("LTAI5t", 18)))

MORE_SECRETS = [
    ("secret-aliyun-access-secret", "env", "ALIYUN_ACCESS_SECRET={s}", RL),
    ("secret-aliyun-ak-secret", "py", "aliyun_ak_secret = '{s}'", RL),
    ("secret-alibaba-cloud-secret-key", "tf", 'alibaba_cloud_secret_key = "{s}"', RL),
    ("secret-alicloud-access-key", "env", "ALICLOUD_ACCESS_KEY_SECRET={s}", RL),
    ("secret-cjk-name", "md", "阿里云 AccessKeySecret：{s}", RL + " (Chinese README)"),
    ("secret-upper-digits", "env", "ALIBABA_TOKEN={u}", RL),  # upper case and digits only
    ("secret-json-nested-name", "json", '{{"alibabaCloudAccessKeySecret": "{s}"}}', RL),
    ("secret-ruby-sym", "rb", "config.alibaba_secret = '{s}'", RL),
    ("secret-swift", "swift", 'let alibabaKey = "{s}"', RL),
    ("secret-gradle", "gradle", 'buildConfigField "String", "ALIYUN_SECRET", "\\"{s}\\""', RL),
    ("secret-word-first", "env", "SECRET_KEY_ALIYUN={s}", RL + " (credential word first)"),
    ("secret-token-first", "yml", "token_alibaba: '{s}'", RL + " (credential word first)"),
    ("secret-long-cjk", "md", "ALIYUN_SECRET 阿里云访问密钥的值是：「{s}」", RL + " (Chinese README)"),
]
for tag, ext, tpl, prov in MORE_SECRETS:
    case(tag, prov, "pos", ext)(lambda k, tpl=tpl: tpl.format(
        s=k.secret() if "{s}" in tpl else "",
        u=k.secret(alpha="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") if "{u}" in tpl else ""))
case("pair-cjk-doc", RL + " (Chinese blog)", "pos", "md")(
    lambda k: f"AccessKey ID：{k.id('LTAI5t', 18)}\nAccessKey Secret：{k.secret()}")
case("secret-split-shell", RL + " (split secret, shell)", "pos", "sh")(
    lambda k: (lambda v: f'export ALIYUN_SECRET="{v[:16]}""{v[16:]}"')(k.secret()))
case("secret-split-sql", RL + " (split secret, SQL)", "pos", "sql")(
    lambda k: (lambda v: f"UPDATE cfg SET alibaba_secret = '{v[:10]}' || '{v[10:]}';")(k.secret()))
case("sts-token-alone-expired", DOC + " (token sample with Expiration)", "expired", "yml")(
    lambda k: f"SecurityToken: {k.token()}\nExpiration: 2020-01-01T00:00:00Z")
case("sts-token-percent", RL + " (token in a query string)", "pos", "txt")(
    lambda k: (lambda t: "https://x.aliyuncs.com/?SecurityToken=" + t.replace("+", "%2B").replace("/", "%2F") + "&Action=List")(k.token()))

MORE_NEG = [
    ("neg-vault-template", "yml", 'alibaba_token: "{{{{ vault_alibaba_token }}}}"'),
    ("neg-hash-call", "py", "alibaba_secret = hashlib.sha1(seed).hexdigest()"),
    ("neg-wordy-lower", "env", "ALIBABA_TOKEN=thisisnotarealtokenjustsampleq"),
    ("neg-md5-name", "env", "ALIBABA_KEY_MD5={h32}"),
    ("neg-oss-v4-presigned", "md",
     "https://b.oss-cn-hangzhou.aliyuncs.com/a?x-oss-credential={i}%2F20240101%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-expires=3600&x-oss-signature={h32}"),
    ("neg-ltai-in-b64-json", "json", '{{"img": "iVBORw0KGgo/{r}+LTAI5t{r}/{r}=="}}'),
    ("neg-secret-29-named", "env", "ALIBABA_TOKEN={s29}"),
    ("neg-wordy-alibaba-token", "js", "const alibabaToken = 'MyAlibabaTokenGoesRightHere1';"),
]
for tag, ext, tpl in MORE_NEG:
    case(tag, RL, "neg", ext, contested=tag == "neg-oss-v4-presigned")(
        lambda k, tpl=tpl: tpl.format(h32=k.noise("", 32, "0123456789abcdef"),
                                      i=k.noise("LTAI5t", 18), r=k.noise("", 20),
                                      s29=k.noise("", 29)))

# ---------- independent review: syntaxes and contexts the cases above did not cover ----------
# (accreview: found by probing akhound with other suites' sample syntaxes and shapes seen in the
# history of aliyun/* SDK repositories; all values generated here)

GLS = "gitleaks cmd/generate/config/utils GenerateSampleSecrets"


def secret_shapes(prefix, rows):
    """One positive case per (tag, ext, template, provenance) row, the template's {s} a secret."""
    for tag, ext, tpl, prov in rows:
        case(f"{prefix}-{tag}", prov, "pos", ext)(lambda k, tpl=tpl: tpl.format(s=k.secret()))


RV = "shape common in public code (accreview probe; not a copied leak)"
# a type between the name and the value: Go, TypeScript, Kotlin, Swift, Scala, Rust
TYPED = [
    ("go-var", "go", 'var alibabaToken string = "{s}"', GLS + " (go - normal)"),
    ("kotlin", "kt", 'var alibabaToken: String = "{s}"', GLS + " (kotlin - type)"),
    ("ts", "ts", "private readonly accessKeySecret: string = '{s}';", RV + " (TypeScript class)"),
    ("swift", "swift", 'let aliyunSecret: String = "{s}"', RV),
    ("rust", "rs", 'const ALIYUN_SECRET: &str = "{s}";', RV),
    ("go-var-ak", "go", 'var AccessKeySecret string = "{s}"', RV),
]
secret_shapes("typed", TYPED)
# the name and the value in two fields of one entry
FIELDS = [
    ("k8s-env", "yml", "env:\n  - name: ALIBABA_CLOUD_ACCESS_KEY_SECRET\n    value: {s}", RV + " (Kubernetes env list)"),
    ("k8s-env-quoted", "yml", "        - name: ALIYUN_SECRET\n          value: \"{s}\"", RV + " (Kubernetes env list)"),
    ("ecs-task", "json", '"environment": [{{"name": "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "value": "{s}"}}]', RV + " (container task definition)"),
    ("hadoop", "xml", "<property>\n  <name>fs.oss.accessKeySecret</name>\n  <value>{s}</value>\n</property>", RV + " (Hadoop core-site.xml for OSS)"),
]
secret_shapes("fields", FIELDS)
# a section or parent key says Alibaba Cloud, the child key is a bare credential word
SECTION = [
    ("yaml", "yml", "alibaba:\n  secret: {s}", KF + " (alibaba then up to 16 characters)"),
    ("yaml-sibling", "yml", "alicloud:\n  region: cn-hangzhou\n  key: {s}", RV),
    ("json", "json", '{{"aliyun": {{"secret": "{s}"}}}}', RV),
    ("ini", "ini", "[aliyun]\nsecret = {s}", RV),
    ("toml", "toml", '[alibaba]\ntoken = "{s}"', RV),
]
secret_shapes("section", SECTION)
REVIEW_NEG = [
    ("neg-k8s-value-from", "yml",
     "env:\n  - name: ALIBABA_CLOUD_ACCESS_KEY_SECRET\n    valueFrom:\n      secretKeyRef: {{name: ak, key: {n}}}"),
    ("neg-k8s-value-ref", "yml", "env:\n  - name: ALIYUN_SECRET\n    value: ${{ALIYUN_SECRET}}"),
    ("neg-typed-getenv", "go", 'var alibabaToken string = os.Getenv("ALIBABA_TOKEN")'),
    ("neg-yaml-other-section", "yml", "aliyun:\n  region: cn-hangzhou\ngithub:\n  token: {n}"),
    ("neg-ini-other-section", "ini", "[aliyun]\nregion = cn-hangzhou\n[github]\ntoken = {n}"),
]
for tag, ext, tpl in REVIEW_NEG:
    case(tag, RV, "neg", ext)(lambda k, tpl=tpl: tpl.format(n=k.noise("", 30)))


def sts_repeated(k):
    """A test fixture: an expired metadata response, and 30 lines later the test asserting the
    same ID and secret (aliyun/alibaba-cloud-sdk-go instance_metadata_test.go shape)."""
    i, s = k.id("STS.", 25), k.secret(44)
    body = ('body := `{\n  "AccessKeyId" : "' + i + '",\n  "AccessKeySecret" : "' + s
            + '",\n  "Expiration" : "2018-08-20T22:30:02Z",\n  "SecurityToken" : "'
            + k.token("CAES") + '"\n}`\n')
    return (body + "// ...\n" * 30 + f'assert.Equal(t, "{i}", c.AccessKeyId)\n'
            f'assert.Equal(t, "{s}", c.AccessKeySecret)')


case("sts-expired-repeated", "aliyun/alibaba-cloud-sdk-go test fixture shape", "expired", "go")(sts_repeated)

# names written with spaces: labels in READMEs and blog posts, the console's `AccessKey Secret`,
# Chinese text naming Alibaba Cloud (阿里云), trivy's name class that allows blanks
LABELS = [
    ("trivy", "txt", 'alibaba secret key: "{s}"', TV + " (name class allows blanks)"),
    ("console", "md", "Alibaba Cloud AccessKey Secret: {s}", RV),
    ("words", "txt", "aliyun access key secret = {s}", RV),
    ("sk", "md", "aliyun sk: {s}", RV),
    ("accesskey-secret", "md", "AccessKey Secret: {s}", DOC + " (console's name, secret shown alone)"),
    ("cn-sk", "md", "阿里云 SK：{s}", RV + " (Chinese README)"),
    ("cn-accesskey", "md", "AccessKey Secret 为 {s}", RV + " (Chinese README)"),
]
secret_shapes("label", LABELS)
case("pair-prose-secret-first", TH + " alibaba_test.go (secret before the ID, prose)", "pos", "txt")(
    lambda k: f"You can find a alibaba secret {k.secret()} within alibaba {k.id('LTAI5t', 18)}")
for tag, tpl in [("words-between", "the alibaba key rotation job id: {n}"),
                 ("prose", "Aliyun keys are rotated every 90 days: {n}")]:
    case(f"neg-label-{tag}", RV, "neg", "md")(lambda k, tpl=tpl: tpl.format(n=k.noise("", 30)))

# string literals with a prefix (Python 2 prints dicts as {u'AccessKeySecret': u'...'}; bytes,
# raw and f-strings; C++ wide strings) and VB's `As String`
PREFIXED = [
    ("py2-dict", "py", "creds = {{u'AccessKeySecret': u'{s}'}}", RV + " (Python 2 dict repr in logs and fixtures)"),
    ("py-bytes", "py", "secret = {{'access_key_secret': b'{s}'}}", RV),
    ("py-raw", "py", "ACCESS_KEY_SECRET = r'{s}'", RV),
    ("py-fstring", "py", 'aliyun_secret = f"{s}"', RV),
    ("cpp-wide", "cpp", 'const wchar_t* AccessKeySecret = L"{s}";', RV),
    ("vb", "vb", 'Dim AccessKeySecret As String = "{s}"', RV),
]
secret_shapes("prefixed", PREFIXED)
case("neg-prefixed-word", RV, "neg", "py")(
    lambda k: f"access_key_secret = load(u'{k.noise('', 30)}')")
