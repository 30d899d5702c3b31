"""The resources the Kubernetes API stand-in serves, and the discovery
documents (/api, /apis, /api/v1, /apis/GROUP/VERSION) that describe them
the way a real server does, so kubectl finds its way."""
import base64
import hashlib
from dataclasses import dataclass, field

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUB_VERBS = ["get", "patch", "update"]


@dataclass
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short: list = field(default_factory=list)
    subresources: tuple = ()
    has_generation: bool = False   # metadata.generation counts spec changes
    returns_deleted: bool = False  # DELETE answers the object, not a Status

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self):
        """As messages name it: "deployments.apps", "secrets"."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def kind_qualified(self):
        """As 422 messages name it: "Deployment.apps", "Secret"."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def singular(self):
        return self.kind.lower()


RESOURCES = [
    Resource("", "v1", "namespaces", "Namespace", namespaced=False, short=["ns"],
             subresources=("status",), returns_deleted=True),
    Resource("", "v1", "pods", "Pod", short=["po"], subresources=("log", "status"),
             returns_deleted=True),
    Resource("", "v1", "services", "Service", short=["svc"], subresources=("status",),
             returns_deleted=True),
    Resource("", "v1", "secrets", "Secret"),
    Resource("", "v1", "configmaps", "ConfigMap", short=["cm"]),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", short=["sa"],
             subresources=("token",)),
    Resource("", "v1", "events", "Event", short=["ev"]),
    Resource("", "v1", "nodes", "Node", namespaced=False, short=["no"], subresources=("status",)),
    Resource("apps", "v1", "deployments", "Deployment", short=["deploy"],
             subresources=("scale", "status"), has_generation=True),
    Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", has_generation=True),
    Resource("coordination.k8s.io", "v1", "leases", "Lease"),
    Resource("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    Resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    Resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding",
             namespaced=False),
]

BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_PLURAL = {r.plural: r for r in RESOURCES}
# What a subresource is called in discovery, when it is not the parent's kind.
SUB_KINDS = {"scale": ("autoscaling", "v1", "Scale"), "token": ("authentication.k8s.io", "v1",
                                                                 "TokenRequest"),
             "log": ("", "", "Pod")}


def lookup(group, version, plural):
    return BY_PATH.get((group, version, plural))


def groups():
    """{group: version} of the named groups (the core group is /api)."""
    out = {}
    for r in RESOURCES:
        if r.group:
            out[r.group] = r.version
    return out


def api_versions():
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": "127.0.0.1:6443"}]}


def api_group_list():
    out = []
    for g, v in groups().items():
        gv = {"groupVersion": f"{g}/{v}", "version": v}
        out.append({"name": g, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": out}


def api_group(group):
    v = groups().get(group)
    if v is None:
        return None
    gv = {"groupVersion": f"{group}/{v}", "version": v}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": [gv],
            "preferredVersion": gv}


def resource_list(group, version):
    """The APIResourceList of one group version, or None."""
    found = [r for r in RESOURCES if r.group == group and r.version == version]
    if not found:
        return None
    items = []
    for r in sorted(found, key=lambda r: r.plural):
        item = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                "kind": r.kind, "verbs": list(VERBS)}
        if r.short:
            item["shortNames"] = list(r.short)
        if r.plural in ("deployments", "pods", "services"):
            item["categories"] = ["all"]
        item["storageVersionHash"] = base64.b64encode(hashlib.sha256(
            f"{r.group}/{r.version}/{r.kind}".encode()).digest()[:8]).decode()
        items.append(item)
        for sub in r.subresources:
            s = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced}
            g, v, kind = SUB_KINDS.get(sub, (None, None, r.kind))
            if g is not None and (g or v):
                s["group"], s["version"] = g, v
            s["kind"] = kind
            s["verbs"] = ["get"] if sub == "log" else ["create"] if sub == "token" \
                else list(SUB_VERBS)
            items.append(s)
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": items}
