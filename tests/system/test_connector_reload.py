"""SIGHUP reloads the connector's config file: routes change in place, a bad file is refused at its line and the running config stays,
and a setting read only at start says it needs a restart. Real gateway,
replicas and dev Kafka broker."""
import signal

from conftest import SLOW, wait_for
from connector_util import SESSION, broker, connector, headers_of, produce, read_topic

__all__ = ["broker", "connector"]  # fixtures

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
