"""Dead letters at the edges: a record near the broker's size limit whose
reply does not fit must not wedge its partition, and a dead letter of a
record that was itself a reply carries each of our headers once. Real
dev broker, gateway and replicas; records read back with Python's kafka."""
from collections import Counter

from conftest import wait_for
from connector_util import (broker, connector, deploy_recorder, headers_of, metric_sum,
                            produce, read_topic, record_dir)

__all__ = ["broker", "connector", "record_dir"]  # fixtures

LIMIT = 1000000  # librdkafka's message.max.bytes, the connector's producer default


def test_a_dead_letter_too_large_for_its_topic_is_cut_and_the_partition_moves_on(
        gateway, broker, connector):
    bs = broker("-t", "big-in:1")
    gw = gateway()
    gw.deploy("grow", env_process="sh -c 'cat; head -c 3000 /dev/zero | tr \\\\0 z; echo'",
              annotations={"topic": "big-in", "reply-topic": "big-out",
                           "error-topic": "big-dlq"})
    gw.wait_available("grow", 1)
    c = connector(gw, bs)
    # Fits the broker alone; not with our headers, nor grown by the function.
    value = (bytes(range(256)) * (LIMIT // 256 + 1))[:LIMIT - 100]
    produce(bs, "big-in", [(b"big", value, [("X-Mine", b"1")]), (b"small", b"next", None)])
    (dead,) = read_topic(bs, "big-dlq", 1)
    h = headers_of(dead)
    assert b"too large" in h["X-Error"].lower() or b"size" in h["X-Error"].lower()
    assert h["X-Source-Topic"] == b"big-in" and h["X-Source-Offset"] == b"0"
    assert b"first 65536 kept" in h["X-Dead-Letter-Cut"]
    assert dead.value == value[:65536] and dead.key == b"big"
    # The next record of the partition is served: nothing is stuck behind.
    out = read_topic(bs, "big-out", 1)
    assert [m.value for m in out] == [b"next" + b"z" * 3000 + b"\n"]
    wait_for(lambda: metric_sum(c.metrics(), "connector_dead_letters_cut_total") >= 1, 10,
             what="the cut dead letter counted")


def test_a_hop_limited_dead_letter_carries_each_header_once(gateway, broker, connector,
                                                            record_dir):
    bs = broker("-t", "loop1:1")
    gw = gateway()
    deploy_recorder(gw, "looper", str(record_dir / "loop"),
                    {"topic": "loop1", "reply-topic": "loop1", "error-topic": "loop1-dlq"})
    connector(gw, bs, env={"max_hops": "2"})
    produce(bs, "loop1", [(b"k", b"again", None)])
    (dead,) = read_topic(bs, "loop1-dlq", 1)
    counts = Counter(name for name, _ in dead.headers)
    doubled = {name: n for name, n in counts.items() if n > 1}
    assert not doubled, doubled
    assert headers_of(dead)["X-Hop-Count"] == b"2"
