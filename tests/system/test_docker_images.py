"""`make images` (scripts/images.sh): faasbus's own images, built with no
registry, run on a real engine; a function on the faasbus/watchdog base
runs under the docker driver."""
import io
import os
import subprocess
import tarfile

import pytest

from conftest import BUILD, ROOT, SLOW
from docker_util import DOCKER
from k8s_manifests import version

pytestmark = pytest.mark.xdist_group("docker")


@pytest.fixture(scope="module")
def images(docker_engine):
    env = dict(os.environ, DOCKER_HOST=docker_engine.host, DOCKER=DOCKER, BUILD=BUILD)
    out = subprocess.run([os.path.join(ROOT, "scripts/images.sh"), "t1"], env=env,
                         capture_output=True, text=True, timeout=600 * SLOW)
    assert out.returncode == 0, out.stdout + out.stderr
    return docker_engine


def test_every_image_is_built(images):
    tags = {t for img in images.api("GET", "/images/json")[1] for t in img["RepoTags"] or []}
    for name in ("watchdog", "gateway", "queue-worker", "connector", "devkafka"):
        assert f"faasbus/{name}:t1" in tags, tags
        # The release tag, which deploy/kubernetes/ names.
        assert f"faasbus/{name}:{version()}" in tags, tags


@pytest.mark.parametrize("name", ["gateway", "queue-worker", "connector"])
def test_each_daemon_image_runs_its_binary_alone(images, name):
    # Nothing but the binary and its libraries: it starts and answers.
    out = images.cli("run", "--rm", f"faasbus/{name}:t1", "--version", check=False)
    assert out.returncode == 0, out.stderr
    assert b"faasbus" in out.stdout + out.stderr


def test_the_gateway_image_holds_libcurl_which_it_loads_on_demand(images):
    # ldd cannot see a dlopen(): without libcurl the gateway aborts on its
    # first engine call, so a docker or swarm gateway would never be healthy.
    made = images.cli("create", "faasbus/gateway:t1")
    cid = made.stdout.decode().strip()
    try:
        tar = images.cli("export", cid).stdout
    finally:
        images.cli("rm", cid, check=False)
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        names = {os.path.basename(n) for n in t.getnames()}
    assert "libcurl.so.4" in names, sorted(names)
    # and what libcurl itself links, e.g. its TLS library
    assert any(n.startswith("libnghttp2.so") for n in names), sorted(names)


def test_a_function_on_the_watchdog_base_image_runs_on_the_docker_driver(images,
                                                                         docker_gateway):
    gw = docker_gateway()
    gw.deploy("based", image="faasbus/watchdog:t1", env_process="tr a-z A-Z")
    gw.wait_available("based", 1, timeout=60)
    assert gw.call("based", data=b"from the base image").text == "FROM THE BASE IMAGE"


@pytest.mark.parametrize("template,path,method,body,answer", [
    ("classic", "", "POST", b"hi there", "POST: HI THERE"),
    ("http", "/cgi-bin/hello?x=1", "GET", None, "hello from http mode, query=x=1\n"),
])
def test_the_templates_build_into_functions(images, docker_gateway, template, path, method,
                                            body, answer):
    tag = f"faasbus/template-{template}:t1"
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    out = subprocess.run([DOCKER, "-H", images.host, "build", "-q", "--build-arg",
                          "BASE=faasbus/watchdog:t1", "-t", tag,
                          os.path.join(ROOT, "templates", template)],
                         env=env, capture_output=True, text=True, timeout=300 * SLOW)
    assert out.returncode == 0, out.stderr
    gw = docker_gateway()
    gw.deploy(template, image=tag, env_process=None)
    gw.wait_available(template, 1, timeout=60)
    r = gw.call(template, path, method=method, data=body)
    assert r.status_code == 200, r.text
    assert r.text == answer
