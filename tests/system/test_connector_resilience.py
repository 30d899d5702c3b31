"""faasbus-connector under failure: killed with SIGKILL mid-stream,
the gateway gone for a while, another member joining the group. Every
record must still be answered (at least once), with duplicates bounded."""
import collections
import signal
import threading
import time

import pytest

from conftest import SLOW, wait_for
from connector_util import (broker, connector, count_topic, deploy_recorder, producer,
                            read_topic, record_dir, restart_gateway_on, started_ids)

__all__ = ["broker", "connector", "record_dir"]  # fixtures


class Stream(threading.Thread):
    """Produces `count` records to topic in the background, `pace` seconds
    apart (0: as fast as the client goes)."""

    def __init__(self, bootstrap, topic, count, pace=0.0, keys=1000):
        super().__init__(daemon=True)
        self.args = (bootstrap, topic, count, pace, keys)
        self.error = None

    def run(self):
        bootstrap, topic, count, pace, keys = self.args
        try:
            p = producer(bootstrap)
            for i in range(count):
                p.send(topic, key=b"k%d" % (i % keys), value=b"record %d" % i)
                if pace:
                    time.sleep(pace)
            p.flush()
            p.close()
        except Exception as e:  # reported by finish()
            self.error = e

    def finish(self):
        self.join(120 * SLOW)
        assert not self.is_alive() and self.error is None, self.error


def reply_ids(bootstrap, topic):
    """Call ids of every reply now in topic (X-Call-Id), with repeats."""
    out = read_topic(bootstrap, topic, count_topic(bootstrap, topic), timeout=60)
    return [dict(m.headers)["X-Call-Id"] for m in out]


def wait_replies(bootstrap, topic, total):
    """Waits until every one of `total` records has a reply; returns the
    reply call ids, with repeats."""
    ids = []

    def enough():
        nonlocal ids
        if count_topic(bootstrap, topic) < total:
            return False
        ids = reply_ids(bootstrap, topic)
        return len(set(ids)) == total
    wait_for(enough, 60, interval=1, what=f"a reply to each of {total} records")
    return ids


def test_kill_9_three_times_during_20000_records(gateway, broker, connector, record_dir):
    total, bound = 20000, 200
    bs = broker("-t", "stream:4")
    gw = gateway()
    path = str(record_dir / "sink")
    deploy_recorder(gw, "sink", path, {"topic": "stream", "reply-topic": "stream-out"})
    env = {"group": "survivors", "max_inflight": str(bound)}
    c = connector(gw, bs, env=env)
    stream = Stream(bs, "stream", total)
    stream.start()
    for kill_at in (4000, 9000, 14000):
        wait_for(lambda: len(set(started_ids(path))) >= kill_at, 120, interval=0.05,
                 what=f"{kill_at} records answered")
        c.stop(signal.SIGKILL)
        c = connector(gw, bs, env=env, wait=False)
    stream.finish()
    wait_for(lambda: len(set(started_ids(path))) == total, 180, interval=0.2,
             what="every record answered")
    calls = started_ids(path)
    dups = len(calls) - len(set(calls))
    print(f"{dups} calls repeated after 3 kills (bound {3 * bound})")
    # What a kill repeats is what was in flight: at most max_inflight each time.
    assert dups <= 3 * bound, f"{dups} repeated calls"
    replies = wait_replies(bs, "stream-out", total)
    assert len(replies) - len(set(replies)) <= 3 * bound
    c.wait_ready()


def test_gateway_stopped_for_10_seconds_loses_nothing(gateway, broker, connector, record_dir,
                                                      tmp_path, daemons):
    total = 1500
    bs = broker("-t", "steady:2")
    gw = gateway()
    path = str(record_dir / "steady")
    deploy_recorder(gw, "steady", path, {"topic": "steady", "reply-topic": "steady-out"})
    c = connector(gw, bs)
    stream = Stream(bs, "steady", total, pace=0.01)
    stream.start()
    wait_for(lambda: len(started_ids(path)) >= 200, 30, what="the stream to flow")
    port, state = gw.port, gw.state_dir
    assert gw.stop() == 0
    wait_for(lambda: c.get("/readyz").status_code == 503, 10, what="/readyz to notice")
    assert "gateway" in c.get("/readyz").text
    time.sleep(10)  # the outage itself
    # The last good routing table stayed, and the connector kept running.
    assert [r["function"] for r in c.routes()["routes"]] == ["steady"]
    assert c.proc.poll() is None
    gw2 = restart_gateway_on(tmp_path, daemons, port, state)
    stream.finish()
    wait_for(lambda: len(set(started_ids(path))) == total, 60, interval=0.2,
             what="every record answered")
    wait_replies(bs, "steady-out", total)
    c.wait_ready()
    assert "cannot reach the gateway" in c.text()
    assert "the gateway answers calls again" in c.text()
    assert gw2.stop() == 0


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_a_second_member_shares_the_partitions_without_loss(gateway, broker, connector,
                                                            record_dir, strategy):
    total = 2000
    bs = broker("-t", "shared:4")
    gw = gateway()
    path = str(record_dir / "shared")
    deploy_recorder(gw, "shared", path, {"topic": "shared", "reply-topic": "shared-out"})
    env = {"group": "sharers"}
    conf = f'kafka = {{ partition_assignment_strategy = "{strategy}"; }};\n'
    c1 = connector(gw, bs, conf, env=env)
    stream = Stream(bs, "shared", total, pace=0.004)
    stream.start()
    wait_for(lambda: len(started_ids(path)) >= 200, 30, what="the stream to flow")
    # Joining takes the mock cluster's group two or three rounds of its
    # rebalance timer (about 10 s here, more on a loaded machine).
    c2 = connector(gw, bs, conf, env=env, wait=False)
    c2.wait_ready(60)
    stream.finish()
    wait_for(lambda: len(set(started_ids(path))) == total, 60, interval=0.2,
             what="every record answered")
    wait_replies(bs, "shared-out", total)
    # The first member drained and committed what it handed over; the
    # second took part of the stream.
    c1.wait_log("draining before letting go")
    c1.wait_log("released partitions")
    served = collections.Counter()
    for c, name in ((c1, "c1"), (c2, "c2")):
        for line in c.metrics().splitlines():
            if line.startswith("connector_messages_total"):
                served[name] += float(line.rsplit(" ", 1)[1])
    assert served["c1"] > 0 and served["c2"] > 0, served


def test_a_broker_gone_at_shutdown_does_not_hold_the_exit(gateway, broker, connector, daemons,
                                                           record_dir):
    # librdkafka's own session (45 s): leaving the group of a broker that is
    # gone once waited for all of it, so a Ctrl-C of `make run` caught with
    # calls in flight took most of a minute.
    bs = broker("-t", "slow:2")
    devkafka = daemons[-1]
    gw = gateway()
    path = str(record_dir / "slow")
    deploy_recorder(gw, "slow", path, {"topic": "slow", "reply-topic": "slow-out"})
    c = connector(gw, bs, env={"group": "leavers", "drain_timeout": "2s"}, session="")
    p = producer(bs)
    for i in range(4):
        p.send("slow", key=b"k%d" % i, value=b"sleep=1500 n%d" % i)
    p.flush()
    p.close()
    wait_for(lambda: len(started_ids(path)) == 4, 20, what="four calls in flight")
    devkafka.proc.kill()
    devkafka.proc.wait()
    code = c.stop(timeout=25)
    assert code != -signal.SIGKILL, "the connector did not exit within 25 s of SIGTERM"
    assert "the consumer group was not left in 5000 ms" in c.text()
