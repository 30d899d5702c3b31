# shellcheck shell=bash
# lib.sh -- helpers shared by bench/watchdog/run and idle_rss.sh (bash).
#
# Callers set BENCH_TMP (a private directory) before starting anything and
# call bench_cleanup from an EXIT trap: every process started through
# bench_start (and the children the watchdog spawned, recorded with
# bench_adopt_children) is stopped there, and BENCH_TMP is removed.

BENCH_PIDS=()
BENCH_PORTS=" "

bench_die() {
    echo "bench: $*" >&2
    exit 1
}

# Prints a TCP port that nothing listens on and that this run has not
# handed out yet.
bench_free_port() {
    local p listening tries=0
    listening=$(ss -Htln 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | tr '\n' ' ')
    while :; do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        case " $listening $BENCH_PORTS" in
        *" $p "*) ;;
        *)
            BENCH_PORTS="$BENCH_PORTS$p "
            echo "$p"
            return 0
            ;;
        esac
        tries=$((tries + 1))
        [ "$tries" -lt 1000 ] || bench_die "no free port found"
    done
}

# bench_start NAME CMD...: starts CMD in the background with its output in
# $BENCH_TMP/NAME.log; its pid is in BENCH_LAST_PID.
bench_start() {
    local name=$1
    shift
    "$@" >"$BENCH_TMP/$name.log" 2>&1 &
    BENCH_LAST_PID=$!
    BENCH_PIDS+=("$BENCH_LAST_PID")
}

# Records the direct children of PID (the watchdog's upstream) so that
# cleanup stops them even if the watchdog itself does not.
bench_adopt_children() {
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do
        BENCH_PIDS+=("$c")
    done
}

# bench_wait_http URL PID [SECONDS]: waits until URL answers 200; fails if
# PID exits first or the time (default 10 s) runs out.
bench_wait_http() {
    local url=$1 pid=$2 secs=${3:-10} i code
    for ((i = 0; i < secs * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null)
        [ "$code" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}

# Stops PID: SIGTERM, then SIGKILL after 3 s. Reaps it if it is our child.
bench_stop() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        # A zombie child of ours counts as stopped; wait reaps it below.
        [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

bench_cleanup() {
    local i
    # Oldest first: a watchdog stops its own upstream (so it does not
    # restart one we killed); recorded children left over go after it.
    for ((i = 0; i < ${#BENCH_PIDS[@]}; i++)); do
        bench_stop "${BENCH_PIDS[i]}"
    done
    BENCH_PIDS=()
    [ -n "${BENCH_TMP:-}" ] && [ -d "$BENCH_TMP" ] && rm -rf "$BENCH_TMP"
    return 0
}
