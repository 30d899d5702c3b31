"""System-test harness: starts the real daemons and talks to them over
sockets, as a user would.

Daemons get their listening socket through LISTEN_FDS (bound here first,
so there is no port race) and a TMPDIR of their own (the watchdog's lock
file lives there). Every daemon is stopped at the end of its test, and its
log is checked for sanitizer reports, so `make test SANITIZE=1` fails on
any ASan/UBSan finding.
"""
import os
import re
import shlex
import signal
import socket
import subprocess
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
BIN = os.path.join(BUILD, "bin")
FIXTURES = os.path.join(BUILD, "fixtures")
SANITIZED = os.environ.get("SANITIZE", "0") == "1"
# FAASBUS_WRAP runs every daemon under a wrapper: `make test-valgrind`
# sets it to valgrind with leak checking.
WRAP = shlex.split(os.environ.get("FAASBUS_WRAP", ""))
# Sanitized binaries run several times slower, valgrind far more: stretch
# every deadline.
SLOW = 10 if WRAP else 4 if SANITIZED else 1
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer")
# valgrind's reports of our bugs (its -q mode prints nothing else).
VALGRIND_REPORT = re.compile(r"==\d+== (Invalid (read|write|free)|Conditional jump|"
                             r"Use of uninitialised|Syscall param|Mismatched free|"
                             r".*definitely lost in)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, interval=0.02, what="condition"):
    """Polls predicate until it is true; fails the test after timeout."""
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout * SLOW}s waiting for {what}")


class Daemon:
    """A daemon process with its own log file and, optionally, a listening
    socket handed over as fd 3 (LISTEN_FDS=1)."""

    def __init__(self, argv, env, log_path, listen=True):
        self.argv = WRAP + list(argv) if WRAP and argv[0].startswith(BIN) else argv
        self.log_path = log_path
        self.sock = None
        self.port = None
        full_env = dict(os.environ)
        full_env.update(env)
        full_env.setdefault("ASAN_OPTIONS", "abort_on_error=0:exitcode=86:detect_leaks=1")
        full_env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1:exitcode=87")
        if listen:
            self.sock = socket.socket()
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen(1024)
            self.port = self.sock.getsockname()[1]
            full_env["LISTEN_FDS"] = "1"
            full_env.pop("LISTEN_PID", None)
        self.env = full_env
        self.proc = None

    def _hand_over_socket(self):
        if self.sock is not None:
            os.dup2(self.sock.fileno(), 3)
            os.set_inheritable(3, True)

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=self._hand_over_socket,
                                     pass_fds=(3,) if self.sock is not None else ())
        if self.sock is not None:
            self.sock.close()
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, needle, timeout=5):
        wait_for(lambda: needle in self.text(), timeout, what=f"log line {needle!r}")

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stops the daemon; returns its exit code (SIGKILL after timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def assert_clean(self):
        text = self.text()
        for mark in SANITIZER_MARKS:
            assert mark not in text, f"sanitizer report in {self.log_path}:\n{text[-4000:]}"
        assert not VALGRIND_REPORT.search(text), f"valgrind report in {self.log_path}:\n{text[-4000:]}"


@pytest.fixture
def daemons():
    """Tracks daemons started by a test; stops them and checks their logs."""
    started = []
    yield started
    for d in started:
        if d.proc and d.proc.poll() is None:
            d.stop()
    for d in started:
        d.assert_clean()


@pytest.fixture
def watchdog(tmp_path, daemons):
    """start(env, wait=True) -> a running faasbus-watchdog.

    Defaults for tests: metrics on the main port, a short
    healthcheck_interval so SIGTERM drains quickly, a private TMPDIR."""
    count = [0]

    def start(env, wait=True, args=(), listen=True):
        count[0] += 1
        tmpdir = tmp_path / f"wd{count[0]}"
        tmpdir.mkdir()
        full = {"metrics_port": "0", "healthcheck_interval": "200ms", "TMPDIR": str(tmpdir)}
        full.update(env)
        d = Daemon([os.path.join(BIN, "faasbus-watchdog"), *args], full,
                   str(tmp_path / f"watchdog{count[0]}.log"), listen=listen)
        d.tmpdir = tmpdir
        daemons.append(d.start())
        if wait:
            wait_for(lambda: healthy(d), 5, what="watchdog health")
        return d

    return start


def healthy(d):
    if d.proc.poll() is not None:
        raise AssertionError(f"daemon exited with {d.proc.returncode}:\n{d.text()[-3000:]}")
    try:
        return requests.get(d.url + "/_/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def pid_alive(pid):
    """True while pid names a process that still runs (a zombie does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    # The state follows the parenthesised command name, which may hold spaces.
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def metric(text, name, **labels):
    """The value of one Prometheus sample in text, or None if absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        key, _, value = line.rpartition(" ")
        rest = key[len(name):]
        if rest and not rest.startswith("{"):
            continue
        got = {}
        if rest:
            for part in rest.strip("{}").split(","):
                k, _, v = part.partition("=")
                got[k] = v.strip('"')
        if got == {k: str(v) for k, v in labels.items()}:
            return float(value)
    return None
