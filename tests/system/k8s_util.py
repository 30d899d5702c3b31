"""The k8s_cluster fixture: a Kubernetes API server stand-in
(k8s_standin.py, its own process) with a node agent that runs pods as
real faasbus-watchdog processes, for the kubernetes driver's tests.

    def test_x(k8s_cluster, gateway):
        cluster = k8s_cluster()            # started; stopped at teardown
        gw = gateway(env=cluster.env())    # driver=kubernetes, KUBECONFIG
        status, body = cluster.get("/apis/apps/v1/namespaces/openfaas-fn/deployments")

k8s_cluster(**opts) takes: bookmark_interval (seconds between a watch's
BOOKMARKs, 60 as on a real server; send_bookmarks() forces one),
max_grace (cap on a pod's termination grace period), restart_backoff
(first delay before a crashed container restarts, 0.2 s, doubling to
5 s), run_pods=False (pods are created but stay Pending: no processes,
for benchmarks), watchdog (the binary pods run; build/bin's by default).

Pods: an image whose last path part starts with "nosuch" cannot be
pulled (ErrImagePull, ImagePullBackOff); a container with `command`
runs that instead of the watchdog. Pod IPs are 127.A.Y.Z in a block
(cluster.pod_net) no other stand-in uses.

Teardown stops the stand-in (SIGTERM: it stops every pod first) and
fails the test if any pod process is left, if the stand-in logged a
traceback (its own bug), or if a pod printed a sanitizer report."""
import glob
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import shutil
import urllib.parse

import pytest
import requests

