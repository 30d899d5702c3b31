"""The OpenFaaS conformance suite (conformance.py, conformance_autoscale.py)
on the docker driver: the same tests as on the process driver, with the
replicas as containers on the worker's engine (docker_util.py)."""
import pytest

from conformance import *  # noqa: F401,F403 (the suite's tests)
from conformance_autoscale import *  # noqa: F401,F403
from docker_util import TEST_IMAGE, docker_engine, docker_gateway  # noqa: F401 (fixtures)

pytestmark = pytest.mark.xdist_group("docker")


class DockerKit:
    """The test image has busybox (sha512sum, env, sh) and the watchdog;
    each container has its own network, so the redirector's upstream port
    can be fixed."""
    image = TEST_IMAGE
    secrets_path = "/var/openfaas/secrets"

    @staticmethod
    def deploy_redirector(gw, name):
        gw.deploy(name, env_process="/usr/bin/testfn-http 9000", image=DockerKit.image,
                  envVars={"mode": "http", "upstream_url": "http://127.0.0.1:9000"})


@pytest.fixture
def conformance_gw(docker_gateway):
    gw = docker_gateway()
    gw.kit = DockerKit()
    return gw


@pytest.fixture
def conformance_start(docker_gateway):
    made = {}

    def start(env=None, state_dir=None):
        # A restart on the same state_dir is the same gateway: it keeps its
        # instance name, so it adopts its containers.
        instance = made.get(state_dir) if state_dir else None
        gw = docker_gateway(env, state_dir=state_dir, instance=instance)
        made[gw.state_dir] = gw.instance
        gw.kit = DockerKit()
        return gw
    return start
