#!/usr/bin/python3
"""The `make run` demo: produces a stream of orders into Kafka and shows,
live, how they flow through the chain the connector wires from the
functions' annotations:

    orders -> validate-order -> orders.valid -> enrich-order -> orders.enriched
                     \\-> orders.rejected (bad orders, with X-Error)

Usage: demo.py BOOTSTRAP [--count N] [--rate PER_SECOND] [--timeout S]
Exits 0 when every order came out at the far end (enriched or rejected).
Run with Debian's /usr/bin/python3 (python3-kafka)."""
import argparse
import json
import random
import sys
import threading
import time

from kafka import KafkaConsumer, KafkaProducer

STAGES = ["orders", "orders.valid", "orders.enriched", "orders.rejected"]
ITEMS = ["book", "lamp", "kettle", "chair", "pen", "mug"]


def make_order(i):
    order = {"id": i, "item": random.choice(ITEMS), "qty": random.randint(1, 5),
             "price": round(random.uniform(2, 60), 2), "ts": int(time.time() * 1000)}
    if i % 7 == 3:  # every seventh order is broken, to show the error topic
        order["qty"] = 0
    return order


class Flow:
    def __init__(self, total):
        self.total = total
        self.produced = 0
        self.seen = {t: set() for t in STAGES}
        self.latency_ms = []
        self.samples = {}
        self.lock = threading.Lock()

    def record(self, msg):
        try:
            order = json.loads(msg.value)
        except ValueError:
            order = {"raw": msg.value.decode("utf-8", "replace")}
        with self.lock:
            self.seen[msg.topic].add(order.get("id", msg.offset))
            if msg.topic == "orders.enriched" and "ts" in order:
                self.latency_ms.append(msg.timestamp - order["ts"])
            if msg.topic in ("orders.enriched", "orders.rejected"):
                headers = {k: v.decode("utf-8", "replace") for k, v in msg.headers or []}
                self.samples[msg.topic] = (msg.value.decode("utf-8", "replace"), headers)

    def done(self):
        with self.lock:
            return len(self.seen["orders.enriched"]) + len(self.seen["orders.rejected"]) >= self.total

    def status(self):
        with self.lock:
            lat = sorted(self.latency_ms)
            counts = {t: len(s) for t, s in self.seen.items()}
        p50 = f"{lat[len(lat) // 2]} ms" if lat else "-"
        p99 = f"{lat[min(len(lat) - 1, len(lat) * 99 // 100)]} ms" if lat else "-"
        return (f"produced {self.produced:>4}/{self.total}  orders {counts['orders']:>4}  "
                f"-> valid {counts['orders.valid']:>4}  -> enriched {counts['orders.enriched']:>4}  "
                f"rejected {counts['orders.rejected']:>4}  latency p50 {p50} p99 {p99}")


def consume(bootstrap, flow, stop):
    consumer = KafkaConsumer(*STAGES, bootstrap_servers=bootstrap, group_id=None,
                             auto_offset_reset="earliest", consumer_timeout_ms=200)
    while not stop.is_set():
        for msg in consumer:
            flow.record(msg)
            if stop.is_set():
                break
    consumer.close()


def produce(bootstrap, flow, rate):
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    for i in range(1, flow.total + 1):
        order = make_order(i)
        producer.send("orders", key=f"customer-{i % 10}".encode(),
                      value=json.dumps(order).encode())
        flow.produced = i
        time.sleep(1.0 / rate)
    producer.flush()
    producer.close()


def show(flow, deadline):
    tty = sys.stdout.isatty()
    last_line = 0.0
    while not flow.done() and time.monotonic() < deadline:
        if tty:
            sys.stdout.write("\r\033[K" + flow.status())
            sys.stdout.flush()
            time.sleep(0.1)
        elif time.monotonic() - last_line >= 1:
            print(flow.status(), flush=True)
            last_line = time.monotonic()
        else:
            time.sleep(0.1)
    if tty:
        sys.stdout.write("\r\033[K")
    print(flow.status(), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bootstrap")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--timeout", type=float, default=90.0)
    args = ap.parse_args()
    flow = Flow(args.count)
    stop = threading.Event()
    reader = threading.Thread(target=consume, args=(args.bootstrap, flow, stop), daemon=True)
    reader.start()
    writer = threading.Thread(target=produce, args=(args.bootstrap, flow, args.rate), daemon=True)
    writer.start()
    show(flow, time.monotonic() + args.timeout)
    stop.set()
    for topic in ("orders.enriched", "orders.rejected"):
        if topic in flow.samples:
            value, headers = flow.samples[topic]
            extra = f"   X-Error: {headers.get('X-Error', '')}" if topic == "orders.rejected" else ""
            print(f"  last on {topic}: {value}{extra}")
    if not flow.done():
        print("demo: not every order came out of the chain in time; see the logs", file=sys.stderr)
        return 1
    print("demo: every order went through the chain: enriched, or rejected with the reason")
    return 0


if __name__ == "__main__":
    sys.exit(main())
