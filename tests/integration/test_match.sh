#!/bin/bash
# kizuna match on the repository's sample logs: exact hit counts per format, the summary
# JSON, gzip and standard input, malformed lines, STIX validity, sightings and --explain.
set -u
KIZUNA=${KIZUNA:-$PWD/build/kizuna}
KZ_ROOT=${KZ_ROOT:-$PWD}
L="$KZ_ROOT/tests/data/logs"
I="$KZ_ROOT/tests/data/indicators"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILED=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; FAILED=$((FAILED + 1)); }
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; fi; }

run() { # summary-file args...
    local s=$1
    shift
    timeout 60 "$KIZUNA" match --quiet --summary "$s" "$@"
}
counts() { jq -c '[.lines,.bad_lines,.hit_lines,.matches]' "$1"; }

run "$TMP/s1.json" --indicators "$I/sample.txt" --out "$TMP/o1.jsonl" "$L/zeek-dns.log"
check_eq "zeek tsv: lines, bad, hit lines, matches" "[400,0,200,366]" "$(counts "$TMP/s1.json")"
check_eq "summary has every key" "true" \
    "$(jq 'has("lines") and has("bad_lines") and has("hit_lines") and has("matches") and has("indicators") and has("index_seconds") and has("scan_seconds")' "$TMP/s1.json")"
check_eq "summary counts indicators" "4" "$(jq .indicators "$TMP/s1.json")"

run "$TMP/s2.json" --indicators "$I/sample.txt" --out /dev/null "$L/zeek-dns.log.gz"
check_eq "gzip input gives the same counts" "[400,0,200,366]" "$(counts "$TMP/s2.json")"

run "$TMP/s3.json" --indicators "$I/sample.txt" --out /dev/null --format zeek - <"$L/zeek-dns.log"
check_eq "standard input" "[400,0,200,366]" "$(counts "$TMP/s3.json")"

run "$TMP/s4.json" --indicators "$I/sample.txt" --out /dev/null "$L/zeek-dns.json"
check_eq "zeek json (auto)" "[250,0,138,246]" "$(counts "$TMP/s4.json")"

run "$TMP/s5.json" --indicators "$I/sample.txt" --out "$TMP/o5.jsonl" "$L/eve.json"
check_eq "eve: url split into hostname and url, sha256" "[281,0,2,3]" "$(counts "$TMP/s5.json")"

run "$TMP/s6.json" --threads 2 --indicators "$I/sample.txt" --out /dev/null "$L/zeek-dns.log"
check_eq "two threads, same counts" "[400,0,200,366]" "$(counts "$TMP/s6.json")"

# Two threads on a log big enough to be split (2 MB a thread): the counts of one thread.
{ grep '^#' "$L/zeek-dns.log"; for _ in $(seq 60); do grep -v '^#' "$L/zeek-dns.log"; done; } >"$TMP/big.log"
run "$TMP/t1.json" --threads 1 --indicators "$I/sample.txt" --out "$TMP/t1.jsonl" "$TMP/big.log"
run "$TMP/t2.json" --threads 2 --indicators "$I/sample.txt" --out "$TMP/t2.jsonl" "$TMP/big.log"
check_eq "big log, one thread" "[24000,0,12000,21960]" "$(counts "$TMP/t1.json")"
check_eq "big log, two threads: the same counts" "$(counts "$TMP/t1.json")" "$(counts "$TMP/t2.json")"
check_eq "big log, two threads: the same sightings" \
    "$(jq -c 'select(.type=="sighting")|[.sighting_of_ref,.count,.first_seen,.last_seen]' "$TMP/t1.jsonl" | sort)" \
    "$(jq -c 'select(.type=="sighting")|[.sighting_of_ref,.count,.first_seen,.last_seen]' "$TMP/t2.jsonl" | sort)"

