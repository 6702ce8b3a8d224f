#!/usr/bin/env python3
"""A fake GitHub and GitLab REST API on 127.0.0.1, for akhound org tests (standard library only).

  fake_forge.py CONFIG.json PORTFILE LOGFILE

CONFIG: {"token": "...", "page_size": 2,
         "github": {"org": "acme", "repos": [{"name", "clone_url", "fork", "archived",
                                              "pushed_at"}]},
         "gitlab": {"group": "grp", "projects": [{"path", "clone_url", "fork", "archived",
                                                  "last_activity_at"}]},
         "github_rate_limit_page": 2, "gitlab_rate_limit_page": 2}
GitHub: GET /api/v3/orgs/ORG/repos (Link rel="next"), 403 + X-RateLimit-Remaining: 0 + Reset
once on the configured page. GitLab: GET /api/v4/groups/GROUP/projects (X-Next-Page), 429 +
Retry-After: 1 once on the configured page. Tokens checked (Bearer / PRIVATE-TOKEN). Each
request is logged as "TIME METHOD PATH STATUS" (the token is never logged). CONFIG is read again
for every request, so a test changes what the forge lists (e.g. a push time) by rewriting it.
A lying forge (GitHub side), for hostile-input tests:
  "extra_entries": [objects]  raw entries added to page 1 (unparseable, missing fields...)
  "next_mode": "infinite"     every page links a next page (past the end: the last page again)
               "same"         the next link is the page itself
  "redirect": URL             every API request is answered 302 to URL + path
"""
import json, sys, time, threading, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

cfg = json.load(open(sys.argv[1]))
log_lock = threading.Lock()
limited = set()


def log(line):
    with log_lock, open(sys.argv[3], "a") as f:
        f.write(line + "\n")


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        log("%.3f GET %s %d" % (time.time(), self.path, status))

    def page(self, items, q):
        size = int(cfg.get("page_size", 2))
        n = int(q.get("page", ["1"])[0])
        return n, items[(n - 1) * size:n * size], n * size < len(items)

    def do_GET(self):
        global cfg
        cfg = json.load(open(sys.argv[1]))
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        parts = u.path.split("/")
        if u.path.startswith("/api/v3/"):
            return self.github(parts, q)
        if u.path.startswith("/api/v4/"):
            return self.gitlab(parts, q)
        self.reply(404, {"message": "Not Found"})

    def github(self, parts, q):
        gh = cfg["github"]
        if self.headers.get("Authorization") != "Bearer " + cfg["token"]:
            return self.reply(401, {"message": "Bad credentials"})
        if cfg.get("redirect"):
            return self.reply(302, {}, [("Location", cfg["redirect"] + self.path)])
        if parts[3:4] != ["orgs"] or parts[4] != gh["org"] or parts[5:] != ["repos"]:
            return self.reply(404, {"message": "Not Found"})
        n, items, more = self.page(gh["repos"], q)
        mode = cfg.get("next_mode")
        if mode == "infinite" and not items:
            n2, items, _ = self.page(gh["repos"], {"page": ["1"]})
        more = more or mode == "infinite"
        if n == cfg.get("github_rate_limit_page") and "gh" not in limited:
            limited.add("gh")
            return self.reply(403, {"message": "API rate limit exceeded"},
                              [("X-RateLimit-Remaining", "0"),
                               ("X-RateLimit-Reset", str(int(time.time()) + 2))])
        port = self.server.server_address[1]
        base = "http://127.0.0.1:%d" % port
        body = [{"full_name": "%s/%s" % (gh["org"], r["name"]), "clone_url": r["clone_url"],
                 "html_url": "%s/%s/%s" % (base, gh["org"], r["name"]),
                 "fork": r.get("fork", False), "archived": r.get("archived", False),
                 **({"pushed_at": r["pushed_at"]} if "pushed_at" in r else {})} for r in items]
        if n == 1:
            body += cfg.get("extra_entries", [])
        hdrs = [("X-RateLimit-Remaining", "4999"), ("X-RateLimit-Reset", str(int(time.time()) + 3600))]
        if more:
            nxt = "%s/api/v3/orgs/%s/repos?per_page=100&type=all&page=%d" % (base, gh["org"], n + 1)
            if mode == "same":
                nxt = base + self.path
            hdrs.append(("Link", '<%s>; rel="next", <%s>; rel="last"' % (nxt, nxt)))
        self.reply(200, body, hdrs)

    def gitlab(self, parts, q):
        gl = cfg["gitlab"]
        if self.headers.get("PRIVATE-TOKEN") != cfg["token"]:
            return self.reply(401, {"message": "401 Unauthorized"})
        group = urllib.parse.unquote(parts[4]) if len(parts) > 5 else ""
        if parts[3] != "groups" or group != gl["group"] or parts[5:] != ["projects"] \
                or q.get("include_subgroups") != ["true"]:
            return self.reply(404, {"message": "404 Group Not Found"})
        n, items, more = self.page(gl["projects"], q)
        if n == cfg.get("gitlab_rate_limit_page") and "gl" not in limited:
            limited.add("gl")
            return self.reply(429, {"message": "Retry later"},
                              [("Retry-After", "1"), ("RateLimit-Remaining", "0"),
                               ("RateLimit-Reset", str(int(time.time()) + 1))])
        base = "http://127.0.0.1:%d" % self.server.server_address[1]
        body = []
        for p in items:
            o = {"path_with_namespace": p["path"], "http_url_to_repo": p["clone_url"],
                 "web_url": "%s/%s" % (base, p["path"]), "archived": p.get("archived", False)}
            if "last_activity_at" in p:
                o["last_activity_at"] = p["last_activity_at"]
            if p.get("fork"):
                o["forked_from_project"] = {"id": 1}
            body.append(o)
        self.reply(200, body, [("X-Next-Page", str(n + 1) if more else ""),
                               ("RateLimit-Remaining", "100")])


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
