#!/usr/bin/env python3
"""Seeded workload for bench/correlate.

Writes three files into --dir:
  orgs.jsonl        one organisation a line: {"slug", "sector", "type"} (--orgs of them,
                    spread over the ten default sectors and two others)
  indicators.jsonl  envelopes of 1,000 TLP:GREEN indicators (--indicators in all)
  sightings.jsonl   one envelope a line: {"org": slug, "envelope": {"objects": [...]}},
                    --per-envelope sightings of one organisation each (--sightings in all)

Sightings pick an indicator from a small hot set (one in five, so that organisations
meet on the same indicators and alerts fire) or from all indicators, a last_seen within
seven days, and a count of 1-5 (one in 200: 500). Ids derive from the seed, so two runs
post the same objects.

    gen.py --dir D [--orgs 1000] [--indicators 100000] [--sightings 200000]
           [--per-envelope 100] [--seed 1]
"""
import argparse
import json
import os
import random
import uuid

SECTORS = ["ict", "finance", "aviation", "railway", "electricity", "gas", "government",
           "medical", "water", "logistics", "retail", "education"]
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
BASE = 1772323200  # 2026-03-01T00:00:00Z


def uid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ts(sec):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--orgs", type=int, default=1000)
    ap.add_argument("--indicators", type=int, default=100000)
    ap.add_argument("--sightings", type=int, default=200000)
    ap.add_argument("--per-envelope", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)

    orgs = []
    with open(os.path.join(a.dir, "orgs.jsonl"), "w") as f:
        for i in range(a.orgs):
            sector = SECTORS[i % len(SECTORS)]
            o = {"slug": "org%04d" % i, "sector": sector,
                 "type": "cip" if sector not in ("retail", "education") else "company"}
            orgs.append(o["slug"])
            f.write(json.dumps(o) + "\n")

    inds = ["indicator--" + uid(rng) for _ in range(a.indicators)]
    with open(os.path.join(a.dir, "indicators.jsonl"), "w") as f:
        for start in range(0, len(inds), 1000):
            objs = [{"type": "indicator", "spec_version": "2.1", "id": i,
                     "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
                     "name": "bench %d" % (start + k), "pattern_type": "stix",
                     "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % (
                         (start + k) >> 16 & 255, (start + k) >> 8 & 255, (start + k) & 255),
                     "valid_from": "2026-02-01T00:00:00Z", "object_marking_refs": [GREEN]}
                    for k, i in enumerate(inds[start:start + 1000])]
            f.write(json.dumps({"objects": objs}, separators=(",", ":")) + "\n")

    hot = inds[:max(1, len(inds) // 100)]
    with open(os.path.join(a.dir, "sightings.jsonl"), "w") as f:
        left = a.sightings
        while left > 0:
            n = min(a.per_envelope, left)
            left -= n
            org = rng.choice(orgs)
            objs = []
            for _ in range(n):
                ind = rng.choice(hot) if rng.random() < 0.2 else rng.choice(inds)
                seen = BASE + rng.randrange(7 * 86400)
                count = 500 if rng.random() < 0.005 else rng.randint(1, 5)
                objs.append({"type": "sighting", "spec_version": "2.1",
                             "id": "sighting--" + uid(rng),
                             "created": "2026-03-08T00:00:00.000Z",
                             "modified": "2026-03-08T00:00:00.000Z",
                             "first_seen": ts(seen - 60), "last_seen": ts(seen),
                             "count": count, "sighting_of_ref": ind,
                             "object_marking_refs": [GREEN]})
            f.write(json.dumps({"org": org, "envelope": {"objects": objs}},
                               separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
