"""The docker driver on a real Docker Engine: a function is a container
image; deploy, invoke (classic and http mode), a non-faasbus image, what
the container sees (env, labels, secrets, limits), scaling, logs."""
import json
import os
import subprocess
import re
import uuid

import pytest

from conftest import wait_for
from docker_util import DOCKER, PLAIN_IMAGE, TEST_IMAGE

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


def test_an_http_mode_image_answers_through_the_gateway(docker_gateway):
    gw = docker_gateway()
    gw.deploy("web", image=TEST_IMAGE, env_process="/usr/bin/testfn-http 9000",
              envVars={"mode": "http", "upstream_url": "http://127.0.0.1:9000"})
    gw.wait_available("web", 1, timeout=60)
    r = gw.call("web", "/echo", data=b"through http mode")
    assert r.status_code == 200, r.text
    assert r.text == "through http mode"


def test_an_image_without_the_watchdog_is_a_function_too(docker_gateway):
    # busybox httpd on 8080: no /_/health, no faasbus inside.
    gw = docker_gateway()
    gw.deploy("plain", image=PLAIN_IMAGE, env_process=None)
    gw.wait_available("plain", 1, timeout=60)
    r = gw.call("plain", "/", method="GET")
    assert r.status_code == 200, r.text
    assert r.text == "plain http server\n"


def test_env_vars_labels_and_secrets_reach_the_container(docker_gateway):
    gw = docker_gateway()
    r = gw.api("POST", "/system/secrets", json={"name": "api-key", "value": "s3cret"})
    assert r.status_code in (200, 201), r.text
    gw.deploy("seer", image=TEST_IMAGE, env_process="env",
              envVars={"GREETING": "hi there"}, labels={"team": "blue"}, secrets=["api-key"],
              annotations={"topic": "t1"})
    gw.deploy("keyreader", image=TEST_IMAGE,
              env_process="cat /var/openfaas/secrets/api-key", secrets=["api-key"])
    gw.wait_available("seer", 1, timeout=60)
    gw.wait_available("keyreader", 1, timeout=60)
    env = gw.call("seer").text
    assert "GREETING=hi there" in env.splitlines(), env
    assert gw.call("keyreader").text == "s3cret"
    [c] = gw.running("seer")
    assert c["Labels"]["team"] == "blue"
    assert c["Labels"]["com.openfaas.annotations.topic"] == "t1"
    assert c["Labels"]["com.faasbus.function"] == "seer"
    assert c["Labels"]["com.faasbus.namespace"] == "openfaas-fn"
    # Read-only: the function cannot change its secret.
    wr = gw.call("keyreader")  # warm
    assert wr.status_code == 200
    status, info = gw.engine.api("GET", f"/containers/{c['Id']}/json")
    assert status == 200
    [mount] = [m for m in info["Mounts"] if m["Destination"] == "/var/openfaas/secrets/api-key"]
    assert mount["RW"] is False


def test_memory_and_cpu_limits_are_applied(docker_gateway):
    gw = docker_gateway()
    gw.deploy("small", image=TEST_IMAGE,
              env_process="cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
              limits={"memory": "64Mi", "cpu": "500m"}, requests={"memory": "32Mi"},
              readOnlyRootFilesystem=True)
    gw.wait_available("small", 1, timeout=60)
    [c] = gw.running("small")
    status, info = gw.engine.api("GET", f"/containers/{c['Id']}/json")
    host = info["HostConfig"]
    assert host["Memory"] == 64 * 1024 * 1024
    assert host["NanoCpus"] == 500_000_000
    assert host["MemoryReservation"] == 32 * 1024 * 1024
    assert host["ReadonlyRootfs"] is True
    assert host["Privileged"] is False
    # Enforced by the kernel, as the function itself sees it.
    assert gw.call("small").text.strip() == str(64 * 1024 * 1024)


