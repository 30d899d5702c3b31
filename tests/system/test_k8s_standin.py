"""The Kubernetes API stand-in answers as the recorded kube-apiserver v1.32
did. The recorded exchanges' requests are replayed in their order (with
names and resourceVersions of this run), and each answer's status code
and shape (kind, apiVersion, reason, code, message, the fields present)
is checked against what the recording showed, written out here. Pods are
real faasbus-watchdog processes answering at their pod IP."""
import base64
import json
import re
import time

import requests

from conftest import wait_for
from k8s_util import k8s_cluster  # noqa: F401  (the fixture)

NS = "openfaas-fn"
APPS = f"/apis/apps/v1/namespaces/{NS}"
CORE = f"/api/v1/namespaces/{NS}"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "envfn", "namespace": NS,
                 "labels": {"faas_function": "envfn", "app.kubernetes.io/managed-by": "faasbus"},
                 "annotations": {"topic": "orders"}},
    "spec": {
        "replicas": 1, "selector": {"matchLabels": {"faas_function": "envfn"}},
        "strategy": {"type": "RollingUpdate",
                     "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {
            "metadata": {"labels": {"faas_function": "envfn"}},
            "spec": {
                "containers": [{
                    "name": "envfn", "image": "functions/alpine:latest",
                    "env": [{"name": "fprocess", "value": "env"},
                            {"name": "healthcheck_interval", "value": "100ms"}],
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "readinessProbe": {"httpGet": {"path": "/_/health", "port": 8080},
                                       "periodSeconds": 2},
                    "resources": {"limits": {"memory": "128Mi"}},
                    "volumeMounts": [{"name": "secrets", "mountPath": "/var/openfaas/secrets",
                                      "readOnly": True}]}],
                "terminationGracePeriodSeconds": 2,
                "volumes": [{"name": "secrets",
                             "projected": {"sources": [{"secret": {"name": "s1"}}]}}]}}}}
SECRET = {"apiVersion": "v1", "kind": "Secret",
          "metadata": {"name": "s1", "namespace": NS,
                       "labels": {"app.kubernetes.io/managed-by": "faasbus"}},
          "type": "Opaque", "stringData": {"s1": "value-1"}}
SERVICE = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "envfn", "namespace": NS, "labels": {"faas_function": "envfn"}},
           "spec": {"selector": {"faas_function": "envfn"},
                    "ports": [{"name": "http", "port": 8080, "targetPort": 8080,
                               "protocol": "TCP"}]}}
LEASE = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
         "metadata": {"name": "faasbus-autoscaler", "namespace": NS},
         "spec": {"holderIdentity": "gateway-a", "leaseDurationSeconds": 15}}


class Client:
    def __init__(self, cluster, token=None):
        self.c, self.token = cluster, token

    def call(self, method, path, body=None, ctype="application/json", token=None, **kw):
        headers = {"Content-Type": ctype} if body is not None else {}
        return self.c.request(method, path, token or self.token, headers=headers,
                              data=json.dumps(body) if body is not None else None, **kw)


def expect(r, code, kind, api_version="v1", keys=(), chunked=None):
    """The answer's status, kind and apiVersion, the top-level and
    metadata fields present, and how the body was framed."""
    assert r.status_code == code, f"{r.request.method} {r.url}: {r.status_code} {r.text[:2000]}"
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers.get("Audit-Id")
    if chunked is not None:
        assert (r.headers.get("Transfer-Encoding") == "chunked") == chunked, r.headers
        assert ("Content-Length" in r.headers) != chunked
    body = r.json()
    assert body["kind"] == kind and body["apiVersion"] == api_version, body
    for k in keys:
        cur = body
        for part in k.split("."):
            assert isinstance(cur, dict) and part in cur, f"{k} missing in {body}"
            cur = cur[part]
    return body


def expect_status(r, code, reason, message, details):
    """A failure Status exactly as the recording shaped it."""
    body = expect(r, code, "Status")
    want = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason}
    if details is not None:
        want["details"] = details
    want["code"] = code
    assert body == want
    assert list(body) == list(want)  # and in the recorded order
    return body


