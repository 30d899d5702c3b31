"""Classic mode: a process per request, body on stdin, stdout back."""
import hashlib
import os

import requests


def test_echo_of_10mib_binary_body_is_byte_exact(watchdog):
    wd = watchdog({"fprocess": "cat"})
    body = os.urandom(10 * 1024 * 1024)
    r = requests.post(wd.url + "/", data=body, timeout=30)
    assert r.status_code == 200
    assert hashlib.sha256(r.content).hexdigest() == hashlib.sha256(body).hexdigest()
    assert float(r.headers["X-Duration-Seconds"]) > 0


def test_nonzero_exit_answers_500_with_the_output(watchdog):
    wd = watchdog({"fprocess": "sh -c 'echo broken; exit 3'"})
    r = requests.post(wd.url + "/", data=b"x", timeout=10)
    assert r.status_code == 500
    assert "broken" in r.text


# --- added: process environment, output, limits, timeouts ---------------

import base64
import json
import threading
import time

from conftest import SLOW, env_of, pid_alive, wait_for


def test_request_headers_method_path_and_query_reach_the_process_env(watchdog):
    wd = watchdog({"fprocess": "env"})
    r = requests.post(wd.url + "/some/path?a=1&b=two", data=b"hello",
                      headers={"X-Custom-Thing": "yes", "Content-Type": "text/plain"},
                      timeout=10)
    assert r.status_code == 200
    env = env_of(r.text)
    assert env["Http_X_Custom_Thing"] == "yes"
    assert env["Http_Content_Type"] == "text/plain"
    assert env["Http_Host"] == f"127.0.0.1:{wd.port}"
    assert env["Http_Method"] == "POST"
    assert env["Http_Path"] == "/some/path"
    assert env["Http_Query"] == "a=1&b=two"
    assert env["Http_Content_Length"] == "5"
    assert env["Http_ContentLength"] == "5"


def test_no_http_query_without_a_query_string(watchdog):
    wd = watchdog({"fprocess": "env"})
    r = requests.get(wd.url + "/plain", timeout=10)
    assert r.status_code == 200
    env = env_of(r.text)
    assert env["Http_Method"] == "GET"
    assert env["Http_Path"] == "/plain"
    assert "Http_Query" not in env


