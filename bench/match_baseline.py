#!/usr/bin/env python3
"""bench/match_baseline.py: the exact matcher an analyst writes in Python.

Loads a plain indicator list into sets (domains, addresses, CIDRs by prefix length, URLs as
host+path, hashes), parses each Zeek dns.log TSV or EVE JSON line, and looks the fields up:
parent domains by walking label suffixes, addresses against every prefix length.
usage: match_baseline.py INDICATORS LOG [HITS_OUT]   prints "lines hit_lines index_s scan_s"
"""
import ipaddress
import json
import sys
import time


def load(path):
    doms, ips, urls, hashes = set(), {}, set(), set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            v = line.strip()
            if not v or v[0] in "#!;":
                continue
            if "://" in v:
                rest = v.split("://", 1)[1]
                host, _, path = rest.partition("/")
                urls.add(host.lower() + "/" + path.split("#")[0])
                continue
            try:
                net = ipaddress.ip_network(v, strict=False)
                ips.setdefault(net.prefixlen, set()).add(int(net.network_address))
                continue
            except ValueError:
                pass
            if len(v) in (32, 40, 64, 128) and all(c in "0123456789abcdefABCDEF" for c in v):
                hashes.add(v.lower())
                continue
            doms.add(v.lower().rstrip("."))
    plens = sorted(ips, reverse=True)
    return doms, ips, plens, urls, hashes


def main():
    t0 = time.monotonic()
    doms, ips, plens, urls, hashes = load(sys.argv[1])
    t1 = time.monotonic()

    def dom_hit(name):
        name = name.lower().rstrip(".")
        parts = name.split(".")
        return any(".".join(parts[i:]) in doms for i in range(len(parts)))

    def ip_hit(a):
        try:
            v = int(ipaddress.ip_address(a))
        except ValueError:
            return False
        for pl in plens:
            if (v >> (32 - pl) << (32 - pl)) in ips[pl]:
                return True
        return False

    def host_hit(x):
        return ip_hit(x) if x[:1].isdigit() else dom_hit(x)

    hits = []
    lines = 0
    cols = {}
    with open(sys.argv[2], encoding="utf-8", errors="replace") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("#fields\t"):
                cols = {n: i for i, n in enumerate(line.split("\t")[1:])}
                continue
            if not line or line[0] == "#":
                continue
            lines += 1
            hit = False
            if line[0] == "{":
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                hit = ip_hit(e.get("src_ip", "")) or ip_hit(e.get("dest_ip", ""))
                d = e.get("dns")
                if not hit and d:
                    hit = dom_hit(d.get("rrname", "")) or any(
                        host_hit(a.get("rdata", "")) or dom_hit(a.get("rrname", ""))
                        for a in d.get("answers", []))
                h = e.get("http")
                if not hit and h:
                    host = h.get("hostname", "")
                    hit = host_hit(host) or (host.lower() + h.get("url", "")) in urls
                t = e.get("tls")
                if not hit and t:
                    hit = dom_hit(t.get("sni", ""))
                fi = e.get("fileinfo")
                if not hit and fi:
                    hit = any(fi.get(k, "").lower() in hashes for k in ("md5", "sha1", "sha256"))
            else:
                fs = line.split("\t")
                hit = ip_hit(fs[cols["id.orig_h"]]) or ip_hit(fs[cols["id.resp_h"]]) \
                    or dom_hit(fs[cols["query"]]) \
                    or any(host_hit(a) for a in fs[cols["answers"]].split(",") if a != "-")
            if hit:
                hits.append(no)
    t2 = time.monotonic()
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as out:
            out.write("".join(f"{n}\n" for n in hits))
    print(lines, len(hits), f"{t1 - t0:.3f}", f"{t2 - t1:.3f}")


if __name__ == "__main__":
    main()
