"""faasbus-connector on JetStream: at least once under kill -9 (every
message answered, duplicates bounded), retries and dead letters acked
only at their final outcome, long calls kept alive, per-key order, and a
missing stream reported until it exists. Real nats-server with
JetStream, real gateway and replicas; checked with natsclient.py."""
import collections
import signal

from conftest import SLOW, wait_for
from connector_util import (connector, deploy_recorder, metric_sum, read_records, record_dir,
                            started_ids)
from natsclient import NatsClient

__all__ = ["connector", "record_dir"]  # fixtures


def publish_all(client, stream, items):
    """Publishes [(subject, payload, headers)] and waits until the stream
    holds them all (core publishes, pipelined; the stream stores them)."""
    before = client.stream_info(stream)["state"]["messages"]
    for subject, payload, headers in items:
        client.publish(subject, payload, headers=headers)
    client.ping()
    wait_for(lambda: client.stream_info(stream)["state"]["messages"] >= before + len(items),
             10, what=f"{len(items)} messages stored in {stream}")


def consumer_info(client, stream, durable):
    return client.js_api(f"CONSUMER.INFO.{stream}.{durable}")


def all_acked(client, stream, durable):
    info = consumer_info(client, stream, durable)
    return info.get("num_ack_pending") == 0 and info.get("num_pending") == 0


def test_kill_9_loses_nothing(gateway, nats, connector, record_dir):
    total, bound = 10000, 100
    srv = nats()
    c = NatsClient(srv.nats_url)
    c.create_stream("JOBS", ["jobs.>"])
    c.create_stream("DONE", ["done.>"])
    gw = gateway()
    path = str(record_dir / "sink")
    deploy_recorder(gw, "sink", path, {"topic": "nats:jobs.>", "reply-topic": "nats:done.jobs",
                                       "ordering": "none"})
    env = {"nats_url": srv.nats_url, "streams": "JOBS", "group": "survivors",
           "max_inflight": str(bound), "nats_ack_wait": "2s"}
    publish_all(c, "JOBS", [(f"jobs.k{i % 50}", b"job %d" % i, None) for i in range(total)])
    conn = connector(gw, "", env=env)
    for kill_at in (2000, 5000, 8000):
        wait_for(lambda: len(set(started_ids(path))) >= kill_at, 60, interval=0.05,
                 what=f"{kill_at} messages called")
        conn.stop(signal.SIGKILL)
        conn = connector(gw, "", env=env)
    wait_for(lambda: c.stream_info("DONE")["state"]["messages"] >= total
             and all_acked(c, "JOBS", "survivors_JOBS"), 90, interval=0.5,
             what="a reply to every message, and every message acked")

    replies = c.stream_messages("DONE")
    ids = collections.Counter(h["X-Call-Id"] for h, _ in replies)
    assert set(ids) == {f"nats-JOBS-{seq}" for seq in range(1, total + 1)}
    assert sorted(set(d for _, d in replies)) == sorted(b"job %d" % i for i in range(total))
    # Repeats come only from the kills: at most what was in flight.
    calls = started_ids(path)
    assert len(calls) - total <= 3 * bound, len(calls) - total
    assert len(replies) - total <= 3 * bound


