"""faasbus-connector on core NATS: subjects shared by two connectors in a
queue group, request-reply to functions, what a function sees of a NATS
message, NATS-only set-ups and their errors. Real nats-server, real
gateway and replicas; NATS is read back with tests/system/natsclient.py,
which shares no code with the connector."""
import collections
import subprocess

from conftest import SLOW, wait_for
from connector_util import (CONNECTOR, connector, deploy_recorder, metric_sum, record_dir,
                            started_ids)
from natsclient import NatsClient

__all__ = ["connector", "record_dir"]  # fixtures


def nats_env(srv, **extra):
    env = {"nats_url": srv.nats_url}
    env.update(extra)
    return env


def test_two_connectors_share_core_subjects_in_a_queue_group(gateway, nats, connector,
                                                             record_dir):
    srv = nats()
    gw = gateway()
    path = str(record_dir / "work")
    deploy_recorder(gw, "work", path, {"topic": "nats:work.*", "reply-topic": "nats:done.work"})
    env = nats_env(srv, subjects="work.*", group="pair")
    a = connector(gw, "", env=env)
    b = connector(gw, "", env=env)
    sub = NatsClient(srv.nats_url)
    sub.subscribe("done.>")
    pub = NatsClient(srv.nats_url)
    total = 400
    for i in range(total):
        pub.publish(f"work.k{i % 7}", b"job %d" % i, headers={"Trace": f"t{i}"})
    pub.ping()

    replies = sub.collect(total, timeout=30 * SLOW)
    assert sorted(p for _, _, p in replies) == sorted(b"job %d" % i for i in range(total))
    for subject, h, _ in replies:
        assert subject == "done.work"
        assert h["X-Function-Name"] == "work" and h["X-Function-Status"] == "200"
        assert h["X-Source-Topic"].startswith("work.k")
        assert h["X-Hop-Count"] == "1"
    # Each message went to one member of the group, once: the two
    # connectors split the work and called the function once per message.
    ids = started_ids(path)
    assert len(ids) == total and len(set(ids)) == total
    got = [metric_sum(c.metrics(), "connector_messages_total") for c in (a, b)]
    assert sum(got) == total and min(got) > 0, got


def test_request_reply_answers_the_requester(gateway, nats, connector):
    srv = nats()
    gw = gateway()
    gw.deploy("upper", env_process="tr a-z A-Z", annotations={"topic": "nats:svc.upper"})
    gw.deploy("env", env_process="env", annotations={"topic": "nats:svc.env"})
    gw.deploy("broken", env_process="false", annotations={
        "topic": "nats:svc.broken", "com.openfaas.retry.attempts": "1"})
    for name in ("upper", "env", "broken"):
        gw.wait_available(name, 1)
    connector(gw, "", env=nats_env(srv, subjects="svc.>"))
    c = NatsClient(srv.nats_url)

    subject, h, body = c.request("svc.upper", b"hello nats", timeout=10 * SLOW)
    assert body == b"HELLO NATS"
    assert h["X-Function-Name"] == "upper" and h["X-Function-Status"] == "200"
    assert h["X-Source-Topic"] == "svc.upper"
    # Many requests at once, each answered with its own response.
    answers = [c.request("svc.upper", b"n%d" % i, timeout=10 * SLOW)[2] for i in range(30)]
    assert answers == [b"N%d" % i for i in range(30)]

    _, _, env = c.request("svc.env", b"{}", timeout=10 * SLOW,
                          headers={"Trace": "abc-123", "Stream": "fake", "X-Key": "k1"})
    seen = dict(line.split("=", 1) for line in env.decode().splitlines() if "=" in line)
    assert seen["Http_X_Topic"] == "svc.env"
    assert seen["Http_X_Connector"] == "faasbus-connector"
    assert seen["Http_X_Nats_Trace"] == "abc-123"
    assert seen["Http_X_Nats_X_Key"] == "k1"
    assert seen["Http_X_Call_Id"].startswith("nats-")
    # Core NATS has no stream: nothing may pass for one.
    assert "Http_X_Nats_Stream" not in seen and "Http_X_Nats_Sequence" not in seen

    # A function that fails has no answer to give: the requester times
    # out, and the failure is counted, not silently lost.
    try:
        c2 = NatsClient(srv.nats_url)
        c2.request("svc.broken", b"x", timeout=2)
        raise AssertionError("a failed call must not be answered")
    except (TimeoutError, OSError):
        pass


def test_a_nats_only_connector_waits_for_nats_and_says_why(gateway, nats, connector, tmp_path):
    gw = gateway()
    gw.deploy("upper", env_process="tr a-z A-Z", annotations={"topic": "nats:up.x"})
    gw.wait_available("upper", 1)
    srv = nats()
    port = srv.port
    srv.stop()
    c = connector(gw, "", env={"nats_url": f"nats://127.0.0.1:{port}", "subjects": "up.*"},
                  wait=False)
    # Once the routing table is in, the missing NATS is what keeps it unready.
    wait_for(lambda: c.get("/readyz").status_code == 503 and
             "not connected to NATS" in c.get("/readyz").text, 10,
             what="/readyz 503 naming NATS")
    srv.start()
    c.wait_ready(timeout=20 * SLOW)
    _, _, body = NatsClient(srv.nats_url).request("up.x", b"back", timeout=10 * SLOW)
    assert body == b"BACK"


def run_config(tmp_path, text, env=None):
    path = tmp_path / "bad.conf"
    path.write_text(text)
    return subprocess.run([CONNECTOR, "-c", str(path)], env=env or {}, capture_output=True,
                          text=True, timeout=10)


def test_bad_nats_settings_name_their_line(tmp_path):
    r = run_config(tmp_path, 'brokers = "";\nnats_url = "nats://127.0.0.1:4222";\n'
                             'subjects = "ok.*, bad..subject";\n')
    assert r.returncode == 2
    assert f"{tmp_path}/bad.conf:3: subjects" in r.stderr and "bad..subject" in r.stderr
    r = run_config(tmp_path, 'nats_url = "nats://127.0.0.1:4222";\nstreams = "OR.DERS";\n')
    assert r.returncode == 2 and "bad.conf:2: streams" in r.stderr
    r = run_config(tmp_path, 'brokers = "";\n')
    assert r.returncode == 2 and "configure a bus" in r.stderr
    r = run_config(tmp_path, 'subjects = "a.b";\n')
    assert r.returncode == 2 and "nats_url is empty" in r.stderr
    r = run_config(tmp_path, 'routes = ( { topic = "nats:a..b"; function = "f"; } );\n')
    assert r.returncode == 2 and "bad.conf:1: routes" in r.stderr
    r = run_config(tmp_path, 'routes = ( { topic = "nats:a"; function = "f"; '
                             'reply-topic = "nats:b.*"; } );\n')
    assert r.returncode == 2 and "reply-topic" in r.stderr
