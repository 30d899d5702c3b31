"""faasbus-connector with invoke=async routes: records go through the
gateway's /async-function/ into NATS JetStream (a real nats-server), the
real queue worker runs them on real replicas and posts each result to the
connector's POST /callback, and what the connector makes of it arrives on
the reply or error topic, read back with Python's kafka client."""
import hashlib
import hmac
import signal
import subprocess
import time

import pytest
import requests

from conftest import SANITIZER_MARKS, SLOW, wait_for
from connector_async_util import async_stack, call_ids, metric, produced_ids, wait_call_ids
from connector_util import (CONNECTOR, broker, connector, count_topic, deploy_recorder,
                            headers_of, read_records, read_topic, record_dir, started_ids)
from queue_util import queue_worker

__all__ = ["broker", "connector", "record_dir", "queue_worker"]  # fixtures

SECRET = "callbacks-of-this-test"


def signed(call_id, secret=SECRET):
    """The sig a callback URL of ours carries for call_id."""
    return hmac.new(secret.encode(), call_id.encode(), hashlib.sha256).hexdigest()


def test_an_async_route_replies_through_the_queue_and_the_callback(
        nats, gateway, broker, connector, queue_worker, record_dir):
    srv, gw, bs = async_stack(nats, gateway, broker, "aq-in:3", "aq-out:1", "aq-alt:1")
    path = str(record_dir / "rec")
    deploy_recorder(gw, "arec", path, {"topic": "aq-in", "reply-topic": "aq-out",
                                       "invoke": "async"})
    queue_worker(srv, gw)
    c = connector(gw, bs, env={"callback_secret": SECRET})
    route = c.routes()["routes"][0]
    assert route["invoke"] == "async"
    sent = [(b"k%d" % i, b"sleep=200 m%d" % i, [("trace", b"t%d" % i)]) for i in range(12)]
    ids = produced_ids(bs, "aq-in", sent)
    # The function may pick another topic per answer, as with sync calls.
    alt_id = produced_ids(bs, "aq-in", [(b"alt", b"reply-to=aq-alt x", None)])[0]

    out = wait_call_ids(bs, "aq-out", ids, 60)
    by_id = {headers_of(m)["X-Call-Id"].decode(): m for m in out}
    for (key, value, _), call_id in zip(sent, ids):
        m = by_id[call_id]
        assert (m.key, m.value) == (key, value)
        h = headers_of(m)
        assert h["X-Function-Name"] == b"arec"
        assert h["X-Function-Status"] == b"200"
        assert h["X-Source-Topic"] == b"aq-in"
        source = (h["X-Source-Partition"].decode(), h["X-Source-Offset"].decode())
        assert f"kafka-aq-in-{source[0]}-{source[1]}" == call_id
    alt = read_topic(bs, "aq-alt", 1)[0]
    assert headers_of(alt)["X-Call-Id"].decode() == alt_id and alt.value == b"reply-to=aq-alt x"
    # The function saw the record's stable call id, once per record.
    seen = started_ids(path)
    assert sorted(seen) == sorted(ids + [alt_id])
    assert metric(c, "connector_async_submitted_total", function="arec") == 13
    assert metric(c, "connector_async_callbacks_total", result="taken") == 13
    wait_for(lambda: metric(c, "connector_async_awaiting") == 0, 5, what="nothing awaited")
    assert count_topic(bs, "aq-out") == 12  # each record answered once
    # A callback nobody awaits (late, repeated) is taken and dropped: an
    # error would make the worker retry it and then dead-letter the call.
    stray = {"X-Call-Id": "kafka-aq-in-0-999", "X-Function-Status": "200"}
    r = requests.post(c.url + "/callback?sig=" + signed("kafka-aq-in-0-999"), data=b"x",
                      timeout=5 * SLOW, headers=stray)
    assert r.status_code == 200 and r.text == "unknown\n"
    assert metric(c, "connector_async_callbacks_total", result="unknown") == 1
    assert metric(c, "connector_async_callbacks_total", result="invalid") == 0
    assert count_topic(bs, "aq-out") == 12


