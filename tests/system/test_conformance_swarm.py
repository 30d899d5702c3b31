"""The OpenFaaS conformance suite (conformance.py, conformance_autoscale.py) on the swarm driver:
each function a service on a single-node swarm of its own."""
import pytest

from conformance import *  # noqa: F401,F403 (the suite's tests)
from conformance_autoscale import *  # noqa: F401,F403
from docker_util import TEST_IMAGE

pytestmark = pytest.mark.xdist_group("swarm")


class SwarmKit:
    """How the swarm driver runs the suite's functions: the test image
    (busybox and the watchdog), secrets at OpenFaaS's path in the task."""
    image = TEST_IMAGE
    secrets_path = "/var/openfaas/secrets"

    @staticmethod
    def deploy_redirector(gw, name):
        gw.deploy(name, env_process="/usr/bin/testfn-http 9000", image=TEST_IMAGE,
                  envVars={"mode": "http", "upstream_url": "http://127.0.0.1:9000"})


@pytest.fixture
def conformance_gw(swarm_gateway):
    gw = swarm_gateway()
    gw.kit = SwarmKit()
    return gw


@pytest.fixture
def conformance_start(swarm_gateway):
    instances = {}  # a restart on the same state adopts the same services

    def start(env=None, state_dir=None):
        gw = swarm_gateway(env, state_dir=state_dir, instance=instances.get(state_dir))
        instances[gw.state_dir] = gw.instance
        gw.kit = SwarmKit()
        return gw
    return start
