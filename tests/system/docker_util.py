"""A real Docker Engine for the docker driver's tests, isolated from the
host and from every other engine.

dockerd runs inside `unshare --net --mount --fork --propagation private`
with its own data-root, exec-root and socket in a temporary directory, so
its bridge, iptables rules and mounts live and die with those namespaces.
One engine serves a whole pytest worker (a session fixture): the docker
test modules carry `pytestmark = pytest.mark.xdist_group("docker")`, so
tests/run keeps them on one worker. At the end every container is removed
before dockerd stops, and the directory goes.

A gateway under test is started inside the engine's network namespace
(nsenter --net) with a listening socket bound here, on the host's
loopback: a socket keeps the namespace it was made in, so the test
reaches the gateway on 127.0.0.1 while the gateway reaches the ports the
engine publishes on the namespace's 127.0.0.1.

Images come from `docker import` of a root filesystem made here: Debian's
busybox-static, build/bin/faasbus-watchdog (as /usr/bin/fwatchdog) and the
shared libraries ldd lists, so nothing is pulled from a registry.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid

import pytest

from conftest import BIN, FIXTURES, SLOW, Gateway, gateway_up, pid_alive, wait_for

BUSYBOX = "/bin/busybox"
DOCKER = "/usr/bin/docker"  # the 20.10 client that matches the engine
TEST_IMAGE = "faasbus/test:latest"
PLAIN_IMAGE = "faasbus/plain:latest"


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout):  # noqa: D107
        super().__init__("docker", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Engine:
    """A running dockerd; api() talks to it, cli() runs the docker client."""

    def __init__(self, extra_args=()):
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="fbdk-")
        self.sock = os.path.join(self.dir, "docker.sock")
        self.host = "unix://" + self.sock
        self.log_path = os.path.join(self.dir, "dockerd.log")
        self.ns_pid = None
        self.daemon_pid = None

    # The engine's processes are not our children (setsid --fork makes
    # them orphans at once): a gateway test sharing this pytest worker
    # checks that nothing it did not start is left among our children.
    def start(self):
        """Makes the namespaces (held by a sleeping shell) and starts dockerd
        in them. Returns False if it does not come up."""
        launcher = subprocess.Popen(
            ["setsid", "--fork", "unshare", "--net", "--mount", "--fork", "--propagation",
             "private", "sh", "-c", "ip link set lo up && echo $$ && exec sleep 1000000"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        line = launcher.stdout.readline().strip()
        launcher.stdout.close()
        launcher.wait()
        if not line.isdigit():
            return False
        self.ns_pid = int(line)
        return self.start_daemon()

    def start_daemon(self):
        """Starts dockerd in the namespaces; True once it answers."""
        d, ns = self.dir, self.ns_pid
        pidfile = os.path.join(d, "docker.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        with open(self.log_path, "ab") as log:
            subprocess.run(
                ["setsid", "--fork", "nsenter", f"--net=/proc/{ns}/ns/net",
                 f"--mount=/proc/{ns}/ns/mnt", "dockerd", "--host", self.host,
                 "--data-root", f"{d}/data", "--exec-root", f"{d}/exec",
                 "--pidfile", pidfile, *self.extra_args],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=True)
        deadline = time.monotonic() + 60 * SLOW
        while time.monotonic() < deadline:
            if self.ping():
                with open(pidfile) as f:
                    self.daemon_pid = int(f.read().strip())
                return True
            time.sleep(0.1)
        return False

    def ping(self):
        try:
            return self.api("GET", "/_ping", timeout=2)[0] == 200
        except OSError:
            return False

    @property
    def pid(self):
        """The pid holding the engine's namespaces (the gateway joins its
        network namespace); it outlives a dockerd restart."""
        return self.ns_pid

    def api(self, method, path, body=None, timeout=30):
        conn = _UnixHTTP(self.sock, timeout * SLOW)
        try:
            data = json.dumps(body) if body is not None else None
            conn.request(method, path, body=data,
                         headers={"Content-Type": "application/json"} if data else {})
            r = conn.getresponse()
            raw = r.read()
            try:
                return r.status, json.loads(raw) if raw else None
            except ValueError:
                return r.status, raw.decode("utf-8", "replace")
        finally:
            conn.close()

    def cli(self, *args, check=True, input=None):
        return subprocess.run([DOCKER, "-H", self.host, *args], input=input,
                              capture_output=True, check=check, timeout=300 * SLOW)

    def containers(self, label=None):
        filters = {"label": [label]} if label else {}
        q = urllib.parse.quote(json.dumps(filters))
        status, body = self.api("GET", f"/containers/json?all=1&filters={q}")
        assert status == 200, body
        return body

    def remove_containers(self, label=None):
        for c in self.containers(label):
            self.api("DELETE", f"/containers/{c['Id']}?force=1&v=1")

    def stop_daemon(self):
        """Stops dockerd (its containers stop with it); start_daemon() again
        later, in the same namespaces."""
        pid = self.daemon_pid
        self.daemon_pid = None
        if pid and pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 60 * SLOW
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)

    def close(self):
        if self.daemon_pid:
            try:
                self.remove_containers()
            except OSError:
                pass
        self.stop_daemon()
        if self.ns_pid and pid_alive(self.ns_pid):
            os.kill(self.ns_pid, signal.SIGKILL)  # the namespaces go with it
            wait_for(lambda: not pid_alive(self.ns_pid), 10, what="the namespaces' holder")
        # The mounts lived in the engine's own mount namespace: gone now.
        shutil.rmtree(self.dir, ignore_errors=True)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


CLONE_NEWNET = 0x40000000


def in_netns(pid, fn):
    """Runs fn() on a thread that joined pid's network namespace (sockets
    it makes live there) and returns what it returns."""
    import ctypes
    import threading
    result = {}

    def body():
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                result["error"] = OSError(ctypes.get_errno(), "setns")
            else:
                result["value"] = fn()
        except Exception as e:  # re-raised on the caller's thread
            result["error"] = e
        finally:
            os.close(fd)
    t = threading.Thread(target=body)
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def _libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) > parts.index("=>") + 1:
            path = parts[parts.index("=>") + 1]
        else:
            path = parts[0]
        if path.startswith("/"):
            libs.append(path)
    return libs


def _copy(src, root, dest=None):
    dest = os.path.join(root, (dest or src).lstrip("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copy2(os.path.realpath(src), dest)


def make_rootfs(root, binaries):
    """busybox with its applets, the given binaries {path in image: host
    path}, and every shared library they need."""
    for d in ("bin", "tmp", "etc", "www", "var/openfaas/secrets", "usr/bin"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin/busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split()
    for a in applets:
        link = os.path.join(root, "bin", a)
        if not os.path.exists(link):
            os.symlink("busybox", link)
    for dest, src in binaries.items():
        _copy(src, root, dest)
        for lib in _libraries(src):
            _copy(lib, root)
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    with open(os.path.join(root, "www/index.html"), "w") as f:
        f.write("plain http server\n")


def import_image(engine, root, tag, changes):
    tar = subprocess.run(["tar", "-C", root, "-c", "."], capture_output=True, check=True).stdout
    args = ["import"]
    for c in changes:
        args += ["-c", c]
    engine.cli(*args, "-", tag, input=tar)


def build_images(engine):
    root = os.path.join(engine.dir, "rootfs")
    make_rootfs(root, {"/usr/bin/fwatchdog": os.path.join(BIN, "faasbus-watchdog"),
                       "/usr/bin/testfn-http": os.path.join(FIXTURES, "testfn-http")})
    import_image(engine, root, TEST_IMAGE,
                 ['CMD ["/usr/bin/fwatchdog"]', "EXPOSE 8080", "ENV PATH=/bin:/usr/bin"])
    # Not faasbus's: any program that serves HTTP on 8080.
    import_image(engine, root, PLAIN_IMAGE,
                 ['CMD ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]', "EXPOSE 8080"])
    shutil.rmtree(root)


@pytest.fixture(scope="session")
def docker_engine():
    """The worker's Docker Engine with the test images; skips every docker
    test, saying why, when no engine can start here."""
    if not shutil.which("dockerd") or not os.path.exists(DOCKER):
        pytest.skip("docker.io is not installed (scripts/deps.sh installs it)")
    if not os.path.exists(BUSYBOX):
        pytest.skip("busybox-static is not installed (scripts/deps.sh installs it)")
    engine = Engine()
    try:
        if not engine.start():
            tail = engine.text()[-1500:]
            engine.close()
            pytest.skip(f"dockerd cannot start here (needs root and namespaces):\n{tail}")
        build_images(engine)
        yield engine
    finally:
        engine.close()


class DockerGateway(Gateway):
    """A gateway with the docker driver, inside the engine's network
    namespace, its socket bound on the host's loopback."""

    def containers(self, function=None):
        label = f"com.faasbus.instance={self.instance}"
        cs = self.engine.containers(label)
        if function:
            cs = [c for c in cs if c["Labels"].get("com.faasbus.function") == function]
        return cs

    def running(self, function):
        return [c for c in self.containers(function) if c["State"] == "running"]


