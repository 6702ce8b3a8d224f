#!/usr/bin/env python3
"""Alibaba Cloud API emulator for akhound's tests (Python 3 standard library only).

Serves STS 2015-04-01, RAM 2015-05-01, IMS 2019-08-15 and ActionTrail 2020-07-06 on one port,
over HTTP or HTTPS, on 127.0.0.1 only. Products are routed by a path prefix (/sts/, /ram/, /ims/,
/actiontrail/), else by the Host header (sts.*, ram.*, ...), else by the Version parameter; so an
endpoint variable can be http://127.0.0.1:PORT/sts.

Requests are authenticated by a second, independent implementation of signature V1 (HMAC-SHA1) and
V3 (ACS3-HMAC-SHA256), with timestamp (+-15 min) and nonce replay checks, and answered with the
documented HTTP statuses, error codes and body shapes. State (accounts, users, AccessKeys, STS
credentials, policies, ActionTrail events) comes from a JSON file and changes as the real service
would. Control endpoints under /_emulator/ read the state and counters and configure faults:

  GET  /_emulator/state           the state          PUT /_emulator/state     replace it
  GET  /_emulator/counters        request counters   POST /_emulator/reset    zero the counters
  GET  /_emulator/faults          current faults     PUT /_emulator/faults    set them
  POST /_emulator/clock           {"skew_seconds": N} shift the emulator's clock

A user with "deny_actions": [ACTION, ...] in the state gets 403 NoPermission for those actions.
Behaviours the reference marks "not confirmed" are chosen by the state's "behaviour" object:
  never_used: "empty" (default) | "absent" | "null"   LastUsedDate of a key never used
  sts_last_used: true (default) | false               whether STS calls update a key's last use
  trail_response_elements: true (default) | false     whether events hold responseElements (the
                                                      new AccessKeyId of CreateAccessKey)
ActionTrail events record the caller's User-Agent.

Faults (PUT /_emulator/faults or --faults JSON): {"latency_ms": 20, "tls_handshake_delay_ms": 0,
 "rules": [{"kind": K, "after": 0, "count": 1, "action": "GetCallerIdentity", ...}]} with kind
 throttle (retry_after_ms), status (status, code), reset, truncate (body cut, connection closed),
 truncate_json (complete response, cut JSON), malformed (not JSON), hang (ms).
 A rule applies to matching requests after letting `after` through, `count` times (-1: always).
 With "after_effect": true the call is carried out first and only its answer is faulty (a lost
 reply to a write).

Usage:
  emulator.py serve --state FILE [--port 0] [--port-file FILE] [--cert PEM --key PEM] [--faults J]
  emulator.py ctl URL METHOD PATH [JSON] [--cafile PEM]
  emulator.py selftest
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

PRODUCTS = {
    "sts": ("2015-04-01", "sts.aliyuncs.com", "Sts"),
    "ram": ("2015-05-01", "ram.aliyuncs.com", "Ram"),
    "ims": ("2019-08-15", "ims.aliyuncs.com", "Ims"),
    "actiontrail": ("2020-07-06", "actiontrail.cn-hangzhou.aliyuncs.com", "Actiontrail"),
}
VERSION_TO_PRODUCT = {v[0]: k for k, v in PRODUCTS.items()}
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
TIME_WINDOW = 15 * 60


# ---------------------------------------------------------------------------------------------
# Signatures: written from the algorithm description, independently of the C code.

def pct(s):
    """Alibaba percentEncode: RFC 3986 unreserved kept, everything else %XX upper-case."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-_.~"):
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def v1_string_to_sign(method, params):
    pairs = sorted((k, v) for k, v in params if k != "Signature")
    cqs = "&".join(pct(k) + "=" + pct(v) for k, v in pairs)
    return method + "&" + pct("/") + "&" + pct(cqs)


def v1_signature(secret, method, params):
    sts = v1_string_to_sign(method, params)
    mac = hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode(), sts


def v3_canonical(method, uri, query, headers, signed, payload_hash):
    q = "&".join(pct(k) + "=" + pct(v) for k, v in sorted(query, key=lambda kv: kv[0]))
    lines = []
    for name in signed:
        vals = [v.strip() for k, v in headers if k.lower() == name]
        lines.append(name + ":" + ",".join(vals) + "\n")
    return "\n".join([method, uri, q, "".join(lines), ";".join(signed), payload_hash])


def v3_signature(secret, canonical):
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------
# Errors and helpers

class ApiError(Exception):
    def __init__(self, status, code, message, extra=None):
        super().__init__(code)
        self.status, self.code, self.message, self.extra = status, code, message, extra or {}


def iso_now(skew=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=skew)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    """A UTC date as the API writes it; a state may also hold other ISO 8601 forms (an offset,
    milliseconds), which the real service might send, to test akhound against them."""
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        t = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
        return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


def request_id():
    return str(uuid.uuid4()).upper()


def need(params, name):
    v = params.get(name)
    if v is None or v == "":
        raise ApiError(400, "MissingParameter", "The input parameter \"%s\" that is mandatory for "
                       "processing this request is not supplied." % name)
    return v


# ---------------------------------------------------------------------------------------------
# State

DEFAULT_SYSTEM_POLICIES = ["AdministratorAccess", "ReadOnlyAccess", "AliyunOSSFullAccess",
                           "AliyunECSFullAccess"]


