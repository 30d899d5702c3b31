"""A faasbus-gateway with driver=kubernetes against the API-server stand-in
(k8s_util.k8s_cluster): every test gets its own cluster, so its pods, pod
IPs and objects are its own."""
import os
import shutil
import tempfile

import pytest

from conftest import BIN, Gateway, gateway_up, wait_for
from k8s_util import k8s_cluster  # noqa: F401 (fixture)

IMAGE = "faasbus/test:latest"


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
    clusters, dirs = [], []
    count = [0]

    def start(env=None, cluster=None, wait=True):
        if cluster is None:
            if not clusters:
                clusters.append(k8s_cluster())
            cluster = clusters[0]
        count[0] += 1
        dirs.append(tempfile.mkdtemp(prefix="faasbus-kgw-"))
        full = {"state_dir": dirs[-1], "log_level": "info",
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
    yield start
    for gw in daemons:
        if isinstance(gw, KubeGateway) and gw.proc.poll() is None:
            gw.stop()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
