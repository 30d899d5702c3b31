"""Helpers for the connector's system tests: a real dev Kafka broker
(faasbus-devkafka), the real faasbus-connector, functions deployed on a
real gateway, and an independent Kafka client (Python's kafka package)
to produce records and read what arrives on reply and error topics."""
import base64
import os
import pathlib
import shutil
import tempfile
import time

import pytest
import requests
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from conftest import (BIN, FIXTURES, SLOW, Daemon, Gateway, free_port, gateway_up, samples,
                      wait_for)

DEVKAFKA = os.path.join(BIN, "faasbus-devkafka")
CONNECTOR = os.path.join(BIN, "faasbus-connector")
RECORDER = os.path.join(FIXTURES, "connector-recorder")
# Every group member (the connector and test consumers) leaves a short
# session behind, so a member that rejoins after a kill -9 waits briefly.
SESSION = "kafka_consumer = { session_timeout_ms = 6000; heartbeat_interval_ms = 500; };\n"


@pytest.fixture
def broker(tmp_path, daemons):
    """start(*args) -> bootstrap address of a running faasbus-devkafka."""
    count = [0]

    def start(*args):
        count[0] += 1
        path = tmp_path / f"bootstrap{count[0]}"
        d = Daemon([DEVKAFKA, "-o", str(path), *args], {},
                   str(tmp_path / f"devkafka{count[0]}.log"), listen=False)
        daemons.append(d.start())
        wait_for(lambda: path.exists() and path.read_text().strip(), 10,
                 what="the bootstrap file")
        return path.read_text().strip()
    return start


class Connector(Daemon):
    def get(self, path):
        return requests.get(self.url + path, timeout=5 * SLOW)

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"connector exited with {self.proc.returncode}:\n"
                                 f"{self.text()[-3000:]}")
        try:
            return self.get("/readyz").status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, timeout=20):
        wait_for(self.ready, timeout, interval=0.1, what="connector /readyz")

    def metrics(self):
        return self.get("/metrics").text

    def routes(self):
        return self.get("/routes").json()


@pytest.fixture
def connector(tmp_path, daemons):
    """start(gw, bootstrap, conf="", env=None, wait=True, port=None,
    session=SESSION) -> a running faasbus-connector with a config file of
    `session` (a short one; "" for librdkafka's own) and `conf`; `port`
    serves on a given port (a restarted connector on its predecessor's
    port, as its callback URL names it)."""
    count = [0]

    def start(gw, bootstrap, conf="", env=None, wait=True, port=None, session=SESSION):
        count[0] += 1
        path = tmp_path / f"connector{count[0]}.conf"
        path.write_text(session + conf)
        full = {"gateway_url": gw.url if gw else "http://127.0.0.1:1",
                "rebuild_interval": "300ms", "log_level": "info"}
        if bootstrap is not None:  # None: no brokers setting at all
            full["brokers"] = bootstrap
        full.update(env or {})
        c = Connector([CONNECTOR, "-c", str(path)], full,
                      str(tmp_path / f"connector{count[0]}.log"), listen=port is None)
        if port is not None:
            c.listen_on(port)
        c.conf_path = path
        daemons.append(c.start())
        if wait:
            c.wait_ready()
        return c
    return start


@pytest.fixture
def record_dir():
    """A directory functions may write to: replicas run as nobody, and
    pytest's own tmp_path sits below a directory only root may enter."""
    d = tempfile.mkdtemp(prefix="faasbus-rec-")
    os.chmod(d, 0o777)
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


def deploy_recorder(gw, name, path, annotations, wait=True):
    """An http-mode function: connector-recorder behind the replica's
    watchdog, recording each call in `path` and echoing its body."""
    port = free_port()
    gw.deploy(name, env_process=f"{RECORDER} {port} {path}", annotations=annotations,
              envVars={"mode": "http", "upstream_url": f"http://127.0.0.1:{port}"})
    if wait:
        gw.wait_available(name, 1)
    return port