class State:
    """The emulated cloud. All access happens under self.lock."""

    def __init__(self, data):
        self.lock = threading.RLock()
        self.load(data)

    def load(self, data):
        d = json.loads(json.dumps(data))  # deep copy
        d.setdefault("accounts", [])
        d.setdefault("users", [])
        d.setdefault("access_keys", [])
        d.setdefault("sts_credentials", [])
        d.setdefault("policies", [])
        d.setdefault("events", [])
        d.setdefault("system_policies", DEFAULT_SYSTEM_POLICIES)
        for u in d["users"]:
            u.setdefault("policies", [])
            u.setdefault("id", str(200000000000000 + abs(hash(u["name"])) % 10**14))
        for k in d["access_keys"]:
            k.setdefault("status", "Active")
            k.setdefault("created", "2024-01-01T00:00:00Z")
        self.d = d
        self.key_index = {k["id"]: k for k in d["access_keys"]}
        self.user_index = {(u["account"], u["name"]): u for u in d["users"]}

    def behaviour(self, name, default):
        """Where the reference marks a behaviour "not confirmed", the state's "behaviour" object
        chooses it, so akhound can be tested against each possibility."""
        return self.d.get("behaviour", {}).get(name, default)

    def account(self, acc_id):
        for a in self.d["accounts"]:
            if a["id"] == acc_id:
                return a
        return {"id": acc_id, "alias": "acct" + acc_id[-4:]}

    def upn(self, user):
        return "%s@%s.onaliyun.com" % (user["name"], self.account(user["account"])["alias"])

    def user(self, account, name=None, upn=None, uid=None):
        if name and (account, name) in self.user_index:
            return self.user_index[(account, name)]
        for u in self.d["users"]:
            if u["account"] != account:
                continue
            if (name and u["name"] == name) or (upn and self.upn(u) == upn) or (uid and u["id"] == uid):
                return u
        raise ApiError(404, "EntityNotExist.User", "The user does not exist.")

    def key(self, key_id):
        return self.key_index.get(key_id)

    def sts(self, key_id):
        for s in self.d["sts_credentials"]:
            if s["id"] == key_id:
                return s
        return None

    def policy(self, account, name, ptype=None):
        if ptype in (None, "System") and name in self.d["system_policies"]:
            return {"name": name, "type": "System", "account": account, "description": name,
                    "default_version": "v1", "created": "2015-01-01T00:00:00Z",
                    "versions": [{"id": "v1", "document": '{"Version":"1","Statement":[]}',
                                  "created": "2015-01-01T00:00:00Z"}]}
        for p in self.d["policies"]:
            if p["account"] == account and p["name"] == name and ptype in (None, "Custom"):
                return p
        raise ApiError(404, "EntityNotExist.Policy", "The policy does not exist.")


class Faults:
    def __init__(self, spec=None):
        self.lock = threading.Lock()
        self.set(spec or {})

    def set(self, spec):
        with self.lock:
            self.spec = {"latency_ms": spec.get("latency_ms", 0),
                         "tls_handshake_delay_ms": spec.get("tls_handshake_delay_ms", 0),
                         "rules": [dict(r, seen=0, applied=0) for r in spec.get("rules", [])]}

    def get(self):
        with self.lock:
            return json.loads(json.dumps(self.spec))

    def value(self, name):
        with self.lock:
            return self.spec[name]

    def pick(self, action, key_id):
        """The first rule that applies to this request, counting it; or None."""
        with self.lock:
            for r in self.spec["rules"]:
                if r.get("action") and r["action"] != action:
                    continue
                if r.get("key") and r["key"] != key_id:
                    continue
                r["seen"] += 1
                if r["seen"] <= r.get("after", 0):
                    continue
                count = r.get("count", -1)
                if count >= 0 and r["applied"] >= count:
                    continue
                r["applied"] += 1
                return dict(r)
            return None


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.total = 0
        self.by_key = {}
        self.by_action = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.signature_versions = {"v1": 0, "v3": 0}
        self.connections = 0

    def snapshot(self):
        with self.lock:
            return {"total": self.total, "by_key": self.by_key, "by_action": self.by_action,
                    "in_flight": self.in_flight, "max_in_flight": self.max_in_flight,
                    "signature_versions": self.signature_versions, "connections": self.connections}


# ---------------------------------------------------------------------------------------------
# Action handlers: (state, caller, params) -> response dict (without RequestId)

def caller_user(st, caller):
    if caller["kind"] != "user":
        raise ApiError(404, "EntityNotExist.User", "The user does not exist.")
    return st.user(caller["account"], name=caller["user"])


def target_user_ims(st, caller, params):
    upn = params.get("UserPrincipalName")
    return st.user(caller["account"], upn=upn) if upn else caller_user(st, caller)


def key_of_user(st, user, key_id, account):
    k = st.key(key_id)
    owner = k and k["account"] == account and (k.get("user") == (user["name"] if user else None))
    if not owner:
        raise ApiError(404, "EntityNotExist.User.AccessKey", "The user access key does not exist.")
    return k


def user_json(st, u, ims):
    out = {"UserName": u["name"], "UserId": u["id"], "DisplayName": u.get("display_name", u["name"]),
           "Email": u.get("email", ""), "MobilePhone": u.get("mobile", ""),
           "Comments": u.get("comments", ""), "CreateDate": u.get("created", "2024-01-01T00:00:00Z"),
           "UpdateDate": u.get("updated", "2024-01-01T00:00:00Z"),
           "LastLoginDate": u.get("last_login", "")}
    if ims:
        out["UserPrincipalName"] = st.upn(u)
        out["ProvisionType"] = "Manual"
    return out


def h_get_caller_identity(st, caller, params):
    acc = caller["account"]
    if caller["kind"] == "sts":
        s = caller["sts"]
        return {"IdentityType": "AssumedRoleUser", "AccountId": acc,
                "Arn": "acs:ram::%s:assumed-role/%s/%s" % (acc, s["role_name"], s["session"]),
                "PrincipalId": "%s:%s" % (s["role_id"], s["session"]), "RoleId": s["role_id"]}
    if caller["kind"] == "root":
        return {"IdentityType": "Account", "AccountId": acc, "Arn": "acs:ram::%s:root" % acc,
                "PrincipalId": acc, "UserId": acc}
    u = st.user(acc, name=caller["user"])
    return {"IdentityType": "RAMUser", "AccountId": acc, "Arn": "acs:ram::%s:user/%s" % (acc, u["name"]),
            "PrincipalId": u["id"], "UserId": u["id"]}


