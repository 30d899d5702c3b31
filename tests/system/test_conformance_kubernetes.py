"""The OpenFaaS conformance suite (conformance.py, conformance_autoscale.py)
on the kubernetes driver: the same tests as on the process driver, with
the replicas as pods of the API-server stand-in's node agent."""
import pytest

from conformance import *  # noqa: F401,F403 (the suite's tests)
from conformance_autoscale import *  # noqa: F401,F403
from kubernetes_gateway import IMAGE, k8s_gateway  # noqa: F401 (fixture)
from k8s_util import k8s_cluster  # noqa: F401 (fixture)


class KubeKit:
    """Pods run the faasbus/test image's watchdog as processes; the
    redirector's upstream listens on the pod's own loopback address."""
    image = IMAGE
    secrets_path = "/var/openfaas/secrets"

    @staticmethod
    def deploy_redirector(gw, name):
        gw.deploy(name, env_process="/usr/bin/testfn-http 9000", image=IMAGE,
                  envVars={"mode": "http", "upstream_url": "http://127.0.0.1:9000"})


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
