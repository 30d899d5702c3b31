"""HTTP mode (of-watchdog): fprocess is started once and requests are
reverse-proxied to it on upstream_url. The upstream is testfn-http."""
import hashlib
import signal
import os
import socket
import threading
import time

import requests

from conftest import FIXTURES, ROOT, SLOW, free_port, healthy, metric, pid_alive, wait_for

TESTFN = os.path.join(FIXTURES, "testfn-http")


def http_env(port=None, **extra):
    port = port or free_port()
    env = {"mode": "http", "fprocess": f"{TESTFN} {port}",
           "upstream_url": f"http://127.0.0.1:{port}"}
    env.update(extra)
    return env


def header_lines(text):
    """testfn-http's /headers answer: request line, then `Name: value` lines."""
    lines = text.splitlines()
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(": ")
        headers[k.lower()] = v
    return lines[0], headers


def test_method_path_query_and_headers_reach_the_upstream(watchdog):
    wd = watchdog(http_env())
    r = requests.get(wd.url + "/headers?a=1&b=x%20y", headers={"X-Custom-Thing": "yes"},
                     timeout=10)
    assert r.status_code == 200
    first, headers = header_lines(r.text)
    assert first == "GET /headers?a=1&b=x%20y"
    assert headers["x-custom-thing"] == "yes"


def test_forwarded_headers_are_added(watchdog):
    wd = watchdog(http_env())
    r = requests.get(wd.url + "/headers", timeout=10)
    _, headers = header_lines(r.text)
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-host"] == f"127.0.0.1:{wd.port}"


def test_64mib_body_round_trips_byte_exact(watchdog):
    wd = watchdog(http_env())
    body = os.urandom(64 * 1024 * 1024)
    r = requests.post(wd.url + "/echo", data=body,
                      headers={"Content-Type": "application/octet-stream"}, timeout=60)
    assert r.status_code == 200
    assert len(r.content) == len(body)
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(body).digest()
    assert r.headers["Content-Type"] == "application/octet-stream"


def test_buffered_request_body_still_echoes(watchdog):
    wd = watchdog(http_env(http_buffer_req_body="true"))
    body = os.urandom(3 * 1024 * 1024)
    r = requests.post(wd.url + "/echo", data=body, timeout=30)
    assert r.status_code == 200
    assert r.content == body


def test_chunked_request_body_is_proxied(watchdog):
    wd = watchdog(http_env())
    parts = [os.urandom(100000) for _ in range(5)]
    r = requests.post(wd.url + "/echo", data=iter(parts), timeout=30)
    assert r.status_code == 200
    assert r.content == b"".join(parts)


def test_upstream_status_codes_pass_through(watchdog):
    wd = watchdog(http_env())
    for code in (201, 404, 418, 500, 503):
        r = requests.get(wd.url + f"/status?code={code}", timeout=10)
        assert r.status_code == code
        assert r.text == f"status {code}\n"
        # The function's own answer, not the watchdog's.
        assert "X-OpenFaaS-Internal" not in r.headers


def test_redirects_are_passed_through_unfollowed(watchdog):
    wd = watchdog(http_env())
    r = requests.get(wd.url + "/redirect", allow_redirects=False, timeout=10)
    assert r.status_code == 302
    assert r.headers["Location"] == "/echo"


def test_x_timeout_answers_504_from_the_watchdog(watchdog):
    wd = watchdog(http_env())
    t0 = time.monotonic()
    r = requests.get(wd.url + "/delay?ms=5000", headers={"X-Timeout": "500ms"}, timeout=10)
    assert r.status_code == 504
    assert r.headers.get("X-OpenFaaS-Internal") == "watchdog"
    assert time.monotonic() - t0 < 3 * SLOW
    # A call within its X-Timeout succeeds.
    r = requests.get(wd.url + "/delay?ms=100", headers={"X-Timeout": "5s"}, timeout=10)
    assert r.status_code == 200
    assert r.text == "done\n"


def test_x_timeout_is_capped_by_exec_timeout(watchdog):
    wd = watchdog(http_env(exec_timeout="1s"))
    t0 = time.monotonic()
    r = requests.get(wd.url + "/delay?ms=8000", headers={"X-Timeout": "30s"}, timeout=15)
    took = time.monotonic() - t0
    assert r.status_code == 504
    assert r.headers.get("X-OpenFaaS-Internal") == "watchdog"
    assert 0.9 < took < 4 * SLOW, took


def test_exec_timeout_applies_without_x_timeout(watchdog):
    wd = watchdog(http_env(exec_timeout="500ms"))
    r = requests.get(wd.url + "/delay?ms=5000", timeout=10)
    assert r.status_code == 504


