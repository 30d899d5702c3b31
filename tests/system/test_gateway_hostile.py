"""Malformed and hostile requests: bad JSON, wrong types, invalid names,
path tricks and oversized bodies get a clear 4xx, and change nothing."""
import http.client
import json
import os
import socket
import threading

import pytest

from conftest import SLOW


def snapshot(gw):
    """Everything the API shows, and every file of the state directory."""
    fns = {ns: gw.api("GET", "/system/functions", params={"namespace": ns}).json()
           for ns in ("openfaas-fn", "other")}
    for ns in fns.values():
        for f in ns:
            f.pop("availableReplicas", None)
    files = {}
    for root, _, names in os.walk(gw.state_dir):
        for n in names:
            path = os.path.join(root, n)
            with open(path, "rb") as fh:
                files[os.path.relpath(path, gw.state_dir)] = fh.read()
    return {"functions": fns, "secrets": gw.api("GET", "/system/secrets").json(),
            "namespaces": gw.api("GET", "/system/namespaces").json(), "files": files,
            "replicas": len(gw.children())}


@pytest.fixture
def seeded(gateway):
    """A gateway with one function and one secret, ready."""
    gw = gateway()
    assert gw.api("POST", "/system/secrets", json={"name": "keep", "value": "v"}).status_code \
        == 201
    gw.deploy("victim", env_process="cat", secrets=["keep"], labels={"x": "y"})
    gw.wait_available("victim", 1)
    gw.before = snapshot(gw)
    return gw


def unchanged(gw):
    assert snapshot(gw) == gw.before


