"""faasbus topics, publish and subscribe against the real dev Kafka
broker, nats-server and connector: a record published with the CLI goes
through a route, and the function's answer is read back with the CLI."""
import json
import os
import subprocess
import time

from cli_util import FAASBUS, cli  # noqa: F401 (fixture)
from conftest import SANITIZER_MARKS, SLOW, wait_for
from connector_util import broker, connector, produce, read_topic  # noqa: F401
from natsclient import NatsClient


def test_publish_through_a_route_then_subscribe_to_the_reply(gateway, broker, connector, cli):
    bs = broker("-t", "cli-in:2", "-t", "cli-out:2", "-t", "cli-dlq:1")
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url, "FAASBUS_BROKERS": bs}
    cli("deploy", "--image", "x", "--name", "shout", "--fprocess", "tr a-z A-Z",
        "--annotation", "topic=cli-in", "--annotation", "reply-topic=cli-out",
        "--annotation", "error-topic=cli-dlq", "--wait", env=env, check=0)
    cn = connector(gw, bs)
    wait_for(lambda: any(r["function"] == "shout" for r in cn.routes()["routes"]), 20,
             what="the route")
    env["FAASBUS_CONNECTOR"] = cn.url
    r = cli("topics", env=env, check=0)
    header, row = r.out.splitlines()[0].split(), r.out.splitlines()[1].split()
    assert header == ["TOPIC", "FUNCTION", "REPLY-TOPIC", "ERROR-TOPIC", "MESSAGES", "REPLIES",
                      "DEAD-LETTERS"]
    assert row == ["cli-in", "shout", "cli-out", "cli-dlq", "0", "0", "0"]
    cli("publish", "cli-in", "--key", "order-7", "-H", "trace=abc", input=b"hello bus",
        env=env, check=0)
    r = cli("subscribe", "cli-out", "--from-beginning", "--count", "1", "--timeout", "60",
            "-o", "json", env=env, check=0)
    rec = json.loads(r.out)
    assert rec["value"] == "HELLO BUS"
    assert rec["key"] == "order-7"
    assert rec["headers"]["X-Function-Name"] == "shout"
    assert rec["source"].startswith("cli-out[")

    def counted():
        routes = json.loads(cli("topics", "-o", "json", env=env, check=0).out)
        return routes[0]["counts"] == {"messages": 1, "replies": 1, "dead_letters": 0}
    wait_for(counted, 20, what="the counts in topics")
    # A bare host:port, or a trailing '/', names the connector as well.
    bare = cn.url.replace("http://", "") + "/"
    assert "cli-in" in cli("topics", "--connector", bare, env=env, check=0).out
    human = cli("subscribe", "cli-out", "--from-beginning", "--count", "1", env=env, check=0)
    first, value = human.out.splitlines()[:2]
    assert "key=order-7" in first and "X-Function-Status=200" in first
    assert value == "HELLO BUS"


def test_kafka_records_keep_key_headers_and_bytes(broker, cli):
    bs = broker("-t", "raw:1")
    env = {"FAASBUS_BROKERS": bs}
    cli("publish", "raw", "-k", "k1", "-H", "a=1", "-H", "b=two", input=b"first", env=env,
        check=0)
    cli("publish", "kafka:raw", input=b"\x00\xffbin", env=env, check=0)
    r = cli("subscribe", "raw", "--from-beginning", "--count", "2", "--timeout", "60",
            "-o", "json", env=env, check=0)
    a, b = [json.loads(l) for l in r.out.splitlines()]
    assert a["key"] == "k1" and a["headers"] == {"a": "1", "b": "two"} and a["value"] == "first"
    assert b["key"] is None and b["value"] == {"base64": "AP9iaW4="}
    # The same records, read by an independent client.
    got = read_topic(bs, "raw", 2)
    assert [m.value for m in got] == [b"first", b"\x00\xffbin"]
    r = cli("subscribe", "raw", "--count", "1", "--timeout", "1", env=env, check=1)
    assert "0 of 1 records" in r.err
    r = cli("publish", "raw", "-H", "novalue", input=b"x", env=env, check=1)
    assert "--header: expected KEY=VALUE" in r.err


