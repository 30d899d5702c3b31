"""Serializing mode (of-watchdog): a process per request like classic, with
of-watchdog's rules: stderr always goes to the log, and only the
content_type setting sets the response's Content-Type."""
import hashlib
import os
import time

import requests

from conftest import SLOW, pid_alive, wait_for


def test_body_round_trips_byte_exact_with_duration_header(watchdog):
    wd = watchdog({"mode": "serializing", "fprocess": "cat"})
    body = os.urandom(2 * 1024 * 1024)
    r = requests.post(wd.url + "/", data=body, timeout=30)
    assert r.status_code == 200
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(body).digest()
    assert float(r.headers["X-Duration-Seconds"]) > 0
    assert r.headers["Content-Length"] == str(len(body))


def test_stderr_goes_to_the_log_even_with_combine_output(watchdog):
    wd = watchdog({"mode": "serializing", "combine_output": "true",
                   "fprocess": "sh -c 'echo to-stdout; echo to-stderr >&2'"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.status_code == 200
    assert r.text == "to-stdout\n"
    wd.wait_log("function: stderr: to-stderr")


def test_nonzero_exit_answers_500(watchdog):
    wd = watchdog({"mode": "serializing", "fprocess": "sh -c 'echo partial; exit 7'"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.status_code == 500
    wd.wait_log("exit_code=7")


def test_exec_timeout_answers_408(watchdog):
    wd = watchdog({"mode": "serializing", "fprocess": "sh -c 'echo $$ > $TMPDIR/pid; sleep 20'",
                   "exec_timeout": "500ms"})
    t0 = time.monotonic()
    r = requests.post(wd.url + "/", data=b"", timeout=15)
    assert r.status_code == 408
    assert r.headers.get("X-OpenFaaS-Internal") == "watchdog"
    assert time.monotonic() - t0 < 4 * SLOW
    pid = int((wd.tmpdir / "pid").read_text())
    wait_for(lambda: not pid_alive(pid), 4, what="timed-out function to be gone")


def test_body_above_max_body_size_gets_413(watchdog):
    wd = watchdog({"mode": "serializing", "fprocess": "cat", "max_body_size": "2K"})
    assert requests.post(wd.url + "/", data=b"a" * 2048, timeout=10).status_code == 200
    assert requests.post(wd.url + "/", data=b"a" * 2049, timeout=10).status_code == 413


def test_request_details_reach_the_process_env(watchdog):
    wd = watchdog({"mode": "serializing", "fprocess": "env"})
    r = requests.put(wd.url + "/p/q?x=y", data=b"1234567",
                     headers={"X-Custom-Thing": "abc"}, timeout=10)
    assert r.status_code == 200
    lines = set(r.text.splitlines())
    for want in ("Http_X_Custom_Thing=abc", "Http_Method=PUT", "Http_Path=/p/q",
                 "Http_Query=x=y", "Http_Content_Length=7", "Http_ContentLength=7"):
        assert want in lines, want


def test_content_type_setting_is_used_and_the_request_type_is_not_echoed(watchdog):
    wd = watchdog({"mode": "serializing", "fprocess": "cat"})
    r = requests.post(wd.url + "/", data=b"{}",
                      headers={"Content-Type": "application/x-request-type"}, timeout=10)
    assert r.status_code == 200
    assert r.headers.get("Content-Type") != "application/x-request-type"

    wd2 = watchdog({"mode": "serializing", "fprocess": "cat",
                    "content_type": "application/json"})
    r = requests.post(wd2.url + "/", data=b"{}",
                      headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.headers["Content-Type"] == "application/json"
    assert r.text == "{}"
