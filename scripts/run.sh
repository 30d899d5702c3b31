#!/bin/sh
# make run: starts faasbus on this machine with the embedded defaults and
# shows it working: the gateway on :8080 with the process driver, the
# sample functions of config/functions deployed through its REST API,
# nats-server with JetStream and a queue worker for async calls, and a few
# calls. (The connector joins as it lands.)
# DEMO=0 only starts the stack and waits. Ctrl-C stops everything.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$BUILD/bin
RUN=$PWD/$BUILD/run/$(date +%Y%m%d-%H%M%S)
GW=http://127.0.0.1:${PORT:-8080}
NATS_PORT=${NATS_PORT:-4222}
QW=http://127.0.0.1:${QUEUE_WORKER_PORT:-8082}
mkdir -p "$RUN/state" "$RUN/jetstream"
PIDS=""

stop() {
    trap - INT TERM EXIT
    [ -n "$PIDS" ] && kill $PIDS 2>/dev/null
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    echo "stopped; logs are in $RUN"
}
trap stop EXIT
trap 'exit 130' INT TERM

wait_for() { # URL WHAT
    i=0
    until curl -fs "$1" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -gt 200 ]; then
            echo "faasbus: $2 did not come up; see $RUN" >&2
            exit 1
        fi
        sleep 0.05
    done
}

echo "faasbus: starting nats-server (JetStream) on :$NATS_PORT (logs in $RUN)"
nats-server -c config/nats-server.conf -p "$NATS_PORT" -sd "$RUN/jetstream" >"$RUN/nats.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until grep -q 'Server is ready' "$RUN/nats.log" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -le 200 ] || { echo "faasbus: nats-server did not start; see $RUN/nats.log" >&2; exit 1; }
    sleep 0.05
done

echo "faasbus: starting the gateway on $GW"
state_dir="$RUN/state" port="${PORT:-8080}" nats_url="nats://127.0.0.1:$NATS_PORT" \
    "$BIN/faasbus-gateway" >"$RUN/gateway.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$GW/healthz" "the gateway"

echo "faasbus: starting a queue worker ($QW/metrics)"
nats_url="nats://127.0.0.1:$NATS_PORT" gateway_url="$GW" port="${QUEUE_WORKER_PORT:-8082}" \
    "$BIN/faasbus-queue-worker" >"$RUN/queue-worker.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$QW/healthz" "the queue worker"

for f in config/functions/*.json; do
    name=$(basename "$f" .json)
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$f" "$GW/system/functions")
    echo "  deployed $name ($code)"
done
for f in config/functions/*.json; do
    name=$(basename "$f" .json)
    i=0
    until curl -s "$GW/system/function/$name" | grep -q '"availableReplicas":[1-9]'; do
        i=$((i + 1))
        [ "$i" -le 200 ] || { echo "faasbus: $name never became ready" >&2; exit 1; }
        sleep 0.05
    done
done

if [ "${DEMO:-1}" != 0 ]; then
    echo
    echo "\$ curl -s -d 'any process is a function' $GW/function/wc"
    curl -s -d 'any process is a function' "$GW/function/wc"
    echo "\$ curl -s -d 'stressed' $GW/function/rev"
    curl -s -d 'stressed' "$GW/function/rev"
    echo
    echo "\$ curl -s -d 'hello' $GW/function/sha512sum"
    curl -s -d 'hello' "$GW/function/sha512sum"
    echo "\$ curl -si -d 'later' $GW/async-function/rev    # stored in JetStream, run by the queue worker"
    curl -si -d 'later' "$GW/async-function/rev" | tr -d '\r' | grep -E '^HTTP|^X-Call-Id'
    sleep 0.5
    echo "\$ curl -s $QW/metrics | grep queue_processed_total"
    curl -s "$QW/metrics" | grep '^queue_processed_total'
    echo "\$ curl -s $GW/system/functions    # what is deployed (OpenFaaS REST API)"
    curl -s "$GW/system/functions" | head -c 300
    echo "..."
    echo
    echo "Try it yourself:"
    echo "  curl -d 'text' $GW/function/rev"
    echo "  curl -X POST $GW/system/functions \\"
    echo "       -d '{\"service\":\"upper\",\"image\":\"mine\",\"envProcess\":\"tr a-z A-Z\"}'"
    echo "  curl -d 'make me loud' $GW/function/upper"
    echo "  curl -X POST $GW/system/scale-function/upper -d '{\"serviceName\":\"upper\",\"replicas\":3}'"
    echo "  curl '$GW/system/logs?name=upper&follow=true'"
    echo "  curl -d 'text' -H 'X-Callback-Url: http://your-host/cb' $GW/async-function/rev"
    echo "  with faas-cli installed: OPENFAAS_URL=$GW faas-cli list"
fi
echo
echo "faasbus is running; Ctrl-C stops it."
while :; do sleep 3600; done
