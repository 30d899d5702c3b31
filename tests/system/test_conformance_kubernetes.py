"""The OpenFaaS conformance suite (conformance.py, conformance_autoscale.py)
on the kubernetes driver: the same tests as on the process driver, with
the replicas as pods of the API-server stand-in's node agent."""
import pytest

from conftest import FIXTURES, free_port
from conformance import *  # noqa: F401,F403 (the suite's tests)
from conformance_autoscale import *  # noqa: F401,F403
from kubernetes_gateway import IMAGE, k8s_gateway  # noqa: F401 (fixture)
from k8s_util import k8s_cluster  # noqa: F401 (fixture)


class KubeKit:
    """Pods run the faasbus/test image's watchdog as processes of this
    host, so the redirector is the test fixture binary on a free port."""
    image = IMAGE
    secrets_path = "/var/openfaas/secrets"

    @staticmethod
    def deploy_redirector(gw, name):
        port = free_port()
        gw.deploy(name, env_process=f"{FIXTURES}/testfn-http {port}", image=IMAGE,
                  envVars={"mode": "http", "upstream_url": f"http://127.0.0.1:{port}"})


@pytest.fixture
def conformance_gw(k8s_gateway):
    gw = k8s_gateway()
    gw.kit = KubeKit()
    return gw


@pytest.fixture
def conformance_start(k8s_gateway):
    """A restart on the same cluster is the same gateway: its state is
    the cluster's."""
    def start(env=None, state_dir=None):
        gw = k8s_gateway(env)
        gw.kit = KubeKit()
        return gw
    return start