def raw(gw, method, path, body=b"", headers=None):
    """A request with the path exactly as given (no client normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10 * SLOW)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body or method in ("POST", "PUT", "DELETE"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def post_big(gw, path, body):
    """POSTs body while reading the answer: a server may answer 413 and
    close before the body is all sent. Returns the status code."""
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10 * SLOW)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()

    def send():
        try:
            s.sendall(head + body)
        except OSError:
            pass

    t = threading.Thread(target=send)
    t.start()
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    t.join(30 * SLOW)
    s.close()
    assert data, "no answer"
    return int(data.split()[1])


GOOD = {"service": "newfn", "image": "x", "envProcess": "cat"}

BAD_DEPLOYMENTS = [
    (b"", "empty"),
    (b"{", "JSON"),
    (b"not json", "JSON"),
    (b'{"service": "newfn", "image": "x", "envProcess": "cat"', "JSON"),
    (b"[]", "object"),
    (b'"newfn"', "JSON"),
    (b"null", "JSON"),
    (b"5", "JSON"),
    (b'{"service": "newfn", "service": "other", "image": "x", "envProcess": "cat"}', "JSON"),
    (b'{"service": "new\\u0000fn", "image": "x", "envProcess": "cat"}', "JSON"),
    (b'{"service": "\xff\xfe", "image": "x", "envProcess": "cat"}', "JSON"),
    (b"[" * 5000 + b"]" * 5000, "JSON"),
    (dict(GOOD, service=None), "service"),
    (dict(GOOD, service=5), "service"),
    (dict(GOOD, service=""), "service"),
    (dict(GOOD, service="NewFn"), "service"),
    (dict(GOOD, service="new_fn"), "service"),
    (dict(GOOD, service="-newfn"), "service"),
    (dict(GOOD, service="newfn-"), "service"),
    (dict(GOOD, service="a" * 64), "service"),
    (dict(GOOD, service="../newfn"), "service"),
    (dict(GOOD, service="new/fn"), "service"),
    (dict(GOOD, service="newfn.Other"), "namespace"),
    (dict(GOOD, service="newfn.."), "namespace"),
    (dict(GOOD, namespace="../../etc"), "namespace"),
    (dict(GOOD, namespace=3), "namespace"),
    ({"service": "newfn", "envProcess": "cat"}, "image"),
    (dict(GOOD, image=""), "image"),
    (dict(GOOD, image=["x"]), "image"),
    (dict(GOOD, envProcess=1), "envProcess"),
    (dict(GOOD, envVars=["A=1"]), "envVars"),
    (dict(GOOD, envVars={"A": 1}), "envVars"),
    (dict(GOOD, envVars={"A=B": "1"}), "envVars"),
    (dict(GOOD, envVars={"": "1"}), "envVars"),
    (dict(GOOD, labels="x"), "labels"),
    (dict(GOOD, labels={"a": {"b": "c"}}), "labels"),
    (dict(GOOD, annotations={"topic": True}), "annotations"),
    (dict(GOOD, secrets="keep"), "secrets"),
    (dict(GOOD, secrets=[1]), "secrets"),
    (dict(GOOD, secrets=["../keep"]), "secrets"),
    (dict(GOOD, secrets=["absent"]), "secrets"),
    (dict(GOOD, constraints="x"), "constraints"),
    (dict(GOOD, limits={"memory": "lots"}), "limits.memory"),
    (dict(GOOD, limits={"memory": 128}), "limits.memory"),
    (dict(GOOD, limits={"cpu": "fast"}), "limits.cpu"),
    (dict(GOOD, limits={"memory": "99999999999999999999Ti"}), "limits.memory"),
    (dict(GOOD, limits="128Mi"), "limits"),
    (dict(GOOD, requests={"cpu": "-1"}), "requests.cpu"),
    (dict(GOOD, readOnlyRootFilesystem="yes"), "readOnlyRootFilesystem"),
    ({"service": "newfn", "image": "x"}, "envProcess"),
    (dict(GOOD, envProcess=""), "envProcess"),
]


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_bad_deployments_are_400_naming_the_problem(seeded, method):
    gw = seeded
    for body, word in BAD_DEPLOYMENTS:
        if isinstance(body, dict):
            if method == "PUT" and body.get("service") == "newfn":
                body = dict(body, service="victim")
            body = json.dumps(body).encode()
        status, _, text = raw(gw, method, "/system/functions", body,
                              {"Content-Type": "application/json"})
        assert status == 400, (body[:200], status, text)
        assert word.lower() in text.decode("utf-8", "replace").lower(), (body[:200], text)
    unchanged(gw)
    assert gw.call("victim", data=b"still here").text == "still here"


@pytest.mark.parametrize("path, body", [
    ("/system/functions", {"functionName": 5}),
    ("/system/functions", {"functionName": "../victim"}),
    ("/system/functions", {"functionName": "victim", "namespace": "../.."}),
    ("/system/functions", {"name": "victim"}),
    ("/system/functions", []),
    ("/system/secrets", {"name": "../keep"}),
    ("/system/secrets", {"name": "keep", "namespace": "a/b"}),
    ("/system/secrets", {}),
])
def test_bad_deletes_are_400_and_remove_nothing(seeded, path, body):
    gw = seeded
    r = gw.api("DELETE", path, json=body)
    assert r.status_code == 400, r.text
    unchanged(gw)


def test_bad_bodies_for_scale_are_400(seeded):
    gw = seeded
    for body in (b"", b"{", b"[]", b'{"serviceName": "victim", "replicas": 1e9}',
                 b'{"serviceName": "victim", "replicas": null}',
                 b'{"serviceName": "victim", "replicas": true}'):
        status, _, text = raw(gw, "POST", "/system/scale-function/victim", body)
        assert status == 400, (body, status, text)
    unchanged(gw)


@pytest.mark.parametrize("path", [
    "/function/../system/functions",
    "/function/%2e%2e/system/functions",
    "/function/%2E%2E%2Fsystem%2Ffunctions",
    "/function/..",
    "/function/.victim",
    "/function/victim.",
    "/function/victim..openfaas-fn",
    "/function/VICTIM",
    "/function/",
    "/function//victim",
])
def test_path_tricks_on_function_calls_reach_nothing_else(seeded, path):
    gw = seeded
    status, headers, body = raw(gw, "POST", path, b"payload")
    assert status in (400, 404), (path, status, body)
    assert headers.get("X-OpenFaaS-Internal") == "gateway", (path, headers)
    # Never the API's listing, never the function's echo.
    assert b'"envProcess"' not in body, body
    assert body != b"payload"
    unchanged(gw)


@pytest.mark.parametrize("path", [
    "/system/function/../functions",
    "/system/function/..%2Ffunctions",
    "/system/function/%2e%2e",
    "/system/function/victim/../../secrets",
    "/system/functions/../secrets",
    "/system/logs?name=../victim",
    "/system/logs?name=victim&namespace=..%2F..",
    "/system/functions?namespace=..",
    "/system/secrets?namespace=../openfaas-fn",
])
def test_path_tricks_on_the_api_are_4xx(seeded, path):
    gw = seeded
    status, _, body = raw(gw, "GET", path)
    assert 400 <= status < 500, (path, status, body)
    assert b'"envProcess"' not in body and b"keep" not in body
    unchanged(gw)


def test_a_sub_path_of_a_function_stays_inside_the_function(seeded):
    """/function/victim/../../system/functions is the function's own path:
    the call goes to the function, not to the gateway's API."""
    gw = seeded
    status, headers, body = raw(gw, "POST", "/function/victim/../../system/functions",
                                b"payload")
    assert status == 200
    assert body == b"payload"
    assert "X-Served-By" in headers


