"""driver=kubernetes against the API-server stand-in (k8s_util): functions
are Deployments and Services, calls go to ready pod addresses, secrets
are Secrets, logs come from pods/log, the cluster holds the state; and
what the API server refuses reaches the client with its reason."""
import json
import os
import subprocess
import threading
import time
import urllib.parse

import pytest
import requests

from conftest import BIN, gateway_up, wait_for
from kubernetes_gateway import IMAGE, KubeGateway, k8s_gateway  # noqa: F401
from k8s_util import k8s_cluster  # noqa: F401 (fixture)

NS = "openfaas-fn"
MANAGED = "app.kubernetes.io/managed-by"


def ready(gw, name, n=1, timeout=30):
    gw.wait_available(name, n, timeout=timeout)
    wait_for(lambda: gw.call(name, data=b"x").status_code == 200, timeout,
             what=f"{name} answers")


def requests_of(cluster, method, prefix):
    return [r for r in cluster.requests if r["method"] == method and r["path"].startswith(prefix)]


def test_a_function_is_a_deployment_and_a_service_with_faas_netes_conventions(k8s_gateway):
    gw = k8s_gateway({"image_pull_policy": "Never"})
    gw.deploy("envfn", env_process="env", envVars={"A": "1"}, labels={"team": "blue",
              "com.openfaas.scale.min": "2"}, annotations={"topic": "orders"},
              limits={"memory": "128Mi"}, constraints=["disktype=ssd"],
              readOnlyRootFilesystem=True)
    d = gw.deployment("envfn")
    assert d["metadata"]["labels"]["faas_function"] == "envfn"
    assert d["metadata"]["labels"][MANAGED] == "faasbus"
    assert d["metadata"]["labels"]["team"] == "blue"
    assert d["metadata"]["annotations"]["topic"] == "orders"
    assert d["spec"]["replicas"] == 2  # com.openfaas.scale.min
    pod = d["spec"]["template"]
    assert pod["metadata"]["labels"]["faas_function"] == "envfn"
    c = pod["spec"]["containers"][0]
    assert c["imagePullPolicy"] == "Never"
    assert {"name": "fprocess", "value": "env"} in c["env"]
    assert {"name": "A", "value": "1"} in c["env"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/_/health"
    assert c["livenessProbe"]["httpGet"]["path"] == "/_/health"
    assert c["resources"]["limits"]["memory"] == "128Mi"
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    assert pod["spec"]["nodeSelector"] == {"disktype": "ssd"}
    status, svc = gw.cluster.get(f"/api/v1/namespaces/{NS}/services/envfn")
    assert status == 200
    assert svc["spec"]["selector"] == {"faas_function": "envfn"}
    assert svc["spec"]["ports"][0]["port"] == 8080
    assert svc["metadata"]["labels"][MANAGED] == "faasbus"


def test_deploy_list_status_invoke_scale_update_remove(k8s_gateway):
    gw = k8s_gateway()
    gw.deploy("echo", env_process="cat")
    ready(gw, "echo")
    r = gw.call("echo", data=b"hello")
    assert r.status_code == 200 and r.text == "hello"
    listed = gw.api("GET", "/system/functions").json()
    assert [f["name"] for f in listed] == ["echo"]
    st = gw.status("echo")
    assert st["image"] == IMAGE and st["replicas"] == 1 and st["availableReplicas"] == 1
    assert st["createdAt"] == gw.deployment("echo")["metadata"]["creationTimestamp"]

    gw.scale("echo", 3)
    wait_for(lambda: gw.deployment("echo")["spec"]["replicas"] == 3, 10, what="scaled")
    patches = requests_of(gw.cluster, "PATCH",
                          f"/apis/apps/v1/namespaces/{NS}/deployments/echo/scale")
    assert patches, "scale goes through the scale subresource"
    assert patches[-1]["headers"].get("Content-Type") == "application/merge-patch+json"
    assert patches[-1]["body"] == {"spec": {"replicas": 3}}
    gw.wait_available("echo", 3, timeout=30)
    served = {gw.call("echo", data=b"x").headers["X-Served-By"] for _ in range(30)}
    assert len(served) == 3, served

    # An update rolls the pods: calls keep being answered meanwhile.
    failures = []
    stop = threading.Event()

    def calling():
        while not stop.is_set():
            try:
                r = gw.call("echo", data=b"y", timeout=10)
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]!r} from "
                                    f"{r.headers.get('X-Served-By')}")
            except requests.RequestException as e:
                failures.append(str(e))
    t = threading.Thread(target=calling)
    t.start()
    gw.deploy("echo", env_process="cat", method="PUT", envVars={"V": "2"})
    wait_for(lambda: gw.status("echo").get("envVars") == {"V": "2"}, 10, what="updated")
    wait_for(lambda: (gw.deployment("echo")["status"].get("updatedReplicas") == 3 and
                      gw.deployment("echo")["status"].get("replicas") == 3), 60,
             what="rolled")
    stop.set()
    t.join()
    assert not failures, (failures[:3], [line for line in logs(gw, name="echo").text.splitlines()
                                         if " warn " in line or " error " in line])

    r = gw.api("DELETE", "/system/functions", json={"functionName": "echo"})
    assert r.status_code == 202
    wait_for(lambda: gw.deployment("echo") is None, 10, what="Deployment deleted")
    wait_for(lambda: gw.cluster.get(f"/api/v1/namespaces/{NS}/services/echo")[0] == 404, 10,
             what="Service deleted")
    assert gw.status("echo") is None