# Malformed lines are counted, located and skipped.
{ head -3 "$L/eve.json"; echo '{"event_type":"dns","src_ip":"134.71.3.16",'; echo 'not json at all'; sed -n 1,2p "$L/eve.json"; } >"$TMP/bad.json"
run "$TMP/s7.json" --format eve --indicators "$I/sample.txt" --out /dev/null "$TMP/bad.json"
check_eq "eve: bad lines counted" "2" "$(jq .bad_lines "$TMP/s7.json")"
check_eq "eve: bad line located" "\"$TMP/bad.json:4\"" "$(jq '.first_bad_lines[0]' "$TMP/s7.json")"
check_eq "eve: good lines still matched" "4" "$(jq .hit_lines "$TMP/s7.json")"
{ sed -n 1,8p "$L/zeek-dns.log"; printf 'short\tline\n'; sed -n 9,10p "$L/zeek-dns.log"; } >"$TMP/bad.log"
run "$TMP/s8.json" --indicators "$I/sample.txt" --out /dev/null "$TMP/bad.log"
check_eq "zeek: wrong field count is a bad line" "[3,1,2,4]" "$(counts "$TMP/s8.json")"

# CSV and text.
printf 'time,src,qname,url\n2024-01-01T00:00:00Z,10.0.0.1,a.b.WRCCDC.org.,-\n2024-01-01T00:00:01Z,134.71.3.200,example.com,-\n2024-01-01T00:00:02Z,10.0.0.2,xwrccdc.org,http://www.google.com/AllWorkAndNoPlayMakesWillADullBoy\n"2024-01-01T00:00:03Z,broken\n' >"$TMP/x.csv"
run "$TMP/s9.json" --indicators "$I/sample.txt" --out /dev/null "$TMP/x.csv"
check_eq "csv (auto, header names)" "[4,1,3,3]" "$(counts "$TMP/s9.json")"
run "$TMP/s10.json" --format csv --csv-map 'qname=domain' --indicators "$I/sample.txt" --out /dev/null "$TMP/x.csv"
check_eq "csv with --csv-map" "[4,1,1,1]" "$(counts "$TMP/s10.json")"
printf 'GET http://www.google.com/AllWorkAndNoPlayMakesWillADullBoy from 134.71.3.9\nhash c531b510d3fb3382d60941179ec703b4ce43e8b2f91d18dbe9ea5177dc60cee1 seen\nnothing here: xwrccdc.org\n' >"$TMP/x.txt"
run "$TMP/s11.json" --format text --indicators "$I/sample.txt" --out /dev/null "$TMP/x.txt"
check_eq "text scanning" "[3,0,2,3]" "$(counts "$TMP/s11.json")"

# STIX: revoked, expired, not yet valid, newer versions.
run "$TMP/s12.json" --indicators "$I/sample.jsonl" --out "$TMP/o12.jsonl" "$L/eve.json"
check_eq "stix validity and versions" "[2,2,2]" "$(jq -c '[.indicators,.hit_lines,.matches]' "$TMP/s12.json")"
check_eq "sighting of the newest version" "indicator--44444444-4444-4444-8444-444444444444" \
    "$(jq -r 'select(.type=="sighting") | .sighting_of_ref' "$TMP/o12.jsonl")"
run "$TMP/s13.json" --indicators "$I/indicator-for-c2-ip-address.json" --indicators "$I/indicator-for-malicious-url.json" --out /dev/null "$L/eve.json"
check_eq "stix bundles load" "2" "$(jq .indicators "$TMP/s13.json")"

# Sightings.
check_eq "sightings aggregate per indicator and window" "2" "$(jq -r 'select(.type=="sighting") | .count' "$TMP/o5.jsonl" | sort -n | tail -1)"
check_eq "observed-data refs the observed object" "true" \
    "$(jq -s '[.[]|select(.type=="observed-data")|.object_refs[0]] - [.[]|select(.type!="observed-data" and .type!="sighting")|.id] | length == 0' "$TMP/o5.jsonl")"
