"""faasbus-connector under a backlog it cannot keep up with: at max_queued
records waiting it stops taking more from librdkafka, after a second of
that it pauses the partitions, and it takes records again once there is
room; nothing is lost, repeated or reordered on the way (read back with
Python's kafka)."""
import threading
import time

from connector_util import (broker, connector, deploy_recorder, metric_sum, produce,
                            read_topic, record_dir, started_ids)

__all__ = ["broker", "connector", "record_dir"]  # fixtures

KEYS = 4
PER_KEY = 4
MAX_QUEUED = 8


def sample_metrics(c, stop, seen):
    """Keeps the highest queued count and whether the hold gauge was up."""
    while not stop.is_set():
        try:
            text = c.metrics()
        except Exception:  # the connector is busy or stopping: try again
            time.sleep(0.02)
            continue
        seen["queued"] = max(seen["queued"], metric_sum(text, "connector_records", state="queued"))
        seen["held"] = seen["held"] or metric_sum(text, "connector_fetch_paused") == 1
        time.sleep(0.02)


def test_a_backlog_is_held_back_then_paused_and_every_record_answered_in_order(
        gateway, broker, connector, record_dir):
    bs = broker("-t", "bp-in:2")
    gw = gateway()
    calls = str(record_dir / "slow")
    deploy_recorder(gw, "slow", calls, {"topic": "bp-in", "reply-topic": "bp-out"})
    # One call of 600 ms in flight at a time: the queue of 8 takes records
    # again at 6, two calls (1.2 s) after it filled, so each hold outlasts
    # the second after which the partitions are paused.
    c = connector(gw, bs, env={"max_inflight": "1", "max_queued": str(MAX_QUEUED),
                               "log_level": "debug"})
    stop, seen = threading.Event(), {"queued": 0, "held": False}
    watcher = threading.Thread(target=sample_metrics, args=(c, stop, seen), daemon=True)
    watcher.start()
    sent = [(b"key-%d" % k, b"sleep=600 seq=%d" % n, None)
            for n in range(PER_KEY) for k in range(KEYS)]
    produce(bs, "bp-in", sent)
    try:
        out = read_topic(bs, "bp-out", len(sent), timeout=60)
    finally:
        stop.set()
        watcher.join()
    assert len(out) == len(sent)
    for k in range(KEYS):
        seqs = [int(m.value.split(b"seq=")[1]) for m in out if m.key == b"key-%d" % k]
        assert seqs == list(range(PER_KEY)), (k, seqs)
    # Called once each: the hold and the pause lost and repeated nothing.
    assert len(started_ids(calls)) == len(sent)
    assert seen["held"], "connector_fetch_paused never showed the hold"
    assert seen["queued"] <= MAX_QUEUED, seen
    assert metric_sum(c.metrics(), "connector_fetch_paused") == 0
    with open(c.log_path, encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert "pausing the partitions" in log
    assert "taking records again" in log
