#!/usr/bin/env bash
# idle_rss.sh -- resident memory of an idle watchdog.
#
# Starts faasbus-watchdog in classic mode (fprocess=cat) on a free loopback
# port, waits for /_/health, sends one request, lets it idle for a second,
# then reads VmRSS from /proc/<pid>/status and stops it.
# Prints one line: rss_kb=<kB> anon_kb=<kB> file_kb=<kB>
# (VmRSS and its RssAnon and RssFile parts; BUILD selects the build tree)
set -u
cd "$(dirname "$0")/../.." || exit 1
. bench/watchdog/lib.sh

BUILD=${BUILD:-build}
WD=$BUILD/bin/faasbus-watchdog
[ -x "$WD" ] || bench_die "$WD is missing: run make"
command -v curl >/dev/null || bench_die "curl is missing"

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-rss.XXXXXX") || bench_die "mktemp failed"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(bench_free_port)
mkdir -p "$BENCH_TMP/wd"
bench_start rss-watchdog env TMPDIR="$BENCH_TMP/wd" fprocess=cat mode=classic port="$port" \
    metrics_port=0 log_level=warn healthcheck_interval=0s "$WD"
pid=$BENCH_LAST_PID
bench_wait_http "http://127.0.0.1:$port/_/health" "$pid" ||
    { cat "$BENCH_TMP/rss-watchdog.log" >&2; bench_die "watchdog (classic) did not become healthy"; }
out=$(curl -s --max-time 5 -d hello "http://127.0.0.1:$port/")
[ "$out" = hello ] || bench_die "classic watchdog answered '$out' instead of 'hello'"
sleep 1
line=$(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 }
           END { if (r != "") printf "rss_kb=%d anon_kb=%d file_kb=%d\n", r, a, f }' \
           "/proc/$pid/status" 2>/dev/null)
[ -n "$line" ] || bench_die "cannot read VmRSS of pid $pid"
echo "$line"
