"""natsload.py -- the NATS side of the connector benchmark that costs
little per message: streams, a stream watched as it fills, and the checks
around a batch. The loads themselves (core NATS with its replies timed,
the JetStream publisher) are build/bench/connector/natspump, in C.

It talks to nats-server with tests/system/natsclient.py (a minimal client
over a plain socket, imported from there) for the connection and the
JetStream API. The one message `one` sends carries the header
X-Key: r<TAG>-1, as natspump's do; its payload is "hello".

Usage: /usr/bin/python3 natsload.py URL COMMAND ARGS...
  streams NAME=SUBJECT...           creates file-backed streams (must not exist)
  watch STREAM N TIMEOUT_S [INTERVAL_MS]
      samples the message count of STREAM (STREAM.INFO) every INTERVAL_MS
      (default 10) until it has grown by N or the time runs out
      -> base=<count at the first sample>   (printed at once)
      -> n=<growth> first_ms=<> t10_ms=<> t50_ms=<> t90_ms=<> last_ms=<>
         samples=<>  (ms after the first sample, interpolated between samples)
  one IN OUT TAG                     publishes one message to IN, waits 10 s for one on OUT
  last STREAM                        the last message stored in STREAM
      -> subject=<> key=<X-Key> status=<X-Function-Status> body=<payload>
  count STREAM                       -> messages=<>
  consumer STREAM DURABLE            -> ack_pending=<> pending=<> redelivered=<>
Exit status 0, 1 when the work is incomplete (less growth than asked), 2 on
a usage or connection error.
"""
import base64
import os
import sys
import time

# Imported from the tests' folder: leave no bytecode behind there.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "system"))
from natsclient import NatsClient, parse_headers  # noqa: E402 -- after the path

PAYLOAD = b"hello"


def connect(url):
    try:
        return NatsClient(url, timeout=10)
    except OSError as e:
        print(f"natsload: cannot reach {url}: {e}", file=sys.stderr)
        sys.exit(2)


def cmd_streams(c, args):
    for spec in args:
        name, _, subject = spec.partition("=")
        if not name or not subject:
            sys.exit("natsload: streams wants NAME=SUBJECT")
        r = c.js_api(f"STREAM.CREATE.{name}",
                     {"name": name, "subjects": [subject], "storage": "file"})
        if "error" in r:
            print(f"natsload: cannot create stream {name}: {r['error']}", file=sys.stderr)
            return 2
    return 0


def stream_count(c, stream):
    info = c.stream_info(stream)
    if "error" in info:
        raise ConnectionError(f"stream {stream}: {info['error']}")
    return info["state"]["messages"]


def crossing(samples, level):
    """When the samples [(ms, growth)] first reached level, interpolated."""
    for (m0, v0), (m1, v1) in zip(samples, samples[1:]):
        if v1 >= level:
            if v0 >= level:
                return m0
            return m0 + (level - v0) / (v1 - v0) * (m1 - m0)
    return -1.0


def cmd_watch(c, args):
    stream, n, timeout_s = args[0], int(args[1]), float(args[2])
    interval = (float(args[3]) if len(args) > 3 else 10.0) / 1e3
    t0 = time.monotonic()
    base = stream_count(c, stream)
    print(f"base={base}", flush=True)
    samples = [(0.0, 0)]
    deadline = t0 + timeout_s
    while samples[-1][1] < n and time.monotonic() < deadline:
        time.sleep(interval)
        v = stream_count(c, stream) - base
        samples.append(((time.monotonic() - t0) * 1e3, v))
    first = next((m for m, v in samples if v > 0), -1.0)
    print("n=%d first_ms=%.1f t10_ms=%.1f t50_ms=%.1f t90_ms=%.1f last_ms=%.1f samples=%d"
          % (samples[-1][1], first, crossing(samples, 0.1 * n), crossing(samples, 0.5 * n),
             crossing(samples, 0.9 * n), crossing(samples, n), len(samples)))
    return 0 if samples[-1][1] >= n else 1


def describe(subject, headers, payload):
    print("subject=%s key=%s status=%s body=%s"
          % (subject, headers.get("X-Key", "-"), headers.get("X-Function-Status", "-"),
             payload.decode("utf-8", "replace")))


def cmd_one(c, args):
    inp, out, tag = args[0], args[1], args[2]
    c.subscribe(out)
    c.publish(inp, PAYLOAD, headers={"X-Key": f"r{tag}-1"})
    describe(*c.next_msg(timeout=10))
    return 0


def cmd_last(c, args):
    info = c.stream_info(args[0])
    if "error" in info:
        raise ConnectionError(f"stream {args[0]}: {info['error']}")
    r = c.js_api(f"STREAM.MSG.GET.{args[0]}", {"seq": info["state"]["last_seq"]})
    if "message" not in r:
        raise ConnectionError(f"stream {args[0]} has no last message: {r}")
    m = r["message"]
    hdrs = parse_headers(base64.b64decode(m["hdrs"])) if m.get("hdrs") else {}
    describe(m["subject"], hdrs, base64.b64decode(m.get("data", "")))
    return 0


def cmd_count(c, args):
    print(f"messages={stream_count(c, args[0])}")
    return 0


def cmd_consumer(c, args):
    info = c.js_api(f"CONSUMER.INFO.{args[0]}.{args[1]}")
    if "error" in info:
        print(f"natsload: consumer {args[1]}: {info['error']}", file=sys.stderr)
        return 2
    print("ack_pending=%d pending=%d redelivered=%d"
          % (info.get("num_ack_pending", 0), info.get("num_pending", 0),
             info.get("num_redelivered", 0)))
    return 0


COMMANDS = {"streams": (cmd_streams, 1), "watch": (cmd_watch, 3), "one": (cmd_one, 3),
            "last": (cmd_last, 1), "count": (cmd_count, 1), "consumer": (cmd_consumer, 2)}


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in COMMANDS or \
            len(sys.argv) - 3 < COMMANDS[sys.argv[2]][1]:
        print(__doc__.split("Usage: ", 1)[1], file=sys.stderr)
        return 2
    fn = COMMANDS[sys.argv[2]][0]
    c = connect(sys.argv[1])
    try:
        return fn(c, sys.argv[3:])
    except (OSError, ConnectionError, ValueError) as e:
        print(f"natsload: {sys.argv[2]}: {e}", file=sys.stderr)
        return 2
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
