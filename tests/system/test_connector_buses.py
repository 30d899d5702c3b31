"""Which buses a connector uses: only those configured. A NATS-only
connector never reaches for Kafka, bare topic names go to the only bus
there is, an ambiguous bare name is refused or warned about, and a Kafka
broker that is down is reported at once with librdkafka's reason. Real
nats-server, gateway and replicas."""
import subprocess

from conftest import SLOW, free_port, wait_for
from connector_util import CONNECTOR, broker, connector, metric_sum
from natsclient import NatsClient

__all__ = ["broker", "connector"]  # fixtures


def test_a_nats_only_connector_with_no_kafka_line_takes_bare_names(gateway, nats, connector):
    srv = nats()
    gw = gateway()
    gw.deploy("upper", env_process="tr a-z A-Z", annotations={"topic": "rpc.upper"})
    gw.deploy("count", env_process="wc -c",
              annotations={"topic": "jobs.count", "reply-topic": "done.count"})
    gw.wait_available("upper", 1)
    gw.wait_available("count", 1)
    c = connector(gw, None, env={"nats_url": srv.nats_url, "subjects": "rpc.upper, jobs.*"})
    routes = c.routes()["routes"]
    assert sorted(r["topic"] for r in routes) == ["jobs.count", "rpc.upper"]
    _, _, body = NatsClient(srv.nats_url).request("rpc.upper", b"bare", timeout=10 * SLOW)
    assert body == b"BARE"
    sub = NatsClient(srv.nats_url)
    sub.subscribe("done.>")
    NatsClient(srv.nats_url).publish("jobs.count", b"job")
    got = sub.collect(1, timeout=10 * SLOW)
    assert [(s, p.strip()) for s, _, p in got] == [("done.count", b"3")]
    text = c.text()
    assert "9092" not in text and "rdkafka" not in text.lower()
    assert c.get("/readyz").status_code == 200
    assert metric_sum(c.metrics(), "connector_messages_total") == 2


def test_with_both_buses_a_bare_annotation_is_skipped_with_a_warning(
        gateway, nats, connector, broker):
    srv = nats()
    gw = gateway()
    bs = broker("-t", "kb-in:1")
    gw.deploy("amb", env_process="cat", annotations={"topic": "plain, nats:sure.x"})
    gw.wait_available("amb", 1)
    c = connector(gw, bs, env={"nats_url": srv.nats_url})
    wait_for(lambda: "function amb" in c.text() and "bare name" in c.text(), 10 * SLOW,
             what="a warning naming the function")
    assert [r["topic"] for r in c.routes()["routes"]] == ["nats:sure.x"]
    assert "write kafka:plain or nats:plain, or set default_bus" in c.text()


def run_config(tmp_path, text, env):
    path = tmp_path / "buses.conf"
    path.write_text(text)
    return subprocess.run([CONNECTOR, "-c", str(path)], env=env, capture_output=True,
                          text=True, timeout=30 * SLOW)


def test_an_ambiguous_bare_route_is_refused_at_load(tmp_path):
    both = {"brokers": "127.0.0.1:1", "nats_url": "nats://127.0.0.1:1"}
    r = run_config(tmp_path, 'routes = ( { topic = "nats:a"; function = "f"; },\n'
                             '  { topic = "orders"; function = "g"; } );\n', both)
    assert r.returncode == 2
    assert f"{tmp_path}/buses.conf:2: routes: route orders -> g" in r.stderr
    assert "write kafka:orders or nats:orders, or set default_bus" in r.stderr
    r = run_config(tmp_path, "", {"default_bus": "kafka", "nats_url": "nats://127.0.0.1:1"})
    assert r.returncode == 2 and "default_bus: kafka, but brokers is not set" in r.stderr
    r = run_config(tmp_path, "", {})
    assert r.returncode == 2 and "configure a bus" in r.stderr


def test_a_broker_that_is_down_is_logged_at_once_with_its_reason(gateway, connector):
    gw = gateway()
    port = free_port()
    c = connector(gw, f"127.0.0.1:{port}", env={"connect_timeout": "120s"}, wait=False)
    # Long before connect_timeout: the reason is in the log while it tries.
    wait_for(lambda: f"127.0.0.1:{port}" in c.text() and "refused" in c.text().lower(),
             30 * SLOW, what="the connection failure logged with its reason")
    assert c.proc.poll() is None  # still trying
