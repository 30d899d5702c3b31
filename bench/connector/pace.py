"""pace.py -- the producer of the connector benchmark's latency run:
records at a steady rate, each carrying the moment it was handed to the
producer.

Record i (from 1) has the key "k<i>" and, as its value, the CLOCK_REALTIME
microseconds at which it was sent (decimal text), i / RATE seconds after
the start (a record that is late goes at once: the pace does not drift).
The producer sends each record as soon as it can (linger_ms=0; kcat's
producer, for comparison, holds records back for tens of ms and would
send them in bursts). Prints at the end:
  sent=<records> seconds=<elapsed> late_max_ms=<worst lateness of a send>

Usage: /usr/bin/python3 pace.py BOOTSTRAP TOPIC RATE COUNT
(Debian's python3 with its python3-kafka package.)
"""
import sys
import time

from kafka import KafkaProducer


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: pace.py BOOTSTRAP TOPIC RATE COUNT")
    boot, topic = sys.argv[1], sys.argv[2]
    rate, count = int(sys.argv[3]), int(sys.argv[4])
    if rate < 1 or count < 0:
        sys.exit("pace.py: RATE must be at least 1 and COUNT not negative")
    p = KafkaProducer(bootstrap_servers=boot, client_id="bench-pace", linger_ms=0, acks=1)
    # The topic's metadata before the clock starts.
    deadline = time.monotonic() + 10
    while not p.partitions_for(topic):
        if time.monotonic() > deadline:
            sys.exit(f"pace.py: no metadata for topic {topic}")
        time.sleep(0.05)
    futures = []
    late_max = 0.0
    t0 = time.monotonic()
    for i in range(1, count + 1):
        wait = t0 + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        else:
            late_max = max(late_max, -wait)
        futures.append(p.send(topic, key=b"k%d" % i, value=b"%d" % (time.time_ns() // 1000)))
    elapsed = time.monotonic() - t0
    p.flush(timeout=30)
    failed = 0
    for f in futures:
        try:
            f.get(timeout=10)
        except Exception:  # noqa: BLE001 -- any failure counts the same
            failed += 1
    p.close(timeout=5)
    print(f"sent={count - failed} seconds={elapsed:.3f} late_max_ms={late_max * 1e3:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
