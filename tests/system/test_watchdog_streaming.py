"""Streaming mode: the body is streamed to the process's stdin and its
stdout streamed back, chunked, as it is produced."""
import hashlib
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import BIN, SLOW, Daemon, pid_alive, wait_for


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


class _LogHeldDaemon(Daemon):
    """A daemon whose log goes through a pipe the test can keep full: its
    next log line then blocks the daemon's loop until drain() (the log file
    gets what went through)."""

    def start(self):
        r, w = os.pipe2(os.O_CLOEXEC)
        os.set_blocking(r, False)
        self.log_r = r
        # Its own open file description: non-blocking for the test's writes,
        # while the daemon's stay blocking.
        self.log_w = os.open(f"/proc/self/fd/{w}", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=w, stderr=w,
                                     stdin=subprocess.DEVNULL,
                                     preexec_fn=self._hand_over_socket, pass_fds=(3,))
        os.close(w)
        self.sock.close()
        return self

    def drain(self):
        try:
            while b := os.read(self.log_r, 65536):
                self.log.write(b.replace(b"\0", b""))
        except BlockingIOError:
            pass
        self.log.flush()

    def hold_log(self):
        """Fills the pipe: the daemon's next log line blocks its loop."""
        self.drain()
        try:
            while True:
                os.write(self.log_w, b"\0" * 4096)
        except BlockingIOError:
            pass

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """As Daemon.stop, reading the log meanwhile: a line blocked on the
        pipe must not hold up the exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            deadline = time.monotonic() + timeout * SLOW
            while self.proc.poll() is None and time.monotonic() < deadline:
                self.drain()
                time.sleep(0.01)
        self.drain()
        rc = super().stop(sig, timeout)
        os.close(self.log_r)
        os.close(self.log_w)
        return rc


def _recv_ready(s, into):
    timeout = s.gettimeout()
    s.setblocking(False)
    try:
        while b := s.recv(1 << 20):
            into += b
    except BlockingIOError:
        pass
    finally:
        s.settimeout(timeout)


def _dechunk(raw):
    rest = raw.partition(b"\r\n\r\n")[2]
    out = bytearray()
    while True:
        size, _, rest = rest.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            return bytes(out)
        out += rest[:n]
        rest = rest[n + 2:]


def _stopped(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rpartition(")")[2].split()[0] == "T"


def test_output_still_in_the_pipe_when_reading_resumes_is_not_lost(tmp_path, daemons):
    """cat exits while the watchdog has paused reading its stdout (the
    client is behind), its last output still in the pipe. The orphan grace
    waits while reading is paused; when the client catches up and reading
    resumes, that output must be read before the grace may take the pipe
    for an orphan's hold. On a loaded machine the grace ran out in the very
    loop turn that resumed, before stdout was read: a whole chunked answer,
    short of what was in the pipe (64 MiB, 10275 bytes missing).

    The turn is made slow on purpose: the loop is stopped while another
    request arrives and the client reads, so both are handled in one turn;
    that request's log line blocks on a full log pipe past the grace, and
    the answer's turn comes right after it."""
    # A unix socket: its buffer is small and fixed, so the answer is pulled
    # only in the turns the client reads in, a few hundred KiB each (TCP's
    # grows to MiBs). Abstract: no path, so no length limit on tmp_path.
    path = f"\0faasbus-test-{os.getpid()}-{os.urandom(4).hex()}"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(8)
    env = {"mode": "streaming", "fprocess": "cat", "TMPDIR": str(tmp_path), "metrics_port": "0",
           "healthcheck_interval": "200ms", "LISTEN_FDS": "1"}
    wd = _LogHeldDaemon([os.path.join(BIN, "faasbus-watchdog")], env,
                        str(tmp_path / "watchdog.log"), listen=False)
    wd.sock = listener
    daemons.append(wd.start())
    wait_for(lambda: wd.drain() or "Listening" in wd.text(), 5, what="the watchdog to listen")
    with socket.socket(socket.AF_UNIX) as other, socket.socket(socket.AF_UNIX) as s:
        other.connect(path)
        s.connect(path)
        s.settimeout(10 * SLOW)
        body = os.urandom(4 * 1024 * 1024)
        tail = 10275  # any size the pipe holds
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
        s.sendall(body[:-tail])
        time.sleep(0.5)  # all of it goes through cat into the spool
        s.sendall(body[-tail:])  # the body ends: reading stdout pauses, the spool is full
        time.sleep(0.5)  # cat writes its last bytes to the pipe and exits
        raw = bytearray()
        while len(raw) < len(body) - 1536 * 1024:  # to some way above the resume point
            raw += s.recv(len(body) - 1536 * 1024 - len(raw))
        time.sleep(0.1)
        for _ in range(40):
            if raw.endswith(b"\r\n0\r\n\r\n"):
                break
            wd.hold_log()
            # Stopped for sure before anything arrives: a loop that is only
            # about to stop would still take the request alone.
            wd.send(signal.SIGSTOP)
            try:
                wait_for(lambda: _stopped(wd.proc.pid), 5, interval=0.001, what="SIGSTOP")
                other.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                _recv_ready(s, raw)
            finally:
                wd.send(signal.SIGCONT)
            time.sleep(0.3)  # its "Forking fprocess." blocks the loop past the grace
            answer = bytearray()
            deadline = time.monotonic() + 10 * SLOW
            while not answer.endswith(b"\r\n0\r\n\r\n") and time.monotonic() < deadline:
                wd.drain()
                _recv_ready(other, answer)
                time.sleep(0.005)
        wd.stop()
    data = _dechunk(bytes(raw))
    assert len(data) == len(body)
    assert hashlib.sha256(data).digest() == hashlib.sha256(body).digest()
    assert "holds its output open" not in wd.text()
