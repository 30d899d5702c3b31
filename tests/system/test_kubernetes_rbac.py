"""The gateway's RBAC in deploy/kubernetes/10-rbac.yaml against what the
kubernetes driver really asks: a gateway set up as its Deployment says
runs a function's whole life (secrets, deploy, call, update, scale, logs,
namespaces, remove) on the API server stand-in, with the namespaces made
by `kubectl apply` of the manifests, and every request it made must be
one the Roles bound to its service account allow, and every verb they
grant must have been used: nothing missing, nothing to spare."""
import os
import shutil

import pytest

from conftest import BIN, Gateway, gateway_up, wait_for
from k8s_deployed import kubectl_apply
from k8s_manifests import containers, env_of, find, of_kind
from k8s_util import k8s_cluster

__all__ = ["k8s_cluster"]  # fixtures

NAMESPACE = "openfaas"
SA = "faasbus-gateway"


def grants():
    """{(namespace or None for every namespace, group, resource): verbs}
    of the Roles and ClusterRoles bound to the gateway's service account."""
    out = {}
    subject = {"kind": "ServiceAccount", "name": SA, "namespace": NAMESPACE}
    for b in of_kind("RoleBinding") + of_kind("ClusterRoleBinding"):
        if subject not in b["subjects"]:
            continue
        ns = b["metadata"].get("namespace")
        role = find(b["roleRef"]["kind"], b["roleRef"]["name"],
                    ns if b["roleRef"]["kind"] == "Role" else None)
        for rule in role["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    out.setdefault((ns, group, resource), set()).update(rule["verbs"])
    return out


def rbac_request(method, path, query):
    """(namespace or None, group, resource[/subresource], verb) of an API
    request (query: a dict), as the API server's authorizer sees it."""
    parts = path.strip("/").split("/")
    if parts[0] == "api":
        group, rest = "", parts[2:]
    else:
        group, rest = parts[1], parts[3:]
    ns = None
    if rest[0] == "namespaces" and len(rest) > 2:
        ns, rest = rest[1], rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else None
    if len(rest) > 2:
        resource += "/" + rest[2]
    watch = str(query.get("watch", "")).lower() in ("1", "true")
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if name else "deletecollection"}.get(method)
    if method == "GET":
        verb = "watch" if watch else "get" if name else "list"
    return ns, group, resource, verb


def allowed(granted, ns, group, resource, verb):
    for key in ((ns, group, resource), (None, group, resource)):
        if verb in granted.get(key, set()):
            return key
    return None


def start_gateway(cluster, tmp_path, daemons):
    """A gateway set up as its Deployment says, but for what needs a
    cluster around it (NATS, the connectors, the secret volume), with the
    Lease in its own namespace as in a pod."""
    c = containers(find("Deployment", "gateway", NAMESPACE))[0]
    env = {k: env_of(c)[k] for k in ("driver", "image_pull_policy")}
    state = tmp_path / "state"
    state.mkdir()
    env.update({"state_dir": str(state), "nats_url": "", "log_level": "info",
                "kubernetes_lease_namespace": NAMESPACE})
    env.update(cluster.env())
    gw = Gateway([os.path.join(BIN, "faasbus-gateway")], env, str(tmp_path / "gateway.log"))
    daemons.append(gw.start())
    wait_for(lambda: gateway_up(gw), 15, what="gateway /healthz")
    return gw


def ok(r):
    assert 200 <= r.status_code < 300, f"{r.request.method} {r.url}: {r.status_code} {r.text}"
    return r


def test_the_gateways_roles_allow_exactly_what_the_driver_asks(k8s_cluster, daemons, tmp_path):
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed")
    cluster = k8s_cluster()
    # The namespaces, as a user makes them.
    kubectl_apply(cluster, "00-namespaces.yaml", tmp_path)
    # What kubectl asked is not counted; the gateway's start is: its first
    # listings can come before /healthz answers.
    cluster.clear_requests()
    gw = start_gateway(cluster, tmp_path, daemons)

    ok(gw.api("POST", "/system/secrets", json={"name": "s1", "value": "one"}))
    ok(gw.api("PUT", "/system/secrets", json={"name": "s1", "value": "two"}))
    assert "s1" in ok(gw.api("GET", "/system/secrets")).text
    gw.deploy("rbacfn", env_process="cat", image="faasbus/watchdog:0.1.0", secrets=["s1"])
    gw.wait_available("rbacfn", 1, timeout=30)
    wait_for(lambda: gw.call("rbacfn", data=b"hi").content == b"hi", 30, what="a call")
    gw.deploy("rbacfn", env_process="cat", image="faasbus/watchdog:0.1.0", secrets=["s1"],
              method="PUT", envVars={"v": "2"})
    gw.scale("rbacfn", 2)
    gw.wait_available("rbacfn", 2, timeout=30)
    ok(gw.api("GET", "/system/logs", params={"name": "rbacfn", "tail": "5"}))
    assert "openfaas-fn" in ok(gw.api("GET", "/system/namespaces")).text
    ok(gw.api("DELETE", "/system/functions", json={"functionName": "rbacfn"}))
    ok(gw.api("DELETE", "/system/secrets", json={"name": "s1"}))

    def seen():
        return [rbac_request(r["method"], r["path"], r["query"]) for r in cluster.requests
                if r["path"].startswith(("/api/", "/apis/"))]
    # The Lease is taken, then renewed, on its own schedule.
    wait_for(lambda: ("coordination.k8s.io", "leases", "update") in
             {(g, r, v) for _, g, r, v in seen()}, 30, what="the Lease renewed")

    granted = grants()
    used = {}
    refused = []
    for ns, group, resource, verb in seen():
        key = allowed(granted, ns, group, resource, verb)
        if key is None:
            refused.append(f"{verb} {group}/{resource} in {ns}")
        else:
            used.setdefault(key, set()).add(verb)
    assert not refused, "requests the manifests' RBAC would refuse: " + ", ".join(refused)
    spare = {k: sorted(v - used.get(k, set())) for k, v in granted.items()
             if v - used.get(k, set())}
    assert not spare, f"granted but never used: {spare}"
