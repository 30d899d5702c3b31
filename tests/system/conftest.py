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
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

from ports import free_port  # noqa: F401  (the tests import it from here)

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


def mapped(pid, name):
    """Whether the process maps a file whose path holds name (a library)."""
    with open(f"/proc/{pid}/maps") as f:
        return any(name in line for line in f)


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
        self.env = full_env
        self.proc = None
        if listen:
            # Not port 0: a daemon started again on its old port (an
            # outage, a restart) finds it free (see ports.py).
            self.listen_on(free_port())

    def listen_on(self, port):
        """Binds 127.0.0.1:port here, to be handed over as fd 3
        (SO_REUSEADDR: a former owner's connections may linger)."""
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(1024)
        self.port = port
        self.env["LISTEN_FDS"] = "1"
        self.env.pop("LISTEN_PID", None)

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
    for d in reversed(started):  # the last started may depend on the first
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


def samples(text, name):
    """(labels dict, value) of every Prometheus sample of `name` in text."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        key, _, value = line.rpartition(" ")
        rest = key[len(name):]
        if rest and not rest.startswith("{"):
            continue
        got = {}
        for part in rest.strip("{}").split(","):
            k, _, v = part.partition("=")
            if k:
                got[k] = v.strip('"')
        yield got, float(value)


def metric(text, name, **labels):
    """The value of one Prometheus sample in text, or None if absent."""
    want = {k: str(v) for k, v in labels.items()}
    for got, value in samples(text, name):
        if got == want:
            return value
    return None


def env_of(text):
    """`env`-style output (NAME=value lines) as a dict."""
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep:
            out[k] = v
    return out


# --- the gateway ------------------------------------------------------------

def _proc_read(pid, what):
    try:
        with open(f"/proc/{pid}/{what}", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _cmdline(pid):
    return _proc_read(pid, "cmdline").replace(b"\0", b" ").decode("utf-8", "replace").strip()


def _stat_fields(pid):
    """(ppid, starttime) of pid, or None once it is gone."""
    stat = _proc_read(pid, "stat").decode("utf-8", "replace")
    if not stat:
        return None
    # The fields after the parenthesised command name, which may hold spaces:
    # state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
    # cmajflt utime stime cutime cstime priority nice num_threads
    # itrealvalue starttime.
    rest = stat.rsplit(")", 1)[1].split()
    return int(rest[1]), int(rest[19])


def _parents():
    """{pid: ppid} of every process."""
    out = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            f = _stat_fields(int(p))
            if f:
                out[int(p)] = f[0]
    return out


def descendants(pid):
    """Live descendants of pid (children, their children...), with their
    start times, so a later check cannot be fooled by a reused pid."""
    parents = _parents()
    found, frontier = {}, {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier and c not in found}
        for c in frontier:
            f = _stat_fields(c)
            if f and pid_alive(c):
                found[c] = f[1]
    return found


def still_running(procs):
    """The pids of procs ({pid: starttime}) that still run as the same process."""
    out = []
    for pid, start in procs.items():
        f = _stat_fields(pid)
        if f and f[1] == start and pid_alive(pid):
            out.append(pid)
    return sorted(out)


def process_env(pid):
    env = {}
    for item in _proc_read(pid, "environ").split(b"\0"):
        k, sep, v = item.decode("utf-8", "replace").partition("=")
        if sep:
            env[k] = v
    return env


def gateway_children(gw):
    """pids of the live faasbus-watchdog processes whose parent is gw."""
    out = []
    for pid, ppid in _parents().items():
        if ppid == gw.proc.pid and pid_alive(pid):
            argv0 = _proc_read(pid, "cmdline").split(b"\0")[0].decode("utf-8", "replace")
            if os.path.basename(argv0) == "faasbus-watchdog":
                out.append(pid)
    return sorted(out)


class Gateway(Daemon):
    """A faasbus-gateway with helpers for its REST API."""

    def api(self, method, path, **kw):
        kw.setdefault("timeout", 10 * SLOW)
        return requests.request(method, self.url + path, **kw)

    def deploy(self, name, env_process="cat", method="POST", expect=202, **fields):
        body = {"service": name, "image": fields.pop("image", "faasbus/test:latest"),
                "envProcess": env_process}
        body.update(fields)
        r = self.api(method, "/system/functions", json=body)
        assert r.status_code == expect, f"{method} {name}: {r.status_code} {r.text}"
        return r

    def status(self, name, namespace=None):
        """The function's FunctionStatus, or None if it is unknown."""
        params = {"namespace": namespace} if namespace else None
        r = self.api("GET", f"/system/function/{name}", params=params)
        if r.status_code == 404:
            return None
        assert r.status_code == 200, r.text
        return r.json()

    def available(self, name, namespace=None):
        st = self.status(name, namespace)
        return st["availableReplicas"] if st else None

    def wait_available(self, name, n, namespace=None, timeout=10):
        try:
            wait_for(lambda: self.available(name, namespace) == n, timeout, interval=0.05,
                     what=f"{name}: availableReplicas == {n}")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.why_unavailable(name, namespace)}") from None

    def why_unavailable(self, name, namespace=None):
        """What a test that waited in vain wants to read: the function's
        status and its replicas' last log lines."""
        ns = {"namespace": namespace} if namespace else {}
        try:
            st = self.api("GET", f"/system/function/{name}", params=ns, timeout=5)
            lines = self.api("GET", "/system/logs", params={"name": name, "tail": "30", **ns},
                             timeout=5)
        except requests.RequestException as e:
            return f"the gateway does not answer: {e}"
        return f"status: {st.status_code} {st.text}\nlogs: {lines.status_code}\n{lines.text}"

    def scale(self, name, replicas, expect=202):
        r = self.api("POST", f"/system/scale-function/{name}",
                     json={"serviceName": name, "replicas": replicas})
        assert r.status_code == expect, r.text
        return r

    def call(self, name, path="", method="POST", **kw):
        kw.setdefault("timeout", 30 * SLOW)
        return requests.request(method, f"{self.url}/function/{name}{path}", **kw)

    def children(self):
        """The replicas: faasbus-watchdog children of the gateway."""
        return gateway_children(self)

    def descendants(self):
        return descendants(self.proc.pid)

    def metrics(self):
        return requests.get(self.url + "/metrics", timeout=5 * SLOW).text


