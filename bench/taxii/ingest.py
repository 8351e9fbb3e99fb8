#!/usr/bin/env python3
"""Keep-alive TAXII ingest client for bench/taxii.

POSTs the envelopes of a JSONL file (one envelope a line, from gen.py) to a collection
over N concurrent keep-alive connections, checks that every object of every envelope was
accepted, and prints one JSON document: objects, seconds, overall objects/s, the rate of
each batch of --report objects and their median, and the wall-clock window (UTC) of the
ingest, from which run.sh picks added_after values inside the collection.

    ingest.py --url http://127.0.0.1:PORT --token T --collection community \
              --file envelopes.jsonl [--conns 2] [--report 100000]
"""
import argparse
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse

TAXII = "application/taxii+json;version=2.1"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--collection", default="community")
    ap.add_argument("--file", required=True)
    ap.add_argument("--conns", type=int, default=2)
    ap.add_argument("--report", type=int, default=100000)
    a = ap.parse_args()

    u = urllib.parse.urlsplit(a.url)
    path = "/taxii2/api/collections/%s/objects/" % a.collection
    headers = {"Authorization": "Bearer " + a.token, "Accept": TAXII, "Content-Type": TAXII}
    src = open(a.file, "rb")
    lock = threading.Lock()
    done_times = []  # (monotonic time, objects stored so far)
    state = {"stored": 0, "error": None}

    def next_body():
        with lock:
            if state["error"]:
                return None
            line = src.readline()
            return line.rstrip(b"\n") if line else None

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        try:
            while True:
                body = next_body()
                if body is None:
                    return
                conn.request("POST", path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                if r.status != 202:
                    raise RuntimeError("POST answered %d: %s" % (r.status, data[:300]))
                st = json.loads(data)
                if st.get("failure_count", 0) or st.get("pending_count", 0):
                    fail = (st.get("failures") or [{}])[0]
                    raise RuntimeError("objects refused: %d, first: %s"
                                       % (st.get("failure_count", 0), fail))
                with lock:
                    state["stored"] += st.get("success_count", 0)
                    done_times.append((time.monotonic(), state["stored"]))
        except Exception as e:  # report the first failure and stop the others
            with lock:
                state["error"] = state["error"] or str(e)
        finally:
            conn.close()

    wall0 = time.time()
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(a.conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1 = time.monotonic()
    wall1 = time.time()
    if state["error"]:
        print("ingest: " + state["error"], file=sys.stderr)
        sys.exit(1)

    # Rate of each batch of --report objects (by completion time of the envelope that
    # crossed each boundary).
    rates, prev_t, prev_n, mark = [], t0, 0, a.report
    for t, n in done_times:
        if n >= mark:
            rates.append((n - prev_n) / (t - prev_t))
            prev_t, prev_n = t, n
            mark = (n // a.report + 1) * a.report
    total = state["stored"]
    iso = lambda w: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(w)) + ".%06dZ" % (int(w * 1e6) % 1000000)
    json.dump({
        "objects": total,
        "seconds": round(t1 - t0, 3),
        "objects_per_s": round(total / (t1 - t0), 1),
        "batch_objects": a.report,
        "batch_rates": [round(r, 1) for r in rates],
        "batch_median": round(statistics.median(rates), 1) if rates else None,
        "wall_start_us": int(wall0 * 1e6),
        "wall_end_us": int(wall1 * 1e6),
        "wall_start": iso(wall0),
        "wall_end": iso(wall1),
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
