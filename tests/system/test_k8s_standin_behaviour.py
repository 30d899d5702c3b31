"""The Kubernetes API stand-in's behaviours the driver relies on, seen
through independent clients (kubectl with the kubeconfig, Python
requests) and real pod processes: watches (resume, selectors, BOOKMARK,
dropped connections, 410 Expired), rolling updates that keep ready pods,
restarts, secret volumes, readiness, selectors, patches, pods/log
options, tokens, injected failures, namespaces, and clean teardown."""
import json
import os
import shutil
import socket
import subprocess
import time

import pytest
import requests

from conftest import pid_alive, wait_for
from k8s_util import k8s_cluster  # noqa: F401  (the fixture)

NS = "openfaas-fn"
APPS = f"/apis/apps/v1/namespaces/{NS}"
CORE = f"/api/v1/namespaces/{NS}"
SLICES = f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices"


def deployment(name, fprocess="env", replicas=1, env=(), probe_port=8080, image=None, **spec):
    container = {"name": name, "image": image or "faasbus/watchdog:test",
                 "env": [{"name": "fprocess", "value": fprocess},
                         {"name": "healthcheck_interval", "value": "50ms"}] + list(env),
                 "ports": [{"containerPort": 8080, "name": "http"}],
                 "readinessProbe": {"httpGet": {"path": "/_/health", "port": probe_port},
                                    "periodSeconds": 1}}
    body = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": {"faas_function": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"faas_function": name}},
                     "template": {"metadata": {"labels": {"faas_function": name}},
                                  "spec": {"containers": [container],
                                           "terminationGracePeriodSeconds": 2}}}}
    body["spec"].update(spec)
    return body


def service(name):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"faas_function": name}, "ports": [{"port": 8080}]}}


def post(c, path, body, code=201):
    r = c.request("POST", path, json=body)
    assert r.status_code == code, r.text
    return r.json()


def patch(c, path, body, ctype, code=200):
    r = c.request("PATCH", path, data=json.dumps(body), headers={"Content-Type": ctype})
    assert r.status_code == code, r.text
    return r.json()


def dep_status(c, name):
    return c.get(f"{APPS}/deployments/{name}")[1]["status"]


def ready_endpoints(c, name):
    _, b = c.get(f"{SLICES}?labelSelector=kubernetes.io%2Fservice-name%3D{name}")
    eps = [e for s in b["items"] for e in s.get("endpoints") or []]
    return [e for e in eps if e["conditions"]["ready"]]


def kubectl(c, *args, kubeconfig=None, check=True):
    env = dict(os.environ, KUBECONFIG=kubeconfig or c.kubeconfig)
    r = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, f"kubectl {' '.join(args)}: {r.stdout}{r.stderr}"
    return r


MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  namespace: openfaas-fn
  labels: {faas_function: hello}
