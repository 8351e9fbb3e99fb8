# Shell helpers shared by the bench scripts (sourced). Loopback only; every process is
# stopped by its PID.

say() { printf '%s\n' "$*" >&2; }

# stop_pid PID: TERM, wait up to 10 s, then KILL.
stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# median NUMBERS...
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

# start_hub DIR [serve flags...]: kizuna serve on a free loopback port with the database
# DIR/kizuna.db; sets HUB_PID and HUB (the base URL) once /healthz answers, else exits.
start_hub() {
    local dir=$1 url=""
    shift
    : >"$dir/serve.out" # exists before the background shell opens it
    "$KIZUNA" serve --db "sqlite:$dir/kizuna.db" --listen 127.0.0.1:0 "$@" >"$dir/serve.out" 2>>"$dir/serve.log" &
    HUB_PID=$!
    for _ in $(seq 1 100); do
        url=$(sed -n 's|^serving on \(http://127\.0\.0\.1:[0-9]*\)/$|\1|p' "$dir/serve.out")
        [ -n "$url" ] && break
        sleep 0.1
    done
    for _ in $(seq 1 50); do
        if [ -n "$url" ] && curl -fs -o /dev/null "$url/healthz"; then
            HUB=$url
            return 0
        fi
        sleep 0.1
    done
    say "run.sh: the hub did not start:"
    cat "$dir/serve.log" >&2
    exit 1
}
