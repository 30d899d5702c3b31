"""A discovery-only Kubernetes API server, enough for `kubectl apply
--dry-run=client`: /version, /api, /apis and the resource list of each
group version the manifests use, shaped as a v1.32 server answers them,
and 404 NotFound (a Status) for every object, as for objects that do not
exist yet. kubectl maps each manifest's apiVersion and kind to a
resource (and learns whether it is namespaced) from these lists, then
asks for the live object to diff against.

    with DiscoveryServer() as api:
        api.kubeconfig          # a kubeconfig file naming it
        api.requests            # [(method, path)] received
"""
import http.server
import json
import os
import tempfile
import threading
from urllib.parse import urlsplit

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

# group version -> [(plural, kind, namespaced)]
RESOURCES = {
    "v1": [("namespaces", "Namespace", False), ("serviceaccounts", "ServiceAccount", True),
           ("configmaps", "ConfigMap", True), ("secrets", "Secret", True),
           ("services", "Service", True), ("pods", "Pod", True)],
    "apps/v1": [("deployments", "Deployment", True), ("statefulsets", "StatefulSet", True)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    "rbac.authorization.k8s.io/v1": [("roles", "Role", True),
                                     ("rolebindings", "RoleBinding", True),
                                     ("clusterroles", "ClusterRole", False),
                                     ("clusterrolebindings", "ClusterRoleBinding", False)],
}


def resource_list(group_version):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": [{"name": plural, "singularName": kind.lower(),
                           "namespaced": namespaced, "kind": kind, "verbs": VERBS}
                          for plural, kind, namespaced in RESOURCES[group_version]]}


def group_list():
    groups = []
    for gv in RESOURCES:
        if "/" not in gv:
            continue
        name, version = gv.split("/")
        entry = {"groupVersion": gv, "version": version}
        groups.append({"name": name, "versions": [entry], "preferredVersion": entry})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def not_found(path):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": f"the server could not find the requested resource ({path})",
            "reason": "NotFound", "details": {}, "code": 404}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = urlsplit(self.path).path.rstrip("/")
        self.server.requests.append(("GET", path))
        if path == "/version":
            self._answer(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0",
                               "platform": "linux/amd64"})
        elif path == "/api":
            self._answer(200, {"kind": "APIVersions", "versions": ["v1"],
                               "serverAddressByClientCIDRs": [
                                   {"clientCIDR": "0.0.0.0/0",
                                    "serverAddress": self.headers.get("Host", "")}]})
        elif path == "/apis":
            self._answer(200, group_list())
        elif path == "/api/v1":
            self._answer(200, resource_list("v1"))
        elif path.startswith("/apis/") and path[6:] in RESOURCES:
            self._answer(200, resource_list(path[6:]))
        else:
            self._answer(404, not_found(path))

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class DiscoveryServer:
    def __enter__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.requests = self.requests = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.dir = tempfile.mkdtemp(prefix="k8s-discovery-")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        with open(self.kubeconfig, "w") as f:
            json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "test",
                       "clusters": [{"name": "test", "cluster": {"server": self.url}}],
                       "users": [{"name": "test", "user": {}}],
                       "contexts": [{"name": "test",
                                     "context": {"cluster": "test", "user": "test"}}]}, f)
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
        os.unlink(self.kubeconfig)
        os.rmdir(self.dir)
