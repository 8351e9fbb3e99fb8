#!/usr/bin/env python3
"""Seeded generator of TAXII envelopes of valid STIX 2.1 indicators for bench/taxii.

Writes one envelope per line ({"objects": [...]}, compact JSON, ASCII only) to standard
output. The same seed gives the same bytes, so the hub and the SQLite floor program get
identical objects. Every indicator is marked TLP:GREEN and carries a distinct id.

    gen.py --objects 1000000 --batch 1000 --seed 1 [--created-by identity--...]
"""
import argparse
import json
import random
import sys
import uuid

TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLDS = ["example", "example.com", "example.net", "example.org", "test", "invalid"]
WORDS = ["update", "cdn", "login", "secure", "mail", "portal", "api", "files", "sync",
         "static", "auth", "vpn", "cloud", "dl", "track", "news", "pay", "account"]
KINDS = ["malicious-activity", "anomalous-activity", "attribution", "compromised"]


def pattern(rng):
    k = rng.random()
    if k < 0.35:  # documentation ranges (RFC 5737) and the benchmarking range (RFC 2544)
        net = rng.choice(["192.0.2", "198.51.100", "203.0.113", "198.18.%d" % rng.randrange(256)])
        v = "%s.%d" % (net, rng.randrange(1, 255))
        return "[ipv4-addr:value = '%s']" % v, "IP address " + v
    if k < 0.70:
        v = "%s%d.%s" % (rng.choice(WORDS), rng.randrange(100000), rng.choice(TLDS))
        return "[domain-name:value = '%s']" % v, "domain " + v
    if k < 0.85:
        v = "https://%s%d.%s/%s/%x" % (rng.choice(WORDS), rng.randrange(10000), rng.choice(TLDS),
                                     rng.choice(WORDS), rng.getrandbits(32))
        return "[url:value = '%s']" % v, "URL " + v
    v = "%064x" % rng.getrandbits(256)
    return "[file:hashes.'SHA-256' = '%s']" % v, "file SHA-256 " + v[:16]


def stamp(rng):
    return "2026-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(24), rng.randrange(60),
        rng.randrange(60), rng.randrange(1000))


def envelopes(n_objects, batch, seed, created_by=None):
    """Yields (count, bytes) for each envelope."""
    rng = random.Random(seed)
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
    left = n_objects
    while left > 0:
        k = min(batch, left)
        objs = []
        for _ in range(k):
            pat, what = pattern(rng)
            t = stamp(rng)
            o = {
                "type": "indicator",
                "spec_version": "2.1",
                "id": "indicator--" + str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "created": t,
                "modified": t,
                "name": "Malicious " + what,
                "indicator_types": [rng.choice(KINDS)],
                "pattern": pat,
                "pattern_type": "stix",
                "valid_from": t,
                "object_marking_refs": [TLP_GREEN],
            }
            if created_by:
                o["created_by_ref"] = created_by
            objs.append(o)
        yield k, dumps({"objects": objs}).encode()
        left -= k


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--created-by", default=None)
    a = ap.parse_args()
    out = sys.stdout.buffer
    for _, body in envelopes(a.objects, a.batch, a.seed, a.created_by):
        out.write(body)
        out.write(b"\n")


if __name__ == "__main__":
    main()
