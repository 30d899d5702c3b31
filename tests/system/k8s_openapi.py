"""A small OpenAPI v2 (empty) and v3 description of the stand-in's kinds (/openapi/v3 and
/openapi/v3/api/v1, /openapi/v3/apis/GROUP/VERSION), enough for kubectl's
client-side validation and apply: each kind is an object carrying its
group-version-kind whose fields are not constrained further (the server
validates what it cares about, as k8s_objects shows)."""
import hashlib
import json

import k8s_resources as R


# An OpenAPI v2 Document message holding only `swagger: "2.0"` (field 1).
V2_PROTOBUF = b"\x0a\x032.0"


def _gv_path(group, version):
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _schema_name(res):
    short = res.group.split(".")[0] if res.group else "core"
    return f"io.k8s.api.{short}.{res.version}.{res.kind}"


def document(group, version):
    found = [r for r in R.RESOURCES if r.group == group and r.version == version]
    if not found:
        return None
    schemas = {}
    for r in found:
        for kind in (r.kind, r.kind + "List"):
            schemas[_schema_name(r).rsplit(".", 1)[0] + "." + kind] = {
                "type": "object", "x-kubernetes-preserve-unknown-fields": True,
                "x-kubernetes-group-version-kind": [{"group": r.group, "version": r.version,
                                                     "kind": kind}],
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                               "metadata": {"type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True}}}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.13"},
            "paths": {}, "components": {"schemas": schemas}}


def index():
    paths = {}
    gvs = {(r.group, r.version) for r in R.RESOURCES}
    for g, v in sorted(gvs):
        digest = hashlib.sha512(json.dumps(document(g, v), sort_keys=True).encode()).hexdigest()
        p = _gv_path(g, v)
        paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}?hash={digest[:64].upper()}"}
    return {"paths": paths}


def lookup(path):
    """The document for /openapi/v3[/...], or None."""
    rest = path[len("/openapi/v3"):].strip("/")
    if not rest:
        return index()
    parts = rest.split("/")
    if parts[0] == "api" and len(parts) == 2:
        return document("", parts[1])
    if parts[0] == "apis" and len(parts) == 3:
        return document(parts[1], parts[2])
    return None