timeout 60 "$KIZUNA" match --quiet --bundle --identity identity--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa \
    --indicators "$I/sample.txt" --out "$TMP/b.json" "$L/eve.json"
check_eq "bundle output with where_sighted_refs" "identity--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa" \
    "$(jq -r '.objects[]|select(.type=="sighting")|.where_sighted_refs[0]' "$TMP/b.json" | sort -u)"
timeout 60 "$KIZUNA" match --quiet --indicators "$I/sample.txt" --out "$TMP/b2.json" "$L/eve.json"
check_eq "sighting ids are stable" "$(jq -r 'select(.type=="sighting")|.id' "$TMP/o5.jsonl")" \
    "$(jq -r 'select(.type=="sighting")|.id' "$TMP/b2.json")"
timeout 60 "$KIZUNA" match --quiet --explain --no-sightings --indicators "$I/sample.txt" "$L/eve.json" 2>"$TMP/explain.txt"
check_eq "--explain names field and indicator" "1" "$(grep -c 'sha256 fileinfo.hash .c531b510d3fb3382d60941179ec703b4ce43e8b2f91d18dbe9ea5177dc60cee1. matched indicator--' "$TMP/explain.txt")"

# Real indicator lists load.
run "$TMP/s14.json" --indicators "$I/maltrail-emotet.txt" --indicators "$I/ipsum.txt" --indicators "$I/eset-emotet.sha256" --out /dev/null "$L/zeek-conn.log"
check_eq "real lists load" "true" "$(jq '.indicators > 400' "$TMP/s14.json")"
check_eq "zeek conn log reads" "0" "$(jq .bad_lines "$TMP/s14.json")"
for f in zeek-http.log zeek-files.log zeek-smtp.log zeek-ssl.log; do
    run "$TMP/s.json" --indicators "$I/sample.txt" --out /dev/null "$L/$f"
    check_eq "$f reads without bad lines" "0" "$(jq .bad_lines "$TMP/s.json")"
done

# Patterns the index cannot take go to the evaluator (one event at a time for this one).
printf '%s\n' '{"type":"indicator","spec_version":"2.1","id":"indicator--0e0e0e0e-0000-4000-8000-000000000001","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern":"[domain-name:value MATCHES '"'^ise[.]wrccdc[.]org$'"' AND network-traffic:src_ref.value ISSUBSET '"'10.47.0.0/16'"']","pattern_type":"stix","valid_from":"2000-01-01T00:00:00Z"}' >"$TMP/eval.jsonl"
timeout 60 "$KIZUNA" match --indicators "$TMP/eval.jsonl" --summary "$TMP/s15.json" --no-sightings \
    --explain "$L/zeek-dns.log" 2>"$TMP/eval.txt"
check_eq "evaluator: the indicator is taken" "1" "$(jq .indicators "$TMP/s15.json")"
check_eq "evaluator: the hit lines a hand count finds" \
    "$(awk -F'\t' '!/^#/ && $10 == "ise.wrccdc.org" && $3 ~ /^10[.]47[.]/' "$L/zeek-dns.log" | wc -l | tr -d ' ')" \
    "$(jq .hit_lines "$TMP/s15.json")"
check_eq "evaluator: --explain says so" "true" "$(grep -q 'pattern evaluator' "$TMP/eval.txt" && echo true)"

