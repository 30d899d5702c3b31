"""A faasbus-gateway with driver=kubernetes against the API-server stand-in
(k8s_util.k8s_cluster): every test gets its own cluster, so its pods, pod
IPs and objects are its own."""
import os
import re
import socket
import tempfile
import threading

import pytest

from conftest import BIN, Gateway, gateway_up, wait_for
from k8s_util import k8s_cluster  # noqa: F401 (fixture)

IMAGE = "faasbus/test:latest"


class Forwarder:
    """A TCP link between a gateway and the stand-in that a test can cut
    (connections refused and open ones dropped) and restore on the same
    port: the API server down and back, as the gateway sees it."""

    def __init__(self, cluster):
        self.target = ("127.0.0.1", int(cluster.url.rsplit(":", 1)[1]))
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        with open(cluster.kubeconfig) as f:
            text = f.read()
        self.kubeconfig = os.path.join(cluster.dir, "forwarded-kubeconfig")
        with open(self.kubeconfig, "w") as f:
            f.write(re.sub(r"https://127\.0\.0\.1:\d+", f"https://127.0.0.1:{self.port}", text))
        self.conns, self.listener, self.lock = [], None, threading.Lock()
        self.up()

    def env(self):
        return {"KUBECONFIG": self.kubeconfig}

    def up(self):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        self.listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def _accept(self, ls):
        while True:
            try:
                a, _ = ls.accept()
            except OSError:
                return
            b = socket.create_connection(self.target)
            with self.lock:
                self.conns += [a, b]
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self._pump, args=(x, y), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def down(self):
        self.listener.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def close(self):
        self.down()


class KubeGateway(Gateway):
    """A gateway whose functions are Deployments of `cluster`."""

    def deploy(self, name, env_process="cat", method="POST", expect=202, **fields):
        fields.setdefault("image", IMAGE)
        return super().deploy(name, env_process, method, expect, **fields)

    def deployment(self, name, ns="openfaas-fn"):
        status, obj = self.cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
        return obj if status == 200 else None


@pytest.fixture
def k8s_gateway(k8s_cluster, tmp_path, daemons):  # noqa: F811
    """start(env=None, cluster=None) -> a KubeGateway on a cluster (the
    test's first one unless given); gw.cluster is it."""
    clusters = []
    count = [0]

    def start(env=None, cluster=None, wait=True):
        if cluster is None:
            if not clusters:
                clusters.append(k8s_cluster())
            cluster = clusters[0]
        count[0] += 1
        full = {"state_dir": tempfile.mkdtemp(prefix="faasbus-kgw-"), "log_level": "info",
                "nats_url": "", "autoscale_interval": "200ms"}
        full.update(cluster.env())
        full.update(env or {})
        full = {k: v for k, v in full.items() if v is not None}
        gw = KubeGateway([os.path.join(BIN, "faasbus-gateway")], full,
                         str(tmp_path / f"kgateway{count[0]}.log"))
        gw.cluster = cluster
        gw.state_dir = full["state_dir"]  # unused: the cluster holds the state
        daemons.append(gw.start())
        if wait:
            wait_for(lambda: gateway_up(gw), 15, what="gateway /healthz")
            # What the cluster holds is served once the first listing is in.
            wait_for(lambda: "namespace openfaas-fn: " in gw.text() and
                     " deployments listed" in gw.text(), 15, what="first listing")
        return gw
    return start
