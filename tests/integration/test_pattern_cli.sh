#!/bin/bash
# Integration test of 'kizuna pattern check' and 'kizuna pattern eval' on the real binary.
# Prints "ok - <what>" or "not ok - <what>" per check; exits non-zero when any failed.
set -u
KIZUNA=${KIZUNA:-build/kizuna}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; failed=1; }

# check NAME EXPECTED_STATUS EXPECTED_OUTPUT_REGEX -- ARGS... (standard input from $stdin_file)
check() {
    local what=$1 want_rc=$2 want_out=$3
    shift 3
    local out rc
    out=$(timeout 30 "$KIZUNA" "$@" <"${stdin_file:-/dev/null}" 2>"$tmp/err")
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        bad "$what (exit $rc, want $want_rc: $out $(head -c 200 "$tmp/err"))"
    elif [ -z "$want_out" ] && [ -n "$out" ]; then
        bad "$what (unexpected output '$out')"
    elif [ -n "$want_out" ] && ! printf '%s' "$out" | grep -Eqz -- "$want_out"; then
        bad "$what (output '$out' does not match '$want_out')"
    else
        ok "$what"
    fi
}

check "valid hash pattern" 0 '^valid$' \
    pattern check "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']"
check "valid pattern with qualifiers" 0 '^valid$' \
    pattern check "([ipv4-addr:value ISSUBSET '198.51.100.0/24'] FOLLOWEDBY [domain-name:value = 'x.example']) WITHIN 300 SECONDS"
check "valid START/STOP" 0 '^valid$' \
    pattern check "[file:name = 'a'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'"
check "missing bracket gives column" 1 "^invalid: expected .* but the pattern ended at column 29" \
    pattern check "[ipv4-addr:value = '1.2.3.4'"
check "bad escape gives its column" 1 "^invalid: invalid escape.* at column 16$" \
    pattern check "[file:name = 'a\\n']"
check "lower-case keyword is explained" 1 "upper-case.* at column 11$" \
    pattern check "[a:b = 1] and [a:b = 2]"
check "bad regex is invalid" 1 "^invalid: invalid regular expression" \
    pattern check "[file:name MATCHES '(']"
check "odd hex literal is invalid" 1 "odd number" \
    pattern check "[file:magic_number_hex = h'abc']"
check "bad timestamp is invalid" 1 "timestamp" \
    pattern check "[file:created = t'2024-02-30T00:00:00Z']"
check "empty pattern is invalid" 1 "^invalid: empty pattern at column 1$" \
    pattern check ""
check "--help" 0 "usage: kizuna pattern check" pattern check --help
check "unknown option is a usage error" 2 "" pattern check --nope

printf '%s\n' "[a:b = 1]" "[a:b = " "" "[x:y IN (1, 2)]" >"$tmp/in"
stdin_file="$tmp/in"
check "standard input, one per line, with '-'" 1 \
    "^valid
invalid: expected a literal but the pattern ended at column 8
valid$" pattern check -
check "standard input without an argument" 1 "^valid" pattern check
check "--json on standard input" 1 \
    '^\{"results":\[\{"pattern":"\[a:b = 1\]","valid":true,"reason":null,"column":null\},\{"pattern":"\[a:b = ","valid":false,"reason":"[^"]+","column":8\},\{"pattern":"\[x:y IN \(1, 2\)\]","valid":true' \
    pattern check --json -
printf '%s\n' "[a:b = 1]" "[c:d != 'x']" >"$tmp/in2"
stdin_file="$tmp/in2"
check "all valid on standard input exits 0" 0 "^valid
valid$" pattern check -
stdin_file=

# A bundle with two observations and the SCOs they refer to.
cat >"$tmp/bundle.json" <<'JSON'
{"type":"bundle","id":"bundle--6b8a2e8e-5b0a-4f6c-9a4b-1c2d3e4f5a6b","objects":[
 {"type":"observed-data","spec_version":"2.1","id":"observed-data--1f6b6e2c-0b3e-4c39-9a0a-2d6f1a1c0c01",
  "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",
  "first_observed":"2024-01-01T00:00:00Z","last_observed":"2024-01-01T00:00:00Z","number_observed":1,
  "object_refs":["network-traffic--2c6c4f5e-3b8c-4b1a-8e8b-6f1e2d3c4b5a","ipv4-addr--4e6a3b2c-1d0e-4f5a-9b8c-7d6e5f4a3b2c"]},
 {"type":"observed-data","spec_version":"2.1","id":"observed-data--1f6b6e2c-0b3e-4c39-9a0a-2d6f1a1c0c02",
  "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",
  "first_observed":"2024-01-01T00:02:00Z","last_observed":"2024-01-01T00:02:00Z","number_observed":1,
  "object_refs":["domain-name--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]},
 {"type":"network-traffic","spec_version":"2.1","id":"network-traffic--2c6c4f5e-3b8c-4b1a-8e8b-6f1e2d3c4b5a",
  "dst_ref":"ipv4-addr--4e6a3b2c-1d0e-4f5a-9b8c-7d6e5f4a3b2c","dst_port":443,"protocols":["tcp"]},
 {"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--4e6a3b2c-1d0e-4f5a-9b8c-7d6e5f4a3b2c","value":"198.51.100.7"},
 {"type":"domain-name","spec_version":"2.1","id":"domain-name--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","value":"evil.example"}
]}
JSON
check "eval: address in a range" 0 '^match$' \
    pattern eval "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port = 443]" "$tmp/bundle.json"
check "eval: no match" 1 '^no match$' \
    pattern eval "[domain-name:value = 'good.example']" "$tmp/bundle.json"
check "eval: FOLLOWEDBY within the window" 0 '^match$' \
    pattern eval "([ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [domain-name:value LIKE '%.example']) WITHIN 300 SECONDS" "$tmp/bundle.json"
check "eval: FOLLOWEDBY in the wrong order" 1 '^no match$' \
    pattern eval "[domain-name:value = 'evil.example'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.7']" "$tmp/bundle.json"
check "eval: WITHIN too short" 1 '^no match$' \
    pattern eval "([ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'evil.example']) WITHIN 60 SECONDS" "$tmp/bundle.json"
check "eval: invalid pattern is an error" 2 '' \
    pattern eval "[a:b = " "$tmp/bundle.json"
check "eval: missing file is an error" 2 '' \
    pattern eval "[a:b = 1]" "$tmp/nope.json"

exit $failed