@pytest.fixture
def docker_gateway(docker_engine, tmp_path, daemons):
    """start(env=None, state_dir=None, instance=None) -> a DockerGateway.

    Each gets a state_dir and an instance name of its own unless given
    (pass both back to restart on the same containers). At the end the
    gateways stop and their containers are removed."""
    made, instances = [], set()
    count = [0]

    def start(env=None, state_dir=None, instance=None, wait=True):
        count[0] += 1
        if state_dir is None:
            state_dir = tempfile.mkdtemp(prefix="faasbus-dgw-")
            made.append(state_dir)
        instance = instance or "t" + uuid.uuid4().hex[:12]
        instances.add(instance)
        full = {"state_dir": state_dir, "log_level": "info", "health_interval": "200ms",
                "nats_url": "", "driver": "docker", "docker_host": docker_engine.host,
                "docker_instance": instance}
        full.update(env or {})
        full = {k: v for k, v in full.items() if v is not None}
        argv = ["nsenter", f"--net=/proc/{docker_engine.pid}/ns/net",
                os.path.join(BIN, "faasbus-gateway")]
        gw = DockerGateway(argv, full, str(tmp_path / f"dgateway{count[0]}.log"))
        gw.state_dir, gw.instance, gw.engine = state_dir, instance, docker_engine
        daemons.append(gw.start())
        if wait:
            wait_for(lambda: gateway_up(gw), 15, what="gateway /healthz")
        return gw

    yield start
    for d in daemons:
        if isinstance(d, DockerGateway) and d.proc.poll() is None:
            d.stop()
    for inst in instances:
        docker_engine.remove_containers(f"com.faasbus.instance={inst}")
    for state in made:
        shutil.rmtree(state, ignore_errors=True)