def test_retries_and_dead_letters_are_acked_at_their_outcome(gateway, nats, connector,
                                                             record_dir):
    srv = nats()
    c = NatsClient(srv.nats_url)
    c.create_stream("FLAKY", ["flaky.>"])
    c.create_stream("DLQ", ["dlq.>"])
    c.create_stream("OK", ["ok.>"])
    gw = gateway()
    path = str(record_dir / "flaky")
    deploy_recorder(gw, "flaky", path, {
        "topic": "nats:flaky.*", "reply-topic": "nats:ok.flaky", "error-topic": "nats:dlq.flaky",
        "com.openfaas.retry.attempts": "3", "com.openfaas.retry.min_wait": "10ms",
        "com.openfaas.retry.max_wait": "50ms"})
    connector(gw, "", env={"nats_url": srv.nats_url, "streams": "FLAKY:flaky.*"})
    good = [(b"ok %d" % i, {"Trace": f"g{i}"}) for i in range(5)]
    recovering = [(b"fail-first=2 r%d" % i, None) for i in range(3)]
    exhausted = [(b"status=503 e%d \x00\xfe" % i, {"Trace": f"e{i}", "Other": "x y"})
                 for i in range(3)]
    refused = [(b"status=400 n%d" % i, {"Trace": f"n{i}"}) for i in range(2)]
    items = good + recovering + exhausted + refused
    publish_all(c, "FLAKY", [("flaky.in", p, h) for p, h in items])

    wait_for(lambda: c.stream_info("DLQ")["state"]["messages"] >= 5
             and c.stream_info("OK")["state"]["messages"] >= 8, 30, what="every outcome")
    ok = c.stream_messages("OK")
    assert sorted(d for _, d in ok) == sorted(p for p, _ in good + recovering)
    for h, _ in ok:
        assert h["X-Source-Stream"] == "FLAKY" and h["X-Source-Topic"] == "flaky.in"
        assert h["X-Call-Id"] == f"nats-FLAKY-{h['X-Source-Sequence']}"
    dlq = {d: h for h, d in c.stream_messages("DLQ")}
    assert sorted(dlq) == sorted(p for p, _ in exhausted + refused)
    for payload, headers in exhausted + refused:
        h = dlq[payload]  # the original data, byte for byte
        for k, v in headers.items():
            assert h[k] == v  # ...and its headers
        assert h["X-Function-Name"] == "flaky"
        assert h["X-Attempts"] == ("3" if b"503" in payload else "1")
        assert h["X-Function-Status"] == ("503" if b"503" in payload else "400")
        assert h["X-Error"].startswith("HTTP ")
    wait_for(lambda: all_acked(c, "FLAKY", "faasbus-connector_FLAKY_flaky_S"), 10,
             what="every message acked once final")
    calls = collections.Counter(started_ids(path))
    assert sorted(calls.values()) == sorted([1] * 5 + [3] * 3 + [3] * 3 + [1] * 2)


def test_long_calls_keep_their_lease_and_keys_keep_their_order(gateway, nats, connector,
                                                               record_dir):
    srv = nats()
    c = NatsClient(srv.nats_url)
    c.create_stream("SLOW", ["slow.>"])
    gw = gateway()
    path = str(record_dir / "slow")
    deploy_recorder(gw, "slow", path, {"topic": "nats:slow.>", "ordering": "key"},)
    conn = connector(gw, "", env={"nats_url": srv.nats_url, "streams": "SLOW",
                                  "nats_ack_wait": "1s"})
    # Calls of 2.5s with a 1s lease: in-progress acks keep each message,
    # so none is delivered a second time.
    publish_all(c, "SLOW", [("slow.a", b"sleep=2500 long%d" % i, {"X-Key": f"L{i}"})
                            for i in range(3)])
    # Per key: one call at a time, in stream order; keys run in parallel.
    publish_all(c, "SLOW", [("slow.b", b"sleep=30 k%d-%d" % (i % 3, i), {"X-Key": f"k{i % 3}"})
                            for i in range(30)])
    wait_for(lambda: all_acked(c, "SLOW", "faasbus-connector_SLOW"), 30, what="all acked")
    recs = read_records(path)
    starts = [r for r in recs if r[0] == "S"]
    assert len(starts) == 33 and len({r[1] for r in starts}) == 33
    open_by_key, order = {}, collections.defaultdict(list)
    seq_of = {r[1]: int(r[1].rsplit("-", 1)[1]) for r in starts}
    key_of = {}
    for ev, cid, _, body in recs:
        if ev == "S" and body.startswith("sleep=30"):
            key = body.split()[1].split("-")[0]
            key_of[cid] = key
            assert key not in open_by_key, f"two calls of key {key} overlap"
            open_by_key[key] = cid
            order[key].append(seq_of[cid])
        elif ev == "E" and cid in key_of:
            del open_by_key[key_of[cid]]
    assert set(order) == {"k0", "k1", "k2"}
    for seqs in order.values():
        assert seqs == sorted(seqs) and len(seqs) == 10
    assert metric_sum(conn.metrics(), "connector_invocations_total", function="slow") == 33