def test_a_callback_without_its_calls_signature_is_refused(
        nats, gateway, broker, connector, queue_worker, record_dir):
    srv, gw, bs = async_stack(nats, gateway, broker, "as-in:1", "as-out:1")
    path = str(record_dir / "rec")
    deploy_recorder(gw, "asig", path, {"topic": "as-in", "reply-topic": "as-out",
                                       "invoke": "async"})
    c = connector(gw, bs, env={"callback_secret": SECRET})
    # No queue worker yet: the call waits, and a forger tries to answer it.
    call_id = produced_ids(bs, "as-in", [(b"k", b"the real value", None)])[0]
    wait_for(lambda: metric(c, "connector_async_awaiting") == 1, 30, what="the call queued")
    forged = {"X-Call-Id": call_id, "X-Function-Status": "200"}
    for query in ["", "?sig=", "?sig=" + "0" * 64, "?sig=" + signed(call_id + "x"),
                  "?sig=" + signed(call_id, "another secret"), "?sig=" + signed(call_id)[:-1]]:
        r = requests.post(c.url + "/callback" + query, data=b"forged", timeout=5 * SLOW,
                          headers=forged)
        assert r.status_code == 401, query
        assert "signature" in r.text
    assert metric(c, "connector_async_callbacks_total", result="invalid") == 6
    assert metric(c, "connector_async_awaiting") == 1  # still the real call's
    # The worker posts to the URL it was given, signature and all.
    queue_worker(srv, gw)
    out = wait_call_ids(bs, "as-out", [call_id], 60)
    assert [m.value for m in out] == [b"the real value"]
    assert metric(c, "connector_async_callbacks_total", result="taken") == 1
    r = requests.post(c.url + "/callback", data=b"x", timeout=5 * SLOW,
                      headers={"X-Function-Status": "200"})
    assert r.status_code == 400 and "X-Call-Id" in r.text


def test_failures_end_on_the_error_topic_with_the_original_bytes(
        nats, gateway, broker, connector, queue_worker, record_dir):
    srv, gw, bs = async_stack(nats, gateway, broker, "af-in:1", "af-out:1", "af-dlq:1",
                              "af-ghost:1")
    path = str(record_dir / "rec")
    deploy_recorder(gw, "afail", path, {"topic": "af-in", "reply-topic": "af-out",
                                        "error-topic": "af-dlq", "invoke": "async"})
    # The worker retries 500s three times; the connector must not add its own.
    queue_worker(srv, gw, retry_attempts=3)
    conf = ('routes = ( { topic = "af-ghost"; function = "ghost"; invoke = "async"; '
            'error-topic = "af-dlq"; } );\n')
    c = connector(gw, bs, conf)
    value400 = b"status=400 \x00\xff\xfe raw bytes\r\n"
    value500 = b"status=500 \x01\x02 more"
    headers = [("trace", b"\x00abc"), ("content-type", b"application/octet-stream")]
    [id400, id500] = produced_ids(bs, "af-in", [(b"\xffkey", value400, headers),
                                                (b"k500", value500, None)])
    [ghost] = produced_ids(bs, "af-ghost", [(b"g", b"to nobody", None)])

    dlq = wait_call_ids(bs, "af-dlq", [id400, id500, ghost], 60)
    by_id = {headers_of(m)["X-Call-Id"].decode(): m for m in dlq}
    m = by_id[id400]
    assert (m.key, m.value) == (b"\xffkey", value400)
    assert m.headers[:2] == headers  # the record's own headers, byte for byte, first
    h = headers_of(m)
    assert h["X-Function-Status"] == b"400" and h["X-Function-Name"] == b"afail"
    assert b"HTTP 400" in h["X-Error"]
    assert h["X-Attempts"] == b"1"
    m = by_id[id500]
    assert m.value == value500
    assert headers_of(m)["X-Function-Status"] == b"500"
    assert headers_of(m)["X-Attempts"] == b"3"  # the queue worker's tries
    # 3 calls for the 500 (the worker's), 1 for the 400: no retries on top.
    calls = [r[1] for r in read_records(path) if r[0] == "S"]
    assert sorted(calls) == sorted([id400] + [id500] * 3)
    # A call the gateway does not queue (no such function) fails like a sync call.
    h = headers_of(by_id[ghost])
    assert by_id[ghost].value == b"to nobody"
    assert h["X-Function-Status"] == b"404" and h["X-Function-Name"] == b"ghost"
    assert count_topic(bs, "af-out") == 0
    assert metric(c, "connector_dead_letters_total", reason="async_failed") == 2


