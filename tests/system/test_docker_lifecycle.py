"""The docker driver over time: rolling updates with calls flowing, a
killed container, a restarted gateway adopting its containers, two
gateways on one engine, image pull policy, and the engine itself going
away and coming back."""
import threading

import pytest
import requests

from conftest import env_of, metric, wait_for
from docker_util import TEST_IMAGE

pytestmark = pytest.mark.xdist_group("docker")


def deploy_version(gw, name, version, method="POST"):
    gw.deploy(name, image=TEST_IMAGE, env_process="env", method=method,
              envVars={"VERSION": version})


def test_a_rolling_update_fails_no_call(docker_gateway):
    gw = docker_gateway()
    deploy_version(gw, "roll", "1")
    gw.scale("roll", 2)
    gw.wait_available("roll", 2, timeout=60)
    old = {c["Id"] for c in gw.containers("roll")}
    answers, stop = [], threading.Event()

    def caller():
        while not stop.is_set():
            try:
                r = gw.call("roll", data=b"")
                answers.append((r.status_code, env_of(r.text).get("VERSION", r.text)))
            except requests.RequestException as e:
                answers.append((0, str(e)))
    threads = [threading.Thread(target=caller) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(answers) > 10, 30, what="calls flowing")
        deploy_version(gw, "roll", "2", method="PUT")
        wait_for(lambda: answers and answers[-1][1] == "2", 60, interval=0.1,
                 what="the new version answering")
        wait_for(lambda: not old & {c["Id"] for c in gw.containers("roll")}, 60, interval=0.2,
                 what="the old containers gone")
        n = len(answers)
        wait_for(lambda: len(answers) > n + 10, 30, what="calls after the update")
    finally:
        stop.set()
        for t in threads:
            t.join()
    bad = [a for a in answers if a[0] != 200]
    assert not bad, bad[:5]
    versions = [a[1] for a in answers]
    assert "1" in versions and versions[-1] == "2"
    assert len(gw.containers("roll")) == 2
    gw.wait_available("roll", 2)