def test_nats_publish_and_subscribe(nats, cli):
    srv = nats()
    env = {"FAASBUS_NATS_URL": srv.nats_url}
    sub = subprocess.Popen([FAASBUS, "subscribe", "nats:cli.events", "--count", "2",
                            "--timeout", str(60 * SLOW), "-o", "json"],
                           env=dict(cli.env, **env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    try:
        line = sub.stderr.readline().decode()
        assert line.startswith("Listening on nats:cli.events"), line
        cli("publish", "nats:cli.events", "--key", "k", "-H", "X-Trace=t1", input=b"one",
            env=env, check=0)
        cli("publish", "cli.events", "--bus", "nats", input=b"two", env=env, check=0)
        out, err = sub.communicate(timeout=60 * SLOW)
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.wait()
    assert sub.returncode == 0, err
    assert not any(m in err.decode() for m in SANITIZER_MARKS), err
    one, two = [json.loads(l) for l in out.decode().splitlines()]
    assert one["value"] == "one" and one["key"] == "k" and one["headers"]["X-Trace"] == "t1"
    assert one["source"] == "nats:cli.events"
    assert two["value"] == "two" and two["key"] is None
    # --from-beginning reads the subject's JetStream stream.
    nc = NatsClient(srv.nats_url)
    nc.create_stream("CLI", ["kept.>"])
    nc.close()
    cli("publish", "nats:kept.a", input=b"stored", env=env, check=0)
    r = cli("subscribe", "nats:kept.a", "--from-beginning", "--count", "1", "--timeout", "60",
            "-o", "json", env=env, check=0)
    assert json.loads(r.out)["value"] == "stored"
    r = cli("subscribe", "nats:nostream", "--from-beginning", "--count", "1", env=env, check=1)
    assert "JetStream stream" in r.err


def test_bus_errors(cli):
    r = cli("publish", "nats:x", input=b"v", env={"FAASBUS_NATS_URL": "nats://127.0.0.1:1"},
            check=1)
    assert "cannot reach NATS at nats://127.0.0.1:1" in r.err
    r = cli("topics", env={"FAASBUS_CONNECTOR": "http://127.0.0.1:1"}, check=1)
    assert "cannot reach the connector at http://127.0.0.1:1" in r.err
    assert "--bus: kafka or nats" in cli("publish", "t", "--bus", "mqtt", check=1).err


def test_nats_publish_through_a_route_then_subscribe_to_the_reply(gateway, nats, connector,
                                                                   cli):
    srv = nats()
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url, "FAASBUS_NATS_URL": srv.nats_url}
    cli("deploy", "--image", "x", "--name", "rev", "--fprocess", "rev",
        "--annotation", "topic=nats:cli.req", "--annotation", "reply-topic=nats:cli.rep",
        "--wait", env=env, check=0)
    cn = connector(gw, "", env={"nats_url": srv.nats_url, "subjects": "cli.req"})
    wait_for(lambda: any(r["function"] == "rev" for r in cn.routes()["routes"]), 20,
             what="the route")
    sub = subprocess.Popen([FAASBUS, "subscribe", "nats:cli.rep", "--count", "1",
                            "--timeout", str(60 * SLOW), "-o", "json"],
                           env=dict(cli.env, **env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    try:
        assert sub.stderr.readline().decode().startswith("Listening on nats:cli.rep")
        cli("publish", "nats:cli.req", input=b"stressed", env=env, check=0)
        out, err = sub.communicate(timeout=60 * SLOW)
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.wait()
    assert sub.returncode == 0, err
    assert not any(m in err.decode() for m in SANITIZER_MARKS), err
    rec = json.loads(out)
    assert rec["value"] == "desserts"
    assert rec["headers"]["X-Function-Name"] == "rev"
    routes = cli("topics", env=dict(env, FAASBUS_CONNECTOR=cn.url), check=0).out
    assert "nats:cli.req" in routes and "nats:cli.rep" in routes
