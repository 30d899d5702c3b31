"""deploy/swarm/stack.yml on a real single-node swarm: `docker stack
deploy` runs the gateway as a service (driver=swarm, the engine's
socket, basic auth from Swarm secrets), NATS with JetStream, the queue
worker; a function deployed through it is a service on the `faasbus`
overlay, reached at its task's address, sync and async."""
import os
import subprocess
import time
import uuid

import pytest
import requests

from conftest import BUILD, ROOT, SLOW, wait_for
from docker_util import DOCKER, in_netns

pytestmark = pytest.mark.xdist_group("swarm")
STACK = os.path.join(ROOT, "deploy/swarm/stack.yml")
PORT = 18081  # inside the engine's own network namespace: nothing else there


@pytest.fixture
def stack(swarm_engine):
    env = dict(os.environ, DOCKER_HOST=swarm_engine.host, DOCKER=DOCKER, BUILD=BUILD)
    out = subprocess.run([os.path.join(ROOT, "scripts/images.sh")], env=env,
                         capture_output=True, text=True, timeout=600 * SLOW)
    assert out.returncode == 0, out.stdout + out.stderr
    name = "s" + uuid.uuid4().hex[:8]
    password = uuid.uuid4().hex
    for secret, value in (("basic-auth-user", "admin"), ("basic-auth-password", password)):
        swarm_engine.cli("secret", "create", f"{name}-{secret}", "-", input=value.encode())
    env.update(DOCKER_SOCKET=swarm_engine.sock, FAASBUS_INSTANCE=name,
               FAASBUS_NETWORK=f"{name}-net", FAASBUS_SECRET_PREFIX=f"{name}-",
               GATEWAY_PORT=str(PORT))
    up = subprocess.run([DOCKER, "stack", "deploy", "-c", STACK, name], env=env,
                        capture_output=True, text=True, timeout=300 * SLOW)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield swarm_engine, name, ("admin", password)
    finally:
        for svc in ("gateway", "nats"):
            for what in (["service", "ps", "--no-trunc"], ["service", "logs"]):
                out = subprocess.run([DOCKER, *what, f"{name}_{svc}"], env=env,
                                     capture_output=True, text=True, timeout=120 * SLOW)
                print((out.stdout + out.stderr)[-3000:])
        subprocess.run([DOCKER, "stack", "rm", name], env=env, capture_output=True,
                       timeout=300 * SLOW)
        swarm_engine.remove_services(f"com.faasbus.instance={name}")
        wait_for(lambda: not swarm_engine.services(f"com.docker.stack.namespace={name}"), 120,
                 what="the stack's services gone")
        # Volumes and secrets go once no task holds them.
        deadline = time.monotonic() + 60 * SLOW
        while time.monotonic() < deadline:
            vols = swarm_engine.cli("volume", "ls", "-q", "--filter",
                                    f"label=com.docker.stack.namespace={name}",
                                    check=False).stdout.split()
            if not vols or swarm_engine.cli("volume", "rm", *vols, check=False).returncode == 0:
                break
            time.sleep(0.5)
        secrets = swarm_engine.cli("secret", "ls", "-q", check=False).stdout.split()
        for s in secrets:
            _, info = swarm_engine.api("GET", f"/secrets/{s.decode()}")
            spec = info.get("Spec", {}) if isinstance(info, dict) else {}
            if spec.get("Name", "").startswith(name + "-"):
                swarm_engine.api("DELETE", f"/secrets/{s.decode()}")


def http(engine, method, path, **kw):
    kw.setdefault("timeout", 30 * SLOW)
    return in_netns(engine.pid, lambda: requests.request(
        method, f"http://127.0.0.1:{PORT}{path}", **kw))


def test_the_stack_deploys_faasbus_and_runs_a_function_as_a_service(stack):
    engine, name, auth = stack

    def up():
        try:
            return http(engine, "GET", "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False
    wait_for(up, 120, interval=0.5, what="the gateway service's /healthz")
    assert http(engine, "GET", "/system/functions").status_code == 401
    r = http(engine, "POST", "/system/functions", auth=auth,
             json={"service": "upper", "image": "faasbus/watchdog:latest",
                   "envProcess": "tr a-z A-Z"})
    assert r.status_code == 202, r.text

    def answered():
        try:
            return http(engine, "POST", "/function/upper", data=b"hi").text == "HI"
        except requests.RequestException:
            return False
    wait_for(answered, 120, interval=0.5, what="the function answering through the stack")
    [svc] = engine.services(f"com.faasbus.instance={name}")
    nets = svc["Spec"]["TaskTemplate"]["Networks"]
    status, net = engine.api("GET", f"/networks/{nets[0]['Target']}")
    assert status == 200 and net["Name"] == f"{name}-net", net


# Seen twice (once in CI on a loaded machine): the gateway, started
# before the nats task exists, still could not reach nats://nats:4222
# after two minutes, while the same client reconnects as soon as a name
# resolves and a server listens when tried by hand. If it comes back, the
# teardown prints both services' tasks and logs, which tell whether the
# nats task ever ran.
def test_the_stack_runs_async_calls_through_nats(stack):
    engine, name, auth = stack

    def up():
        try:
            return http(engine, "GET", "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False
    wait_for(up, 120, interval=0.5, what="the gateway service's /healthz")
    r = http(engine, "POST", "/system/functions", auth=auth,
             json={"service": "upper", "image": "faasbus/watchdog:latest",
                   "envProcess": "tr a-z A-Z"})
    assert r.status_code == 202, r.text
    # NATS may come up after the gateway: it reconnects, and until then
    # says why it cannot queue.
    last = [""]

    def queued():
        r = http(engine, "POST", "/async-function/upper", data=b"later")
        assert r.status_code in (202, 503), r.text
        last[0] = r.text
        return r.status_code == 202
    try:
        wait_for(queued, 180, interval=0.5, what="the async call queued")
    except AssertionError as e:
        raise AssertionError(f"{e}; the gateway's last answer: {last[0]}") from None
    deadline = time.monotonic() + 90 * SLOW
    while time.monotonic() < deadline:
        st = http(engine, "GET", "/system/function/upper", auth=auth).json()
        if st["invocationCount"] >= 1:
            break
        time.sleep(0.5)
    assert st["invocationCount"] >= 1, st
