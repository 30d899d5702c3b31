"""faasbus-connector: records from Kafka topics call functions through a
real gateway (real watchdog replicas), and what arrives on reply and
error topics is read back with an independent client (Python's kafka)."""
import os

from conftest import SLOW, env_of, free_port, wait_for
from connector_util import (b64, broker, connector, deploy_recorder, headers_of, metric_sum,
                            produce, read_records, read_topic, record_dir, started_ids)

__all__ = ["broker", "connector", "record_dir"]  # fixtures


def test_three_functions_chain_through_topics(gateway, broker, connector):
    bs = broker("-t", "chain-in:2", "-t", "chain-ab:2", "-t", "chain-bc:2", "-t", "chain-out:2")
    gw = gateway()
    steps = [("a", "chain-in", "chain-ab"), ("b", "chain-ab", "chain-bc"),
             ("c", "chain-bc", "chain-out")]
    for name, topic, reply in steps:
        gw.deploy(name, env_process=f"sed s/^/{name.upper()}:/",
                  annotations={"topic": topic, "reply-topic": reply})
    for name, _, _ in steps:
        gw.wait_available(name, 1)
    connector(gw, bs)
    sent = [(b"k%d" % i, b"m%d" % i) for i in range(20)]
    produce(bs, "chain-in", [(k, v, None) for k, v in sent])
    out = read_topic(bs, "chain-out", 20)
    assert sorted((m.key, m.value) for m in out) == sorted((k, b"C:B:A:" + v) for k, v in sent)
    for m in out:
        h = headers_of(m)
        assert h["X-Function-Name"] == b"c"
        assert h["X-Function-Status"] == b"200"
        assert h["X-Source-Topic"] == b"chain-bc"
        assert h["X-Hop-Count"] == b"3"


def test_binary_keys_values_and_headers_are_byte_exact(gateway, broker, connector, record_dir):
    bs = broker("-t", "bin-in:3")
    gw = gateway()
    deploy_recorder(gw, "echo", str(record_dir / "echo"),
                    {"topic": "bin-in", "reply-topic": "bin-echo"})
    gw.deploy("env", env_process="env", annotations={"topic": "bin-in", "reply-topic": "bin-env"})
    gw.wait_available("env", 1)
    connector(gw, bs)
    key = bytes(range(256))[::-1]
    value = os.urandom(4096) + b"\x00\xff\r\n"
    blob = b"\x00\x01\xfe\xff line\r\nbreak"
    headers = [("trace", b"abc-123"), ("blob", blob), ("padded", b" spaced "),
               ("partition", b"99"), ("bad name", b"x")]
    produce(bs, "bin-in", [(key, value, headers)])

    echo = read_topic(bs, "bin-echo", 1)[0]
    assert echo.key == key
    assert echo.value == value
    h = headers_of(echo)
    assert h["X-Function-Name"] == b"echo"
    assert h["X-Call-Id"] == b"kafka-bin-in-%d-%d" % (echo_source(h))

    # What the function saw: the key and binary or blank-edged headers in
    # base64 with an -Enc companion, text headers as they are.
    env = env_of(read_topic(bs, "bin-env", 1)[0].value.decode())
    assert env["Http_X_Topic"] == "bin-in"
    assert env["Http_X_Connector"] == "faasbus-connector"
    assert env["Http_X_Kafka_Key"] == b64(key)
    assert env["Http_X_Kafka_Key_Enc"] == "b64"
    assert env["Http_X_Kafka_Trace"] == "abc-123"
    assert "Http_X_Kafka_Trace_Enc" not in env
    assert env["Http_X_Kafka_Blob"] == b64(blob)
    assert env["Http_X_Kafka_Blob_Enc"] == "b64"
    assert env["Http_X_Kafka_Padded"] == b64(b" spaced ")
    part, off = echo_source(h)
    # A record header cannot pass for the connector's own.
    assert env["Http_X_Kafka_Partition"] == str(part)
    assert not any(k.startswith("Http_X_Kafka_Bad") for k in env)
    assert env["Http_X_Kafka_Offset"] == str(off)
    assert env["Http_X_Call_Id"] == f"kafka-bin-in-{part}-{off}"
    assert int(env["Http_X_Kafka_Timestamp"]) > 1_600_000_000_000
    assert env["Http_Content_Type"] == "text/plain"