def test_a_killed_container_comes_back(docker_gateway):
    gw = docker_gateway()
    gw.deploy("phoenix", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("phoenix", 1, timeout=60)
    [c] = gw.containers("phoenix")
    gw.engine.cli("kill", c["Id"])
    wait_for(lambda: gw.call("phoenix", data=b"again").text == "again", 60, interval=0.2,
             what="the function answering again")
    assert len(gw.running("phoenix")) == 1


def test_a_replaced_container_counts_as_a_restart(docker_gateway):
    gw = docker_gateway()
    gw.deploy("counted", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("counted", 1, timeout=60)
    [c] = gw.containers("counted")
    gw.engine.cli("rm", "-f", c["Id"])

    def restarts():
        return metric(gw.metrics(), "gateway_replica_restarts_total",
                      function_name="counted.openfaas-fn") or 0
    wait_for(lambda: restarts() == 1, 60, interval=0.2, what="the restart to be counted")
    gw.wait_available("counted", 1, timeout=60)


def test_a_container_removed_by_hand_is_recreated(docker_gateway):
    gw = docker_gateway()
    gw.deploy("stubborn", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("stubborn", 1, timeout=60)
    [c] = gw.containers("stubborn")
    gw.engine.cli("rm", "-f", c["Id"])
    wait_for(lambda: [x["Id"] for x in gw.running("stubborn")] not in ([], [c["Id"]]), 60,
             interval=0.2, what="a new container")
    gw.wait_available("stubborn", 1, timeout=60)
    assert gw.call("stubborn", data=b"back").text == "back"


def test_a_restarted_gateway_adopts_its_running_containers(docker_gateway):
    gw = docker_gateway()
    gw.deploy("keep", image=TEST_IMAGE, env_process="cat")
    gw.scale("keep", 2)
    gw.wait_available("keep", 2, timeout=60)
    before = sorted(c["Id"] for c in gw.running("keep"))
    assert gw.stop() == 0
    # The containers outlive the gateway...
    assert sorted(c["Id"] for c in gw.running("keep")) == before
    gw2 = docker_gateway(state_dir=gw.state_dir, instance=gw.instance)
    gw2.wait_available("keep", 2, timeout=60)
    # ...and the new one serves them, recreating nothing.
    assert gw2.call("keep", data=b"adopted").text == "adopted"
    assert sorted(c["Id"] for c in gw2.containers("keep")) == before
    assert "adopted container" in gw2.text()


def test_two_gateways_on_one_engine_leave_each_others_containers_alone(docker_gateway):
    a, b = docker_gateway(), docker_gateway()
    a.deploy("same", image=TEST_IMAGE, env_process="cat")
    b.deploy("same", image=TEST_IMAGE, env_process="cat")
    a.wait_available("same", 1, timeout=60)
    b.wait_available("same", 1, timeout=60)
    [cb] = b.containers("same")
    r = a.api("DELETE", "/system/functions", json={"functionName": "same"})
    assert r.status_code == 202
    wait_for(lambda: not a.containers("same"), 60, interval=0.2, what="a's container gone")
    assert [c["Id"] for c in b.running("same")] == [cb["Id"]]
    assert b.call("same", data=b"still").text == "still"


def test_policy_never_with_a_missing_image_fails_the_deploy(docker_gateway):
    gw = docker_gateway(env={"image_pull_policy": "Never"})
    r = gw.deploy("ghost", image="faasbus/not-here:1", env_process="cat", expect=400)
    assert "Never" in r.text and "faasbus/not-here:1" in r.text, r.text
    assert gw.status("ghost") is None
    assert not gw.containers("ghost")
    # A present image deploys under Never.
    gw.deploy("real", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("real", 1, timeout=60)


def test_a_pull_that_fails_fails_the_deploy_and_keeps_nothing(docker_gateway):
    # No registry is reachable: IfNotPresent must pull, and cannot.
    gw = docker_gateway()
    r = gw.api("POST", "/system/functions",
               json={"service": "nopull", "image": "faasbus/never-built:1", "envProcess": "cat",
                     "registryAuth": "dXNlcjpwYXNz"})
    assert r.status_code in (400, 503), r.text
    assert "pull failed" in r.text and "faasbus/never-built:1" in r.text, r.text
    assert gw.status("nopull") is None
    assert "pull failed" in gw.text()


def test_registry_credentials_are_not_kept(docker_gateway):
    gw = docker_gateway()
    gw.deploy("secretive", image=TEST_IMAGE, env_process="cat", registryAuth="dXNlcjpwYXNz")
    st = gw.status("secretive")
    assert "registryAuth" not in st
    import os
    for root, _, files in os.walk(gw.state_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                assert b"dXNlcjpwYXNz" not in fh.read()


def test_the_engine_stopping_gives_503s_then_the_function_recovers(docker_gateway):
    gw = docker_gateway(env={"scale_from_zero_timeout": "2s"})
    gw.deploy("sturdy", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("sturdy", 1, timeout=60)
    engine = gw.engine
    engine.stop_daemon()
    try:
        wait_for(lambda: gw.call("sturdy", data=b"x").status_code in (502, 503), 60,
                 interval=0.2, what="calls failing while the engine is down")
        r = gw.call("sturdy", data=b"x")
        assert r.status_code in (502, 503), r.text
        assert gw.api("GET", "/healthz").status_code == 200
    finally:
        assert engine.start_daemon(), engine.text()[-2000:]
    wait_for(lambda: gw.call("sturdy", data=b"back").text == "back", 90, interval=0.3,
             what="the function answering after the engine's return")
    gw.wait_available("sturdy", 1, timeout=60)


def test_an_updated_secret_reaches_the_replicas_with_no_failed_call(docker_gateway):
    gw = docker_gateway()
    r = gw.api("POST", "/system/secrets", json={"name": "token", "value": "first"})
    assert r.status_code in (200, 201), r.text
    gw.deploy("holder", image=TEST_IMAGE, env_process="cat /var/openfaas/secrets/token",
              secrets=["token"])
    gw.wait_available("holder", 1, timeout=60)
    assert gw.call("holder").text == "first"
    r = gw.api("PUT", "/system/secrets", json={"name": "token", "value": "second"})
    assert r.status_code in (200, 202), r.text
    seen = []

    def second():
        r = gw.call("holder")
        seen.append((r.status_code, r.text))
        return r.text == "second"
    wait_for(second, 60, interval=0.1, what="the new secret value inside the container")
    assert all(code == 200 for code, _ in seen), seen
    wait_for(lambda: len(gw.containers("holder")) == 1, 60, interval=0.2,
             what="the old replica gone")