def keys_json(keys, ims):
    out = []
    for k in keys:
        e = {"AccessKeyId": k["id"], "Status": k["status"], "CreateDate": k["created"]}
        if ims:
            e["UpdateDate"] = k.get("updated", k["created"])
        out.append(e)
    return {"AccessKeys": {"AccessKey": out}}


def user_keys(st, account, user):
    name = user["name"] if user else None
    return [k for k in st.d["access_keys"] if k["account"] == account and k.get("user") == name]


def set_status(k, status):
    if status not in ("Active", "Inactive"):
        raise ApiError(400, "InvalidParameter.Status", "The parameter Status must be Active or Inactive.")
    k["status"] = status
    k["updated"] = iso_now()


def delete_key(st, k):
    st.d["access_keys"].remove(k)
    del st.key_index[k["id"]]


def ims_target(st, caller, params):
    """IMS acts on the named user, or on the caller itself (root keys act on the root)."""
    if params.get("UserPrincipalName"):
        return st.user(caller["account"], upn=params["UserPrincipalName"])
    return caller_user(st, caller) if caller["kind"] == "user" else None


def h_ims_get_user(st, caller, params):
    given = [n for n in ("UserPrincipalName", "UserId", "UserAccessKeyId") if params.get(n)]
    if len(given) != 1:
        raise ApiError(400, "InvalidParameter", "Exactly one of UserPrincipalName, UserId and "
                       "UserAccessKeyId must be given.")
    acc = caller["account"]
    if given[0] == "UserAccessKeyId":
        k = st.key(params["UserAccessKeyId"])
        if not k or k["account"] != acc:
            raise ApiError(404, "EntityNotExist.User.AccessKey", "The user access key does not exist.")
        if not k.get("user"):
            raise ApiError(404, "EntityNotExist.User", "The user does not exist.")
        u = st.user(acc, name=k["user"])
    elif given[0] == "UserId":
        u = st.user(acc, uid=params["UserId"])
    else:
        u = st.user(acc, upn=params["UserPrincipalName"])
    return {"User": user_json(st, u, True)}


def last_used_json(st, k, ims):
    """How a key that was never used is reported is not confirmed: behaviour "never_used" picks
    an empty LastUsedDate ("empty", the default), no LastUsedDate field ("absent") or null."""
    out = {"LastUsedDate": k.get("last_used", "")}
    if ims:
        out["ServiceName"] = k.get("last_used_service", "")
    if not out["LastUsedDate"]:
        shape = st.behaviour("never_used", "empty")
        if shape == "absent":
            del out["LastUsedDate"]
        elif shape == "null":
            out["LastUsedDate"] = None
    return {"AccessKeyLastUsed": out}


def h_ims_last_used(st, caller, params):
    k = key_of_user(st, ims_target(st, caller, params), need(params, "UserAccessKeyId"), caller["account"])
    return last_used_json(st, k, True)


def h_ims_list_keys(st, caller, params):
    return keys_json(user_keys(st, caller["account"], ims_target(st, caller, params)), True)


def h_ims_update_key(st, caller, params):
    k = key_of_user(st, ims_target(st, caller, params), need(params, "UserAccessKeyId"), caller["account"])
    set_status(k, need(params, "Status"))
    return {}


def h_ims_delete_key(st, caller, params):
    k = key_of_user(st, ims_target(st, caller, params), need(params, "UserAccessKeyId"), caller["account"])
    delete_key(st, k)
    return {}


ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def random_text(n):
    return "".join(ALNUM[b % len(ALNUM)] for b in os.urandom(n))


def create_key(st, caller, user):
    """RAM allows two AccessKeys per user. The secret is shown in this answer only."""
    if user is None:
        raise ApiError(404, "EntityNotExist.User", "The user does not exist.")
    if len(user_keys(st, caller["account"], user)) >= 2:
        raise ApiError(409, "LimitExceeded.User.AccessKey", "The count of access keys of the user exceeds the limit.")
    k = {"id": "LT" + "AI" + random_text(20), "secret": random_text(30), "account": caller["account"],
         "user": user["name"], "status": "Active", "created": iso_now()}
    st.d["access_keys"].append(k)
    st.key_index[k["id"]] = k
    return {"AccessKey": {"AccessKeyId": k["id"], "AccessKeySecret": k["secret"], "Status": "Active",
                          "CreateDate": k["created"]}}


def h_ims_create_key(st, caller, params):
    return create_key(st, caller, ims_target(st, caller, params))


def h_ram_create_key(st, caller, params):
    return create_key(st, caller, ram_target(st, caller, params))


def mfa_json(u, ims):
    m = u.get("mfa")
    if not m:
        if ims:
            return {"IsMFAEnable": False}
        raise ApiError(404, "EntityNotExist.User.MFADevice", "The user has not bound any MFA device.")
    out = {"MFADevice": {"SerialNumber": m.get("serial", "acs:ram::%s:mfa/%s" % (u["account"], u["name"])),
                         "Type": m.get("type", "VMFA")}}
    if ims:
        out["IsMFAEnable"] = True
    return out


def h_ims_mfa(st, caller, params):
    return mfa_json(st.user(caller["account"], upn=need(params, "UserPrincipalName")), True)


def login_json(u, ims):
    lp = u.get("login_profile")
    if not lp:
        raise ApiError(404, "EntityNotExist.User.LoginProfile", "The user login profile does not exist.")
    out = {"PasswordResetRequired": lp.get("password_reset_required", False),
           "MFABindRequired": lp.get("mfa_bind_required", False),
           "CreateDate": lp.get("created", "2024-01-01T00:00:00Z")}
    if ims:
        out["Status"] = lp.get("status", "Active")
    else:
        out["UserName"] = u["name"]
    return {"LoginProfile": out}


def h_ims_login(st, caller, params):
    return login_json(st.user(caller["account"], upn=need(params, "UserPrincipalName")), True)


def ram_target(st, caller, params):
    if params.get("UserName"):
        return st.user(caller["account"], name=params["UserName"])
    return caller_user(st, caller) if caller["kind"] == "user" else None


