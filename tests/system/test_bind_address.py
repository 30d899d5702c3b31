"""bind_address: every daemon listens where it is told, and the connector
(whose /callback and /routes are for this host) on loopback unless told
otherwise. 127.0.0.2 is a second loopback address on Linux: a socket
bound to 127.0.0.1 must not answer there, one bound to every interface
must."""
import os

import pytest
import requests

from conftest import BIN, Daemon, free_port, wait_for


def answers(host, port):
    try:
        requests.get(f"http://{host}:{port}/healthz", timeout=1)
        return True
    except requests.ConnectionError:
        return False


def start(daemons, tmp_path, binary, env):
    port = free_port()
    full = {"port": str(port)}
    full.update(env)
    d = Daemon([os.path.join(BIN, binary)], full, str(tmp_path / f"{binary}-{port}.log"),
               listen=False)
    daemons.append(d.start())
    return d, port


def settings(name, tmp_path, nats_url):
    return {
        "faasbus-gateway": {"state_dir": str(tmp_path / "state"), "nats_url": ""},
        "faasbus-watchdog": {"fprocess": "cat", "healthcheck_interval": "0s"},
        "faasbus-queue-worker": {"nats_url": nats_url, "gateway_url": "http://127.0.0.1:9"},
        "faasbus-connector": {"brokers": "", "nats_url": nats_url,
                              "gateway_url": "http://127.0.0.1:9"},
    }[name]


DAEMONS = ["faasbus-gateway", "faasbus-watchdog", "faasbus-queue-worker", "faasbus-connector"]


@pytest.mark.parametrize("binary", DAEMONS)
def test_bind_address_is_honoured(binary, daemons, tmp_path, nats):
    srv = nats()
    env = settings(binary, tmp_path, srv.nats_url)
    env["bind_address"] = "127.0.0.1"
    d, port = start(daemons, tmp_path, binary, env)
    wait_for(lambda: answers("127.0.0.1", port), 10, what=f"{binary} on 127.0.0.1")
    assert not answers("127.0.0.2", port)
    d.stop()


@pytest.mark.parametrize("binary", DAEMONS)
def test_default_listening_address(binary, daemons, tmp_path, nats):
    srv = nats()
    d, port = start(daemons, tmp_path, binary, settings(binary, tmp_path, srv.nats_url))
    wait_for(lambda: answers("127.0.0.1", port), 10, what=f"{binary} on 127.0.0.1")
    if binary == "faasbus-connector":
        assert not answers("127.0.0.2", port)  # private unless configured
    else:
        assert answers("127.0.0.2", port)
    d.stop()


def test_a_bad_bind_address_is_refused(daemons, tmp_path):
    d, _ = start(daemons, tmp_path, "faasbus-watchdog",
                 {"fprocess": "cat", "bind_address": "not-an-address"})
    wait_for(lambda: d.proc.poll() is not None, 10, what="the watchdog to refuse")
    assert d.proc.returncode != 0
    assert "bad listen address not-an-address" in d.text()
