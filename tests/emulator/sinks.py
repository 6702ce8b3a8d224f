#!/usr/bin/env python3
"""Notification sinks for akhound's respond tests (Python 3 standard library only), on 127.0.0.1.

  sinks.py webhook --port-file F --out DIR [--status N]   stores each POST body as DIR/N.json
  sinks.py smtp --port-file F --out DIR                   stores each mail (DATA) as DIR/N.eml,
                                                          envelope in DIR/N.env

The SMTP side speaks just enough of RFC 5321 for libcurl: EHLO/HELO, MAIL, RCPT, DATA (with dot
un-stuffing), RSET, NOOP, QUIT.
"""

import argparse
import http.server
import os
import signal
import socketserver
import threading

LOCK = threading.Lock()


def store(out, ext, data):
    with LOCK:
        n = len([f for f in os.listdir(out) if f.endswith(ext)]) + 1
        tmp = os.path.join(out, ".%d%s.tmp" % (n, ext))
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(out, "%d%s" % (n, ext)))


class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.status == 200:
            store(self.server.out, ".json", body)
        reply = b'{"ok":true}'
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


class Smtp(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.say("220 sink ESMTP")
        env = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb in ("HELO", "NOOP"):
                self.say("250 ok")
            elif verb in ("MAIL", "RCPT"):
                env.append(cmd)
                self.say("250 ok")
            elif verb == "RSET":
                env = []
                self.say("250 ok")
            elif verb == "DATA":
                self.say("354 go ahead")
                data = []
                while True:
                    l = self.rfile.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    data.append(l[1:] if l.startswith(b"..") else l)
                store(self.server.out, ".env", ("\n".join(env) + "\n").encode())
                store(self.server.out, ".eml", b"".join(data))
                env = []
                self.say("250 queued")
            elif verb == "QUIT":
                self.say("221 bye")
                return
            else:
                self.say("502 not implemented")


class TServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["webhook", "smtp"])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--status", type=int, default=200)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.kind == "webhook":
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    else:
        srv = TServer(("127.0.0.1", 0), Smtp)
    srv.out, srv.status = a.out, a.status
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    srv.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
