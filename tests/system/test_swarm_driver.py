"""The swarm driver on a real single-node Docker Swarm: a function is a
replicated service; deploy, invoke, scale, what the service carries
(labels, limits, constraints), a rolling update under calls, a task
Swarm replaces, and a restarted gateway adopting its services."""
import threading

import pytest

from conftest import wait_for
from docker_util import PLAIN_IMAGE, TEST_IMAGE

pytestmark = pytest.mark.xdist_group("swarm")


def test_a_function_is_a_service_and_answers(swarm_gateway):
    gw = swarm_gateway()
    gw.deploy("echo", image=TEST_IMAGE, env_process="cat", labels={"team": "blue"},
              annotations={"topic": "t1"})
    gw.wait_available("echo", 1, timeout=120)
    r = gw.call("echo", data=b"hello swarm")
    assert r.status_code == 200, r.text
    assert r.text == "hello swarm"
    s = gw.service("echo")
    assert s["Spec"]["Mode"]["Replicated"]["Replicas"] == 1
    labels = s["Spec"]["TaskTemplate"]["ContainerSpec"]["Labels"]
    assert labels["team"] == "blue"
    assert labels["com.openfaas.annotations.topic"] == "t1"
    assert gw.api("GET", "/system/info").json()["provider"]["orchestration"] == "swarm"


def test_an_image_without_the_watchdog_is_a_function_too(swarm_gateway):
    gw = swarm_gateway()
    gw.deploy("plain", image=PLAIN_IMAGE, env_process=None)
    gw.wait_available("plain", 1, timeout=120)
    r = gw.call("plain", "/", method="GET")
    assert r.status_code == 200, r.text
    assert r.text == "plain http server\n"


