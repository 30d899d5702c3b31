"""Invocation through the gateway: /function/<name>[/<path>] proxied to a
ready replica, headers both ways, the gateway's own errors, scale from
zero and the invocation metrics."""
import hashlib
import os
import re
import threading
import time

import requests

from conftest import FIXTURES, SLOW, env_of, free_port, metric, wait_for

TESTFN = os.path.join(FIXTURES, "testfn-http")


def deploy_http(gw, name, **fields):
    """An http-mode function: testfn-http behind the replica's watchdog.
    Its upstream port is fixed, so it runs one replica only."""
    port = free_port()
    env = {"mode": "http", "upstream_url": f"http://127.0.0.1:{port}"}
    env.update(fields.pop("envVars", {}))
    gw.deploy(name, env_process=f"{TESTFN} {port}", envVars=env, **fields)
    return port


def test_10mib_body_round_trips_byte_exact(gateway):
    gw = gateway()
    gw.deploy("cat", env_process="cat")
    gw.wait_available("cat", 1)
    body = os.urandom(10 * 1024 * 1024)
    r = gw.call("cat", data=body, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200
    assert len(r.content) == len(body)
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(body).digest()


def test_path_query_method_headers_and_env_vars_reach_the_function(gateway):
    gw = gateway()
    gw.deploy("env", env_process="env", envVars={"MY_SETTING": "from deploy"})
    gw.wait_available("env", 1)
    r = gw.call("env", "/some/path", method="PUT", params={"a": "1", "b": "x y"}, data=b"hi",
                headers={"X-Custom-Thing": "yes", "Content-Type": "text/plain"})
    assert r.status_code == 200, r.text
    env = env_of(r.text)
    assert env["Http_Method"] == "PUT"
    assert env["Http_Path"] == "/some/path"
    assert env["Http_Query"] == "a=1&b=x+y"
    assert env["Http_X_Custom_Thing"] == "yes"
    assert env["Http_Content_Type"] == "text/plain"
    assert env["MY_SETTING"] == "from deploy"
    assert env["Http_X_Forwarded_For"] == "127.0.0.1"
    assert env["Http_X_Forwarded_Host"] == f"127.0.0.1:{gw.port}"
    # Without a sub-path the function sees "/".
    r = gw.call("env", method="GET")
    env = env_of(r.text)
    assert env["Http_Method"] == "GET"
    assert env["Http_Path"] == "/"
    assert "Http_Query" not in env


def test_every_method_is_proxied(gateway):
    gw = gateway()
    gw.deploy("meth", env_process="printenv Http_Method")
    gw.wait_available("meth", 1)
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        r = gw.call("meth", method=method, data=b"")
        assert r.status_code == 200, method
        assert r.text == method + "\n"


def test_response_headers_and_a_generated_call_id(gateway):
    gw = gateway()
    gw.deploy("id", env_process="printenv Http_X_Call_Id")
    gw.wait_available("id", 1)
    t0 = time.time_ns()
    r = gw.call("id", data=b"")
    assert r.status_code == 200
    call_id = r.headers["X-Call-Id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        call_id), call_id
    # The function saw the same id.
    assert r.text == call_id + "\n"
    start = int(r.headers["X-Start-Time"])
    assert t0 - 10**9 <= start <= time.time_ns()
    assert float(r.headers["X-Duration-Seconds"]) > 0
    assert r.headers["X-Served-By"]
    # Each of them once (the replica's own timing is replaced, not added).
    for h in ("X-Call-Id", "X-Duration-Seconds", "X-Start-Time", "X-Served-By"):
        assert len(r.raw.headers.getlist(h)) == 1, (h, r.raw.headers.getlist(h))
    assert "X-OpenFaaS-Internal" not in r.headers
    # A second call gets another id.
    assert gw.call("id", data=b"").headers["X-Call-Id"] != call_id


def test_the_callers_call_id_is_kept(gateway):
    gw = gateway()
    gw.deploy("id", env_process="printenv Http_X_Call_Id")
    gw.wait_available("id", 1)
    r = gw.call("id", data=b"", headers={"X-Call-Id": "my-own-call-id-123"})
    assert r.headers["X-Call-Id"] == "my-own-call-id-123"
    assert r.text == "my-own-call-id-123\n"


def test_a_long_caller_call_id_is_the_one_the_function_saw(gateway):
    """Whatever id the gateway settles on, the caller and the function must
    agree on it (the connector de-duplicates with it)."""
    gw = gateway()
    gw.deploy("id", env_process="printenv Http_X_Call_Id")
    gw.wait_available("id", 1)
    long_id = "kafka-orders-3-" + "1234567890" * 8
    r = gw.call("id", data=b"", headers={"X-Call-Id": long_id})
    assert r.status_code == 200
    assert r.text == r.headers["X-Call-Id"] + "\n", (r.text, r.headers["X-Call-Id"])


def test_function_errors_pass_through_as_the_functions(gateway):
    gw = gateway()
    gw.deploy("fails", env_process="sh -c 'echo broken; exit 3'")
    gw.wait_available("fails", 1)
    r = gw.call("fails", data=b"")
    assert r.status_code == 500
    assert "broken" in r.text
    assert r.headers.get("X-OpenFaaS-Internal") != "gateway"


def test_http_function_status_codes_pass_through(gateway):
    gw = gateway()
    deploy_http(gw, "web")
    gw.wait_available("web", 1)
    for code in (201, 404, 418, 503):
        r = gw.call("web", "/status", method="GET", params={"code": code})
        assert r.status_code == code
        assert r.text == f"status {code}\n"
        assert r.headers.get("X-OpenFaaS-Internal") != "gateway"


def test_a_functions_redirect_reaches_the_caller_unfollowed(gateway):
    gw = gateway()
    deploy_http(gw, "web")
    gw.wait_available("web", 1)
    r = gw.call("web", "/redirect", method="GET", allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"] == "/echo"
    assert r.text == "see /echo\n"


def test_http_function_sees_method_path_query_and_forwarded_headers(gateway):
    gw = gateway()
    deploy_http(gw, "web")
    gw.wait_available("web", 1)
    r = gw.call("web", "/headers", method="GET", params={"q": "1"},
                headers={"X-Thing": "abc", "Connection": "keep-alive"})
    assert r.status_code == 200
    lines = r.text.splitlines()
    assert lines[0] == "GET /headers?q=1"
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(": ")
        headers[k.lower()] = v
    assert headers["x-thing"] == "abc"
    assert headers["x-call-id"] == r.headers["X-Call-Id"]
    # The gateway's X-Forwarded-For, then the replica's watchdog appends its own.
    assert headers["x-forwarded-for"].split(",")[0] == "127.0.0.1"
    assert headers["x-forwarded-host"] == f"127.0.0.1:{gw.port}"


def test_unknown_function_is_404_from_the_gateway(gateway):
    gw = gateway()
    r = requests.post(gw.url + "/function/nope", data=b"x", timeout=10)
    assert r.status_code == 404
    assert r.headers["X-OpenFaaS-Internal"] == "gateway"
    assert "nope" in r.text
    r = requests.get(gw.url + "/function/nope/sub/path", timeout=10)
    assert r.status_code == 404


def deploy_never_ready(gw, name):
    # An unknown watchdog mode: every replica exits at start, none is ready.
    gw.deploy(name, envVars={"mode": "bogus"}, labels={"com.openfaas.scale.min": "0"})


def test_503_when_no_replica_becomes_ready(gateway):
    gw = gateway({"scale_from_zero_timeout": "2s"})
    deploy_never_ready(gw, "broken")
    t0 = time.monotonic()
    r = gw.call("broken", method="GET", timeout=8 * SLOW)
    took = time.monotonic() - t0
    assert r.status_code == 503, r.text
    assert r.headers["X-OpenFaaS-Internal"] == "gateway"
    assert 1.8 < took < 6 * SLOW, took


def test_503_when_no_replica_becomes_ready_for_a_call_with_a_body(gateway):
    gw = gateway({"scale_from_zero_timeout": "2s"})
    deploy_never_ready(gw, "broken")
    t0 = time.monotonic()
    try:
        r = gw.call("broken", data=b"some body", timeout=5 * SLOW)
    except requests.ReadTimeout:
        raise AssertionError("no answer 5 s after the call, with scale_from_zero_timeout=2s"
                             ) from None
    took = time.monotonic() - t0
    assert r.status_code == 503, r.text
    assert r.headers["X-OpenFaaS-Internal"] == "gateway"
    assert 1.8 < took < 6 * SLOW, took


def test_504_after_upstream_timeout(gateway):
    gw = gateway({"upstream_timeout": "1s"})
    gw.deploy("slow", env_process="sleep 3")
    gw.wait_available("slow", 1)
    t0 = time.monotonic()
    r = gw.call("slow", data=b"", timeout=20 * SLOW)
    took = time.monotonic() - t0
    assert r.status_code == 504, r.text
    assert r.headers["X-OpenFaaS-Internal"] == "gateway"
    assert 0.9 < took < 2.5 * SLOW, took


def test_scale_from_zero_answers_the_call(gateway):
    gw = gateway()
    gw.deploy("zero", env_process="cat")
    gw.wait_available("zero", 1)
    gw.scale("zero", 0)
    wait_for(lambda: gw.children() == [], 10, what="replicas to stop")
    body = os.urandom(3 * 1024 * 1024)
    r = gw.call("zero", data=body)
    assert r.status_code == 200, r.text
    assert r.content == body
    st = gw.status("zero")
    assert st["replicas"] == 1
    assert st["availableReplicas"] == 1
    assert len(gw.children()) == 1


def test_scale_min_zero_deploys_no_replica_until_called(gateway):
    gw = gateway()
    gw.deploy("lazy", env_process="echo up", labels={"com.openfaas.scale.min": "0"})
    st = gw.status("lazy")
    assert st["replicas"] == 0 and st["availableReplicas"] == 0
    assert gw.children() == []
    # Several calls at once all wait for the one replica.
    results = [None] * 5

    def call(i):
        results[i] = gw.call("lazy", data=b"")

    threads = [threading.Thread(target=call, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30 * SLOW)
    assert [r.status_code for r in results] == [200] * 5
    assert all(r.text == "up\n" for r in results)
    assert len(gw.children()) == 1


SLEEPER = "sh -c 'sleep \"${Http_X_Sleep:-0}\"; echo done'"


def test_calls_go_to_the_replica_with_fewest_in_flight(gateway):
    gw = gateway()
    gw.deploy("lb", env_process=SLEEPER)
    gw.scale("lb", 2)
    gw.wait_available("lb", 2)
    slow = {}

    def slow_call():
        slow["r"] = gw.call("lb", data=b"", headers={"X-Sleep": "1.5"})

    t = threading.Thread(target=slow_call)
    t.start()
    wait_for(lambda: metric(gw.metrics(), "gateway_function_invocation_inflight",
                            function_name="lb.openfaas-fn") == 1, 5, what="the slow call in flight")
    quick = [gw.call("lb", data=b"") for _ in range(5)]
    t.join(20 * SLOW)
    assert slow["r"].status_code == 200
    assert all(r.status_code == 200 for r in quick)
    served = {r.headers["X-Served-By"] for r in quick}
    assert len(served) == 1
    assert slow["r"].headers["X-Served-By"] not in served


def test_calls_spread_over_replicas(gateway):
    gw = gateway()
    gw.deploy("spread", env_process=SLEEPER)
    gw.scale("spread", 3)
    gw.wait_available("spread", 3)
    results = []

    def call():
        results.append(gw.call("spread", data=b"", headers={"X-Sleep": "0.5"}))

    threads = [threading.Thread(target=call) for _ in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20 * SLOW)
    assert [r.status_code for r in results] == [200] * 9
    assert len({r.headers["X-Served-By"] for r in results}) == 3


def test_one_callers_calls_take_turns_over_replicas(gateway):
    gw = gateway()
    gw.deploy("turns", env_process="cat")
    gw.scale("turns", 3)
    gw.wait_available("turns", 3)
    served = [gw.call("turns", data=b"x").headers["X-Served-By"] for _ in range(6)]
    assert len(set(served[:3])) == 3, served
    assert served[3:] == served[:3], served


def test_invocation_metrics(gateway):
    gw = gateway()
    gw.deploy("counted", env_process="cat")
    gw.wait_available("counted", 1)
    for _ in range(3):
        assert gw.call("counted", data=b"x").status_code == 200
    gw.call("missing", data=b"x")
    text = gw.metrics()
    assert metric(text, "gateway_function_invocation_total",
                  function_name="counted.openfaas-fn", code="200") == 3
    assert metric(text, "gateway_function_invocation_started", function_name="counted.openfaas-fn") == 3
    assert metric(text, "gateway_function_invocation_inflight", function_name="counted.openfaas-fn") == 0
    assert metric(text, "gateway_functions_seconds_count",
                  function_name="counted.openfaas-fn", code="200") == 3
    assert metric(text, "gateway_functions_seconds_sum",
                  function_name="counted.openfaas-fn", code="200") > 0
    assert "# TYPE gateway_functions_seconds histogram" in text
    assert metric(text, "gateway_service_count") == 1
    assert gw.status("counted")["invocationCount"] == 3


def test_metrics_keep_namespaces_apart(gateway):
    """Two functions of the same name in two namespaces are two functions:
    their counts must not be added together (OpenFaaS labels them
    name.namespace)."""
    gw = gateway()
    gw.deploy("same", env_process="cat")
    gw.deploy("same.other", env_process="cat")
    gw.wait_available("same", 1)
    gw.wait_available("same", 1, "other")
    for _ in range(2):
        assert gw.call("same", data=b"x").status_code == 200
    assert gw.call("same.other", data=b"x").status_code == 200
    counts = sorted(
        float(line.rpartition(" ")[2]) for line in gw.metrics().splitlines()
        if line.startswith("gateway_function_invocation_total{")
        and 'function_name="same' in line and 'code="200"' in line)
    assert counts == [1.0, 2.0], counts


def test_a_call_whose_replica_dies_is_answered_502_and_not_run_again(gateway):
    gw = gateway()
    gw.deploy("doomed", env_process="sh -c 'echo ran-once >&2; sleep 2'",
              envVars={"combine_output": "false"})
    gw.wait_available("doomed", 1)
    [pid] = gw.children()
    out = {}

    def call():
        out["r"] = gw.call("doomed", data=b"", timeout=15 * SLOW)
        out["done"] = time.monotonic()

    def runs():
        r = gw.api("GET", "/system/logs", params={"name": "doomed"})
        return r.text.count("function: stderr: ran-once")

    t = threading.Thread(target=call)
    t.start()
    wait_for(lambda: runs() == 1, 5, what="the function to run")
    killed = time.monotonic()
    os.kill(pid, 9)
    t.join(20 * SLOW)
    r = out["r"]
    gw.wait_available("doomed", 1)
    result = (r.status_code, r.headers.get("X-OpenFaaS-Internal"), runs())
    assert result == (502, "gateway", 1), \
        f"(status, X-OpenFaaS-Internal, times the function ran) = {result}"
    assert out["done"] - killed < 1 * SLOW, f"answered {out['done'] - killed:.2f}s after the kill"


def removed_while_waiting(gw, **call_kw):
    """A call waits for a replica that never comes; the function is
    removed meanwhile. Returns the call's response (or exception)."""
    deploy_never_ready(gw, "going")
    out = {}

    def call():
        try:
            out["r"] = gw.call("going", timeout=5 * SLOW, **call_kw)
        except requests.RequestException as e:
            out["r"] = e

    t = threading.Thread(target=call)
    t.start()
    wait_for(lambda: "scaling from zero" in gw.text(), 5, what="the call to wait")
    assert gw.api("DELETE", "/system/functions",
                  json={"functionName": "going"}).status_code == 202
    t.join(20 * SLOW)
    return out["r"]


def test_removing_a_function_answers_its_waiting_calls_404(gateway):
    gw = gateway({"scale_from_zero_timeout": "20s"})
    r = removed_while_waiting(gw, method="GET")
    assert isinstance(r, requests.Response), repr(r)
    assert r.status_code == 404
    assert r.headers["X-OpenFaaS-Internal"] == "gateway"


def test_removing_a_function_answers_its_waiting_calls_with_a_body_404(gateway):
    gw = gateway({"scale_from_zero_timeout": "20s"})
    r = removed_while_waiting(gw, data=b"a body")
    assert isinstance(r, requests.Response), f"no answer 5 s after the removal: {r!r}"
    assert r.status_code == 404
    assert r.headers["X-OpenFaaS-Internal"] == "gateway"