def test_a_missing_stream_is_reported_until_it_exists(gateway, nats, connector, record_dir):
    srv = nats()
    gw = gateway()
    path = str(record_dir / "late")
    deploy_recorder(gw, "late", path, {"topic": "nats:late.>"})
    conn = connector(gw, "", env={"nats_url": srv.nats_url, "streams": "LATE"}, wait=False)
    wait_for(lambda: "stream LATE does not exist" in conn.get("/readyz").text, 15,
             what="/readyz naming the missing stream")
    assert conn.get("/readyz").status_code == 503
    c = NatsClient(srv.nats_url)
    c.create_stream("LATE", ["late.>"])
    conn.wait_ready(timeout=15 * SLOW)
    c.js_publish("late.x", b"finally")
    wait_for(lambda: len(started_ids(path)) == 1, 10, what="the call")
    assert read_records(path)[0][3] == "finally"


def test_messages_wait_for_the_first_routing_table(gateway, nats, connector, record_dir,
                                                   tmp_path, daemons):
    # Messages stored while the gateway is down at start must not be taken
    # (and acked as unrouted) before the routes are known.
    from connector_util import restart_gateway_on
    srv = nats()
    c = NatsClient(srv.nats_url)
    c.create_stream("EARLY", ["early.>"])
    c.create_stream("EARLYOUT", ["earlyout.>"])
    gw = gateway()
    path = str(record_dir / "early")
    deploy_recorder(gw, "early", path, {"topic": "nats:early.in", "reply-topic": "nats:earlyout.x"})
    port, state = gw.port, gw.state_dir
    assert gw.stop() == 0
    publish_all(c, "EARLY", [("early.in", b"m%d" % i, None) for i in range(20)])
    conn = connector(gw, "", env={"nats_url": srv.nats_url, "streams": "EARLY", "group": "g"},
                     wait=False)
    conn.wait_log("not consuming until the gateway answers", timeout=10)
    wait_for(lambda: "g_EARLY" in str(c.js_api("CONSUMER.NAMES.EARLY")), 10,
             what="the durable consumer")
    info = consumer_info(c, "EARLY", "g_EARLY")
    assert info["num_pending"] == 20 and info["num_ack_pending"] == 0, info  # none taken
    assert metric_sum(conn.get("/metrics").text, "connector_messages_unrouted_total") == 0
    restart_gateway_on(tmp_path, daemons, port, state)
    wait_for(lambda: c.stream_info("EARLYOUT")["state"]["messages"] >= 20
             and all_acked(c, "EARLY", "g_EARLY"), 30, interval=0.2,
             what="every early message answered")
    assert sorted(d for _, d in c.stream_messages("EARLYOUT")) == sorted(b"m%d" % i
                                                                        for i in range(20))


def test_unordered_retries_wait_in_the_stream_as_delayed_naks(gateway, nats, connector,
                                                              record_dir):
    # One function, ordering none: a retry is a nak with a delay, so the
    # message holds no place meanwhile; attempts carry over redeliveries.
    srv = nats()
    c = NatsClient(srv.nats_url)
    c.create_stream("NAK", ["nak.>"])
    c.create_stream("NAKDLQ", ["nakdlq.>"])
    c.create_stream("NAKOK", ["nakok.>"])
    gw = gateway()
    path = str(record_dir / "nak")
    deploy_recorder(gw, "nak", path, {
        "topic": "nats:nak.*", "reply-topic": "nats:nakok.x", "error-topic": "nats:nakdlq.x",
        "ordering": "none", "com.openfaas.retry.attempts": "3",
        "com.openfaas.retry.min_wait": "100ms", "com.openfaas.retry.max_wait": "200ms"})
    conn = connector(gw, "", env={"nats_url": srv.nats_url, "streams": "NAK", "group": "n"})
    publish_all(c, "NAK", [("nak.in", b"fail-first=2 r", None), ("nak.in", b"status=503 e", None)])
    wait_for(lambda: c.stream_info("NAKOK")["state"]["messages"] >= 1
             and c.stream_info("NAKDLQ")["state"]["messages"] >= 1
             and all_acked(c, "NAK", "n_NAK"), 30, what="both outcomes, acked")
    assert [d for _, d in c.stream_messages("NAKOK")] == [b"fail-first=2 r"]
    (h, d), = c.stream_messages("NAKDLQ")
    assert d == b"status=503 e" and h["X-Attempts"] == "3"  # counted across deliveries
    # Each failed call was handed back to JetStream and delivered again:
    # two messages, three deliveries each.
    assert consumer_info(c, "NAK", "n_NAK")["delivered"]["consumer_seq"] == 6
    assert ": nak failed:" not in conn.text()
    calls = collections.Counter(started_ids(path))
    assert sorted(calls.values()) == [3, 3]


