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


@pytest.mark.skipif(os.geteuid() != 0, reason="mount namespaces need root")
def test_secret_mounts_stay_in_the_replicas_namespace(gateway):
    """The bind mount of a replica's secrets is private to it: the host's
    /var/openfaas/secrets never shows them, and the replica cannot write
    there."""
    gw = gateway()
    r = gw.api("POST", "/system/secrets", json={"name": "private-one", "value": "v"})
    assert r.status_code in (200, 201, 202)
    gw.deploy("peek", env_process="sh -c 'cat /var/openfaas/secrets/private-one; "
              "echo x > /var/openfaas/secrets/new && echo WROTE; echo $secret_mount_path'",
              secrets=["private-one"])
    gw.wait_available("peek", 1)
    r = gw.call("peek")
    assert r.text.startswith("v")
    assert "WROTE" not in r.text
    assert r.text.rstrip().endswith("/var/openfaas/secrets")
    assert not os.path.exists("/var/openfaas/secrets/private-one")
    assert not os.path.exists("/var/openfaas/secrets/new")
