#!/usr/bin/env bash
# bench/taxii: ingest and read rates of the kizuna hub against named ceilings.
#
#   ingest  POST envelopes of 1,000 TLP:GREEN indicators into 'community' until it holds
#           N objects (2 keep-alive connections); objects/s, overall and per batch of 100k
#   floor   sqlite_floor.c: the same rows, same schema and pragmas, bare C insert loop
#   reads   wrk, 2 threads, 16 connections: GET pages of 100 with added_after inside the
#           collection; requests/s, p50, p99
#   nginx   the same wrk run against nginx serving a file with the bytes of one page
#
# Each measurement runs --runs times (default 3); medians and ratios are printed. Every
# process started here is stopped, by its PID, on exit. Loopback only.
#
#   bench/taxii/run.sh [--objects N] [--runs R] [--duration SECONDS] [--out FILE]
set -euo pipefail

OBJECTS=1000000
RUNS=3
DURATION=10
OUT=""
while [ $# -gt 0 ]; do
    case $1 in
    --objects) OBJECTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
case $OBJECTS in '' | *[!0-9]*) echo "run.sh: --objects takes a number" >&2; exit 2 ;; esac
[ "$OBJECTS" -ge 1000 ] || { echo "run.sh: --objects must be at least 1000" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
KIZUNA=${KIZUNA:-$ROOT/build/kizuna}
NGINX=${NGINX:-/usr/sbin/nginx}
TAXII="application/taxii+json;version=2.1"
BATCH=1000
REPORT=100000
[ "$OBJECTS" -lt $((REPORT * 2)) ] && REPORT=$((OBJECTS / 10 / BATCH * BATCH)) && [ "$REPORT" -lt "$BATCH" ] && REPORT=$BATCH
export KIZUNA_LOG_LEVEL=${KIZUNA_LOG_LEVEL:-1} # warnings only: nginx runs without access log

for tool in "$KIZUNA" "$NGINX" wrk curl jq python3 cc; do
    command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is missing (make deps)" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kizuna-bench-taxii.XXXXXX")
HUB_PID=""
NGINX_PID=""
cleanup() {
    local st=$?
    stop_pid "$HUB_PID"
    stop_pid "$NGINX_PID"
    rm -rf "$TMP"
    exit $st
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (b > 0 ? 100 * a / b : 0)}'; }

# ---- the write ceiling program ----
say "== building sqlite_floor"
cc -O2 -std=c11 -Wall -Wextra -o "$TMP/sqlite_floor" "$HERE/sqlite_floor.c" -lsqlite3 -ljansson

# ---- ingest, RUNS times, each into a fresh hub ----
ING_OVERALL=()
ING_BATCH=()
for r in $(seq 1 "$RUNS"); do
    dir="$TMP/hub$r"
    mkdir -p "$dir"
    export KIZUNA_DB="sqlite:$dir/kizuna.db"
    "$KIZUNA" init --json >"$dir/init.json" 2>>"$dir/serve.log"
    "$KIZUNA" org add bench --name "Bench Power Co" --type cip --sector electricity --country JP >/dev/null 2>&1
    TOKEN=$("$KIZUNA" key create --org bench --role member --json | jq -r .token)
    IDENTITY=$("$KIZUNA" org list --json | jq -r '.organizations[] | select(.slug == "bench") | .identity')
    case $IDENTITY in identity--*) ;; *) say "run.sh: no identity for the bench organisation"; exit 1 ;; esac
    say "== ingest run $r/$RUNS: generating $OBJECTS indicators"
    python3 "$HERE/gen.py" --objects "$OBJECTS" --batch $BATCH --seed 1 --created-by "$IDENTITY" >"$TMP/envelopes.jsonl"
    start_hub "$dir"
    say "== ingest run $r/$RUNS: posting to $HUB (2 connections)"
    python3 "$HERE/ingest.py" --url "$HUB" --token "$TOKEN" --collection community \
        --file "$TMP/envelopes.jsonl" --conns 2 --report $REPORT >"$TMP/ingest$r.json"
    ING_OVERALL+=("$(jq -r .objects_per_s "$TMP/ingest$r.json")")
    ING_BATCH+=("$(jq -r .batch_median "$TMP/ingest$r.json")")
    say "   objects/s overall ${ING_OVERALL[-1]}, median of ${REPORT}-object batches ${ING_BATCH[-1]}, batches: $(jq -c .batch_rates "$TMP/ingest$r.json")"
    if [ "$r" -lt "$RUNS" ]; then
        stop_pid "$HUB_PID"
        HUB_PID=""
        rm -rf "$dir"
    fi