def read_records(path):
    """[(event, call id, key, body)] from a recorder's file."""
    if not os.path.exists(path):
        return []
    out = []
    with open(path, "rb") as f:
        for line in f.read().decode("utf-8", "replace").splitlines():
            parts = line.split(" ", 3)
            if parts[0] == "S" and len(parts) >= 3:
                out.append(("S", parts[1], parts[2], parts[3] if len(parts) > 3 else ""))
            elif parts[0] == "E" and len(parts) == 2:
                out.append(("E", parts[1], None, None))
    return out


def started_ids(path):
    return [r[1] for r in read_records(path) if r[0] == "S"]


def producer(bootstrap):
    return KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)


def produce(bootstrap, topic, records):
    """records: [(key, value, headers)]; waits for every acknowledgement."""
    p = producer(bootstrap)
    futures = [p.send(topic, key=k, value=v, headers=h or []) for k, v, h in records]
    p.flush()
    for f in futures:
        f.get(timeout=10 * SLOW)
    p.close()


def read_topic(bootstrap, topic, count, timeout=30):
    """The first `count` records of every partition of topic (no group),
    waiting up to timeout; fails if fewer arrive."""
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                      auto_offset_reset="earliest", consumer_timeout_ms=500)
    deadline = time.monotonic() + timeout * SLOW
    got = []
    try:
        parts = None
        while time.monotonic() < deadline:
            parts = c.partitions_for_topic(topic)
            if parts:
                break
            time.sleep(0.1)
        assert parts, f"topic {topic} never appeared"
        c.assign([TopicPartition(topic, p) for p in parts])
        c.seek_to_beginning()
        while len(got) < count and time.monotonic() < deadline:
            for m in c:
                got.append(m)
                if len(got) >= count:
                    break
    finally:
        c.close()
    assert len(got) >= count, f"{topic}: {len(got)} of {count} records arrived"
    return got


def shouted_through(c, bootstrap, topic_in, topic_out, n, how):
    """Once connector c has the route to the "shout" function (tr a-z A-Z),
    n records into topic_in come back upper-cased on topic_out; `how` says
    how the route was read, for the failure."""
    wait_for(lambda: any(r["function"] == "shout" for r in c.routes()["routes"]), 10,
             what=f"the route, read {how}")
    sent = [(b"k%d" % i, b"%s %d" % (how.encode(), i)) for i in range(n)]
    produce(bootstrap, topic_in, [(k, v, None) for k, v in sent])
    out = read_topic(bootstrap, topic_out, n)
    assert sorted((m.key, m.value) for m in out) == sorted((k, v.upper()) for k, v in sent)


def count_topic(bootstrap, topic):
    """Records in topic now (end offsets summed; 0 if it does not exist)."""
    c = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = c.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        return sum(c.end_offsets(tps).values()) if tps else 0
    finally:
        c.close()


def headers_of(message):
    """A record's headers as {name: value}; repeated names keep the last."""
    return {k: v for k, v in message.headers}


def b64(data):
    return base64.b64encode(data).decode()


def restart_gateway_on(tmp_path, daemons, port, state_dir, env=None, n=2):
    """A gateway on a given port (the old one's) and its state: what a
    restart after an outage looks like to the connector. The caller stops
    it (it is also in `daemons`)."""
    full = {"state_dir": state_dir, "log_level": "info", "health_interval": "200ms"}
    full.update(env or {})
    gw = Gateway([os.path.join(BIN, "faasbus-gateway")], full, str(tmp_path / f"gateway-r{n}.log"),
                 listen=False)
    gw.listen_on(port)
    daemons.append(gw.start())
    gw.state_dir = state_dir
    wait_for(lambda: gateway_up(gw), 10, what="restarted gateway /healthz")
    return gw


def metric_sum(text, name, **labels):
    """Sum of every sample of `name` whose labels include `labels`."""
    return sum(value for got, value in samples(text, name)
               if all(got.get(k) == str(v) for k, v in labels.items()))


__all__ = ["broker", "connector", "Connector", "record_dir", "deploy_recorder", "read_records",
           "started_ids", "produce", "producer", "read_topic", "count_topic", "headers_of", "b64",
           "restart_gateway_on", "metric_sum", "tempfile"]