def gateway_up(gw):
    if gw.proc.poll() is not None:
        raise AssertionError(f"gateway exited with {gw.proc.returncode}:\n{gw.text()[-3000:]}")
    try:
        return requests.get(gw.url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


PR_SET_CHILD_SUBREAPER = 36


def _subreaper(on):
    """While on, processes orphaned below us (a replica the gateway left
    behind when it exited) become our children instead of init's, so
    nothing the gateway started can escape the leftover check."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0)


def _orphans(known):
    """Our children that are not daemons we started: {pid: starttime}."""
    me = os.getpid()
    out = {}
    for pid, ppid in _parents().items():
        if ppid == me and pid not in known:
            f = _stat_fields(pid)
            if f:
                out[pid] = f[1]
    return out


def _reap(pids):
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


@pytest.fixture
def gateway(tmp_path, daemons):
    """start(env=None, state_dir=None, wait=True) -> a running faasbus-gateway.

    Defaults for tests: a state_dir of its own (pass gw.state_dir back to
    restart on the same state), log_level=info, health_interval=200ms, the
    socket through LISTEN_FDS. Its replicas are its children. At the end
    every gateway is stopped (SIGTERM: it stops its replicas), and no
    process it started may be left running."""
    count = [0]
    started = []
    made = []
    _subreaper(True)

    def start(env=None, state_dir=None, wait=True):
        count[0] += 1
        if state_dir is None:
            # Not under tmp_path (mode 0700): functions may run as an
            # unprivileged user.
            state_dir = tempfile.mkdtemp(prefix="faasbus-gw-")
            os.chmod(state_dir, 0o755)
            made.append(state_dir)
        state_dir = str(state_dir)
        os.makedirs(state_dir, exist_ok=True)
        full = {"state_dir": state_dir, "log_level": "info", "health_interval": "200ms",
                "nats_url": ""}
        full.update(env or {})
        full = {k: v for k, v in full.items() if v is not None}  # None: leave unset
        gw = Gateway([os.path.join(BIN, "faasbus-gateway")], full,
                     str(tmp_path / f"gateway{count[0]}.log"))
        gw.state_dir = state_dir
        daemons.append(gw.start())
        started.append(gw)
        if wait:
            wait_for(lambda: gateway_up(gw), 10, what="gateway /healthz")
        return gw

    try:
        yield start
        procs = {}
        for gw in started:
            if gw.proc.poll() is None:
                procs.update(gw.descendants())
                gw.stop()
        known = {d.proc.pid for d in daemons if d.proc}

        def left():
            running = set(still_running(procs))
            orphans = _orphans(known)
            _reap([p for p in orphans if not pid_alive(p)])
            return sorted(running | {p for p in orphans if pid_alive(p)})

        try:
            wait_for(lambda: not left(), 5, what="the gateway's processes to end")
        except AssertionError:
            pids = left()
            what = ", ".join(f"{pid} {_cmdline(pid)!r}" for pid in pids)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            raise AssertionError(f"processes left after the gateway stopped: {what}") from None
    finally:
        _subreaper(False)
        _reap(list(_orphans({d.proc.pid for d in daemons if d.proc})))
        for state in made:
            shutil.rmtree(state, ignore_errors=True)


# --- NATS ------------------------------------------------------------------

class NatsServer(Daemon):
    """nats-server with JetStream on a port and store of its own. It can be
    killed and started again on the same port and store."""

    def __init__(self, tmp_path, name="nats", max_payload="16MB", extra=""):
        port = free_port()
        store = tmp_path / f"{name}-store"
        conf = tmp_path / f"{name}.conf"
        conf.write_text(f"listen: 127.0.0.1:{port}\nmax_payload: {max_payload}\n"
                        f'jetstream {{ store_dir: "{store}" }}\n{extra}')
        super().__init__(["nats-server", "-c", str(conf)], {}, str(tmp_path / f"{name}.log"),
                         listen=False)
        self.port = port

    @property
    def nats_url(self):
        return f"nats://127.0.0.1:{self.port}"

    def ready(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                return s.recv(4).startswith(b"INFO")
        except OSError:
            return False

    def start(self):
        super().start()
        wait_for(self.ready, 10, what="nats-server accepting clients")
        return self


@pytest.fixture
def nats(tmp_path, daemons):
    """start(name="nats") -> a running NatsServer (JetStream, 16 MB payloads)."""
    def start(name="nats", **kw):
        srv = NatsServer(tmp_path, name, **kw)
        daemons.append(srv.start())
        return srv
    return start


# --- Docker (a real engine of its own, see docker_util.py) -------------------
from docker_util import docker_engine, docker_gateway  # noqa: E402,F401
from swarm_util import swarm_engine, swarm_gateway  # noqa: E402,F401
