"""Health, readiness, the lock file, metrics, SIGTERM drain and
-run-healthcheck."""
import os
import signal
import socket
import subprocess
import threading
import time

import requests

from conftest import BIN, SLOW, free_port, metric, wait_for

WATCHDOG = os.path.join(BIN, "faasbus-watchdog")


def status_of(url):
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return None


def run_healthcheck(tmpdir):
    env = dict(os.environ, TMPDIR=str(tmpdir))
    return subprocess.run([WATCHDOG, "-run-healthcheck"], env=env, capture_output=True,
                          timeout=10 * SLOW).returncode


def test_health_is_ok_and_lock_file_written(watchdog):
    wd = watchdog({"fprocess": "cat"})
    r = requests.get(wd.url + "/_/health", timeout=5)
    assert r.status_code == 200
    assert r.text == "OK"
    assert (wd.tmpdir / ".lock").exists()
    wd.wait_log(f"Writing lock-file to: {wd.tmpdir}/.lock")


def test_ready_is_ok(watchdog):
    wd = watchdog({"fprocess": "cat"})
    r = requests.get(wd.url + "/_/ready", timeout=5)
    assert r.status_code == 200


def test_health_fails_when_the_lock_file_goes(watchdog):
    wd = watchdog({"fprocess": "cat"})
    (wd.tmpdir / ".lock").unlink()
    assert status_of(wd.url + "/_/health") == 503
    # Functions are still served.
    assert requests.post(wd.url + "/", data=b"still", timeout=5).text == "still"


def test_suppress_lock_writes_no_lock_file_and_stays_healthy(watchdog):
    wd = watchdog({"fprocess": "cat", "suppress_lock": "true"})
    assert status_of(wd.url + "/_/health") == 200
    assert not (wd.tmpdir / ".lock").exists()


def test_ready_reports_429_at_max_inflight(watchdog):
    wd = watchdog({"fprocess": "sh -c 'touch $TMPDIR/started; sleep 0.5'",
                   "max_inflight": "1"})
    t = threading.Thread(target=lambda: requests.post(wd.url + "/", data=b"", timeout=10))
    t.start()
    wait_for(lambda: (wd.tmpdir / "started").exists(), 5, what="call running")
    assert status_of(wd.url + "/_/ready") == 429
    assert status_of(wd.url + "/_/health") == 200
    t.join(10)
    wait_for(lambda: status_of(wd.url + "/_/ready") == 200, 3, what="ready again")


def test_run_healthcheck_follows_the_lock_file(watchdog, tmp_path):
    wd = watchdog({"fprocess": "cat"})
    assert run_healthcheck(wd.tmpdir) == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_healthcheck(empty) == 1
    assert wd.stop() == 0
    assert run_healthcheck(wd.tmpdir) == 1


def test_run_healthcheck_fails_with_suppress_lock(watchdog):
    wd = watchdog({"fprocess": "cat", "suppress_lock": "true"})
    assert run_healthcheck(wd.tmpdir) == 1


def test_metrics_count_requests_by_code_and_method(watchdog):
    wd = watchdog({"fprocess": "sh -c 'cat; test \"$Http_Path\" != /fail'"})
    for _ in range(3):
        assert requests.post(wd.url + "/", data=b"x", timeout=5).status_code == 200
    assert requests.get(wd.url + "/fail", timeout=5).status_code == 500
    text = requests.get(wd.url + "/metrics", timeout=5).text
    assert metric(text, "http_requests_total", code=200, method="POST") == 3
    assert metric(text, "http_requests_total", code=500, method="GET") == 1
    assert metric(text, "http_request_duration_seconds_count", code=200, method="POST") == 3
    assert metric(text, "http_request_duration_seconds_bucket",
                  code=200, method="POST", le="+Inf") == 3
    assert metric(text, "http_request_duration_seconds_sum", code=200, method="POST") > 0
    assert metric(text, "http_requests_in_flight") == 0
    assert "# TYPE http_request_duration_seconds histogram" in text


def test_metrics_show_requests_in_flight(watchdog):
    wd = watchdog({"fprocess": "sh -c 'touch $TMPDIR/started-$$; sleep 0.8'"})
    threads = [threading.Thread(target=lambda: requests.post(wd.url + "/", data=b"",
                                                             timeout=10)) for _ in range(2)]
    for t in threads:
        t.start()
    wait_for(lambda: len(list(wd.tmpdir.glob("started-*"))) == 2, 5, what="two calls running")
    text = requests.get(wd.url + "/metrics", timeout=5).text
    assert metric(text, "http_requests_in_flight") == 2
    for t in threads:
        t.join(10)
    text = requests.get(wd.url + "/metrics", timeout=5).text
    assert metric(text, "http_requests_in_flight") == 0


def test_metrics_on_their_own_port(watchdog):
    mport = free_port()
    wd = watchdog({"fprocess": "echo from-the-function", "metrics_port": str(mport)})
    assert requests.post(wd.url + "/", data=b"", timeout=5).status_code == 200
    text = requests.get(f"http://127.0.0.1:{mport}/metrics", timeout=5).text
    assert metric(text, "http_requests_total", code=200, method="POST") == 1
    # On the main port /metrics is just another path of the function.
    r = requests.get(wd.url + "/metrics", timeout=5)
    assert r.text == "from-the-function\n"


def test_sigterm_drains_gracefully(watchdog):
    wd = watchdog({"fprocess": "sh -c 'touch $TMPDIR/started; sleep 1.2; echo finished'",
                   "healthcheck_interval": "500ms"})
    result = {}

    def call():
        result["r"] = requests.post(wd.url + "/", data=b"", timeout=15)

    t = threading.Thread(target=call)
    t.start()
    wait_for(lambda: (wd.tmpdir / "started").exists(), 5, what="call running")
    wd.send(signal.SIGTERM)
    # Out of rotation at once: lock file gone, health failing ...
    wait_for(lambda: not (wd.tmpdir / ".lock").exists(), 0.3, interval=0.005,
             what="lock file removed")
    assert status_of(wd.url + "/_/health") == 503
    # ... then, after healthcheck_interval, no new connections.
    def refused():
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", wd.port)) != 0
    wait_for(refused, 3, what="listener closed")
    # The call in flight still completes, then the watchdog exits cleanly.
    t.join(15)
    assert result["r"].status_code == 200
    assert result["r"].text == "finished\n"
    wd.proc.wait(10 * SLOW)
    assert wd.proc.returncode == 0


def test_sigterm_keeps_serving_during_healthcheck_interval(watchdog):
    wd = watchdog({"fprocess": "echo served", "healthcheck_interval": "1s"})
    t0 = time.monotonic()
    wd.send(signal.SIGTERM)
    wait_for(lambda: status_of(wd.url + "/_/health") == 503, 0.5, what="health 503")
    # Load balancers still send a few calls while they notice: serve them.
    r = requests.post(wd.url + "/", data=b"", timeout=5)
    assert r.status_code == 200
    assert r.text == "served\n"
    assert time.monotonic() - t0 < 0.9
    wd.proc.wait(10 * SLOW)
    assert wd.proc.returncode == 0
    assert time.monotonic() - t0 >= 0.9


def test_sigterm_when_idle_exits_zero(watchdog):
    wd = watchdog({"fprocess": "cat"})
    assert wd.stop() == 0
    assert not (wd.tmpdir / ".lock").exists()
    wd.wait_log("exiting")
