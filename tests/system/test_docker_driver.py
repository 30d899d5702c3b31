"""The docker driver on a real Docker Engine: a function is a container
image; deploy, invoke (classic and http mode), a non-faasbus image, what
the container sees (env, labels, secrets, limits), scaling, logs."""
import pytest

from conftest import wait_for
from docker_util import PLAIN_IMAGE, TEST_IMAGE

pytestmark = pytest.mark.xdist_group("docker")


def test_a_classic_mode_image_answers_through_the_gateway(docker_gateway):
    gw = docker_gateway()
    gw.deploy("echo", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("echo", 1, timeout=60)
    r = gw.call("echo", data=b"hello container")
    assert r.status_code == 200, r.text
    assert r.text == "hello container"
    [c] = gw.running("echo")
    assert c["Image"] == TEST_IMAGE
    assert gw.api("GET", "/system/info").json()["provider"]["orchestration"] == "docker"
