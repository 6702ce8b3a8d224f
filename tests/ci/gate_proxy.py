#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 with a gate, to stop a client mid-run at a known point:

  gate_proxy.py TARGET_PORT PORTFILE GATEFILE LOGFILE

While GATEFILE exists, a new connection is accepted, logged as "held", and left hanging (the
client waits, as on a stalled server); otherwise it is forwarded to 127.0.0.1:TARGET_PORT.
"""
import os, socket, sys, threading

target, portfile, gate, logfile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
held = []


def log(msg):
    with open(logfile, "a") as f:
        f.write(msg + "\n")


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = srv.accept()
    if os.path.exists(gate):
        held.append(c)
        log("held")
        continue
    up = socket.create_connection(("127.0.0.1", target))
    log("forwarded")
    threading.Thread(target=pipe, args=(c, up), daemon=True).start()
    threading.Thread(target=pipe, args=(up, c), daemon=True).start()
