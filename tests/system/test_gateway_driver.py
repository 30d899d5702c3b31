"""The process driver: replicas are faasbus-watchdog children of the
gateway, supervised (a killed one comes back), stopped with the gateway
(nothing left behind), and restored from state_dir by a new gateway."""
import glob
import os
import pwd
import signal
import time

import pytest

from conftest import FIXTURES, SLOW, free_port, metric, process_env, still_running, wait_for

TESTFN = os.path.join(FIXTURES, "testfn-http")


def restarts(gw, name):
    return metric(gw.metrics(), "gateway_replica_restarts_total", function_name=f"{name}.openfaas-fn") or 0


def test_a_killed_replica_comes_back(gateway):
    gw = gateway()
    gw.deploy("phoenix", env_process="cat")
    gw.wait_available("phoenix", 1)
    assert gw.call("phoenix", data=b"before").text == "before"
    [pid] = gw.children()
    assert restarts(gw, "phoenix") == 0
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: restarts(gw, "phoenix") == 1, 5, what="the restart to be counted")
    wait_for(lambda: len(gw.children()) == 1 and gw.children() != [pid], 10,
             what="a new replica process")
    gw.wait_available("phoenix", 1)
    r = gw.call("phoenix", data=b"after")
    assert r.status_code == 200
    assert r.text == "after"
    assert gw.status("phoenix")["replicas"] == 1
    gw.wait_log("phoenix")


def test_killed_replicas_of_a_scaled_function_all_come_back(gateway):
    gw = gateway()
    gw.deploy("many", env_process="cat")
    gw.scale("many", 3)
    gw.wait_available("many", 3)
    old = gw.children()
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: restarts(gw, "many") == 3, 5, what="three restarts counted")
    gw.wait_available("many", 3)
    new = gw.children()
    assert len(new) == 3 and not set(new) & set(old)
    for _ in range(3):
        assert gw.call("many", data=b"x").status_code == 200


def test_a_killed_http_mode_replica_comes_back_without_its_old_upstream(gateway):
    """An http-mode replica is a watchdog and the server it started; when
    the watchdog is killed, the supervisor must not leave the old server
    behind (it holds the upstream port the new replica needs)."""
    gw = gateway()
    port = free_port()
    gw.deploy("web", env_process=f"{TESTFN} {port}",
              envVars={"mode": "http", "upstream_url": f"http://127.0.0.1:{port}"})
    gw.wait_available("web", 1)
    [pid] = gw.children()
    before = gw.descendants()
    upstream = {p: t for p, t in before.items() if p != pid}
    assert len(upstream) == 1, before
    try:
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: restarts(gw, "web") == 1, 5, what="the restart")
        wait_for(lambda: not still_running(upstream), 3, what="the old upstream to be stopped")
        gw.wait_available("web", 1)
        r = gw.call("web", "/", method="GET", timeout=10 * SLOW)
        assert r.status_code == 200 and r.text == "hello from testfn-http\n"
    finally:
        for p in still_running(upstream):
            os.kill(p, signal.SIGKILL)


def test_stopping_the_gateway_stops_every_function_process(gateway):
    gw = gateway()
    port = free_port()
    gw.deploy("web", env_process=f"{TESTFN} {port}",
              envVars={"mode": "http", "upstream_url": f"http://127.0.0.1:{port}"})
    gw.deploy("cat", env_process="cat")
    gw.scale("cat", 2)
    gw.wait_available("web", 1)
    gw.wait_available("cat", 2)
    assert gw.call("web", "/", method="GET").text == "hello from testfn-http\n"
    procs = gw.descendants()
    # Three watchdogs and the http function's own server.
    assert len(procs) == 4, procs
    tmpdirs = [process_env(pid).get("TMPDIR") for pid in gw.children()]
    assert len(tmpdirs) == 3 and all(tmpdirs), tmpdirs
    assert gw.stop() == 0
    wait_for(lambda: not still_running(procs), 5, what="function processes to end")
    gw.wait_log("signal 15 received")
    # Each replica's private directory (its copies of secrets) is gone too.
    assert [d for d in tmpdirs if os.path.exists(d)] == []


def test_two_gateways_on_one_host_leave_each_others_replicas_alone(gateway):
    # Each replica's cgroup is killed when the replica ends: two gateways
    # with a function of the same name must not share one.
    a, b = gateway(), gateway()
    for gw in (a, b):
        gw.deploy("same", env_process="cat")
        gw.wait_available("same", 1)
    survivors = b.descendants()
    assert a.stop() == 0
    time.sleep(0.5)  # the stopped gateway's kills would have landed by now
    assert still_running(survivors) == sorted(survivors)
    assert b.call("same", data=b"still here").content == b"still here"