def test_namespaces_are_those_labelled_and_others_are_refused(k8s_gateway):
    gw = k8s_gateway()
    assert gw.api("GET", "/system/namespaces").json() == [NS]
    r = gw.deploy("fn", namespace="elsewhere", expect=400)
    assert "namespace elsewhere does not exist" in r.text
    for name, labels in (("plain", {}), ("team-a", {"openfaas": "1"})):
        r = gw.cluster.request("POST", "/api/v1/namespaces", json={
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels}})
        assert r.status_code == 201, r.text
    r = gw.deploy("fn", namespace="plain", expect=400)
    assert "not labelled openfaas=1" in r.text and "kubectl label namespace plain" in r.text
    assert gw.cluster.get(f"/apis/apps/v1/namespaces/plain/deployments/fn")[0] == 404
    assert sorted(gw.api("GET", "/system/namespaces").json()) == [NS, "team-a"]
    gw.deploy("fn", namespace="team-a")
    ready(gw, "fn.team-a")
    assert [f["name"] for f in gw.api("GET", "/system/functions",
                                      params={"namespace": "team-a"}).json()] == ["fn"]


def test_only_our_objects_are_listed_and_touched(k8s_gateway):
    gw = k8s_gateway()
    gw.deploy("ours")
    wait_for(lambda: gw.status("ours") is not None, 10)
    # A Deployment someone else made in the same namespace is not a function.
    names = [d["metadata"]["name"] for d in gw.cluster.objects("deployments", NS)]
    assert "ours" in names
    lists = requests_of(gw.cluster, "GET", f"/apis/apps/v1/namespaces/{NS}/deployments")
    assert lists and all(r["query"].get("labelSelector") in ("app.kubernetes.io/managed-by=faasbus",
                                                             ["app.kubernetes.io/managed-by=faasbus"])
                         for r in lists), [r["query"] for r in lists]


def test_a_service_someone_else_made_outlives_the_function_of_its_name(k8s_gateway):
    gw = k8s_gateway()
    theirs = {"apiVersion": "v1", "kind": "Service",
              "metadata": {"name": "shared", "labels": {"team": "other"}},
              "spec": {"selector": {"app": "theirs"}, "ports": [{"port": 80}]}}
    r = gw.cluster.request("POST", f"/api/v1/namespaces/{NS}/services", json=theirs)
    assert r.status_code == 201, r.text
    gw.deploy("shared")
    wait_for(lambda: gw.status("shared") is not None, 10)
    assert gw.api("DELETE", "/system/functions", json={"functionName": "shared"}).status_code == 202
    wait_for(lambda: gw.cluster.get(f"/apis/apps/v1/namespaces/{NS}/deployments/shared")[0] == 404,
             10, what="the function's Deployment deleted")
    wait_for(lambda: "Service openfaas-fn/shared left in place" in gw.text(), 10,
             what="the gateway saying it left the Service")
    status, svc = gw.cluster.get(f"/api/v1/namespaces/{NS}/services/shared")
    assert status == 200 and svc["metadata"]["labels"] == {"team": "other"}, svc
    assert not requests_of(gw.cluster, "DELETE", f"/api/v1/namespaces/{NS}/services/shared")