done
LAST=$TMP/ingest$RUNS.json

# ---- floor, RUNS times, same envelopes ----
FLOOR=()
for r in $(seq 1 "$RUNS"); do
    say "== sqlite floor run $r/$RUNS"
    rm -f "$TMP/floor.db" "$TMP/floor.db-wal" "$TMP/floor.db-shm"
    line=$("$TMP/sqlite_floor" "$TMP/floor.db" <"$TMP/envelopes.jsonl")
    FLOOR+=("$(echo "$line" | awk '{print $6}')")
    say "   $line"
done
rm -f "$TMP/envelopes.jsonl" "$TMP/floor.db" "$TMP/floor.db-wal" "$TMP/floor.db-shm"

# ---- reads: pages of 100 from the middle half of the collection ----
COUNT=$(jq -r .objects "$LAST")
W0=$(jq -r .wall_start_us "$LAST")
W1=$(jq -r .wall_end_us "$LAST")
python3 - "$W0" "$W1" "$TMP/reads.lua" "$TOKEN" <<'PY'
import sys, time
w0, w1, out, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def iso(us):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1000000)) + ".%06dZ" % (us % 1000000)
# 64 added_after values spread over the middle half of the ingest window.
stamps = [iso(w0 + (w1 - w0) * (25 + 50 * k // 63) // 100) for k in range(64)]
paths = ['"/taxii2/api/collections/community/objects/?limit=100&added_after=%s"' % s for s in stamps]
with open(out, "w") as f:
    f.write('local paths = {\n  ' + ',\n  '.join(paths) + '\n}\n')
    f.write('local i = 0\n')
    f.write('wrk.headers["Authorization"] = "Bearer %s"\n' % token)
    f.write('wrk.headers["Accept"] = "application/taxii+json;version=2.1"\n')
    f.write('function setup(thread) thread:set("start", math.random(#paths)) end\n')
    f.write('function init(args) i = start or 0 end\n')
    f.write('function request()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n')
    # the middle one, for the page nginx serves
    f.write('-- middle: ' + stamps[32] + '\n')
PY
MIDDLE=$(sed -n 's/^-- middle: //p' "$TMP/reads.lua")
# nginx workers run as an unprivileged user when started by root: let them reach the page.
chmod 711 "$TMP"
mkdir -p "$TMP/www"
curl -fsS -H "Authorization: Bearer $TOKEN" -H "Accept: $TAXII" \
    "$HUB/taxii2/api/collections/community/objects/?limit=100&added_after=$MIDDLE" >"$TMP/www/page.json"
PAGE_N=$(jq '.objects | length' "$TMP/www/page.json")
PAGE_BYTES=$(wc -c <"$TMP/www/page.json")
chmod 755 "$TMP/www"
chmod 644 "$TMP/www/page.json"
[ "$PAGE_N" -eq 100 ] || { say "run.sh: a page from the middle has $PAGE_N objects, not 100"; exit 1; }

# nginx: the ceiling, serving the same bytes
NPORT=$(free_port)
mkdir -p "$TMP/nginx/tmp"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/tmp/body;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NPORT;
        root $TMP/www;
        location / {
            default_type "application/taxii+json;version=2.1";
            try_files /page.json =404;
        }
    }
}
EOF
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" &
NGINX_PID=$!
for _ in $(seq 1 50); do
    curl -fs -o /dev/null "http://127.0.0.1:$NPORT/x" 2>/dev/null && break
    sleep 0.1
done
cmp -s <(curl -fsS "http://127.0.0.1:$NPORT/taxii2/api/collections/community/objects/?limit=100") "$TMP/www/page.json" ||
    { say "run.sh: nginx does not serve the page"; cat "$TMP/nginx/error.log" >&2; exit 1; }

to_ms() { # wrk latency like 812.00us, 1.20ms, 2.01s
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}
# CPU time (user + system, clock ticks) the hub has used so far.
hub_cpu_ticks() { awk '{print $14 + $15}' "/proc/$HUB_PID/stat"; }
run_wrk() { # NAME URL: appends to the NAME_* arrays; for KZ also the hub's CPU per request
    local name=$1 url=$2 out rps p50 p99 bad t0 t1 n
    t0=$(hub_cpu_ticks)
    out=$(wrk -t2 -c16 -d"${DURATION}s" --latency -s "$TMP/reads.lua" "$url")
    t1=$(hub_cpu_ticks)
    rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
    p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
    bad=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $NF}')
    if [ -n "$bad" ] || echo "$out" | grep -q 'Socket errors'; then
        say "run.sh: wrk against $name saw errors:"
        echo "$out" >&2
        exit 1
    fi
    eval "${name}_RPS+=(\"$rps\"); ${name}_P50+=(\"$p50\"); ${name}_P99+=(\"$p99\")"
    if [ "$name" = KZ ]; then
        n=$(echo "$out" | awk '/requests in/ {print $1}')
        KZ_CPU+=("$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$(getconf CLK_TCK)" \
            'BEGIN {printf "%.0f", (b - a) * 1000000 / hz / n}')")
        say "   $name: $rps req/s, p50 $p50 ms, p99 $p99 ms, hub CPU ${KZ_CPU[-1]} us/request"
    else
        say "   $name: $rps req/s, p50 $p50 ms, p99 $p99 ms"
    fi
}
KZ_RPS=(); KZ_P50=(); KZ_P99=(); KZ_CPU=(); NG_RPS=(); NG_P50=(); NG_P99=()
for r in $(seq 1 "$RUNS"); do
    say "== reads run $r/$RUNS (wrk -t2 -c16 -d${DURATION}s, pages of 100 = $PAGE_BYTES bytes)"
    run_wrk KZ "$HUB"
    run_wrk NG "http://127.0.0.1:$NPORT"
