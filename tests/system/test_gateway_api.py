"""Gateway REST API: deploy, list, get, update, remove, scale, info and
namespaces, with the OpenFaaS field names and status codes. Replicas are
real faasbus-watchdog processes started by the process driver."""
import datetime
import threading

import pytest

from conftest import SLOW, pid_alive, wait_for

FULL = {
    "service": "full",
    "image": "ghcr.io/example/full:1.2.3",
    "envProcess": "cat",
    "envVars": {"GREETING": "hello world", "EMPTY": ""},
    "labels": {"team": "blue", "com.openfaas.scale.min": "1"},
    "annotations": {"topic": "orders,payments", "reply-topic": "done"},
    "secrets": [],
    "limits": {"memory": "128Mi", "cpu": "500m"},
    "requests": {"memory": "64Mi", "cpu": "100m"},
    "constraints": ["node.platform.os == linux"],
    "readOnlyRootFilesystem": True,
}


def names(listing):
    return sorted(f["name"] for f in listing)


def test_info_names_the_provider_and_its_orchestration(gateway):
    gw = gateway()
    r = gw.api("GET", "/system/info")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    info = r.json()
    assert info["provider"]["provider"] == "faasbus"
    assert info["provider"]["orchestration"] == "process"
    assert info["provider"]["version"]["release"]
    assert info["version"]["release"]
    assert info["arch"]


def test_namespaces_list_the_default_and_those_in_use(gateway):
    gw = gateway()
    r = gw.api("GET", "/system/namespaces")
    assert r.status_code == 200
    assert r.json() == ["openfaas-fn"]
    gw.deploy("fn-a.team1")
    assert sorted(gw.api("GET", "/system/namespaces").json()) == ["openfaas-fn", "team1"]


def test_healthz_answers_200(gateway):
    gw = gateway()
    r = gw.api("GET", "/healthz")
    assert r.status_code == 200


def test_empty_list_before_any_deploy(gateway):
    gw = gateway()
    r = gw.api("GET", "/system/functions")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == []


def test_every_deployment_field_round_trips_in_status_and_list(gateway):
    gw = gateway()
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    r = gw.api("POST", "/system/functions", json=FULL)
    assert r.status_code == 202, r.text
    gw.wait_available("full", 1)
    st = gw.status("full")
    for field, value in FULL.items():
        assert st[field] == value, field
    assert st["name"] == "full"
    assert st["namespace"] == "openfaas-fn"
    assert st["replicas"] == 1
    assert st["availableReplicas"] == 1
    assert st["invocationCount"] == 0
    created = datetime.datetime.fromisoformat(st["createdAt"].replace("Z", "+00:00"))
    assert before - datetime.timedelta(seconds=2) <= created
    assert created <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    # One function's status adds faasbus's replicaStatus; the list is
    # OpenFaaS's fields only, the rest the same.
    [replica] = st.pop("replicaStatus")
    assert replica["name"] == "0" and replica["ready"] is True and replica["restarts"] == 0
    listing = gw.api("GET", "/system/functions").json()
    assert listing == [st]
    # The deployment's envVars reach the function's process.
    out = gw.call("full", data=b"ping")
    assert out.status_code == 200 and out.content == b"ping"
    assert gw.status("full")["invocationCount"] == 1


def test_deploying_an_existing_function_is_409_and_changes_nothing(gateway):
    gw = gateway()
    gw.deploy("dup", envVars={"V": "1"})
    gw.wait_available("dup", 1)
    pids = gw.children()
    before = gw.status("dup")
    r = gw.deploy("dup", expect=409, envVars={"V": "2"})
    assert "dup" in r.text
    after = gw.status("dup")
    assert after["envVars"] == {"V": "1"}
    assert after["createdAt"] == before["createdAt"]
    assert gw.children() == pids


def test_put_of_an_unknown_function_is_404_and_creates_nothing(gateway):
    # faas-cli deploy tries PUT first and falls back to POST on 404.
    gw = gateway()
    r = gw.deploy("ghost", method="PUT", expect=404)
    assert "ghost" in r.text
    assert gw.api("GET", "/system/functions").json() == []
    assert gw.children() == []


def test_get_of_an_unknown_function_is_404(gateway):
    gw = gateway()
    assert gw.api("GET", "/system/function/nope").status_code == 404
    gw.deploy("here")
    assert gw.api("GET", "/system/function/here").status_code == 200
    assert gw.api("GET", "/system/function/here?namespace=elsewhere").status_code == 404