def test_scale_zero_three_one_follows_the_service(swarm_gateway):
    gw = swarm_gateway()
    gw.deploy("sc", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("sc", 1, timeout=120)
    gw.scale("sc", 0)
    wait_for(lambda: gw.available("sc") == 0 and not gw.running_tasks("sc"), 120,
             what="scaled to zero")
    assert gw.service("sc")["Spec"]["Mode"]["Replicated"]["Replicas"] == 0
    gw.scale("sc", 3)
    gw.wait_available("sc", 3, timeout=120)
    assert len(gw.running_tasks("sc")) == 3
    # Each task publishes its own port on IPv4, where the gateway reaches it.
    ports = gw.task_ports("sc")
    assert len(ports) == 3, ports
    assert len({p["0.0.0.0"] for p in ports.values()}) == 3, ports
    gw.scale("sc", 1)
    wait_for(lambda: len(gw.running_tasks("sc")) == 1 and gw.available("sc") == 1, 120,
             what="scaled to one")
    assert gw.call("sc", data=b"still").text == "still"


def _publish_on_loopback(engine, label, ports, want):
    """Up to want containers answering "intruder", each published on
    127.0.0.1 alone at the first free port of ports. Returns theirs."""
    taken = []
    for port in ports:
        r = engine.cli("run", "-d", "--label", label, "-p", f"127.0.0.1:{port}:8080",
                       "-e", "fprocess=echo intruder", TEST_IMAGE, check=False)
        if r.returncode == 0:
            taken.append(port)
        if len(taken) == want:
            break
    return taken


def _slow_starting_image(engine):
    """TEST_IMAGE whose watchdog listens 2 s after the task runs: its
    first health checks fail."""
    tag = "faasbus/test-slow:latest"
    if engine.cli("image", "inspect", tag, check=False).returncode != 0:
        cid = engine.cli("create", TEST_IMAGE).stdout.decode().strip()
        engine.cli("commit", "--change", 'CMD ["/bin/sh", "-c", "sleep 2; exec /usr/bin/fwatchdog"]',
                   cid, tag)
        engine.cli("rm", cid)
    return tag


def test_a_task_is_reached_on_its_own_ipv4_port_never_its_ipv6_one(swarm_gateway):
    """The engine publishes a task's IPv4 and IPv6 sides on ports of their
    own, and a port taken on 127.0.0.1 alone (as the docker driver
    publishes) is skipped on IPv4 only. Containers answering "intruder"
    take the ports the next tasks' IPv6 sides will get: on IPv4 those
    ports are theirs. The tasks start slowly, so health checks fail
    before one answers; calls still reach only the function's own tasks."""
    gw = swarm_gateway()
    gw.deploy("own", image=_slow_starting_image(gw.engine), env_process="cat")
    gw.wait_available("own", 1, timeout=120)
    (first,) = gw.task_ports("own").values()
    label = f"faasbus-test-intruder={gw.instance}"
    try:
        intruders = _publish_on_loopback(gw.engine, label, range(first["::"] + 1,
                                                                 first["::"] + 20), 3)
        gw.scale("own", 3)
        gw.wait_available("own", 3, timeout=120)
        ports = gw.task_ports("own").values()
        assert any(p["::"] in intruders for p in ports), (ports, intruders)  # the trap is set
        assert len({p["0.0.0.0"] for p in ports} & set(intruders)) == 0
        for i in range(60):
            r = gw.call("own", data=f"call {i}".encode())
            assert (r.status_code, r.text) == (200, f"call {i}"), r.text
    finally:
        for c in gw.engine.containers(label):
            gw.engine.cli("rm", "-f", c["Id"], check=False)


def test_limits_requests_and_constraints_reach_the_service(swarm_gateway):
    gw = swarm_gateway()
    gw.deploy("lim", image=TEST_IMAGE, env_process="cat",
              limits={"memory": "64Mi", "cpu": "500m"}, requests={"memory": "16Mi"},
              constraints=["node.role==manager"], readOnlyRootFilesystem=True)
    gw.wait_available("lim", 1, timeout=120)
    t = gw.service("lim")["Spec"]["TaskTemplate"]
    assert t["Resources"]["Limits"] == {"MemoryBytes": 64 << 20, "NanoCPUs": 500000000}
    assert t["Resources"]["Reservations"] == {"MemoryBytes": 16 << 20}
    assert t["Placement"]["Constraints"] == ["node.role==manager"]
    assert t["ContainerSpec"]["ReadOnly"] is True


def test_constraints_no_node_meets_leave_the_task_pending(swarm_gateway):
    gw = swarm_gateway()
    gw.deploy("nowhere", image=TEST_IMAGE, env_process="cat",
              constraints=["node.labels.zone==mars"])
    wait_for(lambda: gw.service("nowhere") and gw.engine.tasks(gw.service("nowhere")["ID"],
                                                               "pending"),
             120, what="a pending task")
    assert gw.available("nowhere") == 0
    assert gw.status("nowhere")["availableReplicas"] == 0


def test_a_rolling_update_under_calls_fails_none(swarm_gateway):
    gw = swarm_gateway()
    gw.deploy("roll", image=TEST_IMAGE, env_process="cat", envVars={"v": "1"})
    gw.scale("roll", 2)
    gw.wait_available("roll", 2, timeout=120)
    failures, stop = [], threading.Event()

    def caller():
        while not stop.is_set():
            r = gw.call("roll", data=b"ping")
            if r.status_code != 200 or r.text != "ping":
                failures.append((r.status_code, r.text))

    th = threading.Thread(target=caller)
    th.start()
    try:
        gw.deploy("roll", method="PUT", image=TEST_IMAGE, env_process="cat",
                  envVars={"v": "2"})

        def rolled():
            s = gw.service("roll")
            env = s["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
            tasks = gw.running_tasks("roll")
            return "v=2" in env and len(tasks) == 2 and all(
                "v=2" in t["Spec"]["ContainerSpec"]["Env"] for t in tasks)
        wait_for(rolled, 180, what="the roll to v=2")
    finally:
        stop.set()
        th.join()
    assert failures == []


def test_a_killed_task_is_replaced_by_swarm_and_status_follows(swarm_gateway):
    gw = swarm_gateway()
    gw.deploy("kill", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("kill", 1, timeout=120)
    [t] = gw.running_tasks("kill")
    cid = t["Status"]["ContainerStatus"]["ContainerID"]
    gw.engine.api("POST", f"/containers/{cid}/kill")
    wait_for(lambda: [x for x in gw.running_tasks("kill") if x["ID"] != t["ID"]], 120,
             what="swarm's replacement task")
    gw.wait_available("kill", 1, timeout=120)
    assert gw.call("kill", data=b"back").text == "back"


def test_a_restarted_gateway_adopts_its_services(swarm_gateway):
    gw = swarm_gateway()
    gw.deploy("keep", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("keep", 1, timeout=120)
    service_id = gw.service("keep")["ID"]
    [task] = gw.running_tasks("keep")
    gw.stop()
    gw2 = swarm_gateway(state_dir=gw.state_dir, instance=gw.instance)
    gw2.wait_available("keep", 1, timeout=120)
    assert gw2.call("keep", data=b"adopted").text == "adopted"
    assert gw2.service("keep")["ID"] == service_id
    assert [t["ID"] for t in gw2.running_tasks("keep")] == [task["ID"]]


def test_removing_a_function_removes_its_service(swarm_gateway):
    gw = swarm_gateway()
    gw.deploy("gone", image=TEST_IMAGE, env_process="cat")
    gw.wait_available("gone", 1, timeout=120)
    r = gw.api("DELETE", "/system/functions", json={"functionName": "gone"})
    assert r.status_code in (200, 202), r.text
    wait_for(lambda: gw.service("gone") is None, 60, what="the service removed")


def test_secrets_are_swarm_secrets_seen_by_the_task_and_rotated(swarm_gateway):
    gw = swarm_gateway()
    r = gw.api("POST", "/system/secrets", json={"name": "api-key", "value": "s3cret"})
    assert r.status_code in (200, 201), r.text
    gw.deploy("keyreader", image=TEST_IMAGE,
              env_process="cat /var/openfaas/secrets/api-key", secrets=["api-key"])
    gw.wait_available("keyreader", 1, timeout=120)
    assert gw.call("keyreader").text == "s3cret"
    [ref] = gw.service("keyreader")["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
    assert ref["File"]["Name"] == "/var/openfaas/secrets/api-key"
    status, secret = gw.engine.api("GET", f"/secrets/{ref['SecretID']}")
    assert status == 200 and secret["Spec"]["Labels"]["com.faasbus.instance"] == gw.instance
    r = gw.api("PUT", "/system/secrets", json={"name": "api-key", "value": "rotated"})
    assert r.status_code in (200, 202), r.text
    failures = []

    def rotated():
        r = gw.call("keyreader")
        if r.status_code != 200:
            failures.append(r.status_code)
        return r.text == "rotated"
    wait_for(rotated, 180, interval=0.1, what="the rotated secret in the task")
    assert failures == []

    # The old value's Swarm secret goes once no service mounts it; the
    # mounted one stays until its function is gone.
    def ours():
        status, all_ = gw.engine.api("GET", "/secrets")
        assert status == 200
        return {s["ID"] for s in all_
                if s["Spec"].get("Labels", {}).get("com.faasbus.instance") == gw.instance}
    wait_for(lambda: ref["SecretID"] not in ours(), 60, what="the old Swarm secret removed")
    [now] = gw.service("keyreader")["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
    assert ours() == {now["SecretID"]}
    r = gw.api("DELETE", "/system/functions", json={"functionName": "keyreader"})
    assert r.status_code in (200, 202), r.text
    wait_for(lambda: not ours(), 60, what="the last Swarm secret removed with its function")


def test_logs_come_from_the_service_with_each_tasks_instance(swarm_gateway):
    import json
    import re
    gw = swarm_gateway()
    gw.deploy("talker", image=TEST_IMAGE, env_process="ls /said-on-stderr",
              envVars={"combine_output": "false"})
    gw.scale("talker", 2)
    gw.wait_available("talker", 2, timeout=120)
    slots = {str(t["Slot"]) for t in gw.running_tasks("talker")}
    gw.call("talker", data=b"x")  # ls fails: its complaint goes to stderr

    def lines():
        r = gw.api("GET", "/system/logs", params={"name": "talker"})
        return [json.loads(x) for x in r.text.splitlines() if x]
    wait_for(lambda: any("said-on-stderr" in x["text"] for x in lines()), 60, interval=0.2,
             what="the task's stderr in /system/logs")
    # (the watchdog stamps its own lines: the engine's must not precede)
    twice = re.compile(r"^\d{4}-\d\d-\d\dT\S+Z \d{4}-\d\d-\d\dT")
    got = lines()
    for line in got:
        assert line["timestamp"].endswith("Z"), line
        assert not twice.match(line["text"]), line  # the engine's stamp moved out
        assert "com.docker.swarm" not in line["text"], line  # so did the details
    # Calls spread over both tasks; each one's lines come under its slot
    # (a line written before the gateway listed its task has none).
    def both():
        gw.call("talker", data=b"x")
        return slots <= {x["instance"].rsplit("-", 1)[-1] for x in lines()}
    wait_for(both, 60, interval=0.2, what=f"lines of the tasks in slots {slots}")