done

# ---- summary ----
ING=$(median "${ING_OVERALL[@]}")
INGB=$(median "${ING_BATCH[@]}")
FL=$(median "${FLOOR[@]}")
RPS=$(median "${KZ_RPS[@]}"); P50=$(median "${KZ_P50[@]}"); P99=$(median "${KZ_P99[@]}")
NRPS=$(median "${NG_RPS[@]}"); NP50=$(median "${NG_P50[@]}"); NP99=$(median "${NG_P99[@]}")
IRATIO=$(pct "$ING" "$FL")
RRATIO=$(pct "$RPS" "$NRPS")
verdict() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 >= b + 0) ? "met" : "NOT met"}'; }
P99OK=$(awk -v p="$P99" 'BEGIN {print (p + 0 < 50) ? "yes" : "NO"}')
{
    echo "bench/taxii: $COUNT objects in 'community', medians of $RUNS runs ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))"
    printf '  ingest  kizuna  %10.0f objects/s overall, %.0f median of %d-object batches  (runs: %s)\n' \
        "$ING" "$INGB" "$REPORT" "${ING_OVERALL[*]}"
    printf '  ingest  floor   %10.0f rows/s, bare C loop into SQLite  (runs: %s)\n' "$FL" "${FLOOR[*]}"
    printf '  ingest  ratio   kizuna/floor = %s %% (goal >= 30 %%: %s)\n' "$IRATIO" "$(verdict "$IRATIO" 30)"
    printf '  reads   kizuna  %10.0f req/s, p50 %s ms, p99 %s ms  (runs: %s)\n' "$RPS" "$P50" "$P99" "${KZ_RPS[*]}"
    printf '  reads   kizuna  %10s us of hub CPU per request  (runs: %s)\n' "$(median "${KZ_CPU[@]}")" "${KZ_CPU[*]}"
    printf '  reads   nginx   %10.0f req/s, p50 %s ms, p99 %s ms  (runs: %s)\n' "$NRPS" "$NP50" "$NP99" "${NG_RPS[*]}"
    printf '  reads   ratio   kizuna/nginx = %s %% (goal >= 40 %%: %s); kizuna p99 < 50 ms: %s\n' \
        "$RRATIO" "$(verdict "$RRATIO" 40)" "$P99OK"
} | tee ${OUT:+"$OUT"}
