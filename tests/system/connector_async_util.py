"""Helpers for the connector's async tests: the whole async stack (a real
nats-server with JetStream, a gateway with its queue, the queue worker,
the dev Kafka broker) and ways to read what arrived."""
import time

from kafka import KafkaConsumer, TopicPartition

from conftest import SLOW, wait_for
from connector_util import headers_of, metric_sum, producer


def async_stack(nats, gateway, broker, *topics):
    """(nats server, gateway with its queue on it, Kafka bootstrap) with
    `topics` ("name:partitions") created."""
    srv = nats()
    gw = gateway(env={"nats_url": srv.nats_url})
    args = []
    for t in topics:
        args += ["-t", t]
    return srv, gw, broker(*args)


def topic_messages(bootstrap, topic):
    """Every record in topic now (none if the topic does not exist)."""
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                      auto_offset_reset="earliest", consumer_timeout_ms=300)
    try:
        parts = c.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        if not tps:
            return []
        end = c.end_offsets(tps)
        want = sum(end.values())
        c.assign(tps)
        c.seek_to_beginning()
        got = []
        deadline = time.monotonic() + 10 * SLOW
        while len(got) < want and time.monotonic() < deadline:
            for m in c:
                got.append(m)
        return got
    finally:
        c.close()


def call_ids(messages):
    return [headers_of(m)["X-Call-Id"].decode() for m in messages]


def wait_call_ids(bootstrap, topic, ids, timeout):
    """Waits until every id in `ids` is on topic (as X-Call-Id); returns
    the topic's records."""
    seen = []

    def covered():
        seen[:] = topic_messages(bootstrap, topic)
        return set(ids) <= set(call_ids(seen))
    try:
        wait_for(covered, timeout, interval=0.5, what=f"replies for {len(ids)} calls on {topic}")
    except AssertionError:
        missing = sorted(set(ids) - set(call_ids(seen)))
        raise AssertionError(f"{len(missing)} of {len(ids)} calls unanswered on {topic}: "
                             f"{missing[:10]}")
    return seen


def produced_ids(bootstrap, topic, records):
    """Produces records ([(key, value, headers)]) and returns their call
    ids (kafka-<topic>-<partition>-<offset>), in order."""
    p = producer(bootstrap)
    futures = [p.send(topic, key=k, value=v, headers=h or []) for k, v, h in records]
    p.flush()
    ids = []
    for f in futures:
        md = f.get(timeout=10 * SLOW)
        ids.append(f"kafka-{topic}-{md.partition}-{md.offset}")
    p.close()
    return ids


def metric(c, name, **labels):
    return metric_sum(c.metrics(), name, **labels)
