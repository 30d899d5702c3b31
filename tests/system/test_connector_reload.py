"""SIGHUP reloads the connector's config file: routes change in place, a bad file is refused at its line and the running config stays,
and a setting read only at start says it needs a restart. Real gateway,
replicas and dev Kafka broker."""
import signal
import threading
import time

from conftest import SLOW, wait_for
from connector_util import (SESSION, broker, connector, count_topic, deploy_recorder,
                            headers_of, produce, producer, read_topic, record_dir)

__all__ = ["broker", "connector", "record_dir"]  # fixtures

ROUTE_A = '{ topic = "rl-a"; function = "echo"; reply-topic = "rl-out"; }'
ROUTE_B = '{ topic = "rl-b"; function = "echo"; reply-topic = "rl-out"; }'


def reload(c, text):
    c.conf_path.write_text(SESSION + text)
    before = c.text().count("SIGHUP: reading")
    c.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: c.text().count("SIGHUP: reading") > before, 10 * SLOW,
             what="the reload logged")


def topics(c):
    return sorted(r["topic"] for r in c.routes()["routes"])


def test_sighup_swaps_routes_refuses_a_bad_file_and_names_restart_settings(
        gateway, broker, connector):
    bs = broker("-t", "rl-a:1", "-t", "rl-b:1", "-t", "rl-out:1")
    gw = gateway()
    gw.deploy("echo", env_process="cat")
    gw.wait_available("echo", 1)
    c = connector(gw, bs, conf=f"routes = ( {ROUTE_A} );\n")
    assert topics(c) == ["rl-a"]
    produce(bs, "rl-a", [(b"k", b"first", None)])
    assert [m.value for m in read_topic(bs, "rl-out", 1)] == [b"first"]

    # One route added, one removed: in place.
    reload(c, f'routes = ( {ROUTE_B} );\n')
    wait_for(lambda: topics(c) == ["rl-b"], 10 * SLOW, what="rl-b routed, rl-a not")
    assert c.proc.poll() is None
    produce(bs, "rl-b", [(b"k", b"second", None)])
    out = read_topic(bs, "rl-out", 2)
    assert sorted(m.value for m in out) == [b"first", b"second"]
    assert headers_of([m for m in out if m.value == b"second"][0])["X-Source-Topic"] == b"rl-b"

    # A bad file: refused at its line, the running routes stay.
    reload(c, f'routes = ( {ROUTE_A},\n  {{ topic = "x"; function = "f"; ordering = "random"; }} );\n')
    wait_for(lambda: "reload refused" in c.text(), 10 * SLOW, what="the refusal")
    refusal = [line for line in c.text().splitlines() if "reload refused" in line][0]
    assert f"{c.conf_path}:3: routes: ordering" in refusal  # SESSION is line 1
    assert topics(c) == ["rl-b"] and c.proc.poll() is None

    # A restart-only setting says so and keeps its running value.
    reload(c, f'group = "another-group";\nroutes = ( {ROUTE_B} );\n')
    wait_for(lambda: "group changed: it takes effect at the next restart" in c.text(),
             10 * SLOW, what="the restart warning")
    assert topics(c) == ["rl-b"]
    produce(bs, "rl-b", [(b"k", b"third", None)])
    assert sorted(m.value for m in read_topic(bs, "rl-out", 3)) == \
        [b"first", b"second", b"third"]


def steady(bs, topic, rate, seconds, prefix):
    """Produces rate records/s for seconds on topic, paced; returns the
    values sent once every one is acknowledged."""
    p = producer(bs)
    sent, futures = [], []
    start = time.monotonic()
    for i in range(rate * seconds):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        value = f"{prefix}-{i:05d}".encode()
        futures.append(p.send(topic, key=str(i % 16).encode(), value=value))
        sent.append(value)
    p.flush()
    for f in futures:
        f.get(timeout=10 * SLOW)
    p.close()
    return sent


def all_of(bs, topic, want, timeout=60):
    """Every record of topic once `want` distinct values are there."""
    def arrived():
        return len({m.value for m in read_topic(bs, topic, count_topic(bs, topic))}) >= want
    wait_for(arrived, timeout * SLOW, interval=0.5, what=f"{want} distinct records on {topic}")
    return read_topic(bs, topic, count_topic(bs, topic))


def test_sighup_under_a_steady_load_loses_nothing(gateway, broker, connector, record_dir):
    """1,000 records/s on a kept route while a SIGHUP adds one route and
    removes another: every record is answered, duplicates stay within the
    calls that were in flight, and the removed route's later records wait
    in their topic until the route comes back."""
    bs = broker("-t", "ld-a:2", "-t", "ld-b:1", "-t", "ld-c:1",
                "-t", "ld-out:2", "-t", "ld-outb:1", "-t", "ld-outc:1")
    gw = gateway()
    deploy_recorder(gw, "echo", str(record_dir / "calls"), annotations={})
    keep = '{ topic = "ld-a"; function = "echo"; reply-topic = "ld-out"; }'
    added = '{ topic = "ld-b"; function = "echo"; reply-topic = "ld-outb"; }'
    removed = '{ topic = "ld-c"; function = "echo"; reply-topic = "ld-outc"; }'
    c = connector(gw, bs, conf=f"max_inflight = 64;\nroutes = ( {keep}, {removed} );\n")
    produce(bs, "ld-c", [(None, f"c-{i}".encode(), None) for i in range(100)])
    all_of(bs, "ld-outc", 100)

    load = {}
    t = threading.Thread(target=lambda: load.update(a=steady(bs, "ld-a", 1000, 6, "a")))
    t.start()
    time.sleep(2)
    reload(c, f"max_inflight = 64;\nroutes = ( {keep}, {added} );\n")
    wait_for(lambda: topics(c) == ["ld-a", "ld-b"], 10 * SLOW, what="ld-b in, ld-c out")
    assert t.is_alive(), "the reload came after the load, not during it"
    t.join()
    produce(bs, "ld-b", [(None, f"b-{i}".encode(), None) for i in range(100)])
    produce(bs, "ld-c", [(None, f"late-{i}".encode(), None) for i in range(50)])

    out = all_of(bs, "ld-out", len(load["a"]))
    values = [m.value for m in out]
    assert set(values) == set(load["a"])
    assert len(values) - len(set(values)) <= 64, "duplicates beyond the in-flight bound"
    assert {m.value for m in all_of(bs, "ld-outb", 100)} == {f"b-{i}".encode() for i in range(100)}
    outc = {m.value for m in read_topic(bs, "ld-outc", count_topic(bs, "ld-outc"))}
    assert not any(v.startswith(b"late-") for v in outc), "ld-c consumed after its removal"
    assert c.proc.poll() is None

    # The removed route's records were not lost: back on, they are answered.
    reload(c, f"max_inflight = 64;\nroutes = ( {keep}, {added}, {removed} );\n")
    late = {m.value for m in all_of(bs, "ld-outc", 150)}
    assert {f"late-{i}".encode() for i in range(50)} <= late
