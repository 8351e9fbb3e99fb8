#!/usr/bin/env python3
"""Creates bench/correlate's organisations and sensor keys through the JSON API and posts
the indicators into 'community'; writes {slug: token} to --keys.

    setup.py --url URL --admin TOKEN --gsoc TOKEN --dir D --keys keys.json
"""
import argparse
import http.client
import json
import sys
import urllib.parse

TAXII = "application/taxii+json;version=2.1"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--admin", required=True)
    ap.add_argument("--gsoc", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--keys", required=True)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)

    def call(method, path, token, body, media="application/json", want=(200, 201, 202)):
        conn.request(method, path, body=body, headers={
            "Authorization": "Bearer " + token, "Content-Type": media, "Accept": media})
        r = conn.getresponse()
        data = r.read()
        if r.status not in want:
            sys.exit("setup: %s %s answered %d: %s" % (method, path, r.status, data[:300]))
        return json.loads(data) if data else {}

    sectors = {s for s in call("GET", "/api/v1/sectors", a.admin, None)["sectors"]}
    keys = {}
    for line in open(a.dir + "/orgs.jsonl"):
        o = json.loads(line)
        if o["sector"] not in sectors:
            call("POST", "/api/v1/sectors", a.admin, json.dumps({"name": o["sector"]}))
            sectors.add(o["sector"])
        call("POST", "/api/v1/orgs", a.admin, json.dumps(
            {"slug": o["slug"], "name": "Bench " + o["slug"], "type": o["type"],
             "sector": o["sector"], "country": "JP"}))
        k = call("POST", "/api/v1/keys", a.admin, json.dumps({"org": o["slug"], "role": "sensor"}))
        keys[o["slug"]] = k["token"]
    for line in open(a.dir + "/indicators.jsonl", "rb"):
        st = call("POST", "/taxii2/api/collections/community/objects/", a.gsoc, line.rstrip(b"\n"),
                  media=TAXII)
        if st.get("failure_count"):
            sys.exit("setup: indicators refused: %s" % st["failures"][0])
    json.dump(keys, open(a.keys, "w"))


if __name__ == "__main__":
    main()