from conftest import BUILD, SANITIZER_MARKS, SLOW, pid_alive, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "k8s_standin.py")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Cluster:
    """A running stand-in. See the module doc and K8S_CONTRACT."""

    def __init__(self, directory, proc, ready):
        self.dir, self.proc = directory, proc
        self.url = ready["url"]
        self.token = ready["token"]
        self.forbidden_token = ready["forbidden_token"]
        self.ca_path = ready["ca"]
        self.kubeconfig = ready["kubeconfig"]
        self.kubeconfig_cert = ready["kubeconfig_cert"]
        self.control_path = ready["control"]
        self.pod_net = ready["pod_net"]
        self.pid = ready["pid"]
        # token, ca.crt and namespace, as a pod sees them under
        # /var/run/secrets/kubernetes.io/serviceaccount
        self.serviceaccount_dir = ready["serviceaccount"]

    # --- the real API, for assertions -------------------------------------------------
    def env(self, **more):
        out = {"driver": "kubernetes", "KUBECONFIG": self.kubeconfig}
        out.update(more)
        return out

    def request(self, method, path, token=None, **kw):
        """A request through the HTTPS API as the admin (or token's user).
        verify is passed on each call: a Session's own would lose to
        REQUESTS_CA_BUNDLE from the environment."""
        kw.setdefault("timeout", 10 * SLOW)
        headers = {"Authorization": f"Bearer {token or self.token}", "Accept": "application/json"}
        headers.update(kw.pop("headers", {}))
        return requests.request(method, self.url + path, headers=headers, verify=self.ca_path,
                                **kw)

    def get(self, path, token=None):
        """(status, decoded JSON) of GET path through the HTTPS API."""
        r = self.request("GET", path, token)
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, r.text

    def in_cluster_env(self):
        """The env a pod gets to find the API server (with the files of
        serviceaccount_dir at the in-cluster path, it is all a client
        running in-cluster needs)."""
        return {"KUBERNETES_SERVICE_HOST": "127.0.0.1",
                "KUBERNETES_SERVICE_PORT": self.url.rsplit(":", 1)[1]}

    # --- the control socket -------------------------------------------------------------
    def control(self, op, body=None, **query):
        conn = _UnixConnection(self.control_path, timeout=30 * SLOW)
        path = "/" + op + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else b""
        conn.request("POST" if body is not None else "GET", path, data,
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        out = json.loads(r.read() or b"null")
        conn.close()
        assert r.status == 200, f"control {op}: {r.status} {out}"
        return out

    def objects(self, kind, namespace=None):
        """The stored objects of a resource ("deployments", "pods"...)."""
        q = {"resource": kind}
        if namespace is not None:
            q["namespace"] = namespace
        return self.control("objects", **q)

    def delete_by_hand(self, kind, ns, name, propagation="Background"):
        return self.control("delete_by_hand", {"resource": kind, "namespace": ns, "name": name,
                                               "propagationPolicy": propagation})

    def drop_watches(self):
        self.control("drop_watches", {})

    def expire_history(self):
        return self.control("expire_history", {})["resourceVersion"]

    def send_bookmarks(self):
        self.control("send_bookmarks", {})

    def pod_ips(self, ns, function):
        return self.control("pod_ips", namespace=ns, function=function)

    @property
    def requests(self):
        """Every request received: dicts of method, path, query (a dict),
        headers, body (decoded JSON or text), time."""
        return self.control("requests")

    def clear_requests(self):
        self.control("clear_requests", {})

    def fail_next(self, method, path_prefix, status, body=None, times=1):
        """The next request (or `times` requests) of method ("*": any)
        whose path starts with path_prefix is answered status (with a
        Status of the real reason unless body is given), before
        authentication."""
        self.control("fail_next", {"method": method, "path_prefix": path_prefix,
                                   "status": status, "body": body, "times": times})

    def rotate_token(self):
        """A new admin token (the kubeconfig and serviceaccount_dir/token
        are rewritten); the old one gets 401."""
        self.token = self.control("rotate_token", {})["token"]
        return self.token

    def issue_token(self, user, admin=False):
        token = self.control("issue_token", {"user": user})["token"]
        if admin:
            self.control("grant", {"user": user})
        return token

    def api_down(self):
        """The API server goes away: its port refuses connections and every
        open one (watches, follows, keep-alives) is cut. Pods run on."""
        self.control("api_down", {})

    def api_up(self):
        """Back on the same port, with the same objects and resourceVersions."""
        self.control("api_up", {})

    def kill_pod(self, ns, name, sig="SIGKILL"):
        """Signals a pod's process (its container restarts); returns its pid."""
        return self.control("kill_pod", {"namespace": ns, "name": name, "signal": sig})["pid"]

    def pod_pids(self):
        return self.control("pod_pids")

    def wait_ready(self, ns, function, n, timeout=20):
        """The ready pod IPs once there are n; on timeout the failure says
        what the pods' status and output were."""
        try:
            wait_for(lambda: len(self.pod_ips(ns, function)) == n, timeout, interval=0.1,
                     what=f"{n} ready pods of {function}")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.describe_pods(ns)}") from None
        return self.pod_ips(ns, function)

    def describe_pods(self, ns):
        """Each pod's status and the end of its output, for failure messages."""
        out = []
        for pod in self.objects("pods", ns):
            out.append(f"pod {pod['metadata']['name']}: {json.dumps(pod.get('status'))}")
            log = os.path.join(self.dir, "pods", pod["metadata"]["uid"], "output.log")
            if os.path.exists(log):
                with open(log, errors="replace") as f:
                    out.append(f.read()[-1500:])
        return "\n".join(out)

    # --- life ------------------------------------------------------------------------
    def text(self):
        try:
            with open(os.path.join(self.dir, "standin.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:  # removed at teardown, after its check
            return ""

    def assert_clean(self):
        """The stand-in's own bugs (a traceback in its log) fail the test,
        and so does a sanitizer report in any pod's output."""
        text = self.text()
        assert "Traceback" not in text, f"the stand-in failed:\n{text[-4000:]}"
        for log in glob.glob(os.path.join(self.dir, "pods", "*", "output.log")):
            with open(log, errors="replace") as f:
                out = f.read()
            for mark in SANITIZER_MARKS:
                assert mark not in out, f"sanitizer report in a pod ({log}):\n{out[-4000:]}"

    def stop(self):
        if self.proc.poll() is not None:
            return []
        try:
            pids = list(self.pod_pids().values())
        except (OSError, AssertionError, ValueError):
            pids = []
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        left = [p for p in pids if pid_alive(p)]
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        return left


def start_cluster(directory, **opts):
    """Starts a stand-in with its state in directory; opts: bookmark_interval,
    max_grace, restart_backoff, run_pods, watchdog."""
    args = [sys.executable, STANDIN, "--dir", directory]
    for k, v in opts.items():
        if v is not None:
            args += ["--" + k.replace("_", "-"), str(int(v) if isinstance(v, bool) else v)]
    log = open(os.path.join(directory, "standin.log"), "ab")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=dict(os.environ, BUILD=os.path.relpath(BUILD, os.path.dirname(
                                os.path.dirname(HERE)))))
    ready_path = os.path.join(directory, "ready.json")

    def up():
        if proc.poll() is not None:
            with open(os.path.join(directory, "standin.log")) as f:
                raise AssertionError(f"the stand-in exited:\n{f.read()[-3000:]}")
        return os.path.exists(ready_path)

    wait_for(up, 20, interval=0.05, what="the Kubernetes stand-in")
    with open(ready_path) as f:
        return Cluster(directory, proc, json.load(f))


@pytest.fixture
def k8s_cluster(daemons):
    """start(**opts) -> a running Cluster; every one is stopped at
    teardown, and a pod process left behind fails the test, as does a
    traceback in the stand-in's log. Each is also listed in `daemons`, so
    the gateway fixture's leftover-process check knows it (its pods are
    its own children, not the test's)."""
    started, dirs = [], []

    def start(**opts):
        # Not under tmp_path (mode 0700): pods may read their files as
        # another user.
        d = tempfile.mkdtemp(prefix="faasbus-k8s-")
        os.chmod(d, 0o755)
        dirs.append(d)
        c = start_cluster(d, **opts)
        started.append(c)
        daemons.append(c)
        return c

    yield start
    left = []
    for c in started:
        left += c.stop()
    for c in started:
        c.assert_clean()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
    assert not left, f"pod processes left after the stand-in stopped: {left}"
