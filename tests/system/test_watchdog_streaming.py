"""Streaming mode: the body is streamed to the process's stdin and its
stdout streamed back, chunked, as it is produced."""
import hashlib
import os
import time

import pytest
import requests

from conftest import SLOW, pid_alive, wait_for


def test_output_arrives_while_the_process_still_runs(watchdog):
    wd = watchdog({"mode": "streaming", "fprocess": "sh -c 'echo one; sleep 1.5; echo two'"})
    t0 = time.monotonic()
    with requests.post(wd.url + "/", data=b"", stream=True, timeout=15) as r:
        assert r.status_code == 200
        assert r.headers.get("Transfer-Encoding") == "chunked"
        lines = r.iter_lines()
        assert next(lines) == b"one"
        first_at = time.monotonic() - t0
        assert next(lines) == b"two"
        second_at = time.monotonic() - t0
    assert first_at < 1.0 * SLOW, first_at
    assert second_at >= 1.4, second_at


def test_64mib_body_passes_byte_exact(watchdog):
    wd = watchdog({"mode": "streaming", "fprocess": "cat"})
    body = os.urandom(64 * 1024 * 1024)
    r = requests.post(wd.url + "/", data=body, timeout=60)
    assert r.status_code == 200
    assert len(r.content) == len(body)
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(body).digest()


def test_body_is_not_limited_by_max_body_size(watchdog):
    wd = watchdog({"mode": "streaming", "fprocess": "cat", "max_body_size": "1K"})
    body = os.urandom(300000)
    r = requests.post(wd.url + "/", data=body, timeout=15)
    assert r.status_code == 200
    assert r.content == body


def test_function_that_answers_only_after_reading_all_input(watchdog):
    # sha256sum writes nothing until its input ends, so the body must keep
    # flowing into a pipe that fills up with no output to wake anything.
    # (Short timeouts only bound the drain at teardown if it hangs.)
    wd = watchdog({"mode": "streaming", "fprocess": "sha256sum",
                   "exec_timeout": "2s", "write_timeout": "1s"})
    body = os.urandom(1024 * 1024)
    try:
        r = requests.post(wd.url + "/", data=body, timeout=3 * SLOW)
    except requests.RequestException as e:
        raise AssertionError(f"1 MiB streamed into sha256sum got no answer: {e}") from e
    assert r.status_code == 200
    assert r.text.split()[0] == hashlib.sha256(body).hexdigest()


def test_no_duration_header(watchdog):
    wd = watchdog({"mode": "streaming", "fprocess": "cat"})
    r = requests.post(wd.url + "/", data=b"abc", timeout=10)
    assert r.status_code == 200
    assert r.text == "abc"
    assert "X-Duration-Seconds" not in r.headers


def test_content_type_setting_is_sent(watchdog):
    wd = watchdog({"mode": "streaming", "fprocess": "cat", "content_type": "text/event-stream"})
    r = requests.post(wd.url + "/", data=b"data: x\n\n", timeout=10)
    assert r.headers["Content-Type"] == "text/event-stream"
    assert r.text == "data: x\n\n"


def test_request_details_reach_the_process_env(watchdog):
    wd = watchdog({"mode": "streaming", "fprocess": "env"})
    r = requests.post(wd.url + "/s/t?k=v", data=b"abc",
                      headers={"X-Custom-Thing": "streamed"}, timeout=10)
    lines = set(r.text.splitlines())
    for want in ("Http_X_Custom_Thing=streamed", "Http_Method=POST",
                 "Http_Path=/s/t", "Http_Query=k=v"):
        assert want in lines, want


def test_stderr_goes_to_the_log(watchdog):
    wd = watchdog({"mode": "streaming", "fprocess": "sh -c 'echo out; echo streamed-err >&2'"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.text == "out\n"
    wd.wait_log("function: stderr: streamed-err")


def test_exec_timeout_cuts_the_stream_and_kills_the_process(watchdog):
    wd = watchdog({"mode": "streaming", "exec_timeout": "1s",
                   "fprocess": "sh -c 'echo $$ > $TMPDIR/pid; echo started; sleep 20'"})
    t0 = time.monotonic()
    got = b""
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        with requests.post(wd.url + "/", data=b"", stream=True, timeout=15) as r:
            assert r.status_code == 200
            for chunk in r.iter_content(None):
                got += chunk
    # The client sees a cut-off stream, not a clean end.
    assert got == b"started\n"
    assert time.monotonic() - t0 < 4 * SLOW
    pid = int((wd.tmpdir / "pid").read_text())
    wait_for(lambda: not pid_alive(pid), 4, what="timed-out function to be gone")


def test_slow_reader_gets_all_of_a_large_output(watchdog):
    wd = watchdog({"mode": "streaming", "fprocess": "head -c 8000000 /dev/zero"})
    total = 0
    with requests.post(wd.url + "/", data=b"", stream=True, timeout=30) as r:
        for i, chunk in enumerate(r.iter_content(65536)):
            total += len(chunk)
            if i < 5:
                time.sleep(0.05)
    assert total == 8000000


def test_calls_reuse_a_keep_alive_connection(watchdog):
    wd = watchdog({"mode": "streaming", "fprocess": "cat"})
    with requests.Session() as s:
        for i in range(5):
            r = s.post(wd.url + "/", data=f"call-{i}".encode(), timeout=10)
            assert r.status_code == 200
            assert r.text == f"call-{i}"


def test_write_timeout_drops_a_client_that_stops_reading(watchdog):
    """A client that reads the headers and then nothing more is dropped
    after write_timeout instead of holding the function forever."""
    import socket
    total = 64 * 1024 * 1024
    wd = watchdog({"mode": "streaming", "fprocess": f"head -c {total} /dev/zero",
                   "write_timeout": "1s", "read_timeout": "30s"})
    with socket.create_connection(("127.0.0.1", wd.port)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(10 * SLOW)
        assert s.recv(64).startswith(b"HTTP/1.1 200")
        time.sleep(3)  # stop reading for longer than write_timeout
        received = 0
        t0 = time.monotonic()
        try:
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                received += len(chunk)
        except ConnectionResetError:
            pass
        took = time.monotonic() - t0
    assert received < total, "the whole stream arrived: the idle client was never dropped"
    assert took < 5 * SLOW
