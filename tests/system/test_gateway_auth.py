"""Basic auth on /system/* (credentials from the environment or from the
OpenFaaS secret files), /function/* and /healthz open unless
auth_functions=true."""
import os

import requests

from conftest import BIN, Daemon, SLOW, wait_for

CREDS = {"basic_auth": "true", "auth_user": "admin", "auth_password": "p4ss:word"}
ROUTES = [("GET", "/system/functions"), ("GET", "/system/info"), ("GET", "/system/namespaces"),
          ("GET", "/system/secrets"), ("GET", "/system/function/fn"),
          ("GET", "/system/logs?name=fn"),
          ("POST", "/system/scale-function/fn"), ("POST", "/system/functions"),
          ("PUT", "/system/functions"), ("DELETE", "/system/functions"),
          ("POST", "/system/secrets"), ("DELETE", "/system/secrets")]


def assert_401(r):
    assert r.status_code == 401, (r.request.method, r.request.url, r.status_code)
    challenge = r.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Basic realm="), challenge


def deploy_with(gw, auth):
    r = requests.post(gw.url + "/system/functions", auth=auth, timeout=10,
                      json={"service": "fn", "image": "x", "envProcess": "cat"})
    assert r.status_code == 202, r.text


def test_system_routes_need_the_credentials(gateway):
    gw = gateway(CREDS)
    deploy_with(gw, ("admin", "p4ss:word"))
    for method, path in ROUTES:
        assert_401(requests.request(method, gw.url + path, json={}, timeout=10))
        assert_401(requests.request(method, gw.url + path, json={}, timeout=10,
                                    auth=("admin", "wrong")))
        assert_401(requests.request(method, gw.url + path, json={}, timeout=10,
                                    auth=("other", "p4ss:word")))
    # Prefixes and near misses of the right password are wrong too.
    for user, password in (("admin", "p4ss"), ("admin", "p4ss:word!"), ("admi", "p4ss:word"),
                           ("", ""), ("admin", "")):
        assert_401(requests.get(gw.url + "/system/functions", auth=(user, password), timeout=10))
    for header in ("Basic", "Basic !!!notbase64", "Bearer abc", "basic"):
        assert_401(requests.get(gw.url + "/system/functions", timeout=10,
                                headers={"Authorization": header}))
    # Nothing happened without the credentials.
    r = requests.get(gw.url + "/system/functions", auth=("admin", "p4ss:word"), timeout=10)
    assert r.status_code == 200
    assert [f["name"] for f in r.json()] == ["fn"]
    assert r.json()[0]["replicas"] == 1
    for path in ("/system/info", "/system/namespaces", "/system/secrets",
                 "/system/function/fn"):
        r = requests.get(gw.url + path, auth=("admin", "p4ss:word"), timeout=10)
        assert r.status_code == 200, path


def test_function_calls_and_healthz_stay_open(gateway):
    gw = gateway(CREDS)
    deploy_with(gw, ("admin", "p4ss:word"))
    wait_for(lambda: requests.get(gw.url + "/system/function/fn", auth=("admin", "p4ss:word"),
                                  timeout=5).json()["availableReplicas"] == 1, 10,
             what="the replica")
    r = requests.post(gw.url + "/function/fn", data=b"open", timeout=10)
    assert r.status_code == 200 and r.text == "open"
    assert requests.get(gw.url + "/healthz", timeout=10).status_code == 200


def test_auth_functions_protects_function_calls_too(gateway):
    gw = gateway(dict(CREDS, auth_functions="true"))
    deploy_with(gw, ("admin", "p4ss:word"))
    wait_for(lambda: requests.get(gw.url + "/system/function/fn", auth=("admin", "p4ss:word"),
                                  timeout=5).json()["availableReplicas"] == 1, 10,
             what="the replica")
    assert_401(requests.post(gw.url + "/function/fn", data=b"x", timeout=10))
    assert_401(requests.post(gw.url + "/function/fn", data=b"x", auth=("admin", "no"),
                             timeout=10))
    r = requests.post(gw.url + "/function/fn", data=b"x", auth=("admin", "p4ss:word"), timeout=10)
    assert r.status_code == 200 and r.text == "x"
    assert requests.get(gw.url + "/healthz", timeout=10).status_code == 200


def test_credentials_from_the_secret_files(gateway, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "basic-auth-user").write_text("fileuser\n")
    (secrets / "basic-auth-password").write_text("filepass\n")
    gw = gateway({"basic_auth": "true", "secret_mount_path": str(secrets)})
    assert_401(requests.get(gw.url + "/system/functions", timeout=10))
    assert_401(requests.get(gw.url + "/system/functions", auth=("fileuser", "filepass\n"),
                            timeout=10))
    r = requests.get(gw.url + "/system/functions", auth=("fileuser", "filepass"), timeout=10)
    assert r.status_code == 200


def test_basic_auth_without_credentials_refuses_to_start(tmp_path, daemons):
    empty = tmp_path / "none"
    empty.mkdir()
    state = tmp_path / "state"
    d = Daemon([os.path.join(BIN, "faasbus-gateway")],
               {"basic_auth": "true", "secret_mount_path": str(empty), "state_dir": str(state)},
               str(tmp_path / "gw.log"))
    daemons.append(d.start())
    wait_for(lambda: d.proc.poll() is not None, 10, what="the gateway to exit")
    assert d.proc.returncode != 0
    assert "basic-auth-user" in d.text() or "credentials" in d.text()


def test_without_basic_auth_system_routes_are_open(gateway):
    gw = gateway()
    r = requests.get(gw.url + "/system/functions", timeout=10 * SLOW)
    assert r.status_code == 200
    assert "WWW-Authenticate" not in r.headers


def basic(raw):
    import base64
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_credentials_with_nul_or_control_bytes_are_401(gateway):
    gw = gateway(CREDS)
    good = b"admin:p4ss:word"
    assert requests.get(gw.url + "/system/functions", headers=basic(good),
                        timeout=10).status_code == 200
    for raw in (good + b"\0", good + b"\0anything", b"admin\0junk:p4ss:word",
                good + b"\n", good + b"\x7f", b"admin:\0p4ss:word", b"\0" + good):
        assert_401(requests.get(gw.url + "/system/functions", headers=basic(raw), timeout=10))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_unauthenticated_bodies_are_refused_from_the_head(gateway):
    """401 comes before any body byte is sent, the connection closes, and
    60 clients that each announce 8 MiB and send 1 MiB cost the gateway
    less than 40 MiB (before: ~500 MB for full bodies)."""
    import socket
    gw = gateway(CREDS)
    before = rss_kib(gw.proc.pid)
    head = (b"POST /system/functions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 8000000\r\n\r\n")
    socks = []
    try:
        for _ in range(60):
            s = socket.create_connection(("127.0.0.1", gw.port), timeout=10 * SLOW)
            s.sendall(head)
            socks.append(s)
        for s in socks:
            got = s.recv(4096)
            assert got.startswith(b"HTTP/1.1 401"), got[:200]
            try:
                s.sendall(b"{" * (1 << 20))
            except OSError:
                pass  # closed on us: what we want
        grown = rss_kib(gw.proc.pid) - before
        assert grown < 40 * 1024, f"gateway grew by {grown} KiB"
        for s in socks:
            s.settimeout(10 * SLOW)
            try:
                while s.recv(65536):
                    pass
            except ConnectionResetError:
                pass
    finally:
        for s in socks:
            s.close()
    deploy_with(gw, ("admin", "p4ss:word"))
