#!/usr/bin/env bash
# idle_rss.sh -- resident memory of an idle watchdog.
#
# Starts two faasbus-watchdogs in classic mode (fprocess=cat) on free
# loopback ports, waits for /_/health, sends each one request, lets them
# idle for a second, then reads the second one's memory and stops both.
# Prints one line: rss_kb=<kB> anon_kb=<kB> file_kb=<kB> private_kb=<kB>
# (VmRSS, its RssAnon and RssFile parts, and the pages no other process
# shares: Private_Clean + Private_Dirty of smaps_rollup, what one more
# replica costs; BUILD selects the build tree)
set -u
cd "$(dirname "$0")/../.." || exit 1
. bench/lib.sh

BUILD=${BUILD:-build}
WD=$BUILD/bin/faasbus-watchdog
[ -x "$WD" ] || bench_die "$WD is missing: run make"
command -v curl >/dev/null || bench_die "curl is missing"

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-rss.XXXXXX") || bench_die "mktemp failed"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Two replicas, as a host runs them: the second's private pages are what
# one more replica costs once the shared libraries are mapped anyway.
start_replica() { # NAME -> pid in $BENCH_LAST_PID
    local port
    port=$(bench_free_port)
    mkdir -p "$BENCH_TMP/$1"
    bench_start "$1" env TMPDIR="$BENCH_TMP/$1" fprocess=cat mode=classic port="$port" \
        metrics_port=0 log_level=warn healthcheck_interval=0s "$WD"
    bench_wait_http "http://127.0.0.1:$port/_/health" "$BENCH_LAST_PID" ||
        { cat "$BENCH_TMP/$1.log" >&2; bench_die "watchdog (classic) did not become healthy"; }
    out=$(curl -s --max-time 5 -d hello "http://127.0.0.1:$port/")
    [ "$out" = hello ] || bench_die "classic watchdog answered '$out' instead of 'hello'"
}
start_replica rss-first
start_replica rss-second
pid=$BENCH_LAST_PID
sleep 1
line=$(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 }
           END { if (r != "") printf "rss_kb=%d anon_kb=%d file_kb=%d\n", r, a, f }' \
           "/proc/$pid/status" 2>/dev/null)
[ -n "$line" ] || bench_die "cannot read VmRSS of pid $pid"
private=$(awk '/^Private_(Clean|Dirty):/ { p += $2 } END { print p + 0 }' \
    "/proc/$pid/smaps_rollup" 2>/dev/null)
echo "$line private_kb=${private:-0}"