def reply_route(nats, gateway, connector, record_dir, name, out_limits, env):
    """nats-server with streams <NAME>IN, <NAME>OUT (with out_limits) and
    <NAME>DLQ; a recorder function routed IN -> OUT, dead letters to DLQ,
    ordering none; a connector on IN (group g, plus env). Returns the
    server, a client of it and the connector."""
    low = name.lower()
    srv = nats()
    c = NatsClient(srv.nats_url)
    c.create_stream(f"{name}IN", [f"{low}in.>"])
    c.create_stream(f"{name}OUT", [f"{low}out.>"], **out_limits)
    c.create_stream(f"{name}DLQ", [f"{low}dlq.>"])
    gw = gateway()
    path = str(record_dir / low)
    deploy_recorder(gw, low, path, {"topic": f"nats:{low}in.*", "reply-topic": f"nats:{low}out.x",
                                    "error-topic": f"nats:{low}dlq.x", "ordering": "none"})
    conn = connector(gw, "", env={"nats_url": srv.nats_url, "streams": f"{name}IN", "group": "g",
                                  **env})
    return srv, c, conn


def test_a_reply_the_stream_refuses_becomes_a_dead_letter(gateway, nats, connector, record_dir):
    # Replies are published without waiting for the stream's answer, each
    # answer still decides its message: here the stream takes one reply
    # and refuses the rest (max_msgs 1, discard new).
    _, c, conn = reply_route(nats, gateway, connector, record_dir, "FULL",
                             {"max_msgs": 1, "discard": "new"}, {})
    publish_all(c, "FULLIN", [("fullin.a", b"m%d" % i, None) for i in range(5)])
    wait_for(lambda: c.stream_info("FULLDLQ")["state"]["messages"] >= 4
             and all_acked(c, "FULLIN", "g_FULLIN"), 30, what="one reply and four dead letters")
    (_, stored), = c.stream_messages("FULLOUT")
    dead = c.stream_messages("FULLDLQ")
    assert sorted([stored] + [d for _, d in dead]) == [b"m%d" % i for i in range(5)]
    for h, _ in dead:
        assert h["X-Error"].startswith("the reply could not be published: fullout.x: "), h
        assert "maximum messages exceeded" in h["X-Error"], h
    text = conn.get("/metrics").text
    assert metric_sum(text, "connector_publish_errors_total", kind="reply") == 4
    assert metric_sum(text, "connector_replies_total", function="full") == 1


def test_nats_killed_mid_stream_loses_nothing(gateway, nats, connector, record_dir):
    # Replies in flight when nats-server dies never get JetStream's answer:
    # each fails after its wait, becomes a dead letter once NATS is back,
    # or is called again; every message ends with an outcome, and none is
    # acked before it has one.
    total = 5000
    srv, c, conn = reply_route(nats, gateway, connector, record_dir, "K", {},
                               {"max_inflight": "64"})
    publish_all(c, "KIN", [("kin.a", b"m%d" % i, None) for i in range(total)])
    wait_for(lambda: c.stream_info("KOUT")["state"]["messages"] >= 300, 30, interval=0.01,
             what="300 replies")
    c.close()
    srv.stop(signal.SIGKILL)
    srv.start()
    c = NatsClient(srv.nats_url)

    def outcomes():
        return (c.stream_info("KOUT")["state"]["messages"] +
                c.stream_info("KDLQ")["state"]["messages"])
    wait_for(lambda: outcomes() >= total and all_acked(c, "KIN", "g_KIN"), 90,
             interval=0.5, what="an outcome for every message, every message acked")
    seen = {d for _, d in c.stream_messages("KOUT")} | {d for _, d in c.stream_messages("KDLQ")}
    assert seen == {b"m%d" % i for i in range(total)}
    for h, _ in c.stream_messages("KDLQ"):
        assert h["X-Error"].startswith("the reply could not be published"), h
    assert conn.stop() == 0