spec:
  replicas: 1
  selector: {matchLabels: {faas_function: hello}}
  template:
    metadata: {labels: {faas_function: hello}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: hello
        image: faasbus/watchdog:test
        env: [{name: fprocess, value: "echo WORD"}, {name: healthcheck_interval, value: 50ms}]
        readinessProbe: {httpGet: {path: /_/health, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: hello, namespace: openfaas-fn}
spec:
  selector: {faas_function: hello}
  ports: [{port: 8080, targetPort: 8080}]
"""


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
def test_kubectl_apply_get_scale_logs_delete(k8s_cluster, tmp_path):  # noqa: F811
    c = k8s_cluster()
    f = tmp_path / "hello.yaml"
    f.write_text(MANIFEST.replace("WORD", "hi"))
    out = kubectl(c, "apply", "-f", str(f)).stdout
    assert "deployment.apps/hello created" in out and "service/hello created" in out
    kubectl(c, "-n", NS, "rollout", "status", "deploy/hello", "--timeout=30s")
    table = kubectl(c, "-n", NS, "get", "deploy", "hello").stdout.split()
    assert table[:5] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[5:9] == ["hello", "1/1", "1", "1"]
    got = json.loads(kubectl(c, "-n", NS, "get", "deploy", "hello", "-o", "json").stdout)
    assert got["status"]["readyReplicas"] == 1 and got["metadata"]["generation"] == 1
    assert "scaled" in kubectl(c, "-n", NS, "scale", "deploy/hello", "--replicas=2").stdout
    kubectl(c, "-n", NS, "rollout", "status", "deploy/hello", "--timeout=30s")
    ips = c.wait_ready(NS, "hello", 2)
    assert all(requests.post(f"http://{ip}:8080/", timeout=10).text == "hi\n" for ip in ips)
    pods = kubectl(c, "-n", NS, "get", "pods", "-l", "faas_function=hello", "-o", "name").stdout
    assert len(pods.split()) == 2
    logs = kubectl(c, "-n", NS, "logs", pods.split()[0]).stdout
    assert "Listening on port: 8080" in logs
    f.write_text(MANIFEST.replace("WORD", "bye"))
    assert "deployment.apps/hello configured" in kubectl(c, "apply", "-f", str(f)).stdout
    kubectl(c, "-n", NS, "rollout", "status", "deploy/hello", "--timeout=30s")
    # The manifest says replicas: 1 again, and a new command.
    wait_for(lambda: len(c.pod_ips(NS, "hello")) == 1 and all(
        requests.post(f"http://{ip}:8080/", timeout=10).text == "bye\n"
        for ip in c.pod_ips(NS, "hello")), 30, interval=0.2, what="the applied change")
    kubectl(c, "delete", "-f", str(f))
    wait_for(lambda: not c.objects("pods", NS), 20, interval=0.1, what="the pods to go")
    assert not c.objects("deployments", NS) and not c.objects("endpointslices", NS)
    # The client-certificate form of kubeconfig authenticates too.
    assert "openfaas-fn" in kubectl(c, "get", "ns", kubeconfig=c.kubeconfig_cert).stdout
    agents = {r["headers"].get("User-Agent", "").split("/")[0] for r in c.requests}
    assert "kubectl" in agents


def watch_lines(c, path, **kw):
    r = c.request("GET", path, stream=True, **kw)
    assert r.status_code == 200 and r.headers["Transfer-Encoding"] == "chunked", r.text
    return r, (json.loads(x) for x in r.iter_lines() if x)


def test_watch_resumes_filters_bookmarks_and_expires(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    _, lst = c.get(f"{CORE}/secrets")
    rv = lst["metadata"]["resourceVersion"]
    for name, team in (("a", "blue"), ("b", "red")):
        post(c, f"{CORE}/secrets", {"metadata": {"name": name, "labels": {"team": team}},
                                    "stringData": {"k": name}})
    # From a resourceVersion: every later change, in order.
    r, evs = watch_lines(c, f"{CORE}/secrets?watch=1&resourceVersion={rv}&timeoutSeconds=1")
    got = [(e["type"], e["object"]["metadata"]["name"]) for e in evs]
    assert got == [("ADDED", "a"), ("ADDED", "b")]
    # Without one: the current objects as ADDED, then the changes.
    r, evs = watch_lines(c, f"{CORE}/secrets?watch=1&labelSelector=team%3Dblue"
                            "&allowWatchBookmarks=true")
    first = next(evs)
    assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "a")
    assert first["object"]["kind"] == "Secret"
    # Leaving the selector is seen as DELETED, entering it as ADDED.
    patch(c, f"{CORE}/secrets/a", {"metadata": {"labels": {"team": "red"}}},
          "application/merge-patch+json")
    patch(c, f"{CORE}/secrets/b", {"metadata": {"labels": {"team": "blue"}}},
          "application/merge-patch+json")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in (next(evs), next(evs))] == \
        [("DELETED", "a"), ("ADDED", "b")]
    c.send_bookmarks()
    mark = next(evs)
    assert mark["type"] == "BOOKMARK" and mark["object"]["kind"] == "Secret"
    assert set(mark["object"]["metadata"]) == {"resourceVersion", "creationTimestamp"}
    assert int(mark["object"]["metadata"]["resourceVersion"]) >= int(rv) + 4
    # drop_watches() cuts the connection mid-stream, without the last chunk.
    c.drop_watches()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        next(evs)
    # Resuming from the bookmark sees what happened since, and only that.
    post(c, f"{CORE}/secrets", {"metadata": {"name": "c", "labels": {"team": "blue"}}})
    r, evs = watch_lines(c, f"{CORE}/secrets?watch=1&labelSelector=team%3Dblue&resourceVersion="
                            f"{mark['object']['metadata']['resourceVersion']}&timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in evs] == [("ADDED", "c")]
    # After expire_history() every resourceVersion held gets ERROR 410
    # Expired, even the newest; the one it returns (a list's) does not.
    _, newest = c.get(f"{CORE}/secrets")
    now = c.expire_history()
    r, evs = watch_lines(c, f"{CORE}/secrets?watch=1&resourceVersion="
                            f"{newest['metadata']['resourceVersion']}")
    assert [e["type"] for e in evs] == ["ERROR"]
    r, evs = watch_lines(c, f"{CORE}/secrets?watch=1&resourceVersion={rv}")
    (err,) = list(evs)
    assert err["type"] == "ERROR"
    st = err["object"]
    assert (st["kind"], st["status"], st["reason"], st["code"]) == ("Status", "Failure",
                                                                    "Expired", 410)
    assert st["message"].startswith(f"too old resource version: {rv} (")
    r, evs = watch_lines(c, f"{CORE}/secrets?watch=1&resourceVersion={now}&timeoutSeconds=1")
    assert list(evs) == []


def test_rolling_update_keeps_ready_pods(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    post(c, f"{APPS}/deployments", deployment(
        "roll", replicas=2, strategy={"type": "RollingUpdate",
                                      "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}))
    post(c, f"{CORE}/services", service("roll"))
    wait_for(lambda: len(ready_endpoints(c, "roll")) == 2, 20, interval=0.05, what="2 ready")
    old = {e["targetRef"]["name"] for e in ready_endpoints(c, "roll")}
    patch(c, f"{APPS}/deployments/roll", {"spec": {"template": {"spec": {"containers": [
        {"name": "roll", "env": [{"name": "FOO", "value": "bar"}]}]}}}},
        "application/strategic-merge-patch+json")
    # The old pods count from before the patch: on a loaded machine the
    # first poll can come after the first of them has already gone.
    least, seen_total = 2, set(old)

    def rolled():
        nonlocal least
        eps = ready_endpoints(c, "roll")
        least = min(least, len(eps))
        seen_total.update(e["targetRef"]["name"] for e in eps)
        names = {e["targetRef"]["name"] for e in eps}
        st = dep_status(c, "roll")
        return len(eps) == 2 and not names & old and st.get("updatedReplicas") == 2 and \
            st.get("replicas") == 2
    wait_for(rolled, 30, interval=0.02, what="the rollout")
    assert least == 2  # never fewer ready pods than wanted
    assert len(seen_total) == 4  # two new pods replaced the two old ones, no more
    for ip in c.pod_ips(NS, "roll"):
        assert "FOO=bar" in requests.post(f"http://{ip}:8080/", timeout=10).text
    st = dep_status(c, "roll")
    assert st["observedGeneration"] == 2 and st.get("unavailableReplicas") is None
    _, dep = c.get(f"{APPS}/deployments/roll")
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"


def test_a_killed_container_restarts(k8s_cluster):  # noqa: F811
    c = k8s_cluster(restart_backoff=0.1)
    post(c, f"{APPS}/deployments", deployment("crash"))
    (ip,) = c.wait_ready(NS, "crash", 1)
    (pod,) = c.objects("pods", NS)
    name = pod["metadata"]["name"]
    pid = c.kill_pod(NS, name)
    wait_for(lambda: not pid_alive(pid), 5, what="the process to die")

    def restarted():
        _, p = c.get(f"{CORE}/pods/{name}")
        (cs,) = p["status"]["containerStatuses"]
        return cs["restartCount"] == 1 and cs["ready"] and p
    wait_for(restarted, 20, interval=0.05, what="a restart")
    p = restarted()
    term = p["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (137, "Error")
    assert p["status"]["podIP"] == ip and c.pod_ips(NS, "crash") == [ip]
    assert requests.post(f"http://{ip}:8080/", timeout=10).status_code == 200
    assert c.pod_pids()[f"{NS}/{name}"] != pid
    r = c.request("GET", f"{CORE}/pods/{name}/log?previous=true")
    assert r.status_code == 200 and "Listening on port" in r.text


@pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts need root")
def test_secret_volume_is_mounted_in_the_pod_only(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    post(c, f"{CORE}/secrets", {"metadata": {"name": "api-key"}, "stringData": {"api-key": "v1"}})
    body = deployment("sec", fprocess="cat /var/openfaas/secrets/api-key")
    tmpl = body["spec"]["template"]["spec"]
    tmpl["volumes"] = [{"name": "s", "projected": {"sources": [{"secret": {"name": "api-key"}}]}}]
    tmpl["containers"][0]["volumeMounts"] = [{"name": "s", "readOnly": True,
                                              "mountPath": "/var/openfaas/secrets"}]
    post(c, f"{APPS}/deployments", body)
    (ip,) = c.wait_ready(NS, "sec", 1)
    assert requests.post(f"http://{ip}:8080/", timeout=10).text == "v1"
    assert not os.path.exists("/var/openfaas/secrets/api-key")  # a private mount
    r = c.request("PUT", f"{CORE}/secrets/api-key",
                  json={"metadata": {"name": "api-key"}, "stringData": {"api-key": "v2"}})
    assert r.status_code == 200
    wait_for(lambda: requests.post(f"http://{ip}:8080/", timeout=10).text == "v2", 10,
             interval=0.1, what="the mounted file to follow the secret")
    body = deployment("ro", fprocess="sh -c 'echo x > /var/openfaas/secrets/new'")
    body["spec"]["template"]["spec"]["volumes"] = tmpl["volumes"]
    body["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = \
        tmpl["containers"][0]["volumeMounts"]
    post(c, f"{APPS}/deployments", body)
    (ip,) = c.wait_ready(NS, "ro", 1)
    assert "Read-only file system" in requests.post(f"http://{ip}:8080/", timeout=10).text


def test_a_pod_waits_for_its_secret(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    body = deployment("late")
    body["spec"]["template"]["spec"]["volumes"] = [{"name": "s", "secret": {"secretName": "x"}}]
    body["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "s", "mountPath": "/var/openfaas/secrets"}]
    post(c, f"{APPS}/deployments", body)
    wait_for(lambda: c.objects("pods", NS), 10, what="the pod")
    time.sleep(0.5)
    (pod,) = c.objects("pods", NS)
    (cs,) = pod["status"]["containerStatuses"]
    assert cs["state"] == {"waiting": {"reason": "ContainerCreating"}}
    r = c.request("GET", f"{CORE}/pods/{pod['metadata']['name']}/log")
    assert r.status_code == 400 and r.json()["message"] == (
        f'container "late" in pod "{pod["metadata"]["name"]}" is waiting to start: '
        "ContainerCreating")
    post(c, f"{CORE}/secrets", {"metadata": {"name": "x"}, "stringData": {"x": "1"}})
    c.wait_ready(NS, "late", 1)


def test_pods_that_never_become_ready(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    # Nothing listens on the probe's port: never ready.
    post(c, f"{APPS}/deployments", deployment("stuck", probe_port=9,
                                              progressDeadlineSeconds=1))
    post(c, f"{CORE}/services", service("stuck"))
    post(c, f"{APPS}/deployments", deployment("nopull", image="example.com/nosuch:1"))

    def stalled():
        conds = {x["type"]: x for x in dep_status(c, "stuck").get("conditions", [])}
        return conds.get("Progressing", {}).get("reason") == "ProgressDeadlineExceeded" and conds
    wait_for(stalled, 20, interval=0.1, what="ProgressDeadlineExceeded")
    conds = stalled()
    assert conds["Progressing"]["status"] == "False"
    assert (conds["Available"]["status"], conds["Available"]["reason"]) == \
        ("False", "MinimumReplicasUnavailable")
    st = dep_status(c, "stuck")
    assert st.get("readyReplicas") is None and st["unavailableReplicas"] == 1
    _, b = c.get(f"{SLICES}?labelSelector=kubernetes.io%2Fservice-name%3Dstuck")
    (ep,) = b["items"][0]["endpoints"]
    assert ep["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert c.pod_ips(NS, "stuck") == []
    pods = [p for p in c.objects("pods", NS) if p["metadata"]["labels"]["faas_function"] == "stuck"]
    assert pods[0]["status"]["phase"] == "Running"
    ready = {x["type"]: x for x in pods[0]["status"]["conditions"]}["Ready"]
    assert (ready["status"], ready["reason"]) == ("False", "ContainersNotReady")

    def waiting():
        pods = [p for p in c.objects("pods", NS)
                if p["metadata"]["labels"]["faas_function"] == "nopull"]
        cs = (pods[0]["status"].get("containerStatuses") or [{}])[0] if pods else {}
        return cs.get("state", {}).get("waiting", {}).get("reason")
    wait_for(lambda: waiting() == "ImagePullBackOff", 10, interval=0.1, what="ImagePullBackOff")


def test_selectors_pages_and_errors(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    for name, tier in (("s1", "web"), ("s2", "db"), ("s3", None)):
        labels = {"app": "x", **({"tier": tier} if tier else {})}
        post(c, f"{CORE}/secrets", {"metadata": {"name": name, "labels": labels}})

    def names(q):
        status, b = c.get(f"{CORE}/secrets?{q}")
        assert status == 200, b
        return [i["metadata"]["name"] for i in b["items"]]
    assert names("labelSelector=tier+in+(web,db)") == ["s1", "s2"]
    assert names("labelSelector=tier+notin+(web)") == ["s2", "s3"]
    assert names("labelSelector=app%3Dx,!tier") == ["s3"]
    assert names("labelSelector=tier!%3Ddb,app") == ["s1", "s3"]
    assert names("fieldSelector=metadata.name%3Ds2") == ["s2"]
    status, b = c.get(f"{CORE}/secrets?fieldSelector=spec.nothing%3D1")
    assert (status, b["reason"], b["message"]) == (400, "BadRequest",
                                                   "field label not supported: spec.nothing")
    status, b = c.get(f"{CORE}/secrets?limit=2")
    assert [i["metadata"]["name"] for i in b["items"]] == ["s1", "s2"]
    assert b["metadata"]["remainingItemCount"] == 1
    status, b2 = c.get(f"{CORE}/secrets?limit=2&continue={b['metadata']['continue']}")
    assert [i["metadata"]["name"] for i in b2["items"]] == ["s3"]
    assert "continue" not in b2["metadata"]
    r = c.request("DELETE", f"{CORE}/secrets?labelSelector=tier")
    assert r.status_code == 200 and r.json()["status"] == "Success"
    assert names("") == ["s3"]  # deletecollection took the labelled ones
    status, b = c.get("/api/v1/namespaces/nowhere/secrets/s1")
    assert (status, b["message"]) == (404, 'namespaces "nowhere" not found')
    r = c.request("POST", "/api/v1/namespaces/nowhere/secrets", json={"metadata": {"name": "a"}})
    assert r.status_code == 404 and r.json()["details"] == {"name": "nowhere",
                                                            "kind": "namespaces"}


def test_patch_kinds(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    body = deployment("p", replicas=0, env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    body["metadata"]["labels"]["drop"] = "me"
    post(c, f"{APPS}/deployments", body)
    smp = "application/strategic-merge-patch+json"
    b = patch(c, f"{APPS}/deployments/p", {"spec": {"template": {"spec": {"containers": [
        {"name": "p", "image": "faasbus/watchdog:2",
         "env": [{"name": "A", "$patch": "delete"}, {"name": "B", "value": "3"}]}]}}}}, smp)
    (ctr,) = b["spec"]["template"]["spec"]["containers"]
    # The policy defaulted at creation stays: a patch does not default again.
    assert ctr["image"] == "faasbus/watchdog:2" and ctr["imagePullPolicy"] == "IfNotPresent"
    assert [(e["name"], e["value"]) for e in ctr["env"]] == [
        ("fprocess", "env"), ("healthcheck_interval", "50ms"), ("B", "3")]
    assert ctr["readinessProbe"]["httpGet"]["path"] == "/_/health"  # the rest kept
    b = patch(c, f"{APPS}/deployments/p", {"metadata": {"labels": {"drop": None}}},
              "application/merge-patch+json")
    assert "drop" not in b["metadata"]["labels"]
    b = patch(c, f"{APPS}/deployments/p", [{"op": "replace", "path": "/spec/replicas",
                                            "value": 3}], "application/json-patch+json")
    assert b["spec"]["replicas"] == 3 and b["metadata"]["generation"] == 3
    r = c.request("PATCH", f"{APPS}/deployments/p", data="{}",
                  headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and r.json()["reason"] == "UnsupportedMediaType"
    r = c.request("PATCH", f"{APPS}/deployments/none", data="{}",
                  headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 404 and r.json()["message"] == 'deployments.apps "none" not found'
    b = patch(c, f"{APPS}/deployments/p/scale", {"spec": {"replicas": -1}},
              "application/merge-patch+json", code=422)
    assert b["reason"] == "Invalid"
    r = c.request("PUT", f"{APPS}/deployments/p/scale",
                  json={"metadata": {"name": "p", "resourceVersion": "1"}, "spec": {"replicas": 1}})
    assert r.status_code == 409 and r.json()["reason"] == "Conflict"


def test_log_options(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    post(c, f"{APPS}/deployments", deployment("logs", fprocess="cat"))
    (ip,) = c.wait_ready(NS, "logs", 1)
    (pod,) = c.objects("pods", NS)
    path = f"{CORE}/pods/{pod['metadata']['name']}/log"
    time.sleep(1.2)
    mark = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    time.sleep(1.1)
    for _ in range(3):
        requests.post(f"http://{ip}:8080/", data=b"x", timeout=10)
    wait_for(lambda: c.request("GET", path).text.count("\n") >= 5, 10, what="log lines")
    everything = c.request("GET", path).text.splitlines()
    recent = c.request("GET", f"{path}?sinceTime={mark}").text.splitlines()
    assert 0 < len(recent) < len(everything) and recent == everything[-len(recent):]
    assert c.request("GET", f"{path}?sinceSeconds=1000").text.splitlines() == everything
    assert c.request("GET", f"{path}?tailLines=0").text == ""
    stamped = c.request("GET", f"{path}?tailLines=2&timestamps=true").text.splitlines()
    assert [s.split(" ", 1)[1] for s in stamped] == everything[-2:]
    limited = c.request("GET", f"{path}?limitBytes=10").text
    assert limited == everything[0] + "\n"  # whole lines, stopping once past the limit


def test_tokens_forbidden_and_injected_failures(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    old = c.token
    status, b = c.get(f"{CORE}/secrets/x", token=c.forbidden_token)
    assert status == 403 and b["details"] == {"name": "x", "kind": "secrets"}
    assert b["message"] == ('secrets is forbidden: User "system:serviceaccount:openfaas-fn:nobody" '
                            'cannot get resource "secrets" in API group "" in the namespace '
                            '"openfaas-fn"')
    assert c.get("/version", token=c.forbidden_token)[0] == 200  # discovery is for everyone
    new = c.rotate_token()
    assert c.get("/api/v1/namespaces", token=old)[0] == 401
    assert c.get("/api/v1/namespaces", token=new)[0] == 200
    with open(c.kubeconfig) as f:
        assert new in f.read()
    with open(os.path.join(c.serviceaccount_dir, "token")) as f:
        assert f.read() == new
    with open(os.path.join(c.serviceaccount_dir, "ca.crt")) as f, open(c.ca_path) as g:
        assert f.read() == g.read()
    c.fail_next("GET", f"{APPS}/deployments", 500)
    status, b = c.get(f"{APPS}/deployments")
    assert (status, b["reason"], b["code"]) == (500, "InternalError", 500)
    assert c.get(f"{APPS}/deployments")[0] == 200  # only the next one
    c.fail_next("*", "/api", 429, times=2)
    for _ in range(2):
        r = c.request("GET", "/api/v1/namespaces")
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert c.get("/api/v1/namespaces")[0] == 200
    c.clear_requests()
    c.request("POST", f"{CORE}/secrets?fieldManager=t", json={"metadata": {"name": "logged"}})
    (req,) = c.requests
    assert (req["method"], req["path"], req["query"]) == ("POST", f"{CORE}/secrets",
                                                          {"fieldManager": "t"})
    assert req["body"] == {"metadata": {"name": "logged"}}
    assert req["headers"]["Authorization"] == f"Bearer {new}"


def test_namespace_deletion_takes_its_objects(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    post(c, "/api/v1/namespaces", {"metadata": {"name": "team-a"}})
    post(c, "/apis/apps/v1/namespaces/team-a/deployments", deployment("a"))
    c.wait_ready("team-a", "a", 1)
    r = c.request("DELETE", "/api/v1/namespaces/team-a")
    assert r.status_code == 200 and r.json()["status"]["phase"] == "Terminating"
    wait_for(lambda: c.get("/api/v1/namespaces/team-a")[0] == 404, 20, interval=0.1,
             what="the namespace to go")
    assert not c.objects("pods", "team-a") and c.pod_pids() == {}


def test_stop_leaves_no_pod_process(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    post(c, f"{APPS}/deployments", deployment("bye", replicas=2))
    c.wait_ready(NS, "bye", 2)
    pids = list(c.pod_pids().values())
    assert len(pids) == 2 and all(pid_alive(p) for p in pids)
    assert c.stop() == []
    assert not any(pid_alive(p) for p in pids)


def test_the_gateway_fixture_knows_the_standin(k8s_cluster, gateway):  # noqa: F811
    """Started before a gateway, the stand-in and its pods are not taken
    for processes the gateway left behind (its teardown would fail)."""
    c = k8s_cluster()
    post(c, f"{APPS}/deployments", deployment("side"))
    c.wait_ready(NS, "side", 1)
    gw = gateway()
    assert gw.api("GET", "/healthz").status_code == 200


def test_framing_of_answers(k8s_cluster):  # noqa: F811
    """As Go's net/http frames them: Content-Length up to 2 KiB, chunked
    beyond, and gzip past 128 KiB for a client that accepts it."""
    c = k8s_cluster()
    r = c.request("GET", f"{CORE}/secrets")
    assert "Content-Length" in r.headers and "Transfer-Encoding" not in r.headers
    for i in range(40):
        post(c, f"{CORE}/secrets", {"metadata": {"name": f"big{i}"},
                                    "stringData": {"k": "x" * 4096}})
    r = c.request("GET", f"{CORE}/secrets", headers={"Accept-Encoding": "identity"})
    assert r.headers["Transfer-Encoding"] == "chunked" and "Content-Encoding" not in r.headers
    assert len(r.content) > 128 * 1024
    r = c.request("GET", f"{CORE}/secrets", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip" and len(r.json()["items"]) == 40


def test_api_server_down_and_back(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    post(c, f"{APPS}/deployments", deployment("up"))
    (ip,) = c.wait_ready(NS, "up", 1)
    _, lst = c.get(f"{APPS}/deployments")
    r, evs = watch_lines(c, f"{APPS}/deployments?watch=1&resourceVersion="
                            f"{lst['metadata']['resourceVersion']}")
    c.api_down()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        list(evs)
    with pytest.raises(requests.exceptions.ConnectionError):
        c.request("GET", "/version", timeout=2)
    assert requests.post(f"http://{ip}:8080/", timeout=10).status_code == 200  # pods run on
    c.api_up()
    status, b = c.get(f"{APPS}/deployments/up")
    assert status == 200 and b["status"]["readyReplicas"] == 1
    assert int(b["metadata"]["resourceVersion"]) >= int(lst["metadata"]["resourceVersion"])


def test_rbac_for_service_account_tokens(k8s_cluster):  # noqa: F811
    """A service account's token is allowed what its bindings grant and
    refused (403, as recorded) the rest."""
    c = k8s_cluster()
    post(c, f"{CORE}/serviceaccounts", {"metadata": {"name": "gw"}})
    token = post(c, f"{CORE}/serviceaccounts/gw/token", {"spec": {}})["status"]["token"]
    rbac = "/apis/rbac.authorization.k8s.io/v1"
    assert c.get(f"{APPS}/deployments", token=token)[0] == 403
    post(c, f"{rbac}/namespaces/{NS}/roles", {"metadata": {"name": "fn"}, "rules": [
        {"apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"],
         "verbs": ["get", "list", "watch", "patch"]}]})
    post(c, f"{rbac}/namespaces/{NS}/rolebindings", {
        "metadata": {"name": "fn"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                               "kind": "Role", "name": "fn"},
        "subjects": [{"kind": "ServiceAccount", "name": "gw", "namespace": NS}]})
    assert c.get(f"{APPS}/deployments", token=token)[0] == 200
    r = c.request("POST", f"{APPS}/deployments", token=token, json=deployment("x"))
    assert r.status_code == 403 and r.json()["message"] == (
        'deployments.apps is forbidden: User "system:serviceaccount:openfaas-fn:gw" cannot '
        'create resource "deployments" in API group "apps" in the namespace "openfaas-fn"')
    assert c.get("/api/v1/namespaces", token=token)[0] == 403
    assert c.get("/apis/apps/v1/namespaces/default/deployments", token=token)[0] == 403
    post(c, f"{rbac}/clusterroles", {"metadata": {"name": "faasbus:namespaces"}, "rules": [
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list"]}]})
    post(c, f"{rbac}/clusterrolebindings", {
        "metadata": {"name": "faasbus:namespaces"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "faasbus:namespaces"},
        "subjects": [{"kind": "Group", "name": "system:serviceaccounts:openfaas-fn"}]})
    assert c.get("/api/v1/namespaces", token=token)[0] == 200
    assert c.get("/api/v1/namespaces/default", token=token)[0] == 403  # list, not get


def test_a_sanitizer_report_in_a_pod_fails_the_check(k8s_cluster):  # noqa: F811
    """A container's own command runs instead of the watchdog; what any
    pod prints is checked for sanitizer reports, as daemons' logs are."""
    c = k8s_cluster()
    body = deployment("asan")
    ctr = body["spec"]["template"]["spec"]["containers"][0]
    ctr["command"] = ["sh", "-c", 'echo "==1==ERROR: AddressSanitizer: fake"; exec sleep 60']
    del ctr["readinessProbe"]
    post(c, f"{APPS}/deployments", body)
    c.wait_ready(NS, "asan", 1)
    (pod,) = c.objects("pods", NS)
    wait_for(lambda: "AddressSanitizer" in c.request(
        "GET", f"{CORE}/pods/{pod['metadata']['name']}/log").text, 10, what="the line")
    with pytest.raises(AssertionError, match="sanitizer report in a pod"):
        c.assert_clean()
    c.stop()
    os.unlink(os.path.join(c.dir, "pods", pod["metadata"]["uid"], "output.log"))


def test_streams_end_when_their_client_leaves(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    post(c, f"{APPS}/deployments", deployment("gone"))
    c.wait_ready(NS, "gone", 1)
    (pod,) = c.objects("pods", NS)
    def threads():
        with open(f"/proc/{c.pid}/status") as f:
            return int(f.read().split("Threads:")[1].split()[0])
    samples = []
    for _ in range(10):  # the threads of earlier connections wind down
        samples.append(threads())
        time.sleep(0.1)
    before = min(samples)
    streams = [c.request("GET", f"{CORE}/pods/{pod['metadata']['name']}/log?follow=true",
                         stream=True) for _ in range(5)]
    streams += [c.request("GET", f"{CORE}/secrets?watch=1", stream=True) for _ in range(5)]
    wait_for(lambda: threads() >= before + 10, 10, what="a thread per stream")
    for r in streams:
        r.raw._fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)  # hang up without a word
    wait_for(lambda: threads() <= before + 1, 10, interval=0.1,
             what="the streams' threads to end")


@pytest.mark.skipif(os.geteuid() != 0, reason="mount namespaces need root")
def test_read_only_root_with_an_empty_dir_tmp(k8s_cluster):  # noqa: F811
    """readOnlyRootFilesystem: the root is read-only in the pod, an
    emptyDir at /tmp is the pod's own, writable and empty."""
    c = k8s_cluster()
    body = deployment("ro", fprocess="sh -c 'ls -A /tmp; echo x > /tmp/w && cat /tmp/w; "
                                     "touch /var/nope 2>&1 || true'")
    spec = body["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    ctr = spec["containers"][0]
    ctr["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
    ctr["securityContext"] = {"readOnlyRootFilesystem": True}
    post(c, f"{APPS}/deployments", body)
    (ip,) = c.wait_ready(NS, "ro", 1)
    out = requests.post(f"http://{ip}:8080/", timeout=10).text.splitlines()
    assert out[0] in (".lock", "") and "x" in out  # only the watchdog's lock file was there
    assert any("Read-only file system" in line for line in out)
    assert not os.path.exists("/tmp/w")


def test_a_node_selector_the_node_does_not_match_leaves_the_pod_pending(k8s_cluster):  # noqa: F811,E501
    c = k8s_cluster()
    _, node = c.get("/api/v1/nodes/standin-node")
    assert node["metadata"]["labels"]["kubernetes.io/os"] == "linux"
    body = deployment("picky")
    body["spec"]["template"]["spec"]["nodeSelector"] = {"disktype": "ssd"}
    post(c, f"{APPS}/deployments", body)

    def pending():
        pods = c.objects("pods", NS)
        conds = (pods[0]["status"].get("conditions") or []) if pods else []
        return conds and conds[0]["reason"] == "Unschedulable" and pods[0]
    wait_for(pending, 10, interval=0.05, what="an unschedulable pod")
    pod = pending()
    assert pod["status"]["phase"] == "Pending" and "nodeName" not in pod["spec"]
    assert pod["status"]["conditions"][0]["message"].startswith(
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.")
    patch(c, "/api/v1/nodes/standin-node", {"metadata": {"labels": {"disktype": "ssd"}}},
          "application/merge-patch+json")
    c.wait_ready(NS, "picky", 1)  # the scheduler tries again
    _, p = c.get(f"{CORE}/pods/{pod['metadata']['name']}")
    assert p["spec"]["nodeName"] == "standin-node"
