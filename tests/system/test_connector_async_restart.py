"""invoke=async under a connector restart while callbacks are pending
(issue 6 §4): every record is answered on the reply topic at least once,
none is lost. The stack is real: nats-server with JetStream, the gateway's
queue, the queue worker, replicas, the dev Kafka broker."""
import collections
import signal

from conftest import wait_for
from connector_async_util import async_stack, call_ids, metric, produced_ids, wait_call_ids
from connector_util import (broker, connector, count_topic, deploy_recorder, record_dir,
                            started_ids)
from queue_util import queue_worker

__all__ = ["broker", "connector", "record_dir", "queue_worker"]  # fixtures

N = 12
SECRET = "the group's callback secret"


def start_pending(nats, gateway, broker, connector, queue_worker, record_dir, sleep_ms, env=None):
    srv, gw, bs = async_stack(nats, gateway, broker, "ar-in:2", "ar-out:1", "ar-dlq:1")
    path = str(record_dir / "rec")
    deploy_recorder(gw, "aslow", path, {"topic": "ar-in", "reply-topic": "ar-out",
                                        "error-topic": "ar-dlq", "invoke": "async"})
    queue_worker(srv, gw)
    c = connector(gw, bs, env=env)
    ids = produced_ids(bs, "ar-in", [(b"key%d" % i, b"sleep=%d n%d" % (sleep_ms, i), None)
                                     for i in range(N)])
    wait_for(lambda: metric(c, "connector_async_awaiting") == N, 20, interval=0.1,
             what=f"{N} calls queued and awaiting their callback")
    return gw, bs, c, ids, path


def test_kill_9_while_callbacks_are_pending_loses_nothing(
        nats, gateway, broker, connector, queue_worker, record_dir):
    # The new connector listens elsewhere, so the first calls' callbacks go
    # where nobody listens: its own submissions under the same ids find
    # them done in the queue, no callback comes, and async_timeout has the
    # calls made again under fresh ids.
    env = {"async_timeout": "8s", "callback_secret": SECRET}
    gw, bs, c, ids, path = start_pending(nats, gateway, broker, connector, queue_worker, record_dir,
                                 2500, env)
    c.stop(signal.SIGKILL)
    c2 = connector(gw, bs, env=env)
    out = wait_call_ids(bs, "ar-out", ids, 90)
    assert len(out) <= 2 * N
    assert count_topic(bs, "ar-dlq") == 0
    assert metric(c2, "connector_async_timeouts_total", function="aslow") >= 1
    # A call made again has a fresh id, derived from the stable one.
    for seen in started_ids(path):
        assert seen in ids or (seen.rpartition("~")[0] in ids and seen.endswith("~2")), seen


def test_callbacks_before_the_records_are_read_again_are_kept_for_them(
        nats, gateway, broker, connector, queue_worker, record_dir):
    # The function ends (2.5 s) long before the new connector has its
    # partitions (the group waits out the killed member's session): every
    # callback finds no call, is kept, and is taken once its record is read
    # again and queued under the same id. Nothing waits out async_timeout
    # and the function runs once per record.
    env = {"callback_secret": SECRET}
    gw, bs, c, ids, path = start_pending(nats, gateway, broker, connector, queue_worker, record_dir,
                                 2500, env)
    port = c.port
    c.stop(signal.SIGKILL)
    c2 = connector(gw, bs, env=env, port=port)
    out = wait_call_ids(bs, "ar-out", ids, 60)
    assert sorted(call_ids(out)) == sorted(ids)  # each answered exactly once
    assert sorted(started_ids(path)) == sorted(ids)
    assert metric(c2, "connector_async_callbacks_total", result="unknown") == N
    assert metric(c2, "connector_async_early_callbacks_total", result="taken") == N
    assert metric(c2, "connector_async_timeouts_total", function="aslow") == 0
    assert count_topic(bs, "ar-dlq") == 0


def test_kill_9_with_a_slow_function_takes_the_first_calls_callbacks(
        nats, gateway, broker, connector, queue_worker, record_dir):
    # The function outlasts the restart: the records read again are
    # submitted under the same ids, which the queue already holds, and the
    # first calls' callbacks reach the new connector (same callback URL).
    # The same callback_secret too, or the new one would refuse them (401).
    # A callback that still beats its record being read again (a loaded
    # machine) is kept for it.
    env = {"callback_secret": SECRET}
    gw, bs, c, ids, path = start_pending(nats, gateway, broker, connector, queue_worker, record_dir,
                                 12000, env)
    port = c.port
    c.stop(signal.SIGKILL)
    c2 = connector(gw, bs, env=env, port=port)
    out = wait_call_ids(bs, "ar-out", ids, 60)
    assert sorted(call_ids(out)) == sorted(ids)  # each answered exactly once
    assert sorted(started_ids(path)) == sorted(ids)  # the function ran once per record
    taken = metric(c2, "connector_async_callbacks_total", result="taken")
    early = metric(c2, "connector_async_early_callbacks_total", result="taken")
    assert taken + early == N, (taken, early)
    assert metric(c2, "connector_async_timeouts_total", function="aslow") == 0


def test_sigterm_waits_for_pending_callbacks_then_commits(
        nats, gateway, broker, connector, queue_worker, record_dir):
    gw, bs, c, ids, path = start_pending(nats, gateway, broker, connector, queue_worker, record_dir,
                                 3000)
    assert c.stop(signal.SIGTERM, timeout=30) == 0
    out = call_ids(wait_call_ids(bs, "ar-out", ids, 5))
    assert sorted(out) == sorted(ids)  # answered before it exited
    c2 = connector(gw, bs, port=c.port)
    wait_for(lambda: metric(c2, "connector_routes") == 1, 10, what="routes loaded")
    # Committed: the next connector reads nothing again, calls nothing.
    assert metric(c2, "connector_messages_total") == 0
    assert collections.Counter(started_ids(path)) == collections.Counter(ids)
    assert sorted(call_ids(wait_call_ids(bs, "ar-out", ids, 5))) == sorted(out)