def test_namespace_by_name_suffix_or_field(gateway):
    gw = gateway()
    gw.deploy("fa.team1", env_process="echo fa")
    gw.deploy("fb", env_process="echo fb", namespace="team1")
    gw.deploy("fa", env_process="echo default")
    assert names(gw.api("GET", "/system/functions").json()) == ["fa"]
    team = gw.api("GET", "/system/functions", params={"namespace": "team1"}).json()
    assert names(team) == ["fa", "fb"]
    assert {f["namespace"] for f in team} == {"team1"}
    assert gw.status("fa", "team1")["envProcess"] == "echo fa"
    assert gw.api("GET", "/system/function/fa.team1").json()["envProcess"] == "echo fa"
    gw.wait_available("fa", 1, "team1")
    gw.wait_available("fb", 1, "team1")
    gw.wait_available("fa", 1)
    assert gw.call("fa.team1").text == "fa\n"
    assert gw.call("fb.team1").text == "fb\n"
    assert gw.call("fa").text == "default\n"
    # Removing by body namespace, and by ?namespace=.
    r = gw.api("DELETE", "/system/functions", json={"functionName": "fa", "namespace": "team1"})
    assert r.status_code == 202
    r = gw.api("DELETE", "/system/functions?namespace=team1", json={"functionName": "fb"})
    assert r.status_code == 202
    assert gw.api("GET", "/system/functions", params={"namespace": "team1"}).json() == []
    assert names(gw.api("GET", "/system/functions").json()) == ["fa"]
    assert gw.call("fa").text == "default\n"


def test_scale_up_and_down_follows_with_processes(gateway):
    gw = gateway()
    gw.deploy("sc")
    gw.wait_available("sc", 1)
    assert len(gw.children()) == 1
    gw.scale("sc", 3)
    gw.wait_available("sc", 3)
    assert gw.status("sc")["replicas"] == 3
    assert len(gw.children()) == 3
    for _ in range(6):
        assert gw.call("sc", data=b"x").status_code == 200
    gw.scale("sc", 1)
    gw.wait_available("sc", 1)
    wait_for(lambda: len(gw.children()) == 1, 10, what="two replicas to stop")
    gw.scale("sc", 0)
    wait_for(lambda: gw.children() == [], 10, what="every replica to stop")
    st = gw.status("sc")
    assert st["replicas"] == 0
    assert st["availableReplicas"] == 0


def test_scale_by_name_with_namespace(gateway):
    gw = gateway()
    gw.deploy("sn.team2")
    r = gw.api("POST", "/system/scale-function/sn?namespace=team2",
               json={"serviceName": "sn", "replicas": 2})
    assert r.status_code == 202, r.text
    gw.wait_available("sn", 2, "team2")
    r = gw.api("POST", "/system/scale-function/sn.team2",
               json={"serviceName": "sn.team2", "replicas": 1})
    assert r.status_code == 202, r.text
    gw.wait_available("sn", 1, "team2")


def test_scale_of_an_unknown_function_is_404(gateway):
    gw = gateway()
    r = gw.api("POST", "/system/scale-function/nope", json={"serviceName": "nope", "replicas": 1})
    assert r.status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"serviceName": "sb", "replicas": -1}, "replicas"),
    ({"serviceName": "sb", "replicas": 1001}, "replicas"),
    ({"serviceName": "sb", "replicas": "2"}, "replicas"),
    ({"serviceName": "sb", "replicas": 1.5}, "replicas"),
    ({"serviceName": "sb"}, "replicas"),
    ({"serviceName": "Not_Valid", "replicas": 1}, "serviceName"),
])
def test_scale_with_a_bad_body_is_400_and_changes_nothing(gateway, body, field):
    gw = gateway()
    gw.deploy("sb")
    gw.wait_available("sb", 1)
    r = gw.api("POST", "/system/scale-function/sb", json=body)
    assert r.status_code == 400
    assert field in r.text
    st = gw.status("sb")
    assert st["replicas"] == 1
    assert len(gw.children()) == 1


def test_remove_stops_every_replica_and_forgets_the_function(gateway):
    gw = gateway()
    gw.deploy("rm", env_process="sleep 0.2")
    gw.scale("rm", 2)
    gw.wait_available("rm", 2)
    pids = gw.children()
    assert len(pids) == 2
    r = gw.api("DELETE", "/system/functions", json={"functionName": "rm"})
    assert r.status_code == 202
    assert gw.status("rm") is None
    assert gw.api("GET", "/system/functions").json() == []
    r = gw.call("rm", data=b"x")
    assert r.status_code == 404
    assert r.headers.get("X-OpenFaaS-Internal") == "gateway"
    wait_for(lambda: not any(pid_alive(p) for p in pids), 10, what="replicas to end")
    assert gw.children() == []
    # Removing it again: 404.
    r = gw.api("DELETE", "/system/functions", json={"functionName": "rm"})
    assert r.status_code == 404
    # And the name is free again.
    gw.deploy("rm", env_process="echo again")
    gw.wait_available("rm", 1)
    assert gw.call("rm").text == "again\n"


