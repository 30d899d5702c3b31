"""faasbus up where the driver runs images: the handler folder becomes an
image on the engine the docker CLI finds (DOCKER_HOST), then a container
function, with no registry."""
import pytest

from cli_util import cli  # noqa: F401 (fixture)
from conftest import wait_for
from docker_util import TEST_IMAGE, docker_engine, docker_gateway  # noqa: F401 (fixtures)

pytestmark = pytest.mark.xdist_group("docker")


def test_up_builds_the_handler_into_an_image_and_deploys_it(docker_gateway, cli):
    gw = docker_gateway()
    engine = gw.engine
    # The test image is the watchdog on busybox, as faasbus/watchdog is.
    env = {"OPENFAAS_URL": gw.url, "DOCKER_HOST": engine.host, "FAASBUS_BASE_IMAGE": TEST_IMAGE}
    cli("new", "shouter", "--lang", "shell", env=env, check=0)
    stack = cli.cwd + "/stack.yml"
    text = open(stack).read()
    tag = f"faasbus-test/shouter-{gw.instance}:1"
    text = "\n".join(f"    image: {tag}" if line.strip().startswith("image:") else line
                     for line in text.splitlines()) + "\n"
    open(stack, "w").write(text)
    r = cli("up", "--wait", env=env, check=0)
    assert "shouter is ready." in r.out
    assert tag in engine.cli("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.decode()
    assert all(c["Image"] == tag for c in gw.containers("shouter"))
    assert gw.containers("shouter")
    r = cli("invoke", "shouter", input=b"world", env=env, check=0)
    assert r.out.strip() == "Hello from shell: world"
    # A handler change is a new image under the same tag: the function rolls
    # onto it (the old container answers until the new one is ready).
    first = {c["Id"] for c in gw.containers("shouter")}
    handler = cli.cwd + "/shouter/handler.sh"
    text = open(handler).read()
    open(handler, "w").write(text.replace("Hello from", "Hi from"))
    cli("up", env=env, check=0)
    wait_for(lambda: not first & {c["Id"] for c in gw.containers("shouter")}, 60,
             what="the old container to go")
    assert cli("invoke", "shouter", input=b"again", env=env, check=0).out.strip() \
        == "Hi from shell: again"


def test_up_says_why_a_build_fails_and_deploys_nothing(docker_gateway, cli):
    gw = docker_gateway()
    env = {"OPENFAAS_URL": gw.url, "DOCKER_HOST": gw.engine.host,
           "FAASBUS_BASE_IMAGE": "faasbus-test/no-such-base:1"}
    cli("new", "broken", "--lang", "shell", env=env, check=0)
    r = cli("up", env=env, check=1)
    assert "docker build" in r.err and "failed" in r.err
    assert gw.api("GET", "/system/functions").json() == []
    cli.write("noimage.yml", "functions:\n  bare:\n    handler: ./broken\n")
    r = cli("up", "-f", "noimage.yml", env=env, check=1)
    assert "noimage.yml:2" in r.err and "image" in r.err