def test_slow_calls_are_served_concurrently(watchdog):
    wd = watchdog(http_env())
    results = [None] * 10

    def call(i):
        results[i] = requests.get(wd.url + "/delay?ms=700", timeout=15)

    t0 = time.monotonic()
    threads = [threading.Thread(target=call, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert time.monotonic() - t0 < 3 * SLOW
    assert all(r is not None and r.status_code == 200 for r in results)


def test_upstream_crash_is_unhealthy_until_restarted(watchdog):
    port = free_port()
    # The restarted upstream takes a moment before it listens again.
    wd = watchdog(http_env(port, fprocess=f"sh -c 'sleep 0.5; exec {TESTFN} {port}'"))
    assert requests.get(wd.url + "/", timeout=10).text == "hello from testfn-http\n"
    try:
        requests.get(wd.url + "/crash", timeout=10)
    except requests.RequestException:
        pass  # the upstream died mid-call: any failure is fine here
    wait_for(lambda: requests.get(wd.url + "/_/health", timeout=2).status_code == 503, 3,
             interval=0.01, what="health to report 503 after the crash")
    r = requests.get(wd.url + "/", timeout=10)
    assert r.status_code == 503
    assert r.headers.get("X-OpenFaaS-Internal") == "watchdog"
    wait_for(lambda: healthy(wd), 10, what="health back after the restart")
    r = requests.post(wd.url + "/echo", data=b"after restart", timeout=10)
    assert r.status_code == 200
    assert r.text == "after restart"
    wd.wait_log("restarting")


def test_not_healthy_before_the_upstream_listens(watchdog):
    port = free_port()
    wd = watchdog(http_env(port, fprocess=f"sh -c 'sleep 1; exec {TESTFN} {port}'"),
                  wait=False)
    wait_for(lambda: _status(wd.url + "/_/health") == 503, 3, what="health answering 503")
    assert _status(wd.url + "/_/ready") == 503
    wait_for(lambda: healthy(wd), 10, what="health once the upstream listens")
    assert requests.get(wd.url + "/", timeout=5).status_code == 200


def _status(url):
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return None


def test_upstream_is_stopped_with_the_watchdog(watchdog):
    port = free_port()
    wd = watchdog(http_env(port, fprocess=f"sh -c 'echo $$ > $TMPDIR/pid; exec {TESTFN} {port}'"))
    pid = int((wd.tmpdir / "pid").read_text())
    assert pid_alive(pid)
    assert wd.stop() == 0
    wait_for(lambda: not pid_alive(pid), 5, what="upstream to be stopped")
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_upstream_output_is_logged(watchdog):
    wd = watchdog(http_env())
    # testfn-http prints its listening line on stdout at start-up.
    wd.wait_log("testfn-http listening on 127.0.0.1:")


def test_max_inflight_rejects_extra_calls_with_429(watchdog):
    wd = watchdog(http_env(max_inflight="2"))
    results = []

    def call():
        results.append(requests.get(wd.url + "/delay?ms=800", timeout=10).status_code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    wait_for(lambda: status_of_ready(wd) == 429, 3, what="both slots taken")
    r = requests.get(wd.url + "/", timeout=5)
    assert r.status_code == 429
    assert "X-OpenFaaS-Internal" in r.headers
    for t in threads:
        t.join(10)
    assert results == [200, 200]
    assert requests.get(wd.url + "/", timeout=5).status_code == 200


def status_of_ready(wd):
    return _status(wd.url + "/_/ready")


def test_sigterm_lets_a_proxied_call_finish(watchdog):
    wd = watchdog(http_env(healthcheck_interval="100ms"))
    result = {}

    def call():
        result["r"] = requests.get(wd.url + "/delay?ms=1000", timeout=10)

    t = threading.Thread(target=call)
    t.start()
    wait_for(lambda: metric(requests.get(wd.url + "/metrics", timeout=2).text,
                            "http_requests_in_flight") == 1, 3, what="call in flight")
    wd.send(signal.SIGTERM)
    t.join(10)
    assert result["r"].status_code == 200
    assert result["r"].text == "done\n"
    wd.proc.wait(10 * SLOW)
    assert wd.proc.returncode == 0


def test_existing_x_forwarded_for_is_extended(watchdog):
    wd = watchdog(http_env())
    r = requests.get(wd.url + "/headers", headers={"X-Forwarded-For": "10.0.0.1"}, timeout=10)
    _, headers = header_lines(r.text)
    assert headers["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"


def test_upstream_url_with_trailing_slash(watchdog):
    port = free_port()
    wd = watchdog(http_env(port, upstream_url=f"http://127.0.0.1:{port}/"))
    r = requests.delete(wd.url + "/headers?k=v", timeout=10)
    assert r.status_code == 200
    assert r.text.splitlines()[0] == "DELETE /headers?k=v"


def test_an_upstream_that_answers_while_it_reads_gets_the_whole_body_back(watchdog):
    """The upstream starts its answer before the request body has ended;
    the answer cannot reach the client before then, so the watchdog keeps
    it (spooled) instead of stalling the upstream mid-body."""
    port = free_port()
    script = os.path.join(ROOT, "tests", "fixtures", "stream_echo.py")
    wd = watchdog({"mode": "http", "fprocess": f"/usr/bin/python3 {script} {port}",
                   "upstream_url": f"http://127.0.0.1:{port}", "exec_timeout": "60s"})
    body = os.urandom(20 * 1024 * 1024)
    r = requests.post(wd.url + "/", data=body, timeout=60 * SLOW)
    assert r.status_code == 200
    assert hashlib.sha256(r.content).hexdigest() == hashlib.sha256(body).hexdigest()
