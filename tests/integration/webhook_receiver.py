#!/usr/bin/env python3
"""A webhook receiver for the tests: serves on 127.0.0.1 (port 0 picks a free one, printed
as "port N" on stdout), verifies each request's Kizuna-Signature with the secret, records
each request as one JSON line (headers, body, sig_ok) and answers 204, or 500 for the first
--fail requests, after sleeping --sleep seconds when asked."""
import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret, header, body, tolerance=300):
    """True when header is "t=<seconds>,v1=<hex>" over "<t>.<body>" and t is recent."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError):
        return False
    mac = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts.get("v1", "")) and abs(time.time() - t) <= tolerance


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--out", required=True, help="file that receives one JSON line per request")
    ap.add_argument("--secret", default="", help="verifies signatures when given")
    ap.add_argument("--secret-file", default="", help="reads the secret from a file")
    ap.add_argument("--fail", type=int, default=0, help="answer 500 to the first N requests")
    ap.add_argument("--sleep", type=float, default=0.0, help="seconds to wait before answering")
    args = ap.parse_args()
    lock = threading.Lock()
    state = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            with lock:
                state["n"] += 1
                seq = state["n"]
                with open(args.out + ".started", "a") as f:
                    f.write("%d\n" % seq)
            if args.sleep:
                time.sleep(args.sleep)
            status = 500 if seq <= args.fail else 204
            secret = args.secret
            if args.secret_file:  # read per request: the test writes it after subscribing
                try:
                    with open(args.secret_file) as f:
                        secret = f.read().strip()
                except OSError:
                    secret = ""
            rec = {
                "seq": seq,
                "path": self.path,
                "status": status,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "sig_ok": bool(secret) and verify(secret, self.headers.get("Kizuna-Signature", ""), body),
            }
            with lock, open(args.out, "a") as f:
                f.write(json.dumps(rec) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    print("port", srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