def test_secrets_are_kubernetes_secrets_mounted_read_only(k8s_gateway):
    gw = k8s_gateway()
    r = gw.api("POST", "/system/secrets", json={"name": "api-key", "value": "s3cret"})
    assert r.status_code == 201, r.text
    assert gw.api("POST", "/system/secrets", json={"name": "api-key", "value": "x"}
                  ).status_code == 409
    listed = gw.api("GET", "/system/secrets").json()
    assert listed == [{"name": "api-key", "namespace": NS}]
    assert "s3cret" not in gw.api("GET", "/system/secrets").text
    status, sec = gw.cluster.get(f"/api/v1/namespaces/{NS}/secrets/api-key")
    assert status == 200 and sec["metadata"]["labels"][MANAGED] == "faasbus"
    assert gw.api("PUT", "/system/secrets", json={"name": "api-key", "value": "v2"}
                  ).status_code == 200
    gw.deploy("reader", env_process="cat /var/openfaas/secrets/api-key", secrets=["api-key"])
    ready(gw, "reader")
    assert gw.call("reader", data=b"").text == "v2"
    assert gw.deploy("other", secrets=["nope"], expect=400).text.count("nope")
    assert gw.api("PUT", "/system/secrets", json={"name": "nope", "value": "v"}
                  ).status_code == 404
    assert gw.api("DELETE", "/system/secrets", json={"name": "api-key"}).status_code == 204
    assert gw.cluster.get(f"/api/v1/namespaces/{NS}/secrets/api-key")[0] == 404


def logs(gw, **params):
    r = gw.api("GET", "/system/logs", params=params, stream=params.get("follow") == "true")
    return r


def test_logs_come_from_each_pod_with_its_name_as_instance(k8s_gateway):
    gw = k8s_gateway()
    gw.deploy("talk", env_process="cat")
    ready(gw, "talk")
    for _ in range(3):
        gw.call("talk", data=b"x")
    r = logs(gw, name="talk", tail="2")
    assert r.status_code == 200, r.text
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert len(lines) == 2
    pods = {p["metadata"]["name"] for p in gw.cluster.objects("pods", NS)}
    assert all(x["instance"] in pods and x["name"] == "talk" for x in lines)
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    r = logs(gw, name="talk", since=later)
    assert r.status_code == 200 and r.text == ""
    earlier = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    assert len(logs(gw, name="talk", since=earlier).text.splitlines()) >= 3

    # A follow sees a pod that joins later.
    r = logs(gw, name="talk", follow="true")
    assert r.status_code == 200
    seen = set()

    def reading():
        try:
            for raw in r.iter_lines():
                if raw:
                    seen.add(json.loads(raw)["instance"])
        except requests.RequestException:
            pass  # closed by the test
    reader = threading.Thread(target=reading, daemon=True)
    reader.start()
    gw.scale("talk", 2)
    gw.wait_available("talk", 2, timeout=30)
    deadline = time.time() + 30
    while len(seen) < 2 and time.time() < deadline:
        gw.call("talk", data=b"x")
        time.sleep(0.05)
    r.close()
    reads = [(q["path"], q["query"]) for q in requests_of(gw.cluster, "GET", f"/api/v1/namespaces/{NS}/pods/")]
    assert len(seen) == 2, (seen, reads)


def test_logs_the_cluster_cannot_serve_are_an_error(k8s_gateway):
    gw = k8s_gateway()
    gw.deploy("quiet")
    ready(gw, "quiet")
    gw.cluster.fail_next("GET", f"/api/v1/namespaces/{NS}/pods/", 500)
    r = logs(gw, name="quiet")
    assert r.status_code == 502 and "cannot read the logs" in r.text, r.text