def echo_source(h):
    return int(h["X-Source-Partition"]), int(h["X-Source-Offset"])


def test_fan_out_calls_every_function_of_a_topic(gateway, broker, connector, record_dir):
    bs = broker("-t", "fan:3")
    gw = gateway()
    for i in range(3):
        deploy_recorder(gw, f"fan{i}", str(record_dir / f"fan{i}"),
                        {"topic": "fan", "reply-topic": f"fan-out{i}"}, wait=False)
    for i in range(3):
        gw.wait_available(f"fan{i}", 1)
    connector(gw, bs)
    sent = [(b"k%d" % i, b"v%d" % i) for i in range(30)]
    produce(bs, "fan", [(k, v, None) for k, v in sent])
    ids = []
    for i in range(3):
        out = read_topic(bs, f"fan-out{i}", 30)
        assert sorted((m.key, m.value) for m in out) == sorted(sent)
        assert {headers_of(m)["X-Function-Name"] for m in out} == {b"fan%d" % i}
        ids.append(sorted(set(started_ids(str(record_dir / f"fan{i}")))))
    # Each function saw every record, under the same call ids.
    assert len(ids[0]) == 30 and ids[0] == ids[1] == ids[2]


def test_failures_are_retried_then_dead_lettered_byte_exact(gateway, broker, connector,
                                                            record_dir):
    bs = broker("-t", "flaky:2")
    gw = gateway()
    path = str(record_dir / "flaky")
    deploy_recorder(gw, "flaky", path, {
        "topic": "flaky", "reply-topic": "flaky-ok", "error-topic": "flaky-dlq",
        "com.openfaas.retry.attempts": "3", "com.openfaas.retry.min_wait": "10ms",
        "com.openfaas.retry.max_wait": "50ms"})
    c = connector(gw, bs)
    hdrs = [("bin", b"\x00\xff\x01"), ("dup", b"1"), ("dup", b"2"), ("text", b"plain")]
    good = [(b"g%d" % i, b"ok %d" % i, None) for i in range(5)]
    recovering = [(b"r%d" % i, b"fail-first=2 r%d" % i, None) for i in range(3)]
    exhausted = [(b"\x00e%d\xff" % i, b"status=503 e%d \x00\xfe" % i, hdrs) for i in range(3)]
    refused = [(b"n%d" % i, b"status=400 n%d" % i, [("x", b"y")]) for i in range(2)]
    produce(bs, "flaky", good + recovering + exhausted + refused)

    ok = read_topic(bs, "flaky-ok", 8)
    assert sorted(m.value for m in ok) == sorted(v for _, v, _ in good + recovering)
    dlq = read_topic(bs, "flaky-dlq", 5)
    by_key = {m.key: m for m in dlq}
    for key, value, headers in exhausted + refused:
        m = by_key[key]
        assert m.value == value
        # The original headers come first, unchanged (repeats included).
        assert m.headers[:len(headers)] == headers
        extra = dict(m.headers[len(headers):])
        status = b"503" if value.startswith(b"status=503") else b"400"
        assert extra["X-Function-Status"] == status
        assert extra["X-Attempts"] == (b"3" if status == b"503" else b"1")
        assert extra["X-Error"].startswith(b"HTTP " + status)
        assert extra["X-Function-Name"] == b"flaky"
        assert extra["X-Source-Topic"] == b"flaky"
        assert extra["X-Call-Id"] == b"kafka-flaky-%s-%s" % (extra["X-Source-Partition"],
                                                             extra["X-Source-Offset"])
    calls = {}
    for i in started_ids(path):
        calls[i] = calls.get(i, 0) + 1
    assert sorted(calls.values()) == sorted([1] * 5 + [3] * 3 + [3] * 3 + [1] * 2)
    wait_for(lambda: metric_sum(c.metrics(), "connector_dead_letters_total") == 5, 5,
             what="dead letters counted")
    text = c.metrics()
    assert metric_sum(text, "connector_retries_total", function="flaky") == 12
    assert metric_sum(text, "connector_replies_total", function="flaky") == 8
    assert metric_sum(text, "connector_invocations_total", function="flaky", code="503") == 9


