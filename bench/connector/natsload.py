"""natsload.py -- the NATS side of the connector benchmark: streams, a core
NATS load with its replies timed, a fast JetStream publisher, and a stream
watched as it fills.

It talks to nats-server with tests/system/natsclient.py (a minimal client
over a plain socket, imported from there) for the connection and the
JetStream API; the loads frame and count messages themselves, many per
write or read, to stay well ahead of the connector.

Every message the loads send carries the header X-Key: r<TAG>-<i> (i from
1), a distinct key each, so that the connector's default ordering=key
never holds one back; its payload is "hello".

Usage: /usr/bin/python3 natsload.py URL COMMAND ARGS...
  streams NAME=SUBJECT...           creates file-backed streams (must not exist)
  core IN OUT N WINDOW TAG TIMEOUT_S
      subscribes to OUT, publishes N messages to IN keeping at most WINDOW
      of them unanswered (published minus replies seen on OUT), and times
      the replies:
      -> n=<replies> sent=<> first_ms=<> t10_ms=<> t50_ms=<> t90_ms=<>
         last_ms=<> (ms after the first publish; -1: not reached)
      It gives up TIMEOUT_S after the start, or 5 s after the last reply once
      everything is sent.
  publish SUBJECT N TAG
      publishes N messages into the stream that captures SUBJECT, pipelined,
      each acknowledged by JetStream (at most 20,000 unacknowledged)
      -> acked=<> errors=<> seconds=<>
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
Exit status 0, 1 when the work is incomplete (fewer replies, acks or
growth than asked), 2 on a usage or connection error.
"""
import base64
import os
import select
import sys
import time

# Imported from the tests' folder: leave no bytecode behind there.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "system"))
from natsclient import NatsClient, parse_headers  # noqa: E402 -- after the path

PAYLOAD = b"hello"


def ms_since(t0, t):
    return -1.0 if t is None else (t - t0) * 1e3


def frame(subject, key, reply=None):
    """One HPUB of PAYLOAD with the X-Key header."""
    hdr = b"NATS/1.0\r\nX-Key: " + key + b"\r\n\r\n"
    r = b" " + reply if reply else b""
    return (b"HPUB " + subject + r + b" %d %d\r\n" % (len(hdr), len(hdr) + len(PAYLOAD))
            + hdr + PAYLOAD + b"\r\n")


class Frames:
    """The MSG / HMSG frames arriving on a non-blocking socket; the PONGs
    owed for the server's PINGs are left in `out` for the caller to send."""

    def __init__(self, client, want_payload=False):
        self.sock = client.sock
        self.sock.setblocking(False)
        self.buf = client.buf  # what the client read past its last answer
        self.want_payload = want_payload
        self.out = b""  # PONGs owed

    def feed(self):
        """Reads what is there; returns one item per complete message, in
        order: its payload, or None unless want_payload."""
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("nats-server closed the connection")
        self.buf += chunk
        got = []
        buf, pos, end = self.buf, 0, len(self.buf)
        while True:
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                break
            line = buf[pos:nl]
            if line.startswith(b"MSG ") or line.startswith(b"HMSG "):
                size = int(line.rsplit(b" ", 1)[1])
                stop = nl + 2 + size + 2
                if stop > end:
                    break
                if self.want_payload:
                    got.append(buf[nl + 2:nl + 2 + size])
                else:
                    got.append(None)
                pos = stop
            elif line == b"PING":
                self.out += b"PONG\r\n"
                pos = nl + 2
            elif line.startswith(b"-ERR"):
                raise ConnectionError(line.decode("utf-8", "replace"))
            else:  # +OK, PONG, INFO
                pos = nl + 2
        self.buf = buf[pos:]
        return got


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


def cmd_core(c, args):
    inp, out = args[0].encode(), args[1].encode()
    n, window, tag, timeout_s = int(args[2]), int(args[3]), args[4], float(args[5])
    c.subscribe(out.decode())  # answered by a PONG: in place before we publish
    rd = Frames(c)
    sock = rd.sock
    prefix = b"r" + tag.encode() + b"-"
    sent = seen = 0
    pending = b""
    marks = {}
    levels = [(1, "first"), (max(1, n // 10), "t10"), (max(1, n // 2), "t50"),
              (max(1, (9 * n) // 10), "t90"), (n, "last")]
    li = 0
    t0 = time.monotonic()
    deadline = t0 + timeout_s
    last_reply = t0
    while seen < n:
        now = time.monotonic()
        if now > deadline or (sent == n and now - last_reply > 5):
            break
        while sent < n and sent - seen < window and len(pending) < (256 << 10):
            sent += 1
            pending += frame(inp, prefix + b"%d" % sent)
        pending += rd.out
        rd.out = b""
        wr = [sock] if pending else []
        r, w, _ = select.select([sock], wr, [], 0.1)
        if w:
            try:
                k = sock.send(pending)
                pending = pending[k:]
            except BlockingIOError:
                pass
        if r:
            got = len(rd.feed())
            if got:
                seen += got
                now = time.monotonic()
                last_reply = now
                while li < len(levels) and seen >= levels[li][0]:
                    marks.setdefault(levels[li][1], now)
                    li += 1
    print("n=%d sent=%d first_ms=%.1f t10_ms=%.1f t50_ms=%.1f t90_ms=%.1f last_ms=%.1f"
          % (seen, sent, ms_since(t0, marks.get("first")), ms_since(t0, marks.get("t10")),
             ms_since(t0, marks.get("t50")), ms_since(t0, marks.get("t90")),
             ms_since(t0, marks.get("last"))))
    return 0 if seen >= n else 1


def cmd_publish(c, args):
    subject, n, tag = args[0].encode(), int(args[1]), args[2]
    inbox = b"_INBOX.natsload%d" % time.monotonic_ns()
    c.subscribe(inbox.decode())
    rd = Frames(c, want_payload=True)
    sock = rd.sock
    prefix = b"r" + tag.encode() + b"-"
    sent = acked = errors = 0
    pending = b""
    t0 = time.monotonic()
    last = t0
    while acked + errors < n:
        if time.monotonic() - last > 10:
            break
        while sent < n and sent - acked - errors < 20000 and len(pending) < (256 << 10):
            sent += 1
            pending += frame(subject, prefix + b"%d" % sent, inbox)
        pending += rd.out
        rd.out = b""
        r, w, _ = select.select([sock], [sock] if pending else [], [], 0.1)
        if w:
            try:
                k = sock.send(pending)
                pending = pending[k:]
            except BlockingIOError:
                pass
        if r:
            for p in rd.feed():
                last = time.monotonic()
                if b'"error"' in p:
                    errors += 1
                    if errors == 1:
                        print(f"natsload: JetStream refused a message: {p[:300]!r}",
                              file=sys.stderr)
                else:
                    acked += 1
    print("acked=%d errors=%d seconds=%.3f" % (acked, errors, time.monotonic() - t0))
    return 0 if acked == n else 1


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


COMMANDS = {"streams": (cmd_streams, 1), "core": (cmd_core, 6), "publish": (cmd_publish, 3),
            "watch": (cmd_watch, 3), "one": (cmd_one, 3), "last": (cmd_last, 1),
            "count": (cmd_count, 1), "consumer": (cmd_consumer, 2)}


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