def h_ram_get_user(st, caller, params):
    return {"User": user_json(st, st.user(caller["account"], name=need(params, "UserName")), False)}


def h_ram_list_keys(st, caller, params):
    return keys_json(user_keys(st, caller["account"], ram_target(st, caller, params)), False)


def h_ram_update_key(st, caller, params):
    k = key_of_user(st, ram_target(st, caller, params), need(params, "UserAccessKeyId"), caller["account"])
    set_status(k, need(params, "Status"))
    return {}


def h_ram_delete_key(st, caller, params):
    k = key_of_user(st, ram_target(st, caller, params), need(params, "UserAccessKeyId"), caller["account"])
    delete_key(st, k)
    return {}


def h_ram_last_used(st, caller, params):
    u = st.user(caller["account"], name=need(params, "UserName"))
    k = key_of_user(st, u, need(params, "UserAccessKeyId"), caller["account"])
    return last_used_json(st, k, False)


def h_ram_mfa(st, caller, params):
    return mfa_json(st.user(caller["account"], name=need(params, "UserName")), False)


def h_ram_login(st, caller, params):
    return login_json(st.user(caller["account"], name=need(params, "UserName")), False)


def check_document(doc):
    if len(doc) > 6144:
        raise ApiError(400, "InvalidParameter.PolicyDocument.Length", "The parameter PolicyDocument is too long.")
    try:
        d = json.loads(doc)
        if not isinstance(d, dict) or not isinstance(d.get("Statement"), list):
            raise ValueError
    except ValueError:
        raise ApiError(400, "MalformedPolicyDocument", "The policy document is malformed.")


def policy_json(p):
    return {"PolicyName": p["name"], "PolicyType": p["type"], "Description": p.get("description", ""),
            "DefaultVersion": p["default_version"], "CreateDate": p["created"],
            "UpdateDate": p.get("updated", p["created"]),
            "AttachmentCount": p.get("attachments", 0)}


def version_json(p, v):
    return {"VersionId": v["id"], "IsDefaultVersion": v["id"] == p["default_version"],
            "PolicyDocument": v["document"], "CreateDate": v["created"]}


def h_create_policy(st, caller, params):
    name = need(params, "PolicyName")
    if len(name) > 128:
        raise ApiError(400, "InvalidParameter.PolicyName.Length", "The parameter PolicyName is too long.")
    if not all(c.isascii() and (c.isalnum() or c == "-") for c in name):
        raise ApiError(400, "InvalidParameter.PolicyName.InvalidChars",
                       "The parameter PolicyName contains invalid chars.")
    doc = need(params, "PolicyDocument")
    check_document(doc)
    acc = caller["account"]
    if any(p["account"] == acc and p["name"] == name for p in st.d["policies"]):
        raise ApiError(409, "EntityAlreadyExists.Policy", "The policy already exists.")
    now = iso_now()
    p = {"account": acc, "name": name, "type": "Custom", "description": params.get("Description", ""),
         "default_version": "v1", "created": now, "next_version": 2,
         "versions": [{"id": "v1", "document": doc, "created": now}]}
    st.d["policies"].append(p)
    out = policy_json(p)
    del out["AttachmentCount"], out["UpdateDate"]
    return {"Policy": out}


def h_create_policy_version(st, caller, params):
    p = st.policy(caller["account"], need(params, "PolicyName"), "Custom")
    doc = need(params, "PolicyDocument")
    check_document(doc)
    if len(p["versions"]) >= 5:
        raise ApiError(409, "LimitExceeded.Policy.Version", "The policy version count exceeds the limit.")
    n = p.get("next_version", len(p["versions"]) + 1)
    p["next_version"] = n + 1
    v = {"id": "v%d" % n, "document": doc, "created": iso_now()}
    p["versions"].append(v)
    if params.get("SetAsDefault", "false").lower() == "true":
        p["default_version"] = v["id"]
    p["updated"] = v["created"]
    return {"PolicyVersion": version_json(p, v)}


def h_get_policy(st, caller, params):
    p = st.policy(caller["account"], need(params, "PolicyName"), params.get("PolicyType"))
    dv = [v for v in p["versions"] if v["id"] == p["default_version"]][0]
    return {"Policy": policy_json(p), "DefaultPolicyVersion": version_json(p, dv)}


def h_get_policy_version(st, caller, params):
    p = st.policy(caller["account"], need(params, "PolicyName"), params.get("PolicyType"))
    vid = need(params, "VersionId")
    for v in p["versions"]:
        if v["id"] == vid:
            return {"PolicyVersion": version_json(p, v)}
    raise ApiError(404, "EntityNotExist.Policy.Version", "The policy version does not exist.")


def policy_type(params):
    t = need(params, "PolicyType")
    if t not in ("System", "Custom"):
        raise ApiError(400, "InvalidParameter.PolicyType", "The parameter PolicyType must be System or Custom.")
    return t


def h_attach_user(st, caller, params):
    t = policy_type(params)
    p = st.policy(caller["account"], need(params, "PolicyName"), t)
    u = st.user(caller["account"], name=need(params, "UserName"))
    if any(a["name"] == p["name"] and a["type"] == t for a in u["policies"]):
        raise ApiError(409, "EntityAlreadyExists.User.Policy", "The user has already been attached this policy.")
    u["policies"].append({"name": p["name"], "type": t, "attached": iso_now()})
    if t == "Custom":
        p["attachments"] = p.get("attachments", 0) + 1
    return {}


def h_detach_user(st, caller, params):
    t = policy_type(params)
    u = st.user(caller["account"], name=need(params, "UserName"))
    name = need(params, "PolicyName")
    for a in u["policies"]:
        if a["name"] == name and a["type"] == t:
            u["policies"].remove(a)
            return {}
    raise ApiError(404, "EntityNotExist.User.Policy", "The policy is not attached to the user.")


