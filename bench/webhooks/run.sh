#!/bin/bash
# bench/webhooks: TAXII ingest with 4 object.added subscriptions (4 outbox rows per object,
# written in the ingest transaction) against the baseline of the same ingest with none,
# and how fast the worker drains the outbox to loopback receivers. Prints the ratio.
set -eu
KIZUNA=${KIZUNA:-$PWD/build/kizuna}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ENVELOPES=${ENVELOPES:-40}
PER=${PER:-100}
TMP=$(mktemp -d)
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"' EXIT
TAXII="application/taxii+json;version=2.1"
export KIZUNA_LOG_LEVEL=0

# envelopes: fixed indicator ids per run, generated once.
python3 - "$TMP" "$ENVELOPES" "$PER" <<'PY'
import json, sys, uuid
d, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for run in ("base", "subs"):
    for e in range(n):
        objs = [{"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--%s" % uuid.uuid5(uuid.NAMESPACE_URL, "%s-%d-%d" % (run, e, i)),
                 "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                 "pattern": "[ipv4-addr:value = '198.51.%d.%d']" % (e % 256, i % 256),
                 "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                 "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
                for i in range(per)]
        with open("%s/%s.%d.json" % (d, run, e), "w") as f:
            json.dump({"objects": objs}, f)
PY

export KIZUNA_DB="sqlite:$TMP/kizuna.db"
"$KIZUNA" init --json >/dev/null
"$KIZUNA" org add acme --name Acme --type cip --sector water >/dev/null
TOKEN=$("$KIZUNA" key create --org acme --role member --json | jq -r .token)
"$KIZUNA" serve --listen 127.0.0.1:0 >"$TMP/serve.out" 2>"$TMP/serve.log" &
PIDS="$PIDS $!"
for _ in $(seq 100); do HUB=$(sed -n 's|^serving on \(.*\)/$|\1|p' "$TMP/serve.out"); [ -n "$HUB" ] && break; sleep 0.1; done

ingest() { # run: seconds to post every envelope of the run, one after another
    local t0 t1
    t0=$(date +%s.%N)
    for e in $(seq 0 $((ENVELOPES - 1))); do
        curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" -H "Content-Type: $TAXII" \
            -H "Accept: $TAXII" --data-binary "@$TMP/$1.$e.json" \
            "$HUB/taxii2/api/collections/community/objects/"
    done
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

base=$(ingest base)
for r in 1 2 3 4; do
    python3 "$ROOT/tests/integration/webhook_receiver.py" --out "$TMP/r$r.jsonl" >"$TMP/r$r.port" &
    PIDS="$PIDS $!"
    for _ in $(seq 100); do grep -q '^port ' "$TMP/r$r.port" && break; sleep 0.1; done
    port=$(sed -n 's/^port //p' "$TMP/r$r.port")
    curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"url\":\"http://127.0.0.1:$port/\",\"events\":[\"object.added\"],\"collection\":\"community\"}" \
        "$HUB/api/v1/webhooks"
done
t0=$(date +%s.%N)
subs=$(ingest subs)
want=$((ENVELOPES * PER * 4))
for _ in $(seq 6000); do
    got=$(cat "$TMP"/r*.jsonl 2>/dev/null | wc -l)
    [ "$got" -ge "$want" ] && break
    sleep 0.1
done
t1=$(date +%s.%N)
objects=$((ENVELOPES * PER))
printf 'ingest, no subscriptions (baseline): %d objects in %.2f s = %.0f objects/s\n' "$objects" "$base" "$(echo "$objects / $base" | bc -l)"
printf 'ingest, 4 object.added subscriptions: %d objects in %.2f s = %.0f objects/s\n' "$objects" "$subs" "$(echo "$objects / $subs" | bc -l)"
printf 'ratio: %.2f of the baseline\n' "$(echo "$base / $subs" | bc -l)"
printf 'deliveries: %d of %d received in %.2f s = %.0f deliveries/s\n' "$got" "$want" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$got / ($t1 - $t0)" | bc -l)"