def overlap(records, group_of):
    """The most calls in flight at once within one group (by call id)."""
    live, worst = {}, {}
    for ev, cid, _, _ in records:
        g = group_of(cid)
        live[g] = live.get(g, 0) + (1 if ev == "S" else -1)
        worst[g] = max(worst.get(g, 0), live[g])
    return worst


def test_key_order_is_kept_while_keys_flow_in_parallel(gateway, broker, connector, record_dir):
    bs = broker("-t", "ordered:4")
    gw = gateway()
    keyed, parted = str(record_dir / "keyed"), str(record_dir / "parted")
    deploy_recorder(gw, "keyed", keyed, {"topic": "ordered", "reply-topic": "ordered-out"})
    deploy_recorder(gw, "parted", parted, {"topic": "ordered", "ordering": "partition"})
    connector(gw, bs)
    keys = [b"key-%d" % k for k in range(8)]
    sent = [(k, b"sleep=20 seq=%d" % n, None) for n in range(12) for k in keys]
    produce(bs, "ordered", sent)
    out = read_topic(bs, "ordered-out", len(sent))
    for k in keys:
        seqs = [int(m.value.split(b"seq=")[1]) for m in out if m.key == k]
        assert seqs == list(range(12)), (k, seqs)
    wait_for(lambda: len(started_ids(parted)) == len(sent), 30, what="partition-ordered calls")
    recs = read_records(keyed)
    key_of = {cid: key for ev, cid, key, _ in recs if ev == "S"}
    # Per key: one call at a time, in order...
    assert max(overlap(recs, lambda cid: key_of[cid]).values()) == 1
    last = {}
    for ev, cid, key, body in recs:
        if ev == "S":
            seq = int(body.split("seq=")[1])
            assert seq == last.get(key, -1) + 1
            last[key] = seq
    # ...while several keys were in flight together.
    assert max(overlap(recs, lambda cid: 0).values()) > 1
    # ordering=partition: one call at a time per partition.
    prec = read_records(parted)
    assert max(overlap(prec, lambda cid: cid.split("-")[2]).values()) == 1


def test_hop_limit_stops_a_loop(gateway, broker, connector, record_dir):
    bs = broker("-t", "loop:1")
    gw = gateway()
    path = str(record_dir / "loop")
    deploy_recorder(gw, "looper", path, {"topic": "loop", "reply-topic": "loop",
                                         "error-topic": "loop-dlq"})
    connector(gw, bs, env={"max_hops": "3"})
    produce(bs, "loop", [(b"k", b"round and round", None)])
    dead = read_topic(bs, "loop-dlq", 1)[0]
    h = headers_of(dead)
    assert b"hop limit" in h["X-Error"]
    assert h["X-Hop-Count"] == b"3"
    assert h["X-Attempts"] == b"0"
    assert dead.value == b"round and round"
    assert len(started_ids(path)) == 3


def test_x_reply_topic_from_the_function_picks_the_topic(gateway, broker, connector,
                                                         record_dir):
    bs = broker("-t", "pick:1")
    gw = gateway()
    deploy_recorder(gw, "picker", str(record_dir / "picker"),
                    {"topic": "pick", "reply-topic": "pick-default"})
    connector(gw, bs)
    produce(bs, "pick", [(b"a", b"reply-to=pick-special one", None), (b"b", b"two", None)])
    assert read_topic(bs, "pick-special", 1)[0].value == b"reply-to=pick-special one"
    assert read_topic(bs, "pick-default", 1)[0].value == b"two"


