"""The connector and an https:// gateway (a TLS terminator in front of a
real gateway, as an ingress would be): the routes and the calls go over
TLS, checked against gateway_tls_ca; a gateway whose certificate cannot
be checked is refused, saying so, and nothing is consumed until one
can."""
import shutil

import pytest

from conftest import mapped
from connector_util import broker, connector, metric_sum, produce, read_topic, shouted_through
from tlsproxy import TLSProxy, self_signed

__all__ = ["broker", "connector"]  # fixtures


@pytest.fixture
def tls_gateway(tmp_path, gateway):
    """(gateway, proxy, ca): a gateway behind TLS on 127.0.0.1."""
    if not shutil.which("openssl"):
        pytest.skip("no openssl")
    cert, key = self_signed(tmp_path)
    gw = gateway()
    proxy = TLSProxy(cert, key, gw.port)
    yield gw, proxy, str(cert)
    proxy.close()


def test_an_https_gateway_carries_the_routes_and_the_calls(tls_gateway, broker, connector):
    gw, proxy, ca = tls_gateway
    bs = broker("-t", "tls-in:2", "-t", "tls-out:2")
    gw.deploy("shout", env_process="tr a-z A-Z",
              annotations={"topic": "tls-in", "reply-topic": "tls-out"})
    gw.wait_available("shout", 1)
    c = connector(None, bs, env={"gateway_url": proxy.url, "gateway_tls_ca": ca})
    shouted_through(c, bs, "tls-in", "tls-out", 20, "over TLS")
    assert proxy.accepted >= 2 and proxy.refused == 0  # the list and the calls
    assert mapped(c.proc.pid, "libcurl")  # loaded for https://, on first use


def test_an_http_gateway_never_loads_libcurl(gateway, broker, connector):
    """The calls and the route refresh of an http:// gateway are our own
    client's: none of libcurl's dozen libraries is mapped."""
    bs = broker("-t", "plain-in:1", "-t", "plain-out:1")
    gw = gateway()
    gw.deploy("shout", env_process="tr a-z A-Z",
              annotations={"topic": "plain-in", "reply-topic": "plain-out"})
    gw.wait_available("shout", 1)
    c = connector(gw, bs)
    produce(bs, "plain-in", [(b"k", b"plain", None)])
    assert read_topic(bs, "plain-out", 1)[0].value == b"PLAIN"
    assert metric_sum(c.metrics(), "connector_route_refreshes_total", result="ok") >= 1
    assert not mapped(c.proc.pid, "libcurl")


ROUTE = 'routes = ( { topic = "tlsw-in"; function = "echo"; reply-topic = "tlsw-out"; } );\n'


def test_a_gateway_whose_certificate_cannot_be_checked_is_refused_and_loses_nothing(
        tls_gateway, broker, connector):
    gw, proxy, ca = tls_gateway
    bs = broker("-t", "tlsw-in:1", "-t", "tlsw-out:1")
    gw.deploy("echo", env_process="cat")
    gw.wait_available("echo", 1)
    produce(bs, "tlsw-in", [(b"k%d" % i, b"v%d" % i, None) for i in range(3)])
    untrusting = connector(None, bs, conf=ROUTE, env={"gateway_url": proxy.url}, wait=False)
    untrusting.wait_log("SSL certificate problem: self-signed certificate", timeout=15)
    r = untrusting.get("/readyz")
    assert r.status_code == 503 and "routing table has not been loaded" in r.text, r.text
    assert proxy.accepted == 0 and proxy.refused > 0
    assert untrusting.stop() == 0
    connector(None, bs, conf=ROUTE, env={"gateway_url": proxy.url, "gateway_tls_ca": ca})
    out = read_topic(bs, "tlsw-out", 3)
    assert sorted(m.value for m in out) == [b"v0", b"v1", b"v2"]