OBJECT = ("metadata.name", "metadata.uid", "metadata.resourceVersion",
          "metadata.creationTimestamp", "metadata.managedFields")


def test_recorded_exchanges_replay(k8s_cluster):  # noqa: F811
    c = k8s_cluster()
    api = Client(c)

    # 01 version, 02 discovery
    r = api.call("GET", "/version")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    v = r.json()
    assert (v["major"], v["minor"]) == ("1", "32") and v["gitVersion"].startswith("v1.32.")
    assert {"gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"} <= set(v)
    d = expect(api.call("GET", "/apis/apps/v1"), 200, "APIResourceList")
    assert d["groupVersion"] == "apps/v1"
    res = {r["name"]: r for r in d["resources"]}
    assert set(res["deployments"]["verbs"]) == {"create", "delete", "deletecollection", "get",
                                                "list", "patch", "update", "watch"}
    assert res["deployments"]["namespaced"] and res["deployments"]["kind"] == "Deployment"
    assert (res["deployments/scale"]["group"], res["deployments/scale"]["version"],
            res["deployments/scale"]["kind"]) == ("autoscaling", "v1", "Scale")
    assert res["deployments/status"]["verbs"] == ["get", "patch", "update"]

    # 03/04 namespaces (openfaas-fn is there already: the same with another)
    ns = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": "replay-fn", "labels": {"openfaas": "1"}}}
    b = expect(api.call("POST", "/api/v1/namespaces", ns), 201, "Namespace", keys=OBJECT)
    assert b["metadata"]["labels"] == {"openfaas": "1", "kubernetes.io/metadata.name": "replay-fn"}
    assert b["spec"] == {"finalizers": ["kubernetes"]} and b["status"] == {"phase": "Active"}
    assert "namespace" not in b["metadata"] and TIME.match(b["metadata"]["creationTimestamp"])
    expect_status(api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "openfaas-fn"}}),
                  409, "AlreadyExists", 'namespaces "openfaas-fn" already exists',
                  {"name": "openfaas-fn", "kind": "namespaces"})
    # 05 by label: a list has a resourceVersion; its items no kind
    b = expect(api.call("GET", "/api/v1/namespaces?labelSelector=openfaas%3D1"), 200,
               "NamespaceList", keys=("metadata.resourceVersion", "items"))
    assert sorted(i["metadata"]["name"] for i in b["items"]) == ["openfaas-fn", "replay-fn"]
    assert all("kind" not in i and "apiVersion" not in i for i in b["items"])
    assert int(b["metadata"]["resourceVersion"]) >= int(b["items"][0]["metadata"]["resourceVersion"])

    # 06 a bad token
    expect_status(api.call("GET", "/api/v1/namespaces", token="not-a-token"), 401,
                  "Unauthorized", "Unauthorized", None)
    # 07/08 a service account and its token; 09 that token has no rights
    expect(api.call("POST", f"{CORE}/serviceaccounts",
                    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}}),
           201, "ServiceAccount", keys=OBJECT[:4])
    b = expect(api.call("POST", f"{CORE}/serviceaccounts/nobody/token",
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                         "spec": {"expirationSeconds": 3600}}),
               201, "TokenRequest", "authentication.k8s.io/v1",
               keys=("status.token", "status.expirationTimestamp", "spec.audiences"))
    assert b["spec"]["expirationSeconds"] == 3600
    expect_status(api.call("GET", f"{APPS}/deployments", token=b["status"]["token"]), 403,
                  "Forbidden", 'deployments.apps is forbidden: User "system:serviceaccount:'
                  'openfaas-fn:nobody" cannot list resource "deployments" in API group "apps" in '
                  'the namespace "openfaas-fn"', {"group": "apps", "kind": "deployments"})

    # 10-15 secrets: stringData becomes data; a stale resourceVersion conflicts
    b = expect(api.call("POST", f"{CORE}/secrets", SECRET), 201, "Secret", keys=OBJECT)
    assert b["data"] == {"s1": base64.b64encode(b"value-1").decode()} and "stringData" not in b
    assert b["type"] == "Opaque" and b["metadata"]["namespace"] == NS
    rv1 = b["metadata"]["resourceVersion"]
    expect_status(api.call("POST", f"{CORE}/secrets", SECRET), 409, "AlreadyExists",
                  'secrets "s1" already exists', {"name": "s1", "kind": "secrets"})
    b = expect(api.call("GET", f"{CORE}/secrets/s1"), 200, "Secret", keys=OBJECT)
    assert b["metadata"]["resourceVersion"] == rv1
    update = json.loads(json.dumps(SECRET))
    update["metadata"]["resourceVersion"] = rv1
    update["stringData"] = {"s1": "value-2"}
    b = expect(api.call("PUT", f"{CORE}/secrets/s1", update), 200, "Secret", keys=OBJECT)
    assert int(b["metadata"]["resourceVersion"]) > int(rv1)
    assert b["data"]["s1"] == base64.b64encode(b"value-2").decode()
    expect_status(api.call("PUT", f"{CORE}/secrets/s1", update), 409, "Conflict",
                  'Operation cannot be fulfilled on secrets "s1": the object has been modified; '
                  "please apply your changes to the latest version and try again",
                  {"name": "s1", "kind": "secrets"})
    b = expect(api.call("GET", f"{CORE}/secrets?labelSelector=app.kubernetes.io%2F"
                               "managed-by%3Dfaasbus"), 200, "SecretList",
               keys=("metadata.resourceVersion",))
    assert [i["metadata"]["name"] for i in b["items"]] == ["s1"]

    # 16 invalid: every cause, with the real messages
    bad = json.loads(json.dumps(DEPLOYMENT))
    bad["metadata"]["name"], bad["spec"]["replicas"] = "Bad_Name", -1
    b = expect(api.call("POST", f"{APPS}/deployments", bad), 422, "Status")
    subdomain = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                 "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    assert b["reason"] == "Invalid" and b["code"] == 422 and b["status"] == "Failure"
    assert b["message"] == (f'Deployment.apps "Bad_Name" is invalid: [metadata.name: Invalid '
                            f'value: "Bad_Name": {subdomain}, spec.replicas: Invalid value: -1: '
                            "must be greater than or equal to 0]")
    assert b["details"] == {"name": "Bad_Name", "group": "apps", "kind": "Deployment", "causes": [
        {"reason": "FieldValueInvalid", "message": f'Invalid value: "Bad_Name": {subdomain}',
         "field": "metadata.name"},
        {"reason": "FieldValueInvalid", "message": "Invalid value: -1: must be greater than or "
         "equal to 0", "field": "spec.replicas"}]}

    # 17 an empty list, whose resourceVersion the watch (26) starts from
    b = expect(api.call("GET", f"{APPS}/deployments?labelSelector=app.kubernetes.io%2F"
                               "managed-by%3Dfaasbus"), 200, "DeploymentList", "apps/v1")
    assert b["items"] == []
    list_rv = b["metadata"]["resourceVersion"]

    # 18 create: the server's defaults, generation 1, status {}; big: chunked
    b = expect(api.call("POST", f"{APPS}/deployments", DEPLOYMENT), 201, "Deployment",
               "apps/v1", keys=OBJECT + ("metadata.generation",), chunked=True)
    assert b["metadata"]["generation"] == 1 and b["status"] == {}
    spec = b["spec"]
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    assert spec["template"]["metadata"]["creationTimestamp"] is None
    pod_spec = spec["template"]["spec"]
    assert pod_spec["volumes"][0]["projected"]["defaultMode"] == 420
    assert (pod_spec["restartPolicy"], pod_spec["dnsPolicy"], pod_spec["schedulerName"]) == \
        ("Always", "ClusterFirst", "default-scheduler")
    ctr = pod_spec["containers"][0]
    assert ctr["ports"] == [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]
    assert ctr["readinessProbe"] == {"httpGet": {"path": "/_/health", "port": 8080,
                                                 "scheme": "HTTP"}, "periodSeconds": 2,
                                     "timeoutSeconds": 1, "successThreshold": 1,
                                     "failureThreshold": 3}
    assert (ctr["imagePullPolicy"], ctr["terminationMessagePath"],
            ctr["terminationMessagePolicy"]) == ("Always", "/dev/termination-log", "File")

    # 19 the service
    b = expect(api.call("POST", f"{CORE}/services", SERVICE), 201, "Service", keys=OBJECT)
    assert re.match(r"^\d+\.\d+\.\d+\.\d+$", b["spec"]["clusterIP"])
    assert b["spec"]["clusterIPs"] == [b["spec"]["clusterIP"]]
    assert (b["spec"]["type"], b["spec"]["sessionAffinity"], b["spec"]["ipFamilyPolicy"],
            b["spec"]["internalTrafficPolicy"]) == ("ClusterIP", "None", "SingleStack", "Cluster")
    assert b["spec"]["ipFamilies"] == ["IPv4"] and b["status"] == {"loadBalancer": {}}

    # 20 ready: the controller's status and conditions
    def status():
        return api.call("GET", f"{APPS}/deployments/envfn").json()
    wait_for(lambda: status()["status"].get("readyReplicas") == 1, 20, interval=0.05,
             what="envfn ready")
    b = expect(api.call("GET", f"{APPS}/deployments/envfn"), 200, "Deployment", "apps/v1",
               chunked=True)
    st = b["status"]
    assert {k: st.get(k) for k in ("observedGeneration", "replicas", "updatedReplicas",
                                   "readyReplicas", "availableReplicas")} == \
        {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
         "availableReplicas": 1}
    assert "unavailableReplicas" not in st  # zero values are left out
    conds = {x["type"]: x for x in st["conditions"]}
    assert (conds["Available"]["status"], conds["Available"]["reason"]) == \
        ("True", "MinimumReplicasAvailable")
    assert conds["Available"]["message"] == "Deployment has minimum availability."
    assert (conds["Progressing"]["status"], conds["Progressing"]["reason"]) == \
        ("True", "NewReplicaSetAvailable")
    assert {"lastUpdateTime", "lastTransitionTime"} <= set(conds["Progressing"])
    assert b["metadata"]["annotations"] == {"topic": "orders",
                                            "deployment.kubernetes.io/revision": "1"}

    # 21 the EndpointSlice follows the ready pod, which a real watchdog serves
    b = expect(api.call("GET", f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices?"
                               "labelSelector=kubernetes.io%2Fservice-name%3Denvfn"),
               200, "EndpointSliceList", "discovery.k8s.io/v1")
    (sl,) = b["items"]
    assert sl["metadata"]["generateName"] == "envfn-" and sl["addressType"] == "IPv4"
    assert sl["metadata"]["labels"] == {
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
        "faas_function": "envfn", "kubernetes.io/service-name": "envfn"}
    assert sl["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert sl["ports"] == [{"name": "http", "protocol": "TCP", "port": 8080}]
    (ep,) = sl["endpoints"]
    assert ep["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert ep["targetRef"]["kind"] == "Pod" and ep["targetRef"]["namespace"] == NS
    ip = ep["addresses"][0]
    assert ip in c.pod_ips(NS, "envfn")
    out = requests.post(f"http://{ip}:8080/", data=b"", timeout=10)
    assert out.status_code == 200 and "fprocess=env" in out.text
    assert f"HOSTNAME={ep['targetRef']['name']}" in out.text

    # 22/23 scale: GET, then a merge patch (generation 2, status not yet)
    b = expect(api.call("GET", f"{APPS}/deployments/envfn/scale"), 200, "Scale",
               "autoscaling/v1", keys=("metadata.uid", "metadata.resourceVersion"))
    assert b["spec"] == {"replicas": 1}
    assert b["status"] == {"replicas": 1, "selector": "faas_function=envfn"}
    scale_rv = b["metadata"]["resourceVersion"]
    b = expect(api.call("PATCH", f"{APPS}/deployments/envfn/scale", {"spec": {"replicas": 2}},
                        "application/merge-patch+json"), 200, "Scale", "autoscaling/v1")
    assert b["spec"] == {"replicas": 2} and int(b["metadata"]["resourceVersion"]) > int(scale_rv)
    assert b["status"]["selector"] == "faas_function=envfn"

    # 24 strategic merge: env merged by name, the patch's item first
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "envfn", "env": [{"name": "FOO", "value": "bar"}]}]}}}}
    b = expect(api.call("PATCH", f"{APPS}/deployments/envfn", patch,
                        "application/strategic-merge-patch+json"), 200, "Deployment", "apps/v1")
    assert b["metadata"]["generation"] == 3 and b["spec"]["replicas"] == 2
    env = b["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["FOO", "fprocess", "healthcheck_interval"]
    assert b["spec"]["template"]["spec"]["containers"][0]["image"] == "functions/alpine:latest"
    # 25 JSON merge patch of labels: metadata only, the generation stays
    b = expect(api.call("PATCH", f"{APPS}/deployments/envfn",
                        {"metadata": {"labels": {"team": "blue"}}},
                        "application/merge-patch+json"), 200, "Deployment", "apps/v1")
    assert b["metadata"]["generation"] == 3
    assert b["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "faasbus",
                                       "faas_function": "envfn", "team": "blue"}

    # 26 the watch from the empty list's resourceVersion replays it all
    r = api.call("GET", f"{APPS}/deployments?watch=1&allowWatchBookmarks=true&resourceVersion="
                        f"{list_rv}&timeoutSeconds=2", stream=True)
    assert r.status_code == 200 and r.headers["Transfer-Encoding"] == "chunked"
    assert r.headers["Content-Type"] == "application/json"
    events = [json.loads(line) for line in r.iter_lines() if line]
    types = [e["type"] for e in events if e["type"] != "BOOKMARK"]
    assert types[0] == "ADDED" and set(types[1:]) == {"MODIFIED"} and len(types) >= 5
    objs = [e["object"] for e in events]
    assert all((o["kind"], o["apiVersion"]) == ("Deployment", "apps/v1") for o in objs)
    rvs = [int(o["metadata"]["resourceVersion"]) for o in objs]
    assert rvs == sorted(rvs) and rvs[0] > int(list_rv)
    gens = [o["metadata"]["generation"] for o in objs]
    assert gens[0] == 1 and gens[-1] == 3 and gens == sorted(gens)

    # 27/28 pods by label, then ready after the rollout
    def rolled():
        st = status()["status"]
        return (st.get("observedGeneration") == 3 and st.get("updatedReplicas") == 2
                and st.get("readyReplicas") == 2 and st.get("replicas") == 2)
    b = expect(api.call("GET", f"{CORE}/pods?labelSelector=faas_function%3Denvfn"), 200,
               "PodList", keys=("metadata.resourceVersion",))
    for pod in b["items"]:
        owner = pod["metadata"]["ownerReferences"][0]
        assert (owner["kind"], owner["apiVersion"], owner["controller"]) == \
            ("ReplicaSet", "apps/v1", True)
        assert owner["name"] == "envfn-" + pod["metadata"]["labels"]["pod-template-hash"]
        assert pod["metadata"]["generateName"] == owner["name"] + "-"
        assert pod["status"]["phase"] in ("Pending", "Running")
        assert pod["status"]["qosClass"] == "Burstable"
    wait_for(rolled, 30, interval=0.1, what="the rollout of generation 3")
    b = expect(api.call("GET", f"{CORE}/pods?labelSelector=faas_function%3Denvfn"), 200,
               "PodList")
    live = [p for p in b["items"] if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 2
    for pod in live:
        st = pod["status"]
        assert pod["spec"]["nodeName"]  # bound to the node
        assert st["phase"] == "Running" and st["podIP"].startswith("127.")
        assert st["podIPs"] == [{"ip": st["podIP"]}]
        assert {x["type"]: x["status"] for x in st["conditions"]}["Ready"] == "True"
        (cs,) = st["containerStatuses"]
        assert cs["ready"] and cs["restartCount"] == 0 and "running" in cs["state"]
        out = requests.post(f"http://{st['podIP']}:8080/", timeout=10).text
        assert "FOO=bar" in out  # the new template runs
    pod = live[0]["metadata"]["name"]

    # 29 log tail with timestamps; 30 follow holds the stream open
    requests.post(f"http://{live[0]['status']['podIP']}:8080/", timeout=10)
    r = api.call("GET", f"{CORE}/pods/{pod}/log?tailLines=3&timestamps=true")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain"
    assert r.headers["Transfer-Encoding"] == "chunked"
    lines = r.text.splitlines()
    assert len(lines) == 3 and all(STAMP.match(x) for x in lines), lines
    r = api.call("GET", f"{CORE}/pods/{pod}/log?follow=true&tailLines=1", stream=True)
    assert r.status_code == 200 and r.headers["Transfer-Encoding"] == "chunked"
    got = r.iter_lines()
    first = next(got).decode()
    assert first == lines[-1][31:]  # the same last line, without its timestamp
    before = time.monotonic()
    requests.post(f"http://{live[0]['status']['podIP']}:8080/", timeout=10)
    assert next(got)  # a line written after the request came down the open stream
    assert time.monotonic() - before < 10
    r.close()
    # 31 logs of a pod that is not there
    expect_status(api.call("GET", f"{CORE}/pods/nosuch/log"), 404, "NotFound",
                  'pods "nosuch" not found', {"name": "nosuch", "kind": "pods"})

    # 32-34 leases: create, renew with its resourceVersion, a stale take conflicts
    leases = f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases"
    b = expect(api.call("POST", leases, LEASE), 201, "Lease", "coordination.k8s.io/v1",
               keys=OBJECT)
    lease_rv = b["metadata"]["resourceVersion"]
    renew = json.loads(json.dumps(LEASE))
    renew["metadata"]["resourceVersion"] = lease_rv
    renew["spec"]["renewTime"] = "2026-12-03T12:00:00.000000Z"
    b = expect(api.call("PUT", f"{leases}/faasbus-autoscaler", renew), 200, "Lease",
               "coordination.k8s.io/v1")
    assert int(b["metadata"]["resourceVersion"]) == int(lease_rv) + 1
    assert b["spec"]["renewTime"] == "2026-12-03T12:00:00.000000Z"
    take = json.loads(json.dumps(LEASE))
    take["metadata"]["resourceVersion"] = lease_rv
    take["spec"]["holderIdentity"] = "gateway-b"
    expect_status(api.call("PUT", f"{leases}/faasbus-autoscaler", take), 409, "Conflict",
                  'Operation cannot be fulfilled on leases.coordination.k8s.io '
                  '"faasbus-autoscaler": the object has been modified; please apply your '
                  "changes to the latest version and try again",
                  {"name": "faasbus-autoscaler", "group": "coordination.k8s.io",
                   "kind": "leases"})

    # 35 foreground delete: the object stays, finalizing, until its pods are gone
    pids = c.pod_pids()
    assert len(pids) >= 2
    b = expect(api.call("DELETE", f"{APPS}/deployments/envfn",
                        {"apiVersion": "v1", "kind": "DeleteOptions",
                         "propagationPolicy": "Foreground"}),
               200, "Deployment", "apps/v1", keys=("metadata.deletionTimestamp",))
    assert b["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert b["metadata"]["deletionGracePeriodSeconds"] == 0 and b["metadata"]["generation"] == 4
    # 36 a Service's delete answers the object
    b = expect(api.call("DELETE", f"{CORE}/services/envfn"), 200, "Service", keys=OBJECT[:4])
    assert b["spec"]["selector"] == {"faas_function": "envfn"}
    # 37 then the Deployment is gone, its pods' processes with it
    wait_for(lambda: api.call("GET", f"{APPS}/deployments/envfn").status_code == 404, 20,
             interval=0.1, what="the foreground deletion to finish")
    expect_status(api.call("GET", f"{APPS}/deployments/envfn"), 404, "NotFound",
                  'deployments.apps "envfn" not found',
                  {"name": "envfn", "group": "apps", "kind": "deployments"})
    assert c.objects("pods", NS) == [] and c.pod_pids() == {}
    # 38 a Secret's delete answers a Success Status
    b = expect(api.call("DELETE", f"{CORE}/secrets/s1"), 200, "Status")
    assert b["status"] == "Success" and b["metadata"] == {}
    assert b["details"]["name"] == "s1" and b["details"]["kind"] == "secrets"
    assert b["details"]["uid"]
