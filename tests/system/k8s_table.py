"""Tables (meta.k8s.io/v1) for clients that ask for them (kubectl get sends
Accept: application/json;as=Table;...), with the columns a real server
prints for the kinds the stand-in runs."""
import calendar
import time


def age(ts):
    if not ts:
        return "<unknown>"
    s = max(0, int(time.time() - calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ"))))
    if s < 120:
        return f"{s}s"
    m, h, d = s // 60, s // 3600, s // 86400
    if s < 600:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if s < 3 * 3600:
        return f"{m}m"
    if s < 8 * 3600:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if s < 48 * 3600:
        return f"{h}h"
    return f"{d}d{h % 24}h" if d < 8 and h % 24 else f"{d}d"


def _pod(o):
    st = o.get("status") or {}
    cs = st.get("containerStatuses") or []
    total = len((o.get("spec") or {}).get("containers") or [])
    ready = sum(1 for c in cs if c.get("ready"))
    status = st.get("phase", "Pending")
    for c in cs:
        reason = (c.get("state") or {}).get("waiting", {}).get("reason")
        status = reason or status
    if o["metadata"].get("deletionTimestamp"):
        status = "Terminating"
    restarts = sum(c.get("restartCount", 0) for c in cs)
    return [f"{ready}/{total}", status, restarts, age(o["metadata"].get("creationTimestamp")),
            st.get("podIP", "<none>"), (o.get("spec") or {}).get("nodeName", "<none>")]


def _deployment(o):
    st, spec = o.get("status") or {}, o.get("spec") or {}
    return [f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            st.get("updatedReplicas", 0), st.get("availableReplicas", 0),
            age(o["metadata"].get("creationTimestamp"))]


def _service(o):
    spec = o.get("spec") or {}
    ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
    return [spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"), "<none>",
            ports or "<none>", age(o["metadata"].get("creationTimestamp"))]


# kind -> (extra column names after Name, cells function)
COLUMNS = {
    "Pod": (["Ready", "Status", "Restarts", "Age", "IP", "Node"], _pod),
    "Deployment": (["Ready", "Up-to-date", "Available", "Age"], _deployment),
    "Service": (["Type", "Cluster-IP", "External-IP", "Port(s)", "Age"], _service),
    "Namespace": (["Status", "Age"], lambda o: [(o.get("status") or {}).get("phase", ""),
                                                age(o["metadata"].get("creationTimestamp"))]),
    "Secret": (["Type", "Data", "Age"], lambda o: [o.get("type", ""), len(o.get("data") or {}),
                                                   age(o["metadata"].get("creationTimestamp"))]),
}
WIDE = {"IP", "Node"}


def wants_table(accept):
    return "as=Table" in (accept or "")


def table(res, body):
    """body (an object or a list of res's kind) as a Table."""
    names, cells = COLUMNS.get(res.kind, (["Age"], lambda o: [
        age(o["metadata"].get("creationTimestamp"))]))
    cols = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
             "description": "Name must be unique within a namespace."}]
    cols += [{"name": n, "type": "integer" if n in ("Restarts", "Data", "Up-to-date",
                                                      "Available") else "string",
              "format": "", "priority": 1 if n in WIDE else 0, "description": n}
             for n in names]
    items = body["items"] if "items" in body else [body]
    rows = [{"cells": [o["metadata"]["name"]] + cells(o),
             "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                        "metadata": o["metadata"]}} for o in items]
    meta = {"resourceVersion": body["metadata"].get("resourceVersion", "")}
    if body["metadata"].get("continue"):
        meta["continue"] = body["metadata"]["continue"]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
            "columnDefinitions": cols, "rows": rows}