def test_delete_of_an_unknown_function_is_404(gateway):
    gw = gateway()
    r = gw.api("DELETE", "/system/functions", json={"functionName": "nope"})
    assert r.status_code == 404


def test_update_replaces_replicas_without_a_moment_of_none_ready(gateway):
    gw = gateway()
    gw.deploy("up", env_process="printenv VERSION", envVars={"VERSION": "1"})
    gw.scale("up", 2)
    gw.wait_available("up", 2)
    old = gw.children()
    assert len(old) == 2

    stop = threading.Event()
    seen = {"codes": [], "available": []}

    def call_loop():
        while not stop.is_set():
            r = gw.call("up", data=b"", timeout=10 * SLOW)
            seen["codes"].append((r.status_code, r.text))

    def watch_loop():
        while not stop.is_set():
            seen["available"].append(gw.available("up"))

    threads = [threading.Thread(target=call_loop), threading.Thread(target=watch_loop)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(seen["codes"]) > 3, 10, what="calls before the update")
        gw.deploy("up", method="PUT", env_process="printenv VERSION", envVars={"VERSION": "2"})
        wait_for(lambda: seen["codes"] and seen["codes"][-1][1] == "2\n", 15,
                 what="calls served by the new replicas")
        wait_for(lambda: not any(pid_alive(p) for p in old), 15,
                 what="old replicas to stop")
        n = len(seen["codes"])
        wait_for(lambda: len(seen["codes"]) > n + 3, 10, what="calls after the update")
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    bad = [c for c in seen["codes"] if c[0] != 200]
    assert not bad, bad[:5]
    assert 0 not in seen["available"], "no replica was ready during the update"
    texts = [t for _, t in seen["codes"]]
    # Once the new version answers, the old one never does again.
    assert "1\n" not in texts[texts.index("2\n"):]
    st = gw.status("up")
    assert st["envVars"] == {"VERSION": "2"}
    assert st["replicas"] == 2
    gw.wait_available("up", 2)
    new = gw.children()
    assert len(new) == 2 and not set(new) & set(old)


def test_scale_min_label_sets_the_replicas_at_deploy(gateway):
    gw = gateway()
    gw.deploy("two", labels={"com.openfaas.scale.min": "2"})
    gw.wait_available("two", 2)
    assert len(gw.children()) == 2
    assert gw.status("two")["replicas"] == 2


def test_wrong_method_is_405_with_allow(gateway):
    gw = gateway()
    r = gw.api("PATCH", "/system/functions", json={})
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]
    r = gw.api("DELETE", "/system/info")
    assert r.status_code == 405


def test_unknown_api_route_is_404(gateway):
    gw = gateway()
    assert gw.api("GET", "/system/nothing-here").status_code == 404
    assert gw.api("GET", "/not-a-route").status_code == 404


def test_envprocess_is_required_by_the_process_driver(gateway):
    gw = gateway()
    r = gw.api("POST", "/system/functions", json={"service": "nocmd", "image": "x"})
    assert r.status_code == 400
    assert "envProcess" in r.text
    assert gw.api("GET", "/system/functions").json() == []


def test_a_secret_that_does_not_exist_is_400(gateway):
    gw = gateway()
    r = gw.api("POST", "/system/functions",
               json={"service": "nosec", "image": "x", "envProcess": "cat",
                     "secrets": ["missing-one"]})
    assert r.status_code == 400
    assert "secrets" in r.text and "missing-one" in r.text
    assert gw.api("GET", "/system/functions").json() == []
    assert gw.children() == []


@pytest.mark.parametrize("env, needle", [
    ({"upstream_timeout": "soon"}, "upstream_timeout"),
    # It names containers, services and their label filters.
    ({"docker_instance": 'a"b'}, 'docker_instance: "a"b": expected letters, digits'),
    ({"docker_instance": "-x"}, "starting with a letter or digit"),
    ({"docker_instance": "x" * 41}, "at most 40"),
])
def test_a_bad_setting_stops_the_gateway_with_a_message(gateway, env, needle):
    gw = gateway(env, wait=False)
    wait_for(lambda: gw.proc.poll() is not None, 10, what="the gateway to exit")
    assert gw.proc.returncode == 2
    assert needle in gw.text()
