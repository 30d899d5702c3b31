"""The OpenFaaS conformance suite (conformance.py, conformance_autoscale.py)
on the process driver."""
import os

import pytest

from conformance import *  # noqa: F401,F403 (the suite's tests)
from conformance_autoscale import *  # noqa: F401,F403
from conftest import free_port
from test_gateway_invoke import TESTFN


class ProcessKit:
    """How the process driver runs the suite's functions: commands on this
    host, any image name."""
    image = "functions/alpine:latest"
    # As root, each replica has its own mount namespace with its secrets
    # at OpenFaaS's path; otherwise they are only at $secret_mount_path.
    secrets_path = "/var/openfaas/secrets" if os.geteuid() == 0 else "$secret_mount_path"

    @staticmethod
    def deploy_redirector(gw, name):
        port = free_port()  # an http-mode function's upstream: one replica
        gw.deploy(name, env_process=f"{TESTFN} {port}", image=ProcessKit.image,
                  envVars={"mode": "http", "upstream_url": f"http://127.0.0.1:{port}"})


@pytest.fixture
def conformance_gw(gateway):
    gw = gateway()
    gw.kit = ProcessKit()
    return gw


@pytest.fixture
def conformance_start(gateway):
    def start(env=None, state_dir=None):
        gw = gateway(env, state_dir=state_dir)
        gw.kit = ProcessKit()
        return gw
    return start