def test_config_routes_merge_with_annotations_and_the_table_follows_the_gateway(
        gateway, broker, connector, record_dir):
    bs = broker("-t", "cfg-in:1", "-t", "ann-in:1", "-t", "nobody:1")
    gw = gateway()
    deploy_recorder(gw, "cfgfn", str(record_dir / "cfgfn"), {})
    deploy_recorder(gw, "annfn", str(record_dir / "annfn"), {"topic": "ann-in"})
    conf = ('routes = ( { topic = "cfg-in"; function = "cfgfn"; reply-topic = "cfg-out"; '
            'ordering = "none"; max-inflight = 2; retry-attempts = 7; } );\n')
    c = connector(gw, bs, conf, env={"topics": "cfg-in,ann-in,nobody"})
    table = c.routes()
    got = {(r["topic"], r["function"], r["source"]) for r in table["routes"]}
    assert got == {("cfg-in", "cfgfn", "config"), ("ann-in", "annfn", "annotation")}
    cfg = next(r for r in table["routes"] if r["function"] == "cfgfn")
    assert (cfg["ordering"], cfg["max_inflight"], cfg["retry"]["attempts"]) == ("none", 2, 7)
    assert table["topics"] == ["cfg-in", "ann-in", "nobody"]

    # ordering=none with max-inflight=2: never more than two calls at once,
    # and two do overlap.
    produce(bs, "cfg-in", [(b"k", b"sleep=50 via config %d" % i, None) for i in range(10)])
    out = read_topic(bs, "cfg-out", 10)
    assert sorted(m.value for m in out) == sorted(b"sleep=50 via config %d" % i
                                                  for i in range(10))
    assert max(overlap(read_records(str(record_dir / "cfgfn")), lambda cid: 0).values()) == 2
    produce(bs, "nobody", [(None, b"x%d" % i, None) for i in range(3)])
    wait_for(lambda: metric_sum(c.metrics(), "connector_messages_unrouted_total",
                                topic="nobody") == 3, 10, what="unrouted records counted")

    # A function deployed later is routed; one removed is not any more.
    gw.deploy("late", env_process="cat", annotations={"topic": "nobody", "reply-topic": "late"})
    wait_for(lambda: any(r["function"] == "late" for r in c.routes()["routes"]), 10,
             what="the new route")
    c.wait_log("route added: nobody -> late")
    r = gw.api("DELETE", "/system/functions", json={"functionName": "annfn"})
    assert r.status_code == 202
    wait_for(lambda: all(r["function"] != "annfn" for r in c.routes()["routes"]), 10,
             what="the route to go")
    c.wait_log("route removed: ann-in -> annfn")


def test_sigterm_drains_calls_in_flight_and_commits(gateway, broker, connector, record_dir):
    bs = broker("-t", "slow:2")
    gw = gateway()
    path = str(record_dir / "slow")
    deploy_recorder(gw, "slow", path, {"topic": "slow", "reply-topic": "slow-out"})
    c = connector(gw, bs, env={"group": "drainers"})
    produce(bs, "slow", [(b"k%d" % i, b"sleep=1500 n%d" % i, None) for i in range(4)])
    wait_for(lambda: len(started_ids(path)) == 4, 10, what="four calls in flight")
    assert c.stop() == 0
    assert "drained and committed" in c.text()
    # Every call in flight was answered and its reply published...
    assert len(read_topic(bs, "slow-out", 4)) == 4
    # ...and committed: a new member of the group does not call them again.
    c2 = connector(gw, bs, env={"group": "drainers"})
    produce(bs, "slow", [(b"marker", b"marker", None)])
    wait_for(lambda: any(b == "marker" for _, _, _, b in read_records(path)), 15,
             what="the marker call")
    assert len(started_ids(path)) == 5
    assert c2.stop() == 0


def test_gateway_basic_auth_from_credential_files(gateway, broker, connector, tmp_path):
    bs = broker("-t", "secure:1")
    gw = gateway({"basic_auth": "true", "auth_user": "admin", "auth_password": "s3cret"})
    auth = ("admin", "s3cret")
    r = gw.api("POST", "/system/functions", auth=auth, json={
        "service": "guarded", "image": "x", "envProcess": "cat",
        "annotations": {"topic": "secure", "reply-topic": "secure-out"}})
    assert r.status_code == 202, r.text
    wait_for(lambda: gw.api("GET", "/system/function/guarded", auth=auth).json()
             .get("availableReplicas") == 1, 10, what="guarded available")
    (tmp_path / "user").write_text("admin\n")
    (tmp_path / "wrong").write_text("nope\n")
    (tmp_path / "pass").write_text("s3cret\n")
    env = {"basic_auth_user_file": str(tmp_path / "user"),
           "basic_auth_password_file": str(tmp_path / "wrong")}
    bad = connector(gw, bs, env=env, wait=False)
    wait_for(lambda: "HTTP 401" in bad.text(), 10, what="the refused refresh")
    assert bad.get("/readyz").status_code == 503
    assert bad.stop() == 0
    env["basic_auth_password_file"] = str(tmp_path / "pass")
    connector(gw, bs, env=env)
    produce(bs, "secure", [(b"k", b"let me in", None)])
    assert read_topic(bs, "secure-out", 1)[0].value == b"let me in"


