#!/usr/bin/env python3
"""Smart HTTP git server on loopback for akhound org tests: forwards every request to
`git http-backend` as CGI (standard library only).

  git_http.py PROJECT_ROOT PORTFILE [ADDRESS] [LOGFILE]

Environment: GIT_HTTP_TOKEN: every request needs Basic auth with that password (else 401);
GIT_HTTP_REDIRECT: every request is answered 302 to this base URL + the path (a hostile server);
GIT_HTTP_FAIL: while the file it names exists, every request is answered 503 (a transient outage);
GIT_HTTP_DELAY: a file; while it exists, each answer waits the seconds it holds (a slow forge).
LOGFILE gets "METHOD PATH auth=none|token|other" per request (the token itself is never logged).
"""
import base64, os, subprocess, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

root = sys.argv[1]
address = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
logfile = sys.argv[4] if len(sys.argv) > 4 else None
token = os.environ.get("GIT_HTTP_TOKEN")
redirect = os.environ.get("GIT_HTTP_REDIRECT")
fail_flag = os.environ.get("GIT_HTTP_FAIL")
delay_file = os.environ.get("GIT_HTTP_DELAY")


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *a):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                n = int(self.rfile.readline().strip().split(b";")[0], 16)
                if n == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(n)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def auth(self):
        h = self.headers.get("Authorization", "")
        if not h:
            return "none"
        try:
            pw = base64.b64decode(h.split(" ", 1)[1]).decode().split(":", 1)[1]
        except Exception:
            return "other"
        return "token" if token and pw == token else "other"

    def short(self, status, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def cgi(self):
        auth = self.auth()
        if logfile:
            with open(logfile, "a") as f:
                f.write("%s %s auth=%s\n" % (self.command, self.path, auth))
        if delay_file and os.path.exists(delay_file):
            time.sleep(float(open(delay_file).read() or 0))
        if fail_flag and os.path.exists(fail_flag):
            return self.short(503)
        if redirect:
            return self.short(302, [("Location", redirect + self.path)])
        if token and auth != "token":
            return self.short(401, [("WWW-Authenticate", 'Basic realm="git"')])
        path, _, query = self.path.partition("?")
        data = self.body() if self.command == "POST" else b""
        env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1",
                   PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=self.command,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(data)), REMOTE_ADDR="127.0.0.1",
                   GATEWAY_INTERFACE="CGI/1.1", SERVER_PROTOCOL="HTTP/1.0")
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=data, env=env,
                             capture_output=True).stdout
        head, _, rest = out.partition(b"\r\n\r\n")
        if not _:
            head, _, rest = out.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k:
                headers.append((k, v.strip()))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        self.wfile.write(rest)

    do_GET = do_POST = cgi


srv = ThreadingHTTPServer((address, 0), H)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