def test_async_commit_accepted_commits_at_202_and_still_publishes_the_reply(
        nats, gateway, broker, connector, queue_worker, record_dir):
    srv, gw, bs = async_stack(nats, gateway, broker, "aa-in:1", "aa-out:1")
    path = str(record_dir / "rec")
    deploy_recorder(gw, "aacc", path, {"topic": "aa-in", "reply-topic": "aa-out",
                                       "invoke": "async"})
    queue_worker(srv, gw)
    # The same secret on both: the second takes the first one's callbacks.
    env = {"async_commit": "accepted", "callback_secret": SECRET}
    c = connector(gw, bs, env=env)
    fast = produced_ids(bs, "aa-in", [(b"f%d" % i, b"fast %d" % i, None) for i in range(5)])
    wait_call_ids(bs, "aa-out", fast, 60)
    assert metric(c, "connector_async_callbacks_total", result="kept") == 5

    # Slow calls: their records are committed while the function still runs.
    slow = produced_ids(bs, "aa-in", [(b"s%d" % i, b"sleep=4000 slow %d" % i, None)
                                      for i in range(3)])
    wait_for(lambda: metric(c, "connector_async_kept") == 3, 10, what="3 accepted calls kept")
    wait_for(lambda: metric(c, "connector_records", state="inflight") == 0, 10,
             what="every record committed")
    assert count_topic(bs, "aa-out") == 5  # before the callbacks: nothing awaited them
    # The risk, as documented: a crash now loses these replies (the records
    # are committed, so they are not read again) ...
    port = c.port
    c.stop(signal.SIGKILL)
    c2 = connector(gw, bs, env=env, port=port)
    wait_for(lambda: metric(c2, "connector_async_callbacks_total", result="unknown") == 3,
             30, interval=0.2, what="3 callbacks that found nobody")
    time.sleep(1 * SLOW)
    # ... and the function ran once per record: nothing was read again.
    assert sorted(started_ids(path)) == sorted(fast + slow)
    assert count_topic(bs, "aa-out") == 5
    assert set(call_ids(read_topic(bs, "aa-out", 5))) == set(fast)


@pytest.mark.parametrize("env, needle", [
    ({"async_commit": "sometimes"}, "async_commit=sometimes (environment): expected one of "
                                    "callback|accepted"),
    ({"callback_url": "ftp://host/cb"}, "callback_url: expected an http:// or https:// URL"),
    ({"async_timeout": "10ms"}, "async_timeout=10ms (environment): 10ms is out of range"),
])
def test_bad_async_settings_are_refused_with_a_clear_error(env, needle):
    out = subprocess.run([CONNECTOR], capture_output=True, text=True, timeout=20 * SLOW,
                         env={"PATH": "/usr/bin:/bin", **env})
    assert out.returncode == 2 and needle in out.stderr, out.stderr
    assert not any(mark in out.stderr for mark in SANITIZER_MARKS), out.stderr


def test_a_routes_invoke_option_is_checked(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text('routes = ( { topic = "a"; function = "f"; invoke = "later"; } );\n')
    out = subprocess.run([CONNECTOR, "-c", str(conf)], capture_output=True, text=True,
                         timeout=20 * SLOW, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 2
    assert ':1: routes: invoke: expected sync or async, got "later"' in out.stderr
