"""deploy/docker/docker-compose.yml on a real engine: the gateway itself
in a container with the docker driver and the engine's socket, NATS with
JetStream, the queue worker, the dev broker and the connector; a function
deployed through it runs as a sibling container on the `faasbus` network,
sync and async, and its topic annotation becomes the connector's route."""
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

from conftest import BUILD, ROOT, SLOW, wait_for
from docker_util import DOCKER, in_netns

pytestmark = pytest.mark.xdist_group("docker")
COMPOSE = os.path.join(ROOT, "deploy/docker/docker-compose.yml")
PORT = 18080  # inside the engine's own network namespace: nothing else there


@pytest.fixture
def stack(docker_engine):
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed")
    env = dict(os.environ, DOCKER_HOST=docker_engine.host, DOCKER=DOCKER, BUILD=BUILD)
    out = subprocess.run([os.path.join(ROOT, "scripts/images.sh")], env=env,
                         capture_output=True, text=True, timeout=600 * SLOW)
    assert out.returncode == 0, out.stdout + out.stderr
    state = tempfile.mkdtemp(prefix="faasbus-compose-")
    instance = "c" + uuid.uuid4().hex[:10]
    env.update(DOCKER_SOCKET=docker_engine.sock, FAASBUS_STATE=state,
               FAASBUS_INSTANCE=instance, GATEWAY_PORT=str(PORT))
    project = ["docker-compose", "-p", instance, "-f", COMPOSE]
    up = subprocess.run(project + ["up", "-d"], env=env,
                        capture_output=True, text=True, timeout=300 * SLOW)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield docker_engine, instance
    finally:
        logs = subprocess.run(project + ["logs", "--no-color"], env=env, capture_output=True,
                              text=True, timeout=120 * SLOW).stdout
        print(logs[-4000:])
        subprocess.run(project + ["down", "-v"], env=env, capture_output=True,
                       timeout=300 * SLOW)
        docker_engine.remove_containers(f"com.faasbus.instance={instance}")
        shutil.rmtree(state, ignore_errors=True)


def http(engine, method, path, **kw):
    """A request to the stack's gateway, published inside the engine's
    namespace."""
    kw.setdefault("timeout", 30 * SLOW)
    return in_netns(engine.pid, lambda: requests.request(
        method, f"http://127.0.0.1:{PORT}{path}", **kw))


def test_the_compose_stack_runs_functions_as_sibling_containers(stack):
    engine, instance = stack

    def up():
        try:
            return http(engine, "GET", "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False
    wait_for(up, 60, interval=0.3, what="the gateway container's /healthz")
    r = http(engine, "POST", "/system/functions",
             json={"service": "upper", "image": "faasbus/watchdog:latest",
                   "envProcess": "tr a-z A-Z"})
    assert r.status_code == 202, r.text

    def answered():
        try:
            return http(engine, "POST", "/function/upper", data=b"hi").text == "HI"
        except requests.RequestException:
            return False
    wait_for(answered, 90, interval=0.3, what="the function answering through the stack")
    [c] = engine.containers(f"com.faasbus.instance={instance}")
    assert "faasbus" in c["NetworkSettings"]["Networks"]
    # Async: stored in JetStream, run by the queue worker.
    r = http(engine, "POST", "/async-function/upper", data=b"later")
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60 * SLOW
    while time.monotonic() < deadline:
        st = http(engine, "GET", "/system/function/upper").json()
        if st["invocationCount"] >= 2:
            break
        time.sleep(0.3)
    assert st["invocationCount"] >= 2, st


def connector_get(engine, instance, path):
    """The connector listens in the dev broker's container (it shares its
    network namespace), reached at that container's address."""
    [c] = [c for c in engine.containers(f"com.docker.compose.project={instance}")
           if c["Labels"].get("com.docker.compose.service") == "devkafka"]
    ip = c["NetworkSettings"]["Networks"]["faasbus"]["IPAddress"]
    return in_netns(engine.pid, lambda: requests.get(f"http://{ip}:8081{path}",
                                                     timeout=5 * SLOW))


def test_the_compose_connector_reads_the_dev_broker_and_routes_topics(stack):
    engine, instance = stack

    def ready():
        try:
            return connector_get(engine, instance, "/readyz").status_code == 200
        except requests.RequestException:
            return False
    wait_for(ready, 90, interval=0.5, what="the connector ready on the dev broker")
    r = http(engine, "POST", "/system/functions",
             json={"service": "shout", "image": "faasbus/watchdog:latest",
                   "envProcess": "tr a-z A-Z", "annotations": {"topic": "words"}})
    assert r.status_code == 202, r.text

    def routed():
        routes = connector_get(engine, instance, "/routes").json()["routes"]
        return any(r["function"] == "shout" for r in routes)
    wait_for(routed, 60, interval=0.5, what="the annotation as a connector route")