def test_state_is_the_clusters_restart_and_hand_deletion(k8s_gateway):
    gw = k8s_gateway()
    gw.deploy("kept", labels={"x": "1"})
    ready(gw, "kept")
    gw.stop()
    gw2 = k8s_gateway(cluster=gw.cluster)
    wait_for(lambda: gw2.status("kept") is not None, 10, what="found again")
    assert gw2.status("kept")["labels"] == {"x": "1"}
    ready(gw2, "kept")
    gw2.cluster.delete_by_hand("deployments", NS, "kept")
    wait_for(lambda: gw2.status("kept") is None, 10, what="gone after kubectl delete")
    assert gw2.call("kept", data=b"x").status_code == 404


def test_watches_resume_after_a_drop_and_relist_after_410(k8s_gateway):
    gw = k8s_gateway()
    gw.deploy("w1")
    wait_for(lambda: gw.status("w1") is not None, 10)
    gw.cluster.drop_watches()
    gw.cluster.delete_by_hand("deployments", NS, "w1")
    wait_for(lambda: gw.status("w1") is None, 10, what="seen after the watch resumed")
    watches = [r for r in requests_of(gw.cluster, "GET",
                                      f"/apis/apps/v1/namespaces/{NS}/deployments")
               if "watch" in r["query"]]
    assert len(watches) >= 2 and all(r["query"].get("resourceVersion") for r in watches)
    gw.deploy("w2")
    # Ready: no more status changes of w2 reach the watch, whose
    # resourceVersion would then move past the expiry below.
    ready(gw, "w2")
    # Something the gateway does not watch moves the cluster's
    # resourceVersion past the watch's, so expiring the history expires it.
    assert gw.api("POST", "/system/secrets", json={"name": "tick", "value": "x"}
                  ).status_code == 201
    gw.cluster.clear_requests()
    gw.cluster.expire_history()
    gw.cluster.drop_watches()
    gw.cluster.delete_by_hand("deployments", NS, "w2")
    wait_for(lambda: gw.status("w2") is None, 15, what="seen after relisting")
    again = requests_of(gw.cluster, "GET", f"/apis/apps/v1/namespaces/{NS}/deployments")
    kinds = ["watch" if "watch" in r["query"] else "list" for r in again]
    # The resumed watch was refused (410), so the gateway listed again.
    assert kinds[:3] == ["watch", "list", "watch"], kinds


def test_api_errors_reach_the_client_with_their_reason(k8s_gateway):
    gw = k8s_gateway()
    pre = f"/apis/apps/v1/namespaces/{NS}/deployments"
    for status, reason, expect in ((422, "Invalid", 400), (403, "Forbidden", 502),
                                   (409, "already exists", 409), (401, "Unauthorized", 502)):
        gw.cluster.fail_next("POST", pre, status)
        r = gw.deploy("bad", expect=expect)
        assert reason in r.text, r.text
        assert gw.status("bad") is None
    gw.deploy("fine")
    wait_for(lambda: gw.status("fine") is not None, 10)
    gw.cluster.fail_next("PATCH", pre + "/fine", 404)
    r = gw.deploy("fine", method="PUT", expect=502, envVars={"B": "2"})
    assert "NotFound" in r.text, r.text
    assert gw.status("fine").get("envVars") is None  # nothing was changed
    gw.cluster.fail_next("GET", "/api/v1/namespaces/openfaas-fn", 403)
    r = gw.deploy("nsforbidden", expect=502)
    assert "Forbidden" in r.text, r.text


def test_pods_that_never_become_ready(k8s_gateway):
    gw = k8s_gateway({"scale_from_zero_timeout": "2s", "upstream_timeout": "2s"})
    gw.deploy("stuck", env_process="cat", envVars={"port": "1"})  # never listens on 8080
    wait_for(lambda: gw.status("stuck") is not None, 10)
    time.sleep(2)
    assert gw.status("stuck")["availableReplicas"] == 0
    r = gw.call("stuck", data=b"x")
    assert r.status_code == 503


