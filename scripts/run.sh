#!/bin/sh
# make run: starts the whole faasbus stack on this machine with the embedded
# defaults and shows it doing its job:
#   nats-server (JetStream)  :4222   async calls
#   faasbus-devkafka         (ephemeral port; a Kafka broker for the demo)
#   faasbus-gateway          :8080   REST API, functions as processes, the portal at /ui/
#   faasbus-queue-worker     :8082   runs async calls
#   faasbus-connector        :8081   topics -> functions -> topics
# deploys config/functions through the REST API (plain Unix tools, and an
# orders chain wired by annotations), streams orders through the chain with
# a live display, and says what to try next. DEMO=0 only starts and waits.
# Ctrl-C stops everything; the logs stay in build/run/<time>/.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$BUILD/bin
RUN=$PWD/$BUILD/run/$(date +%Y%m%d-%H%M%S)
GW=http://127.0.0.1:${PORT:-8080}
NATS_PORT=${NATS_PORT:-4222}
CN=http://127.0.0.1:${CONNECTOR_PORT:-8081}
QW=http://127.0.0.1:${QUEUE_WORKER_PORT:-8082}
mkdir -p "$RUN/state" "$RUN/jetstream"
PIDS=""

stop() {
    trap - INT TERM EXIT
    # Newest first: the connector drains before the gateway goes.
    for p in $PIDS; do REV="$p ${REV:-}"; done
    for p in ${REV:-}; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    echo "faasbus: stopped; logs are in $RUN"
}
trap stop EXIT
trap 'exit 130' INT TERM

fail() {
    echo "faasbus: $*; see the logs in $RUN" >&2
    exit 1
}

wait_for() { # URL WHAT [TRIES of 50 ms]
    i=0
    until curl -fs "$1" >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -le "${3:-200}" ] || fail "$2 did not come up"
        sleep 0.05
    done
}

start() { # NAME CMD... (environment before it)
    name=$1
    shift
    "$@" >"$RUN/$name.log" 2>&1 &
    PIDS="$PIDS $!"
}

echo "faasbus: starting the stack (logs in $RUN)"
start nats nats-server -c config/nats-server.conf -p "$NATS_PORT" -sd "$RUN/jetstream"
i=0
until grep -q 'Server is ready' "$RUN/nats.log" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -le 200 ] || fail "nats-server did not start (is port $NATS_PORT taken?)"
    sleep 0.05
done
echo "  nats-server (JetStream)  nats://127.0.0.1:$NATS_PORT"

start devkafka "$BIN/faasbus-devkafka" -o "$RUN/bootstrap" \
    -t orders:4 -t orders.valid:4 -t orders.enriched:4 -t orders.rejected:4
i=0
until [ -s "$RUN/bootstrap" ]; do
    i=$((i + 1))
    [ "$i" -le 200 ] || fail "the dev Kafka broker did not start"
    sleep 0.05
done
BOOTSTRAP=$(cat "$RUN/bootstrap")
echo "  Kafka (faasbus-devkafka) $BOOTSTRAP"

# connector_urls: the portal's topology draws the connector's routes.
start gateway env state_dir="$RUN/state" port="${PORT:-8080}" \
    nats_url="nats://127.0.0.1:$NATS_PORT" connector_urls="$CN" "$BIN/faasbus-gateway"
wait_for "$GW/healthz" "the gateway"
echo "  gateway                  $GW"
echo "  portal                   $GW/ui/"

# Callbacks to loopback are refused unless allowed: only the connector's.
start queue-worker env nats_url="nats://127.0.0.1:$NATS_PORT" gateway_url="$GW" \
    port="${QUEUE_WORKER_PORT:-8082}" callback_allow="127.0.0.1:${CONNECTOR_PORT:-8081}" \
    "$BIN/faasbus-queue-worker"
wait_for "$QW/healthz" "the queue worker"
echo "  queue worker             $QW/metrics"

for f in config/functions/*.json; do
    name=$(basename "$f" .json)
    code=$(curl -s -o "$RUN/deploy-$name.out" -w '%{http_code}' -X POST --data-binary @"$f" \
        "$GW/system/functions")
    case "$code" in
    2??) ;;
    *) fail "deploying $name answered $code: $(cat "$RUN/deploy-$name.out")" ;;
    esac
done
for f in config/functions/*.json; do
    name=$(basename "$f" .json)
    i=0
    until curl -s "$GW/system/function/$name" | grep -q '"availableReplicas":[1-9]'; do
        i=$((i + 1))
        [ "$i" -le 200 ] || fail "function $name never became ready"
        sleep 0.05
    done
done
echo "  functions deployed       $(cd config/functions && ls *.json | sed 's/\.json//' | tr '\n' ' ')"

# The dev broker answers a fetch only when its wait is over, not when a
# record arrives (Kafka does): a short wait keeps each hop at milliseconds.
printf 'kafka_consumer = { fetch_wait_max_ms = 10; };\n' >"$RUN/connector.conf"
start connector env brokers="$BOOTSTRAP" gateway_url="$GW" port="${CONNECTOR_PORT:-8081}" \
    rebuild_interval=1s "$BIN/faasbus-connector" -c "$RUN/connector.conf"
wait_for "$CN/readyz" "the connector (routes loaded, consumer group joined)" 400
echo "  connector                $CN/routes"

if [ "${DEMO:-1}" != 0 ]; then
    echo
    echo "Any process is a function:"
    echo "  \$ curl -d 'stressed' $GW/function/rev"
    printf '  '; curl -s -d 'stressed' "$GW/function/rev"; echo
    echo "  \$ curl -d 'any process is a function' $GW/function/wc"
    printf '  '; curl -s -d 'any process is a function' "$GW/function/wc"
    echo
    echo "Topics wire functions into a chain (from their annotations; see $CN/routes):"
    echo "  orders -> validate-order -> orders.valid -> enrich-order -> orders.enriched"
    echo "                    \\-> orders.rejected (bad orders, with the reason in X-Error)"
    echo
    /usr/bin/python3 scripts/demo.py "$BOOTSTRAP" --count "${DEMO_ORDERS:-200}" ||
        fail "the demo did not complete"
    echo
    echo "Try it yourself (in another terminal):"
    echo "  export PATH=$(cd "$BIN" && pwd):\$PATH OPENFAAS_URL=$GW FAASBUS_BROKERS=$BOOTSTRAP FAASBUS_CONNECTOR=$CN"
    echo "  curl -d 'hello' $GW/function/sha512sum                 # call a function (or: faasbus invoke)"
    echo "  faasbus deploy --name upper --image mine --fprocess 'tr a-z A-Z' \\"
    echo "      --annotation topic=shout --annotation reply-topic=shouted   # your own, wired to a topic"
    echo "  echo 'hi there' | faasbus publish shout                # an event on the topic..."
    echo "  faasbus subscribe shouted --from-beginning --count 1   # ...and the function's answer"
    echo "  faasbus subscribe orders.rejected --from-beginning     # watch a topic (headers too)"
    echo "  echo later | faasbus invoke rev --async                # async-function: 202 now, run by the queue worker"
    echo "  faasbus topics                                         # what flowed where"
fi
echo
echo "The portal (functions, invoke, logs, the topics' graph, the queue and its dead letters): $GW/ui/"
echo "faasbus is running; Ctrl-C stops it."
while :; do sleep 3600; done