def test_a_gateway_down_at_start_is_waited_for(broker, connector):
    bs = broker()
    port = free_port()
    c = connector(None, bs, env={"gateway_url": f"http://127.0.0.1:{port}"}, wait=False)
    c.wait_log("cannot refresh the routing table")
    r = c.get("/readyz")
    assert r.status_code == 503
    assert "not been loaded from the gateway" in r.text
    table = c.routes()
    assert table["loaded"] is False and table["routes"] == []
    assert c.get("/healthz").status_code == 200
    # Still running, still trying.
    wait_for(lambda: metric_sum(c.metrics(), "connector_route_refreshes_total",
                                result="failed") >= 3, 10, what="repeated refreshes")
    assert c.proc.poll() is None
    assert c.stop() == 0


def test_a_retry_holds_back_its_key_but_not_the_others(gateway, broker, connector, record_dir):
    bs = broker("-t", "hold:1")
    gw = gateway()
    path = str(record_dir / "hold")
    deploy_recorder(gw, "hold", path, {
        "topic": "hold", "com.openfaas.retry.attempts": "3",
        "com.openfaas.retry.min_wait": "1s", "com.openfaas.retry.max_wait": "1s"})
    connector(gw, bs)
    sent = [(b"A", b"fail-first=2 a0", None), (b"A", b"a1", None)]
    sent += [(b"B%d" % i, b"b%d" % i, None) for i in range(10)]
    produce(bs, "hold", sent)
    wait_for(lambda: len(started_ids(path)) == 14, 20, what="every call")
    starts = [(body.split()[-1], cid) for ev, cid, _, body in read_records(path) if ev == "S"]
    a0 = [i for i, (name, _) in enumerate(starts) if name == "a0"]
    assert len(a0) == 3
    others = [i for i, (name, _) in enumerate(starts) if name.startswith("b")]
    # Other keys did not wait for a0's retries (they are at least half a
    # second apart)...
    assert len(others) == 10 and max(others) < a0[1]
    # ...but the next record of its own key waited for its last attempt.
    a1 = [i for i, (name, _) in enumerate(starts) if name == "a1"]
    assert a1 == [a0[2] + 1]


def test_dead_letters_keep_null_values_and_empty_headers_and_big_answers_fail(
        gateway, broker, connector, record_dir):
    bs = broker("-t", "void:1", "-t", "big:1")
    gw = gateway()
    gw.deploy("void", env_process="false", annotations={
        "topic": "void", "error-topic": "void-dlq", "com.openfaas.retry.attempts": "1"})
    gw.wait_available("void", 1)
    deploy_recorder(gw, "big", str(record_dir / "big"),
                    {"topic": "big", "reply-topic": "big-out", "error-topic": "big-dlq"})
    c = connector(gw, bs, env={"max_response_size": "64k"})
    headers = [("empty", b""), ("text", b"t")]
    produce(bs, "void", [(b"tomb", None, headers), (None, b"no key", None)])
    dead = {m.key: m for m in read_topic(bs, "void-dlq", 2)}
    assert dead[b"tomb"].value is None
    assert dead[b"tomb"].headers[:2] == headers
    assert headers_of(dead[b"tomb"])["X-Function-Status"] == b"500"
    assert dead[None].value == b"no key"
    # A response above max_response_size is a failure, not a retry.
    large = b"x" * 100_000
    produce(bs, "big", [(b"large", large, None), (b"small", b"fits", None)])
    assert read_topic(bs, "big-out", 1)[0].value == b"fits"
    m = read_topic(bs, "big-dlq", 1)[0]
    assert m.value == large
    h = headers_of(m)
    assert b"larger than max_response_size" in h["X-Error"]
    assert h["X-Attempts"] == b"1"
    wait_for(lambda: metric_sum(c.metrics(), "connector_dead_letters_total",
                                reason="too_large") == 1, 5, what="the too_large count")