def test_api_server_down_and_back(k8s_gateway):
    gw = k8s_gateway()
    cluster = gw.cluster
    gw.deploy("up")
    ready(gw, "up")
    cluster.api_down()
    r = gw.deploy("later", expect=503)
    assert "unreachable" in r.text, r.text
    assert gw.call("up", data=b"x").status_code == 200  # calls need no API
    assert gw.status("up") is not None  # what was known is still served
    cluster.api_up()
    body = {"service": "later", "image": IMAGE, "envProcess": "cat"}
    wait_for(lambda: gw.api("POST", "/system/functions", json=body).status_code == 202, 20,
             what="deploys again")
    # The watches came back too: a hand deletion is seen.
    cluster.delete_by_hand("deployments", NS, "up")
    wait_for(lambda: gw.status("up") is None, 20, what="watching again")


def test_scale_from_zero_waits_for_a_ready_endpoint(k8s_gateway):
    gw = k8s_gateway()
    gw.deploy("zero", labels={"com.openfaas.scale.min": "0"})
    wait_for(lambda: gw.status("zero") is not None, 10)
    assert gw.deployment("zero")["spec"]["replicas"] == 0
    r = gw.call("zero", data=b"wake")
    assert r.status_code == 200 and r.text == "wake"


def test_one_gateway_holds_the_autoscaler_lease(k8s_gateway):
    a = k8s_gateway({"kubernetes_identity": "gw-a", "kubernetes_lease_duration": "3s"})
    b = k8s_gateway({"kubernetes_identity": "gw-b", "kubernetes_lease_duration": "3s"},
                    cluster=a.cluster)

    def holder():
        status, lease = a.cluster.get(
            f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/faasbus-autoscaler")
        return lease["spec"]["holderIdentity"] if status == 200 else None
    wait_for(lambda: holder() in ("gw-a", "gw-b"), 10, what="a holder")
    first = holder()
    (a if first == "gw-a" else b).stop()
    wait_for(lambda: holder() not in (first, None), 20, what="taken over")


def test_a_rotated_token_is_read_again_and_an_expired_one_is_said(k8s_gateway, tmp_path):
    gw = k8s_gateway()
    cluster = gw.cluster
    stale = tmp_path / "stale-kubeconfig"
    stale.write_text(open(cluster.kubeconfig).read())
    old = k8s_gateway({"KUBECONFIG": str(stale)}, cluster=cluster)
    gw.deploy("before")
    cluster.rotate_token()  # the kubeconfig now holds the new one
    gw.deploy("after")  # the first request after the change uses it
    wait_for(lambda: gw.status("after") is not None, 10)
    r = old.deploy("refused", expect=502)
    assert "Unauthorized" in r.text, r.text


def test_a_stop_with_reads_and_writes_in_flight_exits_clean(k8s_gateway):
    gw = k8s_gateway()
    gw.deploy("busy")
    ready(gw, "busy")
    follow = logs(gw, name="busy", follow="true")
    assert follow.status_code == 200
    gw.api("DELETE", "/system/functions", json={"functionName": "busy"})
    assert gw.stop() == 0
    gw.assert_clean()  # no sanitizer report (a leak at exit included)
    follow.close()


def test_only_the_lease_holder_scales_counting_every_gateways_calls(k8s_gateway):
    a = k8s_gateway({"kubernetes_identity": "gw-a"})

    def holder():
        status, lease = a.cluster.get(
            f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/faasbus-autoscaler")
        return lease["spec"]["holderIdentity"] if status == 200 else None
    wait_for(lambda: holder() == "gw-a", 10, what="gw-a holds the lease")
    b = k8s_gateway({"kubernetes_identity": "gw-b"}, cluster=a.cluster)
    b.deploy("loaded", env_process="sh -c 'sleep 0.5; cat'",
             labels={"com.openfaas.scale.min": "1", "com.openfaas.scale.max": "3",
                     "com.openfaas.scale.target": "1", "com.openfaas.scale.type": "capacity"})
    ready(b, "loaded")
    wait_for(lambda: a.status("loaded") is not None, 10, what="gw-a follows it")
    stop = threading.Event()

    def caller():  # every call through gw-b, which does not decide
        while not stop.is_set():
            b.call("loaded", data=b"x")
    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: a.deployment("loaded")["spec"]["replicas"] > 1, 15,
                 what="the holder scaled up on gw-b's calls")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert a.status("loaded")["autoscaler"]["lastDecision"]["direction"] == "up"
    assert b.status("loaded")["autoscaler"].get("lastDecision") is None


SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# In a private mount namespace: a tmpfs over /run that only the gateway
# sees, the test's folder bound where the kubelet puts the service
# account's files, so the test can rotate the token as the kubelet does.
BIND_SA = ('mount -t tmpfs -o mode=755 faasbus-sa "$(readlink -f /var/run)" && '
           f'mkdir -p {SA_DIR} && mount --bind "$0" {SA_DIR} && exec "$@"')


def test_in_cluster_the_rotated_service_account_token_is_read_again(k8s_cluster, daemons,  # noqa: F811
                                                                    tmp_path):
    if os.geteuid() != 0:
        pytest.skip("a mount namespace of the gateway's own needs root")
    cluster = k8s_cluster()
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text(cluster.token)
    (sa / "ca.crt").write_text(open(cluster.ca_path).read())
    (sa / "namespace").write_text(NS)
    api = urllib.parse.urlsplit(cluster.url)
    env = {"driver": "kubernetes", "KUBERNETES_SERVICE_HOST": api.hostname,
           "KUBERNETES_SERVICE_PORT": str(api.port), "KUBECONFIG": None, "nats_url": "",
           "state_dir": str(tmp_path / "state"), "log_level": "info"}
    full = {k: v for k, v in env.items() if v is not None}
    wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c", BIND_SA, str(sa)]
    gw = KubeGateway(wrap + [os.path.join(BIN, "faasbus-gateway")], full,
                     str(tmp_path / "gateway.log"))
    gw.env.pop("KUBECONFIG", None)
    gw.cluster = cluster
    daemons.append(gw.start())
    wait_for(lambda: gateway_up(gw), 15, what="gateway /healthz")
    assert "in-cluster service account" in gw.text()
    gw.deploy("first")
    cluster.rotate_token()  # the old token answers 401 from now on
    r = gw.deploy("second", expect=502)
    assert "Unauthorized" in r.text, r.text
    (sa / "token").write_text(cluster.token)  # the kubelet's rotation
    gw.deploy("second")
    wait_for(lambda: gw.status("second") is not None, 10)


def test_without_credentials_the_gateway_stops_and_says_why(tmp_path):
    env = {"driver": "kubernetes", "state_dir": str(tmp_path), "port": "0",
           "HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    for extra, why in (({"KUBECONFIG": str(tmp_path / "nope")},
                        f'kubeconfig: none of "{tmp_path / "nope"}" exists'),
                       ({}, "no Kubernetes API: set kubeconfig (or KUBECONFIG), run in a pod")):
        r = subprocess.run([os.path.join(BIN, "faasbus-gateway")], env={**env, **extra},
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert f"driver=kubernetes: {why}" in r.stderr, r.stderr


def test_what_the_driver_creates_validates_against_the_api_schemas(k8s_gateway):
    """Every object the driver POSTs or PUTs, for a deployment using every
    field it maps, passes the strict schema of its kind (unknown fields
    refused, types and names as the real server checks them)."""
    from test_kubernetes_manifests import schema_errors
    gw = k8s_gateway()
    assert gw.api("POST", "/system/secrets",
                  json={"name": "api-key", "value": "s3cret"}).status_code in (200, 201, 202)
    gw.deploy("full", envVars={"A": "1"}, labels={"team": "x"}, annotations={"topic": "orders"},
              secrets=["api-key"], limits={"memory": "64Mi", "cpu": "500m"},
              requests={"memory": "32Mi"}, readOnlyRootFilesystem=True)
    ready(gw, "full")
    gw.scale("full", 2)
    wait_for(lambda: gw.available("full") == 2, 30)
    sent = [r for r in gw.cluster.requests if r["method"] in ("POST", "PUT")
            and isinstance(r["body"], dict) and r["body"].get("kind")]
    kinds = {r["body"]["kind"] for r in sent}
    assert {"Deployment", "Service", "Secret"} <= kinds, kinds
    errors = {f'{r["method"]} {r["path"]}': schema_errors(r["body"]) for r in sent
              if r["body"]["kind"] not in ("DeleteOptions",)}
    assert not any(errors.values()), {k: v for k, v in errors.items() if v}