def test_a_restarted_gateway_brings_every_function_back(gateway):
    gw = gateway()
    r = gw.api("POST", "/system/secrets", json={"name": "token", "value": "s3cr3t"})
    assert r.status_code == 201
    gw.deploy("keep", env_process="printenv GREETING", envVars={"GREETING": "hi"},
              labels={"a": "b"}, annotations={"topic": "t1"})
    gw.deploy("wide.team", env_process="cat")
    gw.deploy("idle", env_process="cat")
    gw.scale("wide.team", 2)
    gw.scale("idle", 0)
    gw.wait_available("keep", 1)
    gw.wait_available("wide", 2, "team")
    before = {ns: gw.api("GET", "/system/functions", params={"namespace": ns}).json()
              for ns in ("openfaas-fn", "team")}
    procs = gw.descendants()
    assert gw.stop() == 0
    wait_for(lambda: not still_running(procs), 5, what="replicas to end")

    gw2 = gateway(state_dir=gw.state_dir)
    gw2.wait_available("keep", 1)
    gw2.wait_available("wide", 2, "team")
    after = {ns: gw2.api("GET", "/system/functions", params={"namespace": ns}).json()
             for ns in ("openfaas-fn", "team")}

    def key(fns):
        return sorted(({k: v for k, v in f.items() if k != "invocationCount"} for f in fns),
                      key=lambda f: f["name"])

    assert key(after["openfaas-fn"]) == key(before["openfaas-fn"])
    assert key(after["team"]) == key(before["team"])
    assert gw2.status("idle")["replicas"] == 0
    assert len(gw2.children()) == 3
    assert gw2.call("keep", data=b"").text == "hi\n"
    assert gw2.call("wide.team", data=b"x").text == "x"
    assert gw2.api("GET", "/system/secrets").json() == [
        {"name": "token", "namespace": "openfaas-fn"}]
    # The restored secret is still there: creating it again is 409.
    r = gw2.api("POST", "/system/secrets", json={"name": "token", "value": "other"})
    assert r.status_code == 409
    # The one at zero still scales from zero.
    assert gw2.call("idle", data=b"z").text == "z"


def test_a_damaged_state_file_does_not_stop_the_others_coming_back(gateway):
    gw = gateway()
    gw.deploy("good", env_process="cat")
    gw.deploy("bad", env_process="cat")
    gw.wait_available("good", 1)
    assert gw.stop() == 0
    files = [f for f in glob.glob(os.path.join(gw.state_dir, "**", "*"), recursive=True)
             if os.path.isfile(f) and '"bad"' in open(f, errors="replace").read()]
    assert len(files) == 1, files
    with open(files[0], "w") as f:
        f.write('{"deployment": {"service": "bad", "ima')
    gw2 = gateway(state_dir=gw.state_dir)
    gw2.wait_available("good", 1)
    assert [f["name"] for f in gw2.api("GET", "/system/functions").json()] == ["good"]
    assert gw2.call("good", data=b"ok").text == "ok"


def test_an_image_that_names_a_local_directory_is_the_working_directory(gateway, tmp_path):
    gw = gateway()
    workdir = os.path.join(gw.state_dir, "fn-home")
    os.mkdir(workdir)
    os.chmod(workdir, 0o755)
    gw.deploy("where", env_process="pwd", image=workdir)
    gw.wait_available("where", 1)
    r = gw.call("where", data=b"")
    assert r.status_code == 200
    assert r.text == workdir + "\n"
    assert gw.status("where")["image"] == workdir


@pytest.mark.skipif(os.geteuid() != 0, reason="the gateway drops privileges only as root")
def test_functions_run_unprivileged_under_a_uid_of_their_own(gateway):
    gw = gateway()
    gw.deploy("who", env_process="id -u")
    gw.wait_available("who", 1)
    r = gw.call("who", data=b"")
    assert r.status_code == 200
    assert int(r.text) >= 900000000, "function ran as uid " + r.text


def test_functions_run_as_the_function_user_without_uids_of_their_own(gateway):
    gw = gateway(env={"function_uid_base": "0"})
    gw.deploy("who", env_process="id -u")
    gw.wait_available("who", 1)
    r = gw.call("who", data=b"")
    assert r.status_code == 200
    assert r.text == f"{pwd.getpwnam('nobody').pw_uid}\n", "function ran as uid " + r.text


def test_limits_memory_is_enforced(gateway):
    gw = gateway()
    hog = "/usr/bin/python3 -c 'b = bytearray(256 * 1024 * 1024); print(len(b))'"
    gw.deploy("free", env_process=hog)
    gw.deploy("capped", env_process=hog, limits={"memory": "64Mi"})
    gw.wait_available("free", 1)
    gw.wait_available("capped", 1)
    r = gw.call("free", data=b"")
    assert r.status_code == 200 and r.text == f"{256 * 1024 * 1024}\n"
    r = gw.call("capped", data=b"")
    assert r.status_code != 200, "a function limited to 64Mi allocated 256 MiB"


def find_processes(cmdline):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if f.read().replace(b"\0", b" ").strip() == cmdline.encode():
                        out.append(int(p))
            except OSError:
                pass
    return out


def test_a_process_the_function_detached_is_stopped_with_it(gateway):
    """A function may leave a process of its own behind (here one that
    leaves its process group with setsid, out of reach of the watchdog's
    clean-up of the call's group); removing the function must still leave
    nothing running. The function gives it a moment to detach first."""
    gw = gateway()
    gw.deploy("detach",
              env_process="sh -c 'setsid sleep 31.25 </dev/null >/dev/null 2>&1 & sleep 0.5; "
                          "echo started'")
    gw.wait_available("detach", 1)
    assert gw.call("detach", data=b"").text == "started\n"
    wait_for(lambda: find_processes("sleep 31.25"), 5, what="the detached process")
    assert gw.api("DELETE", "/system/functions", json={"functionName": "detach"}).status_code == 202
    wait_for(lambda: gw.children() == [], 10, what="the replica to stop")
    try:
        wait_for(lambda: not find_processes("sleep 31.25"), 3,
                 what="the detached process to be stopped")
    finally:
        for pid in find_processes("sleep 31.25"):
            os.kill(pid, signal.SIGKILL)