def test_scale_0_3_1_and_from_zero_on_a_call(docker_gateway):
    gw = docker_gateway()
    gw.deploy("many", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("many", 1, timeout=60)
    gw.scale("many", 0)
    wait_for(lambda: not gw.containers("many"), 60, interval=0.2, what="no container")
    assert gw.available("many") == 0
    gw.scale("many", 3)
    gw.wait_available("many", 3, timeout=90)
    assert len(gw.running("many")) == 3
    assert all(gw.call("many", data=b"x").status_code == 200 for _ in range(5))
    gw.scale("many", 1)
    wait_for(lambda: len(gw.containers("many")) == 1, 60, interval=0.2, what="one container")
    gw.wait_available("many", 1)
    gw.scale("many", 0)
    wait_for(lambda: not gw.containers("many"), 60, interval=0.2, what="no container")
    # A call to a function at zero replicas starts one and is answered.
    r = gw.call("many", data=b"wake up")
    assert r.status_code == 200, r.text
    assert r.text == "wake up"
    assert gw.status("many")["replicas"] == 1


def test_logs_carry_the_containers_output(docker_gateway):
    gw = docker_gateway()
    gw.deploy("talker", image=TEST_IMAGE, env_process="ls /said-on-stderr",
              envVars={"combine_output": "false"})
    gw.wait_available("talker", 1, timeout=60)
    gw.call("talker", data=b"x")  # ls fails: its complaint goes to stderr

    def logged():
        r = gw.api("GET", "/system/logs", params={"name": "talker"})
        lines = [json.loads(line) for line in r.text.splitlines() if line]
        return any("said-on-stderr" in line["text"] for line in lines)
    wait_for(logged, 30, interval=0.2, what="the container's stderr in /system/logs")
    # The engine's timestamp moved into "timestamp": the text keeps only
    # what the container wrote (the watchdog stamps its own lines).
    r = gw.api("GET", "/system/logs", params={"name": "talker"})
    twice = re.compile(r"^\d{4}-\d\d-\d\dT\S+Z \d{4}-\d\d-\d\dT")
    for line in (json.loads(x) for x in r.text.splitlines() if x):
        assert line["timestamp"].endswith("Z"), line
        assert not twice.match(line["text"]), line


def test_removing_a_function_removes_its_containers(docker_gateway):
    gw = docker_gateway()
    gw.deploy("brief", image=TEST_IMAGE, env_process="cat")
    gw.scale("brief", 2)
    gw.wait_available("brief", 2, timeout=60)
    r = gw.api("DELETE", "/system/functions", json={"functionName": "brief"})
    assert r.status_code == 202, r.text
    wait_for(lambda: not gw.containers("brief"), 60, interval=0.2, what="containers removed")
    assert gw.status("brief") is None


def test_replicas_on_a_user_network_are_reached_at_their_address(docker_gateway):
    # As a gateway running in a container would: no published port.
    net = "fbnet-" + uuid.uuid4().hex[:8]
    gw = docker_gateway(env={"docker_network": net, "docker_publish": "false"})
    gw.deploy("inside", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("inside", 1, timeout=60)
    assert gw.call("inside", data=b"over the network").text == "over the network"
    [c] = gw.running("inside")
    assert list(c["NetworkSettings"]["Networks"]) == [net]
    assert not [p for p in c["Ports"] if p.get("PublicPort")]
    status, info = gw.engine.api("GET", f"/networks/{net}")
    assert status == 200 and info["Name"] == net


def test_an_images_own_healthcheck_decides_readiness(docker_gateway):
    # Healthy only once the function has made /tmp/ok: the engine's check
    # holds the replica back even though /_/health answers.
    gw = docker_gateway()
    ctx = gw.engine.dir + "/hc-build"
    os.makedirs(ctx, exist_ok=True)
    with open(ctx + "/Dockerfile", "w") as f:
        f.write(f"FROM {TEST_IMAGE}\n"
                "HEALTHCHECK --interval=1s CMD test -f /tmp/ok\n")
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    subprocess.run([DOCKER, "-H", gw.engine.host, "build", "-q", "-t", "faasbus/healthcheck:1",
                    ctx], env=env, check=True, capture_output=True, timeout=300)
    gw.deploy("checked", image="faasbus/healthcheck:1", env_process="cat")
    wait_for(lambda: len(gw.running("checked")) == 1, 60, interval=0.2, what="the container")
    [c] = gw.running("checked")
    assert "health" in c["Status"], c["Status"]
    assert gw.available("checked") == 0
    gw.engine.cli("exec", c["Id"], "touch", "/tmp/ok")
    gw.wait_available("checked", 1, timeout=60)
    assert gw.call("checked", data=b"ok").text == "ok"
