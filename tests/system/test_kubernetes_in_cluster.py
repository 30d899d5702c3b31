"""The gateway as deploy/kubernetes/30-gateway.yaml runs it, in-cluster:
two replicas with exactly their Deployment's environment and volumes,
each in a mount namespace of its own where the service account's token,
CA and namespace are where the kubelet puts them, KUBERNETES_SERVICE_HOST
and _PORT naming the API server stand-in, and nothing else to say where
the cluster is. They pass their probes, guard /system with the Secret's
basic auth, serve each other's functions (the state is the cluster's),
and one of them holds the autoscaler's Lease in the gateway's own
namespace, where the manifests' Role allows it."""
import os
import shutil
import urllib.parse

import pytest
import requests

from conftest import wait_for
from k8s_deployed import AUTH, NAMESPACE, kubectl_apply, nats, probe, start_as_deployed
from k8s_manifests import find
from k8s_util import k8s_cluster

__all__ = ["k8s_cluster", "nats"]  # fixtures

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# In a private mount namespace: a tmpfs over the real /run (only this
# process sees it), the service account's files copied under it, then
# the gateway. $0 is the folder of those files.
MOUNT_SA = ('mount -t tmpfs -o mode=755 faasbus-sa "$(readlink -f /var/run)" && '
            f'mkdir -p {SA_DIR} && cp "$0"/token "$0"/ca.crt "$0"/namespace {SA_DIR}/ && '
            'exec "$@"')


def service_account(cluster, tmp_path):
    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    (sa / "token").write_text(cluster.token)
    with open(cluster.ca_path) as f:
        (sa / "ca.crt").write_text(f.read())
    (sa / "namespace").write_text(NAMESPACE)
    return sa


@pytest.fixture
def in_cluster_gateway(k8s_cluster, nats, daemons, tmp_path):
    """start(n) -> gateway replica n, as its pod runs it."""
    if os.geteuid() != 0:
        pytest.skip("a mount namespace of the gateway's own needs root")
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed")
    cluster = k8s_cluster()
    kubectl_apply(cluster, "00-namespaces.yaml", tmp_path)
    sa = service_account(cluster, tmp_path)
    api = urllib.parse.urlsplit(cluster.url)
    dns = {"nats.openfaas.svc:4222": f"127.0.0.1:{nats.port}",
           "connector.openfaas.svc:8081": "127.0.0.1:1"}
    wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNT_SA, str(sa)]

    pod_env = {"KUBERNETES_SERVICE_HOST": api.hostname,
               "KUBERNETES_SERVICE_PORT": str(api.port)}

    def start(n):
        gw, c = start_as_deployed("gateway", dns, tmp_path, daemons, wrap=wrap,
                                  log=f"gateway{n}", pod_env=pod_env)
        assert "KUBECONFIG" not in gw.env and "kubeconfig" not in gw.env
        return gw, c
    start.cluster = cluster
    return start


def test_two_gateway_replicas_run_in_cluster_as_deployed(in_cluster_gateway):
    cluster = in_cluster_gateway.cluster
    replicas = int(find("Deployment", "gateway", NAMESPACE)["spec"]["replicas"])
    assert replicas >= 2
    gws = []
    for n in range(replicas):
        gw, c = in_cluster_gateway(n)
        probe(gw, c)
        gws.append(gw)
    a, b = gws[0], gws[1]
    # /system wants the Secret's credentials.
    assert requests.get(a.url + "/system/functions", timeout=5).status_code == 401
    r = requests.post(a.url + "/system/functions", auth=AUTH, timeout=10,
                      json={"service": "incluster", "image": "faasbus/watchdog:0.1.0",
                            "envProcess": "cat"})
    assert r.status_code == 202, r.text
    # The other replica serves it: the state is the cluster's.

    def available_on(gw):
        r = requests.get(gw.url + "/system/function/incluster", auth=AUTH, timeout=5)
        return r.status_code == 200 and r.json()["availableReplicas"] >= 1
    wait_for(lambda: available_on(b), 30, what="the function ready on the other replica")
    wait_for(lambda: requests.post(b.url + "/function/incluster", data=b"hi",
                                   timeout=10).content == b"hi", 30, what="a call through b")
    assert cluster.objects("deployments", "openfaas-fn")
    # An async call is stored in the NATS of the manifests.
    r = requests.post(a.url + "/async-function/incluster", data=b"later", timeout=10)
    assert r.status_code == 202, r.text
    # One replica holds the Lease, in the gateway's own namespace.

    def holder():
        leases = cluster.objects("leases", NAMESPACE)
        return leases and leases[0]["spec"].get("holderIdentity")
    wait_for(holder, 30, what="a Lease in openfaas")
    assert not cluster.objects("leases", "openfaas-fn")
    for gw in gws:
        assert gw.proc.poll() is None, gw.text()[-3000:]
