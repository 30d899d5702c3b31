#!/bin/sh
# make run: starts faasbus on this machine with the embedded defaults and
# shows it working. Today that is the watchdog (the gateway, queue and
# connector join as they land): three functions, one per kind of mode.
# DEMO=0 only starts them and waits. Ctrl-C stops everything it started.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$BUILD/bin
RUN=$BUILD/run/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN/tmp-wc" "$RUN/tmp-stream" "$RUN/tmp-http"
PIDS=""

stop() {
    trap - INT TERM EXIT
    [ -n "$PIDS" ] && kill $PIDS 2>/dev/null
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    echo "stopped; logs are in $RUN"
}
trap stop EXIT
trap 'exit 130' INT TERM

# start NAME PORT ENV... : one watchdog in the background, logging to $RUN.
start() {
    name=$1 port=$2
    shift 2
    env TMPDIR="$RUN/tmp-$name" port="$port" metrics_port=0 healthcheck_interval=0 "$@" \
        "$BIN/faasbus-watchdog" >"$RUN/$name.log" 2>&1 &
    PIDS="$PIDS $!"
    i=0
    until curl -fs "http://127.0.0.1:$port/_/health" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -gt 100 ]; then
            echo "faasbus: $name did not become healthy; its log:" >&2
            cat "$RUN/$name.log" >&2
            exit 1
        fi
        sleep 0.05
    done
    echo "  $name  http://127.0.0.1:$port   ($*)"
}

echo "faasbus: starting functions (logs in $RUN)"
start wc 8080 fprocess="wc -c"
start stream 8082 mode=streaming fprocess="sh -c 'for i in 1 2 3; do echo tick \$i; sleep 1; done'"
start http 8090 mode=http fprocess="$BUILD/fixtures/testfn-http 8091" \
    upstream_url=http://127.0.0.1:8091

if [ "${DEMO:-1}" != 0 ]; then
    echo
    echo "\$ curl -s -d 'hello, functions' http://127.0.0.1:8080/"
    curl -s -d 'hello, functions' http://127.0.0.1:8080/
    echo "\$ curl -sN http://127.0.0.1:8082/    # streamed as the process writes"
    curl -sN http://127.0.0.1:8082/
    echo "\$ curl -s -d 'round trip' http://127.0.0.1:8090/echo"
    curl -s -d 'round trip' http://127.0.0.1:8090/echo
    echo
    echo "\$ curl -s http://127.0.0.1:8080/metrics | grep ^http_requests_total"
    curl -s http://127.0.0.1:8080/metrics | grep '^http_requests_total'
    echo
    echo "Try it yourself:"
    echo "  curl -d 'any text' http://127.0.0.1:8080/          # wc -c as a function"
    echo "  fprocess='rev' port=9000 $BIN/faasbus-watchdog   # make your own"
    echo "  tail -f $RUN/*.log"
fi
echo
echo "faasbus is running; Ctrl-C stops it."
while :; do sleep 3600; done