def h_list_policies_user(st, caller, params):
    u = st.user(caller["account"], name=need(params, "UserName"))
    out = []
    for a in u["policies"]:
        p = st.policy(caller["account"], a["name"], a["type"])
        out.append({"PolicyName": p["name"], "PolicyType": a["type"], "Description": p.get("description", ""),
                    "DefaultVersion": p["default_version"], "AttachDate": a.get("attached", "")})
    return {"Policies": {"Policy": out}}


EVENT_FIELDS = {
    "EventAccessKeyId": lambda e: e.get("userIdentity", {}).get("accessKeyId"),
    "EventName": lambda e: e.get("eventName"),
    "User": lambda e: e.get("userIdentity", {}).get("userName"),
    "ServiceName": lambda e: e.get("serviceName"),
    "EventRW": lambda e: e.get("eventRW"),
    "EventId": lambda e: e.get("eventId"),
    "ResourceType": lambda e: e.get("resourceType"),
    "ResourceName": lambda e: e.get("resourceName"),
}


def h_lookup_events(st, caller, params):
    conds = []
    for i in range(1, 10):
        k = params.get("LookupAttribute.%d.Key" % i)
        if k is None:
            break
        if k not in EVENT_FIELDS:
            raise ApiError(400, "InvalidParameter", "The LookupAttribute key %s is not valid." % k)
        conds.append((k, params.get("LookupAttribute.%d.Value" % i, "")))
    if len(conds) > 1:
        raise ApiError(400, "InvalidParameter", "You can use only one query condition for each query.")
    now = datetime.datetime.now(datetime.timezone.utc)
    start = params.get("StartTime") or (now - datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = params.get("EndTime") or now.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        t0, t1 = parse_iso(start), parse_iso(end)
    except ValueError:
        raise ApiError(400, "InvalidParameter", "StartTime and EndTime must be YYYY-MM-DDThh:mm:ssZ.")
    max_results = int(params.get("MaxResults") or 20)
    if not 0 <= max_results <= 50:
        raise ApiError(400, "InvalidParameter", "MaxResults must be between 0 and 50.")
    evs = [e for e in st.d["events"] if t0 <= parse_iso(e["eventTime"]) <= t1
           and all(EVENT_FIELDS[k](e) == v for k, v in conds)]
    evs.sort(key=lambda e: e["eventTime"], reverse=params.get("Direction", "BACKWARD") != "FORWARD")
    off = int(params.get("NextToken") or 0)
    page = evs[off:off + (max_results or 20)]
    out = {"StartTime": start, "EndTime": end, "Events": page}
    if off + len(page) < len(evs):
        out["NextToken"] = str(off + len(page))
    return out


def h_last_used_info(st, caller, params):
    k = st.key(need(params, "AccessKey"))
    if not k or k["account"] != caller["account"]:
        raise ApiError(404, "EntityNotExist.AccessKey", "The access key does not exist.")
    return {"AccessKeyId": k["id"], "AccountId": k["account"],
            "AccountType": "ram-user" if k.get("user") else "root-account",
            "UserName": k.get("user") or "root", "ServiceName": k.get("last_used_service", ""),
            "UsedTimestamp": int(parse_iso(k["last_used"]).timestamp() * 1000) if k.get("last_used") else 0,
            "Source": "ManagementEvent"}


HANDLERS = {
    ("sts", "GetCallerIdentity"): (h_get_caller_identity, False),
    ("ims", "GetUser"): (h_ims_get_user, False),
    ("ims", "GetAccessKeyLastUsed"): (h_ims_last_used, False),
    ("ims", "ListAccessKeys"): (h_ims_list_keys, False),
    ("ims", "UpdateAccessKey"): (h_ims_update_key, True),
    ("ims", "DeleteAccessKey"): (h_ims_delete_key, True),
    ("ims", "CreateAccessKey"): (h_ims_create_key, True),
    ("ram", "CreateAccessKey"): (h_ram_create_key, True),
    ("ims", "GetUserMFAInfo"): (h_ims_mfa, False),
    ("ims", "GetLoginProfile"): (h_ims_login, False),
    ("ram", "GetUser"): (h_ram_get_user, False),
    ("ram", "ListAccessKeys"): (h_ram_list_keys, False),
    ("ram", "UpdateAccessKey"): (h_ram_update_key, True),
    ("ram", "DeleteAccessKey"): (h_ram_delete_key, True),
    ("ram", "GetAccessKeyLastUsed"): (h_ram_last_used, False),
    ("ram", "GetUserMFAInfo"): (h_ram_mfa, False),
    ("ram", "GetLoginProfile"): (h_ram_login, False),
    ("ram", "CreatePolicy"): (h_create_policy, True),
    ("ram", "CreatePolicyVersion"): (h_create_policy_version, True),
    ("ram", "GetPolicy"): (h_get_policy, False),
    ("ram", "GetPolicyVersion"): (h_get_policy_version, False),
    ("ram", "AttachPolicyToUser"): (h_attach_user, True),
    ("ram", "DetachPolicyFromUser"): (h_detach_user, True),
    ("ram", "ListPoliciesForUser"): (h_list_policies_user, False),
    ("actiontrail", "LookupEvents"): (h_lookup_events, False),
    ("actiontrail", "GetAccessKeyLastUsedInfo"): (h_last_used_info, False),
}


def denied_by_policy(st, caller):
    """A user with an attached Custom policy denying Action "*" may call nothing but STS."""
    if caller["kind"] != "user":
        return False
    u = st.user(caller["account"], name=caller["user"])
    for a in u["policies"]:
        if a["type"] != "Custom":
            continue
        p = st.policy(caller["account"], a["name"], "Custom")
        doc = json.loads([v for v in p["versions"] if v["id"] == p["default_version"]][0]["document"])
        for s in doc.get("Statement", []):
            acts = s.get("Action")
            acts = acts if isinstance(acts, list) else [acts]
            if s.get("Effect") == "Deny" and "*" in acts:
                return True
    return False


def denied_action(st, caller, action):
    """A user's "deny_actions" list in the state makes those actions answer NoPermission (a
    responder whose RAM policy lacks them)."""
    if caller["kind"] != "user":
        return False
    u = st.user(caller["account"], name=caller["user"])
    return action in u.get("deny_actions", [])


# ---------------------------------------------------------------------------------------------
# Authentication

class Emulator:
    def __init__(self, state, faults):
        self.state = state
        self.faults = faults
        self.counters = Counters()
        self.nonces = {}
        self.nonce_lock = threading.Lock()
        self.skew = 0

    def check_time(self, ts):
        try:
            t = parse_iso(ts).timestamp()
        except ValueError:
            raise ApiError(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
        if abs(t - (time.time() + self.skew)) > TIME_WINDOW:
            raise ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")

    def check_nonce(self, key_id, nonce):
        now = time.time()
        with self.nonce_lock:
            if len(self.nonces) > 100000:
                self.nonces = {k: t for k, t in self.nonces.items() if now - t < 2 * TIME_WINDOW}
            if (key_id, nonce) in self.nonces:
                raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self.nonces[(key_id, nonce)] = now

    def principal(self, key_id, token):
        """(secret, caller) for an AccessKey ID, with key status and token checks."""
        st = self.state
        k = st.key(key_id)
        if k:
            if k["status"] != "Active":
                raise ApiError(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
            kind = "user" if k.get("user") else "root"
            return k["secret"], {"kind": kind, "account": k["account"], "user": k.get("user"), "key": k}
        s = st.sts(key_id)
        if not s:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if not token:
            raise ApiError(400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
        if token != s["token"]:
            raise ApiError(400, "InvalidSecurityToken.MismatchWithAccessKey",
                           "Specified SecurityToken mismatch with the AccessKey.")
        if parse_iso(s["expiration"]).timestamp() <= time.time() + self.skew:
            raise ApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        return s["secret"], {"kind": "sts", "account": s["account"], "sts": s, "key": None}

    def auth_v1(self, method, items):
        p = dict(items)
        for name in ("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
                     "SignatureNonce", "Timestamp", "Action", "Version"):
            need(p, name)
        if p["SignatureMethod"] != "HMAC-SHA1":
            raise ApiError(400, "InvalidParameter.SignatureMethod", "Specified signature method is not supported.")
        if p["SignatureVersion"] != "1.0":
            raise ApiError(400, "InvalidParameter.SignatureVersion", "Specified signature version is not supported.")
        self.check_time(p["Timestamp"])
        with self.state.lock:
            secret, caller = self.principal(p["AccessKeyId"], p.get("SecurityToken"))
        sig, sts = v1_signature(secret, method, items)
        if not hmac.compare_digest(sig, p["Signature"]):
            raise ApiError(400, "SignatureDoesNotMatch", "Specified signature is not matched with our "
                           "calculation. server string to sign is:" + sts)
        self.check_nonce(p["AccessKeyId"], p["SignatureNonce"])
        return caller, p["Action"], p["Version"]

    def auth_v3(self, method, uri, query, headers, auth, body):
        try:
            algo, rest = auth.split(" ", 1)
            fields = dict(f.split("=", 1) for f in rest.split(","))
            key_id, signed, sig = fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]
        except (ValueError, KeyError):
            raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        if algo != "ACS3-HMAC-SHA256":
            raise ApiError(400, "InvalidParameter.SignatureMethod", "Specified signature method is not supported.")
        hdr = {k.lower(): v for k, v in headers}
        for name in ("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"):
            if not hdr.get(name):
                raise ApiError(400, "MissingParameter", "The header %s is mandatory." % name)
        missing = [h for h in hdr if (h.startswith("x-acs-") or h == "host") and h not in signed]
        if missing:
            raise ApiError(400, "IncompleteSignature", "Header %s must be signed." % missing[0])
        if hdr["x-acs-content-sha256"] != hashlib.sha256(body).hexdigest():
            raise ApiError(400, "ContentSHA256NotMatch", "The x-acs-content-sha256 header does not match the body.")
        self.check_time(hdr["x-acs-date"])
        with self.state.lock:
            secret, caller = self.principal(key_id, hdr.get("x-acs-security-token"))
        canonical = v3_canonical(method, uri, query, headers, signed, hdr["x-acs-content-sha256"])
        if not hmac.compare_digest(v3_signature(secret, canonical), sig):
            raise ApiError(400, "SignatureDoesNotMatch", "Specified signature is not matched with our "
                           "calculation. server string to sign is:ACS3-HMAC-SHA256\n"
                           + hashlib.sha256(canonical.encode()).hexdigest())
        self.check_nonce(key_id, hdr["x-acs-signature-nonce"])
        return caller, hdr["x-acs-action"], hdr["x-acs-version"]

    def record(self, caller, product, action, params, key_id, agent, rid, out):
        """What the real cloud remembers of a successful call: last use and an audit event.
        Whether STS calls update a key's last use is not confirmed: behaviour "sts_last_used"
        (default true) chooses."""
        k = caller.get("key")
        now = iso_now()
        if k is not None and (product != "sts" or self.state.behaviour("sts_last_used", True)):
            k["last_used"] = now
            k["last_used_service"] = PRODUCTS[product][2]
        if product == "actiontrail":
            return
        ident = {"type": {"user": "ram-user", "root": "root-account", "sts": "assumed-role"}[caller["kind"]],
                 "accountId": caller["account"], "accessKeyId": key_id,
                 "userName": caller.get("user") or ("root" if caller["kind"] == "root" else "")}
        self.state.d["events"].append({
            "eventId": str(uuid.uuid4()), "eventName": action, "eventTime": now, "requestId": rid,
            "eventSource": PRODUCTS[product][1], "serviceName": PRODUCTS[product][2],
            "eventType": "ApiCall", "eventVersion": "1", "apiVersion": PRODUCTS[product][0],
            "eventRW": "Write" if HANDLERS.get((product, action), (None, False))[1] else "Read",
            "requestParameters": {k2: v for k2, v in params.items() if k2 not in SIGN_PARAMS},
            "responseElements": {"AccessKey": {n: v for n, v in out["AccessKey"].items()
                                               if n != "AccessKeySecret"}}
            if "AccessKey" in out and self.state.behaviour("trail_response_elements", True) else {},
            "sourceIpAddress": "127.0.0.1", "userAgent": agent, "userIdentity": ident})


SIGN_PARAMS = {"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
               "Timestamp", "Format", "Version", "Action", "SecurityToken", "SignatureType", "RegionId"}


# ---------------------------------------------------------------------------------------------
# HTTP

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AlibabaCloudEmulator/1.0"
    timeout = 60

    def log_message(self, fmt, *args):
        if os.environ.get("EMULATOR_VERBOSE"):
            sys.stderr.write("emulator: " + (fmt % args) + "\n")

    @property
    def emu(self):
        return self.server.emu

    def send_raw(self, status, body, headers=None, declared_len=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body) if declared_len is None else declared_len))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, status, obj, headers=None):
        self.send_raw(status, json.dumps(obj).encode(), headers)

    def send_error_body(self, product, e):
        rid = request_id()
        body = {"RequestId": rid, "HostId": PRODUCTS.get(product, PRODUCTS["sts"])[1], "Code": e.code,
                "Message": e.message,
                "Recommend": "https://api.aliyun.com/troubleshoot?q=%s&product=%s&requestId=%s"
                             % (e.code, PRODUCTS.get(product, PRODUCTS["sts"])[2], rid)}
        body.update(e.extra)
        self.send_json(e.status, body, e.extra.get("_headers"))

    def route(self, path):
        parts = path.split("/")
        if len(parts) > 1 and parts[1] in PRODUCTS:
            return parts[1], "/" + "/".join(parts[2:])
        host = (self.headers.get("Host") or "").split(".")[0]
        return (host if host in PRODUCTS else None), path

    def do_GET(self):
        self.dispatch("GET")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_emulator/"):
            return self.control(method, url.path[len("/_emulator/"):], body)
        c = self.emu.counters
        with c.lock:
            c.in_flight += 1
            c.max_in_flight = max(c.max_in_flight, c.in_flight)
        try:
            self.api(method, url, body)
        finally:
            with c.lock:
                c.in_flight -= 1

    def control(self, method, what, body):
        emu = self.emu
        arg = json.loads(body) if body else {}
        if what == "state" and method == "GET":
            with emu.state.lock:
                return self.send_json(200, emu.state.d)
        if what == "state":
            with emu.state.lock:
                emu.state.load(arg)
            return self.send_json(200, {"ok": True})
        if what == "counters":
            return self.send_json(200, emu.counters.snapshot())
        if what == "reset":
            with emu.counters.lock:
                emu.counters.reset()
            return self.send_json(200, {"ok": True})
        if what == "faults" and method == "GET":
            return self.send_json(200, emu.faults.get())
        if what == "faults":
            emu.faults.set(arg)
            return self.send_json(200, {"ok": True})
        if what == "clock":
            emu.skew = int(arg.get("skew_seconds", 0))
            return self.send_json(200, {"ok": True})
        return self.send_json(404, {"Code": "NotFound", "Message": "unknown control endpoint"})

    def count(self, key_id, action, sigv):
        c = self.emu.counters
        with c.lock:
            c.total += 1
            per = c.by_key.setdefault(key_id or "-", {})
            per[action or "-"] = per.get(action or "-", 0) + 1
            c.by_action[action or "-"] = c.by_action.get(action or "-", 0) + 1
            c.signature_versions[sigv] += 1

    def apply_fault(self, f, product):
        """Returns True when the fault produced the whole answer."""
        kind = f["kind"]
        if kind == "hang":
            time.sleep(f.get("ms", 60000) / 1000.0)
            self.close_connection = True
            return True
        if kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return True
        if kind == "throttle":
            hdr = {"x-acs-retry-after": str(f["retry_after_ms"])} if f.get("retry_after_ms") else {}
            self.send_error_body(product, ApiError(400, f.get("code", "Throttling.User"),
                                                   "Request was denied due to user flow control.",
                                                   {"_headers": hdr} if hdr else None))
            return True
        if kind == "status":
            st = f.get("status", 503)
            self.send_error_body(product, ApiError(st, f.get("code", "ServiceUnavailable" if st == 503 else "InternalError"),
                                                   "STS Server Internal Error happened."))
            return True
        full = json.dumps({"RequestId": request_id(), "IdentityType": "RAMUser",
                           "AccountId": "1", "Arn": "acs:ram::1:user/x", "PrincipalId": "1"}).encode()
        if kind == "truncate":
            self.send_raw(200, full[: len(full) // 2], declared_len=len(full))
            self.close_connection = True
            return True
        if kind == "truncate_json":
            self.send_raw(200, full[: len(full) // 2])
            return True
        if kind == "malformed":
            self.send_raw(200, b"<html><body>502 Bad Gateway</body></html>")
            return True
        return False

    def api(self, method, url, body):
        product, path = self.route(url.path)
        items = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        query = list(items)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype == "application/x-www-form-urlencoded" and body:
            items += urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        p = dict(items)
        auth = self.headers.get("Authorization") or ""
        v3 = auth.startswith("ACS3-")
        key_id = auth.split("Credential=")[1].split(",")[0] if "Credential=" in auth else p.get("AccessKeyId")
        action = self.headers.get("x-acs-action") if v3 else p.get("Action")
        self.count(key_id, action, "v3" if v3 else "v1")
        latency = self.emu.faults.value("latency_ms")
        if latency:
            time.sleep(latency / 1000.0)
        f = self.emu.faults.pick(action, key_id)
        if f and not f.get("after_effect") and self.apply_fault(f, product):
            return
        rid = request_id()
        try:
            if v3:
                caller, action, version = self.emu.auth_v3(method, path or "/", query, self.headers.items(), auth, body)
            else:
                caller, action, version = self.emu.auth_v1(method, items)
            product = product or VERSION_TO_PRODUCT.get(version)
            if product not in PRODUCTS or PRODUCTS[product][0] != version or (product, action) not in HANDLERS:
                raise ApiError(400, "InvalidParameter", "The specified parameter \"Action or Version\" is not valid.")
            st = self.emu.state
            with st.lock:
                if product != "sts" and (denied_by_policy(st, caller) or denied_action(st, caller, action)):
                    raise ApiError(403, "NoPermission", "You are not authorized to do this action.")
                out = HANDLERS[(product, action)][0](st, caller, p)
                self.emu.record(caller, product, action, p, key_id, self.headers.get("User-Agent") or "", rid, out)
        except ApiError as e:
            return self.send_error_body(product, e)
        if f and f.get("after_effect") and self.apply_fault(f, product):
            return  # the call took effect, its answer is lost
        out["RequestId"] = rid
        self.send_json(200, out)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, emu, ssl_ctx):
        self.emu = emu
        self.ssl_ctx = ssl_ctx
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # The handshake runs here, in the connection's own thread, so a slow handshake (a fault)
        # delays only that connection.
        with self.emu.counters.lock:
            self.emu.counters.connections += 1
        # Headers and body go out in two writes; without this, Nagle's algorithm and the client's
        # delayed ACK add 40 ms to every keep-alive response.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_ctx:
            delay = self.emu.faults.value("tls_handshake_delay_ms")
            if delay:
                time.sleep(delay / 1000.0)
            try:
                request = self.ssl_ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        try:
            self.RequestHandlerClass(request, client_address, self)
        except (ConnectionError, ssl.SSLError, socket.timeout):
            pass

    def handle_error(self, request, client_address):
        pass


def serve(args):
    state = State(json.load(open(args.state)) if args.state else {})
    emu = Emulator(state, Faults(json.loads(args.faults) if args.faults else None))
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    srv = Server(("127.0.0.1", args.port), emu, ctx)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    print(port, flush=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    srv.serve_forever(poll_interval=0.1)


def ctl(args):
    ctx = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    data = args.json.encode() if args.json is not None else None
    req = urllib.request.Request(args.url.rstrip("/") + "/_emulator/" + args.path.lstrip("/"),
                                 data=data, method=args.method)
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        sys.stdout.write(r.read().decode() + "\n")


# ---------------------------------------------------------------------------------------------
# Self test: the signature code against the reference vectors, and the server's replay checks.

def selftest(_args):
    a = [("AccessKeyId", "testid"), ("Action", "DescribeRegions"), ("Format", "XML"),
         ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
         ("SignatureVersion", "1.0"), ("Timestamp", "2016-02-23T12:46:24Z"), ("Version", "2014-05-26")]
    assert v1_signature("testsecret", "GET", a)[0] == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    d = [("AccessKeyId", "LTAI5tEXAMPLEEXAMPLE1234"), ("Action", "GetCallerIdentity"), ("Format", "json"),
         ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", "d6f5c2a1-0000-4000-8000-000000000001"),
         ("SignatureVersion", "1.0"), ("Timestamp", "2024-01-01T00:00:00Z"), ("Version", "2015-04-01")]
    assert v1_signature("EXAMPLEsecretEXAMPLEsecret1234", "POST", d)[0] == "BM4fydoM3BpQWKS0kfYTOrmxC8s="
    assert pct(" ~/*-+") == "%20~%2F%2A-%2B"
    hd = [("host", "ecs.cn-shanghai.aliyuncs.com"), ("x-acs-action", "RunInstances"),
          ("x-acs-content-sha256", EMPTY_SHA256), ("x-acs-date", "2023-10-26T10:22:32Z"),
          ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"), ("x-acs-version", "2014-05-26")]
    q = [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")]
    cr = v3_canonical("POST", "/", q, hd, [h for h, _ in hd], EMPTY_SHA256)
    assert v3_signature("YourAccessKeySecret", cr) == \
        "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    # Replay checks, against a live server on a free port.
    key_id, secret = "LT" + "AI" + uuid.uuid4().hex[:20], uuid.uuid4().hex[:30]
    st = State({"accounts": [{"id": "1000000000000001", "alias": "t"}],
                "users": [{"account": "1000000000000001", "name": "u"}],
                "access_keys": [{"id": key_id, "secret": secret, "account": "1000000000000001", "user": "u"}]})
    srv = Server(("127.0.0.1", 0), Emulator(st, Faults()), None)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d/sts/" % srv.server_address[1]

    def call(ts, nonce):
        p = [("AccessKeyId", key_id), ("Action", "GetCallerIdentity"), ("Format", "JSON"),
             ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", nonce), ("SignatureVersion", "1.0"),
             ("Timestamp", ts), ("Version", "2015-04-01")]
        p.append(("Signature", v1_signature(secret, "POST", p)[0]))
        url = base + "?" + "&".join(pct(k) + "=" + pct(v) for k, v in p)
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST")) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    s, b = call(iso_now(), "n1")
    assert s == 200 and b["IdentityType"] == "RAMUser", b
    s, b = call(iso_now(), "n1")
    assert s == 400 and b["Code"] == "SignatureNonceUsed", b
    s, b = call(iso_now(-16 * 60), "n2")
    assert s == 400 and b["Code"] == "InvalidTimeStamp.Expired", b
    srv.shutdown()
    print("selftest ok")


def main():
    ap = argparse.ArgumentParser(description="Alibaba Cloud API emulator for tests")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--state")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--port-file")
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--faults")
    c = sub.add_parser("ctl")
    c.add_argument("url")
    c.add_argument("method")
    c.add_argument("path")
    c.add_argument("json", nargs="?")
    c.add_argument("--cafile")
    sub.add_parser("selftest")
    args = ap.parse_args()
    {"serve": serve, "ctl": ctl, "selftest": selftest}[args.cmd](args)


if __name__ == "__main__":
    main()