def test_an_oversized_api_body_is_413(seeded):
    gw = seeded
    # Just above the default max_body_size of 8 MiB.
    big = {"service": "huge", "image": "x", "envProcess": "cat",
           "envVars": {"BLOB": "x" * (8 * 1024 * 1024)}}
    assert post_big(gw, "/system/functions", json.dumps(big).encode()) == 413
    secret = {"name": "huge", "value": "y" * (9 << 20)}
    assert post_big(gw, "/system/secrets", json.dumps(secret).encode()) == 413
    unchanged(gw)


def test_max_body_size_applies_to_every_api_route(gateway):
    gw = gateway({"max_body_size": "1KiB"})
    fields = {"service": "fits", "image": "x", "envProcess": "cat"}
    assert gw.api("POST", "/system/functions", json=fields).status_code == 202
    padded = dict(fields, service="toolong", envVars={"PAD": "p" * 2048})
    r = gw.api("POST", "/system/functions", json=padded)
    assert r.status_code == 413
    r = gw.api("PUT", "/system/functions", json=dict(padded, service="fits"))
    assert r.status_code == 413
    r = gw.api("POST", "/system/secrets", json={"name": "s", "value": "v" * 2048})
    assert r.status_code == 413
    # A chunked body (no Content-Length) is held to the limit too.
    r = gw.api("POST", "/system/functions",
               data=iter([json.dumps(padded).encode()[i:i + 500] for i in range(0, 3000, 500)]))
    assert r.status_code == 413
    assert [f["name"] for f in gw.api("GET", "/system/functions").json()] == ["fits"]
    assert gw.api("GET", "/system/secrets").json() == []
    # Function calls are streamed and have no such limit.
    gw.wait_available("fits", 1)
    body = os.urandom(64 * 1024)
    assert gw.call("fits", data=body).content == body


def test_garbage_on_the_socket_does_not_hurt_the_gateway(seeded):
    gw = seeded
    for junk in (b"\x00\x01\x02\r\n\r\n", b"GET /system/functions HTTP/9.9\r\n\r\n",
                 b"GET " + b"/a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                 b"POST /system/functions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                 b"POST /system/functions HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"):
        # Some of these get an answer, some are held until read_timeout:
        # read what comes within a second, then leave.
        with socket.create_connection(("127.0.0.1", gw.port), timeout=1) as s:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
    assert gw.api("GET", "/healthz").status_code == 200
    unchanged(gw)
    assert gw.call("victim", data=b"fine").text == "fine"