# Patterns of several events: evaluated over a window of recent events in event-time order.
# zeek-dns-seq.log (rows at +0 s from 1700000000 = 2023-11-14T22:13:20Z):
#   row 1 +0 stage1 (10.1.0.5)   row 3 +20 stage2     row 4 +30 stage2
#   rows 5, 6, 8 beacon at +40, +100, +300            row 7 +200 stage1
#   row 9 +9000 stage2            rows 10-16 beacon every 10 s from +9100
seqind() { # id-digit pattern
    printf '{"type":"indicator","spec_version":"2.1","id":"indicator--5e900000-0000-4000-8000-00000000000%s","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern":%s,"pattern_type":"stix","valid_from":"2000-01-01T00:00:00Z"}\n' \
        "$1" "$(jq -Rn --arg p "$2" '$p')"
}
seqrun() { # name indicator-file expected-hit-rows expected-dropped [args...]
    local name=$1 ind=$2 want=$3 dropped=$4
    shift 4
    timeout 60 "$KIZUNA" match --indicators "$ind" --summary "$TMP/seq.json" --no-sightings \
        --explain "$@" "$L/zeek-dns-seq.log" 2>"$TMP/seq.txt"
    # explain lines are "file:LINE: ..."; the header has 8 lines
    check_eq "sequence: $name" "$want" \
        "$(grep -o 'zeek-dns-seq.log:[0-9]*' "$TMP/seq.txt" | cut -d: -f2 | awk '{printf " %d", $1 - 8}')"
    check_eq "sequence: $name: hit lines and dropped" "$(echo "$want" | wc -w) $dropped" \
        "$(jq -r '"\(.hit_lines) \(.window_dropped)"' "$TMP/seq.json")"
}
seqind 1 "[domain-name:value = 'stage1.example.net'] FOLLOWEDBY [domain-name:value = 'stage2.example.net']" >"$TMP/q1.jsonl"
seqrun "FOLLOWEDBY fires once, stage1 at +200 is 8800 s before stage2 (past 3600 s)" "$TMP/q1.jsonl" " 3" 0
seqrun "a longer --window-events-seconds reaches it" "$TMP/q1.jsonl" " 3 9" 0 --window-events-seconds 9000
seqind 2 "([domain-name:value = 'stage1.example.net'] FOLLOWEDBY [domain-name:value = 'stage2.example.net']) WITHIN 15 SECONDS" >"$TMP/q2.jsonl"
seqrun "WITHIN 15 SECONDS exceeded" "$TMP/q2.jsonl" "" 0
seqind 3 "[domain-name:value = 'beacon.example.com'] REPEATS 3 TIMES WITHIN 60 SECONDS" >"$TMP/q3.jsonl"
seqrun "REPEATS 3 TIMES WITHIN 60 SECONDS, events used once" "$TMP/q3.jsonl" " 12 15" 0
seqrun "a window of one event drops and says so" "$TMP/q3.jsonl" "" 7 --window-events 1
seqind 4 "[domain-name:value = 'beacon.example.com'] REPEATS 2 TIMES START t'2023-11-14T22:13:00Z' STOP t'2023-11-14T22:20:00Z'" >"$TMP/q4.jsonl"
seqrun "REPEATS 2 TIMES between START and STOP" "$TMP/q4.jsonl" " 6" 0
cat "$TMP/q1.jsonl" "$TMP/q3.jsonl" >"$TMP/q13.jsonl"
seqrun "two patterns keep their own windows" "$TMP/q13.jsonl" " 3 12 15" 0
timeout 60 "$KIZUNA" match --indicators "$TMP/q1.jsonl" --out "$TMP/seq-s.jsonl" "$L/zeek-dns-seq.log" 2>/dev/null
check_eq "sequence: the hit is a sighting of the indicator at the completing event" \
    "indicator--5e900000-0000-4000-8000-000000000001 2023-11-14T22:13:40" \
    "$(jq -r 'select(.type == "sighting") | "\(.sighting_of_ref) \(.first_seen[0:19])"' "$TMP/seq-s.jsonl")"
timeout 10 "$KIZUNA" match --indicators "$TMP/q1.jsonl" --window-events 0 "$L/zeek-dns-seq.log" >/dev/null 2>&1
check_eq "sequence: --window-events 0 is a usage error" "2" "$?"

timeout 10 "$KIZUNA" match --indicators "$I/sample.txt" --format nope "$L/eve.json" 2>/dev/null
check_eq "unknown format is a usage error" "2" "$?"

[ "$FAILED" -eq 0 ]