def test_process_inherits_the_watchdog_environment(watchdog):
    wd = watchdog({"fprocess": "env", "MY_SETTING": "from-the-watchdog"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert env_of(r.text)["MY_SETTING"] == "from-the-watchdog"


def test_fprocess_is_split_like_shell_words_without_a_shell(watchdog):
    wd = watchdog({"fprocess": "printf '%s|%s|%s' 'a b' \"c  d\" $HOME"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.status_code == 200
    # Quotes group words; no shell runs, so $HOME stays as written.
    assert r.text == "a b|c  d|$HOME"


def test_stderr_is_in_the_response_by_default(watchdog):
    wd = watchdog({"fprocess": "sh -c 'echo to-stdout; echo to-stderr >&2'"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.status_code == 200
    assert "to-stdout" in r.text
    assert "to-stderr" in r.text


def test_combine_output_false_logs_stderr_instead(watchdog):
    wd = watchdog({"fprocess": "sh -c 'echo to-stdout; echo to-stderr >&2'",
                   "combine_output": "false"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.status_code == 200
    assert r.text == "to-stdout\n"
    wd.wait_log("function: stderr: to-stderr")


def test_prefix_logs_false_writes_the_raw_stderr_line(watchdog):
    wd = watchdog({"fprocess": "sh -c 'echo RAW-LINE-42 >&2'",
                   "combine_output": "false", "prefix_logs": "false"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.status_code == 200
    wd.wait_log("RAW-LINE-42")
    lines = [l for l in wd.text().splitlines() if "RAW-LINE-42" in l]
    assert lines == ["RAW-LINE-42"], lines


def test_request_content_type_is_echoed(watchdog):
    wd = watchdog({"fprocess": "cat"})
    r = requests.post(wd.url + "/", data=b"{}",
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert r.headers["Content-Type"] == "application/json"


def test_content_type_setting_wins(watchdog):
    wd = watchdog({"fprocess": "cat", "content_type": "text/csv"})
    r = requests.post(wd.url + "/", data=b"a,b",
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert r.headers["Content-Type"] == "text/csv"
    assert r.text == "a,b"


def test_exec_timeout_answers_408_from_the_watchdog(watchdog):
    wd = watchdog({"fprocess": "sleep 20", "exec_timeout": "500ms"})
    t0 = time.monotonic()
    r = requests.post(wd.url + "/", data=b"", timeout=15)
    took = time.monotonic() - t0
    assert r.status_code == 408
    assert r.headers.get("X-OpenFaaS-Internal") == "watchdog"
    assert took < 4 * SLOW, took


def test_exec_timeout_accepts_fractional_seconds(watchdog):
    wd = watchdog({"fprocess": "sleep 20", "exec_timeout": "0.5s"})
    t0 = time.monotonic()
    r = requests.post(wd.url + "/", data=b"", timeout=15)
    assert r.status_code == 408
    assert time.monotonic() - t0 < 4 * SLOW


def test_exec_timeout_off_by_default_in_classic_mode(watchdog):
    wd = watchdog({"fprocess": "sh -c 'sleep 1.2; echo finished'"})
    r = requests.post(wd.url + "/", data=b"", timeout=15)
    assert r.status_code == 200
    assert r.text == "finished\n"


def test_fast_function_within_exec_timeout_is_not_killed(watchdog):
    wd = watchdog({"fprocess": "sh -c 'sleep 0.2; echo ok'", "exec_timeout": "2"})
    r = requests.post(wd.url + "/", data=b"", timeout=15)
    assert r.status_code == 200
    assert r.text == "ok\n"


def test_exec_timeout_kills_the_whole_process_group(watchdog):
    wd = watchdog({
        "fprocess": "sh -c 'sleep 30 & echo $! >> $TMPDIR/pids; "
                    "sleep 30 & echo $! >> $TMPDIR/pids; "
                    "echo $$ >> $TMPDIR/pids; wait'",
        "exec_timeout": "1s"})
    r = requests.post(wd.url + "/", data=b"", timeout=15)
    assert r.status_code == 408
    pids = [int(p) for p in (wd.tmpdir / "pids").read_text().split()]
    assert len(pids) == 3
    wait_for(lambda: not any(pid_alive(p) for p in pids), 4,
             what=f"all of {pids} to be gone")


def test_process_ignoring_sigterm_is_killed_after_grace(watchdog):
    wd = watchdog({
        "fprocess": "sh -c 'trap \"\" TERM; echo $$ > $TMPDIR/pid; "
                    "while :; do sleep 0.1; done'",
        "exec_timeout": "500ms"})
    t0 = time.monotonic()
    r = requests.post(wd.url + "/", data=b"", timeout=15)
    assert r.status_code == 408
    pid = int((wd.tmpdir / "pid").read_text())
    wait_for(lambda: not pid_alive(pid), 4, what=f"pid {pid} to be killed")
    assert time.monotonic() - t0 < 5 * SLOW


def test_body_above_max_body_size_gets_413(watchdog):
    wd = watchdog({"fprocess": "cat", "max_body_size": "1K"})
    ok = requests.post(wd.url + "/", data=b"x" * 1024, timeout=10)
    assert ok.status_code == 200
    assert len(ok.content) == 1024
    r = requests.post(wd.url + "/", data=b"x" * 1025, timeout=10)
    assert r.status_code == 413


def test_max_body_size_accepts_megabytes(watchdog):
    wd = watchdog({"fprocess": "cat", "max_body_size": "1M"})
    assert requests.post(wd.url + "/", data=b"y" * (1 << 20), timeout=10).status_code == 200
    assert requests.post(wd.url + "/", data=b"y" * ((1 << 20) + 1),
                         timeout=10).status_code == 413


def test_marshal_request_passes_json_with_headers_and_base64_body(watchdog):
    wd = watchdog({"fprocess": "cat", "marshal_request": "true"})
    body = bytes(range(256))
    r = requests.post(wd.url + "/", data=body,
                      headers={"X-Custom-Thing": "yes"}, timeout=10)
    assert r.status_code == 200
    doc = json.loads(r.content)
    assert doc["header"]["X-Custom-Thing"] == ["yes"]
    assert base64.b64decode(doc["body"]["raw"]) == body


def test_log_shows_fork_and_bytes_written(watchdog):
    wd = watchdog({"fprocess": "sh -c 'printf 12345'"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.text == "12345"
    wd.wait_log("Forking fprocess.")
    wd.wait_log("Wrote 5 Bytes - Duration: ")


def test_write_debug_logs_request_and_response_bodies(watchdog):
    wd = watchdog({"fprocess": "sh -c 'cat; printf RESPONSE-MARK'", "write_debug": "true"})
    r = requests.post(wd.url + "/", data=b"REQUEST-MARK", timeout=10)
    assert r.text == "REQUEST-MARKRESPONSE-MARK"
    wd.wait_log("REQUEST-MARK")
    wd.wait_log("RESPONSE-MARK")


def test_no_body_logging_without_write_debug(watchdog):
    wd = watchdog({"fprocess": "cat"})
    r = requests.post(wd.url + "/", data=b"SECRET-BODY-MARK", timeout=10)
    assert r.text == "SECRET-BODY-MARK"
    wd.wait_log("Wrote ")
    assert "SECRET-BODY-MARK" not in wd.text()


def test_max_inflight_rejects_extra_requests_with_429(watchdog):
    wd = watchdog({"fprocess": "sh -c 'touch $TMPDIR/started; sleep 0.6; echo done'",
                   "max_inflight": "1"})
    first = {}

    def call():
        first["r"] = requests.post(wd.url + "/", data=b"", timeout=15)

    t = threading.Thread(target=call)
    t.start()
    wait_for(lambda: (wd.tmpdir / "started").exists(), 5, what="first call running")
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.status_code == 429
    assert "X-OpenFaaS-Internal" in r.headers
    t.join(15)
    assert first["r"].status_code == 200
    assert first["r"].text == "done\n"
    # The slot is free again.
    assert requests.post(wd.url + "/", data=b"", timeout=10).status_code == 200


def test_concurrent_requests_run_in_parallel_without_limit(watchdog):
    wd = watchdog({"fprocess": "sh -c 'sleep 0.5; cat'"})
    results = [None] * 8

    def call(i):
        results[i] = requests.post(wd.url + "/", data=f"req-{i}".encode(), timeout=15)

    t0 = time.monotonic()
    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert time.monotonic() - t0 < 3 * SLOW
    for i, r in enumerate(results):
        assert r.status_code == 200
        assert r.text == f"req-{i}"


def test_missing_command_answers_500(watchdog):
    wd = watchdog({"fprocess": "/nonexistent/binary-xyz"})
    r = requests.post(wd.url + "/", data=b"", timeout=10)
    assert r.status_code == 500
    # The watchdog keeps serving.
    assert requests.get(wd.url + "/_/health", timeout=5).status_code == 200


def test_empty_body_and_get_work(watchdog):
    wd = watchdog({"fprocess": "sh -c 'echo got; cat'"})
    r = requests.get(wd.url + "/", timeout=10)
    assert r.status_code == 200
    assert r.text == "got\n"


def test_header_names_are_canonicalised_in_the_env(watchdog):
    wd = watchdog({"fprocess": "env"})
    r = requests.get(wd.url + "/", headers={"x-lower-case": "v1", "X-UPPER-CASE": "v2"},
                     timeout=10)
    env = env_of(r.text)
    assert env["Http_X_Lower_Case"] == "v1"
    assert env["Http_X_Upper_Case"] == "v2"


def test_chunked_body_length_reaches_the_env(watchdog):
    wd = watchdog({"fprocess": "sh -c 'env; cat'"})
    r = requests.post(wd.url + "/", data=iter([b"abc", b"de"]), timeout=10)
    assert r.text.endswith("abcde")
    env = env_of(r.text[:-5])
    assert env["Http_Content_Length"] == "5"
    assert env["Http_ContentLength"] == "5"


def test_function_that_ignores_its_input_still_answers(watchdog):
    wd = watchdog({"fprocess": "echo ignored"})
    r = requests.post(wd.url + "/", data=os.urandom(8 * 1024 * 1024), timeout=30)
    assert r.status_code == 200
    assert r.text == "ignored\n"


def test_large_output_is_returned_whole(watchdog):
    wd = watchdog({"fprocess": "head -c 20000000 /dev/zero"})
    r = requests.get(wd.url + "/", timeout=30)
    assert r.status_code == 200
    assert len(r.content) == 20000000
    assert r.headers["Content-Length"] == "20000000"


def test_exec_timeout_without_unit_means_seconds(watchdog):
    wd = watchdog({"fprocess": "sleep 20", "exec_timeout": "1"})
    t0 = time.monotonic()
    r = requests.post(wd.url + "/", data=b"", timeout=15)
    took = time.monotonic() - t0
    assert r.status_code == 408
    assert 0.9 <= took < 4 * SLOW, took


def test_read_timeout_drops_a_client_that_stalls_mid_body(watchdog):
    import socket
    wd = watchdog({"fprocess": "cat", "read_timeout": "1s"})
    with socket.create_connection(("127.0.0.1", wd.port)) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        s.settimeout(4 * SLOW)
        t0 = time.monotonic()
        try:
            data = s.recv(1000)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            data = None
        took = time.monotonic() - t0
    # Closed (or answered with an error), within about read_timeout.
    assert data is not None, "stalled connection still open after 4s with read_timeout=1s"
    assert data == b"" or data.split(b" ")[1][:1] in (b"4", b"5")
    assert took < 3 * SLOW, f"stalled connection held for {took:.1f}s with read_timeout=1s"


# --- output of any size in bounded memory ---------------------------------

def peak_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_a_large_output_is_answered_from_disk_in_bounded_memory(watchdog):
    size = 300 * 1024 * 1024
    wd = watchdog({"fprocess": f"head -c {size} /dev/zero"})
    before = peak_rss(wd.proc.pid)
    got = 0
    with requests.post(wd.url + "/", data=b"", stream=True, timeout=120) as r:
        assert r.status_code == 200
        assert int(r.headers["Content-Length"]) == size
        for chunk in r.iter_content(1 << 20):
            assert not chunk.strip(b"\0"), "output changed on its way"
            got += len(chunk)
    assert got == size
    grown = peak_rss(wd.proc.pid) - before
    # Held: 256 KiB of memory spool plus read and send buffers; the rest on
    # disk. Before, the whole output was held about twice (600 MB here).
    assert grown < 16 * 1024 * 1024, f"peak resident grew by {grown} bytes"
    wait_for(lambda: f"Wrote {size} Bytes" in wd.text(), 5, what="the classic log line")


def test_an_output_beyond_max_output_size_is_cut_with_500(watchdog):
    wd = watchdog({"fprocess": "head -c 3000000 /dev/zero", "max_output_size": "1MiB"})
    r = requests.post(wd.url + "/", data=b"", timeout=30)
    assert r.status_code == 500
    assert "larger than max_output_size (1048576 bytes)" in r.text
    r = requests.post(wd.url + "/", data=b"", timeout=30)  # still serves
    assert r.status_code == 500
