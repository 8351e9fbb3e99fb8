#!/usr/bin/env python3
"""Posts bench/correlate sightings: each envelope with its organisation's sensor key into
its org-<slug> collection, over N keep-alive connections; checks every object was
accepted and prints {"objects", "seconds", "objects_per_s"}.

    post.py --url URL --keys keys.json --file sightings.jsonl [--conns 2]
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse

TAXII = "application/taxii+json;version=2.1"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--conns", type=int, default=2)
    a = ap.parse_args()
    keys = json.load(open(a.keys))
    u = urllib.parse.urlsplit(a.url)
    # Bodies are prepared before the clock starts.
    work = []
    for line in open(a.file, "rb"):
        d = json.loads(line)
        work.append((d["org"], json.dumps(d["envelope"], separators=(",", ":")).encode()))
    lock = threading.Lock()
    state = {"i": 0, "stored": 0, "error": None}

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        try:
            while True:
                with lock:
                    if state["error"] or state["i"] >= len(work):
                        return
                    org, body = work[state["i"]]
                    state["i"] += 1
                conn.request("POST", "/taxii2/api/collections/org-%s/objects/" % org, body=body,
                             headers={"Authorization": "Bearer " + keys[org], "Accept": TAXII,
                                      "Content-Type": TAXII})
                r = conn.getresponse()
                data = r.read()
                if r.status != 202:
                    raise RuntimeError("POST answered %d: %s" % (r.status, data[:300]))
                st = json.loads(data)
                if st.get("failure_count", 0):
                    raise RuntimeError("objects refused: %s" % (st.get("failures") or [{}])[0])
                with lock:
                    state["stored"] += st.get("success_count", 0)
        except Exception as e:
            with lock:
                state["error"] = state["error"] or str(e)
        finally:
            conn.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(a.conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1 = time.monotonic()
    if state["error"]:
        print("post: " + state["error"], file=sys.stderr)
        sys.exit(1)
    json.dump({"objects": state["stored"], "seconds": round(t1 - t0, 3),
               "objects_per_s": round(state["stored"] / (t1 - t0), 1)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
