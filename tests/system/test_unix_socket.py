"""The gateway's unix_socket and the connector's gateway_socket: the API
and the calls served on a Unix socket beside the TCP port, under the same
rules (basic auth); a socket file that is not ours is never taken over;
and a connector that reaches the gateway only that way, its TCP address
a port where nothing listens."""
import http.client
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile

import pytest
import requests

from conftest import BIN, SLOW, free_port, wait_for
from connector_util import broker, connector, metric_sum, shouted_through

__all__ = ["broker", "connector"]  # fixtures


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout * SLOW)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def over_unix(path, method, target, body=None, headers=None):
    """(status, body) of one request on the Unix socket at path."""
    conn = UnixHTTPConnection(path)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.fixture
def sock_dir():
    """A short directory for sockets: a Unix socket path has 107 bytes."""
    d = tempfile.mkdtemp(prefix="fb-ux-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_the_api_and_the_calls_are_served_on_the_socket(gateway, sock_dir):
    path = os.path.join(sock_dir, "gw.sock")
    gw = gateway({"unix_socket": path})
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o660
    assert over_unix(path, "GET", "/healthz")[0] == 200
    status, _ = over_unix(path, "POST", "/system/functions",
                          body=b'{"service":"env","image":"x","envProcess":"env"}')
    assert status == 202
    gw.wait_available("env", 1)
    status, out = over_unix(path, "POST", "/function/env", body=b"")
    assert status == 200
    # The caller has no IP address: named as nginx names it.
    assert b"Http_X_Forwarded_For=unix:" in out, out
    assert gw.call("env").status_code == 200  # TCP goes on as before
    gw.stop()
    assert not os.path.exists(path)  # removed with the gateway


def test_basic_auth_holds_on_the_socket(gateway, sock_dir):
    path = os.path.join(sock_dir, "gw.sock")
    gateway({"unix_socket": path, "basic_auth": "true", "auth_user": "admin",
             "auth_password": "s3cret"})
    assert over_unix(path, "GET", "/system/functions")[0] == 401
    good = {"Authorization": "Basic YWRtaW46czNjcmV0"}  # admin:s3cret
    assert over_unix(path, "GET", "/system/functions", headers=good) == (200, b"[]")


def start_refused(tmp_path, path):
    """Runs a gateway on unix_socket=path that must refuse to start: its
    exit status and what it said."""
    env = dict(os.environ, port=str(free_port()), state_dir=str(tmp_path / "state"),
               nats_url="", unix_socket=path)
    r = subprocess.run([os.path.join(BIN, "faasbus-gateway")], env=env, capture_output=True,
                       text=True, timeout=20 * SLOW)
    return r.returncode, r.stderr


def test_a_path_that_is_not_a_dead_socket_is_left_alone(gateway, tmp_path, sock_dir):
    plain = os.path.join(sock_dir, "plain")
    with open(plain, "w") as f:
        f.write("keep me")
    rc, said = start_refused(tmp_path, plain)
    assert rc != 0 and "exists and is not a socket" in said, said
    assert open(plain).read() == "keep me"

    live = os.path.join(sock_dir, "live.sock")
    gateway({"unix_socket": live})
    rc, said = start_refused(tmp_path, live)
    assert rc != 0 and "another server listens there" in said, said
    assert over_unix(live, "GET", "/healthz")[0] == 200  # the first one still serves

    long_path = os.path.join(sock_dir, "x" * 120)
    rc, said = start_refused(tmp_path, long_path)
    assert rc != 0 and "longer than 107 bytes" in said, said


def test_a_socket_left_by_a_dead_gateway_is_replaced(gateway, sock_dir):
    path = os.path.join(sock_dir, "gw.sock")
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(path)  # bound, never listening: what a killed server leaves
    left.close()
    gateway({"unix_socket": path})
    assert over_unix(path, "GET", "/healthz")[0] == 200


def test_a_connector_reaches_the_gateway_only_through_the_socket(gateway, broker, connector,
                                                                 sock_dir):
    path = os.path.join(sock_dir, "gw.sock")
    gw = gateway({"unix_socket": path})
    bs = broker("-t", "ux-in:2", "-t", "ux-out:2")
    gw.deploy("shout", env_process="tr a-z A-Z",
              annotations={"topic": "ux-in", "reply-topic": "ux-out"})
    gw.wait_available("shout", 1)
    # Nothing listens on the URL's port: every byte goes through the socket.
    nowhere = f"http://127.0.0.1:{free_port()}"
    c = connector(None, bs, env={"gateway_url": nowhere, "gateway_socket": path})
    shouted_through(c, bs, "ux-in", "ux-out", 50, "over the socket")
    assert metric_sum(c.metrics(), "connector_route_refreshes_total", result="ok") >= 1


def test_an_abstract_socket_serves_without_a_file(gateway, broker, connector, sock_dir):
    name = f"@faasbus-test-{os.getpid()}-{free_port()}"
    gw = gateway({"unix_socket": name})
    assert over_unix("\0" + name[1:], "GET", "/healthz")[0] == 200
    assert os.listdir(sock_dir) == [] and not os.path.exists(name)
    bs = broker("-t", "uxa-in:1", "-t", "uxa-out:1")
    gw.deploy("shout", env_process="tr a-z A-Z",
              annotations={"topic": "uxa-in", "reply-topic": "uxa-out"})
    gw.wait_available("shout", 1)
    c = connector(None, bs, env={"gateway_url": f"http://127.0.0.1:{free_port()}",
                                 "gateway_socket": name})
    shouted_through(c, bs, "uxa-in", "uxa-out", 5, "over the abstract socket")


def test_an_empty_gateway_socket_is_tcp(gateway, broker, connector):
    gw = gateway()
    bs = broker("-t", "uxt-in:1", "-t", "uxt-out:1")
    gw.deploy("shout", env_process="tr a-z A-Z",
              annotations={"topic": "uxt-in", "reply-topic": "uxt-out"})
    gw.wait_available("shout", 1)
    c = connector(gw, bs, env={"gateway_socket": ""})  # "" means none, as unix_socket's
    shouted_through(c, bs, "uxt-in", "uxt-out", 5, "over TCP")
    assert "through unix socket" not in c.text()


def test_a_connector_whose_socket_is_gone_says_where_it_looked(broker, connector, sock_dir):
    path = os.path.join(sock_dir, "none.sock")
    bs = broker("-t", "uxg-in:1")
    c = connector(None, bs, env={"gateway_socket": path}, wait=False)
    c.wait_log(f"(unix socket {path}): No such file or directory", timeout=15)
    r = c.get("/readyz")
    assert r.status_code == 503, r.text


def test_gateway_socket_needs_an_http_gateway_url(connector, sock_dir):
    c = connector(None, None, env={"gateway_url": "https://127.0.0.1:8443",
                                   "gateway_socket": os.path.join(sock_dir, "gw.sock"),
                                   "nats_url": "nats://127.0.0.1:1"}, wait=False)
    assert c.proc.wait(timeout=10 * SLOW) != 0
    assert "gateway_socket: only with an http:// gateway_url" in c.text()


def unix_sockets(pid, state=None):
    """The Unix stream sockets (ss -x lines) that process pid holds."""
    argv = ["ss", "-xpH"] + (["state", state] if state else [])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
    return [line for line in out.splitlines() if f"pid={pid}," in line]


def test_the_gateway_calls_its_process_replicas_on_a_unix_socket(gateway):
    """Each replica gets an abstract socket beside its port (no file to
    clean up, reachable only from the gateway's network namespace); the
    gateway's calls and health checks go there, so neither side pays the
    loopback TCP stack, while the port still answers whoever else calls it."""
    if not shutil.which("ss"):
        pytest.skip("no ss (iproute2)")
    gw = gateway()
    gw.deploy("echo", env_process="cat")
    gw.wait_available("echo", 1)
    [wd] = gw.children()
    # Ready was seen there: the health checks take the calls' way.
    wait_for(lambda: unix_sockets(wd, "established"), 5, what="a health check on the socket")
    for i in range(20):
        assert gw.call("echo", data=b"via unix %d" % i).text == "via unix %d" % i
    listening = [line for line in unix_sockets(wd, "listening") if "@faasbus-" in line]
    assert len(listening) == 1, unix_sockets(wd)
    assert unix_sockets(wd, "established"), "no call of the gateway's reached the socket"
    gw.wait_log("socket=@faasbus-")
    port = re.search(r"pid=%d port=(\d+) socket=" % wd, gw.text()).group(1)
    assert requests.get(f"http://127.0.0.1:{port}/_/health", timeout=5 * SLOW).status_code == 200
    # A restarted replica gets a socket of its own, as it gets a new port.
    name = re.search(r"@faasbus-\S+", listening[0]).group(0)
    os.kill(wd, 9)
    wait_for(lambda: gw.text().count("replica started") == 2 and gw.available("echo") == 1, 15,
             what="the restarted replica")
    [again] = gw.children()
    assert gw.call("echo", data=b"after").text == "after"
    assert not any(name in line for line in unix_sockets(again, "listening"))
