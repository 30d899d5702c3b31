"""The stand-in's API verbs (create, get, list, update, patch, delete, the
scale and token subresources) with a real server's rules: uid,
creationTimestamp, resourceVersion and generation stamped by the server,
409 AlreadyExists / Conflict on a stale resourceVersion, 422 Invalid,
status kept apart from spec, deletion with finalizers (foreground) and
answers shaped as the real ones (a Status, or the object for the kinds
that return it)."""
import copy
import json
import random
import time

import k8s_errors as E
import k8s_objects
import k8s_patch
from k8s_resources import BY_PLURAL
from k8s_select import parse_fields, parse_labels, selector_text
from k8s_store import new_uid, now_rfc3339

NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
STATUS_KINDS = {"Deployment", "Pod", "Service", "Namespace", "Node"}


def random_suffix(n=5):
    return "".join(random.choice(NAME_CHARS) for _ in range(n))


def fields_v1(value, field=None, parent=None):
    """The FieldsV1 set of a value, close to what the real field manager
    records (maps as f:key, keyed lists as k:{...})."""
    if isinstance(value, dict):
        return {f"f:{k}": _member(v, k, field) for k, v in value.items()}
    return {}


def _member(v, k, parent):
    if isinstance(v, dict):
        inner = fields_v1(v, k, parent)
        return {".": {}, **inner} if inner else {}
    if isinstance(v, list):
        key = k8s_patch.merge_key(k, parent)
        if key and v and all(isinstance(x, dict) for x in v):
            out = {".": {}}
            for x in v:
                mk = json.dumps({key: x.get(key)}, separators=(",", ":"))
                out[f"k:{mk}"] = {".": {}, **fields_v1(x, k, parent)}
            return out
    return {}


def managed_entry(manager, api_version, obj, subresource=None):
    fields = {}
    meta = obj.get("metadata") or {}
    mine = {k: meta[k] for k in ("labels", "annotations", "finalizers", "ownerReferences")
            if meta.get(k)}
    if mine:
        fields["f:metadata"] = fields_v1(mine, "metadata")
    for k, v in obj.items():
        if k in ("apiVersion", "kind", "metadata") or (k == "status") != (subresource == "status"):
            continue
        fields[f"f:{k}"] = _member(v, k, None)
    entry = {"manager": manager, "operation": "Update", "apiVersion": api_version,
             "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": fields}
    if subresource:
        entry["subresource"] = subresource
    return entry


def set_managed(obj, entry):
    """Replaces the entry of the same manager and subresource."""
    meta = obj["metadata"]
    kept = [m for m in meta.get("managedFields") or []
            if (m.get("manager"), m.get("subresource")) != (entry["manager"],
                                                            entry.get("subresource"))]
    meta["managedFields"] = kept + [entry]


class Api:
    def __init__(self, store):
        self.store = store
        self.ip_next = 1
        self.orphan_uids = set()  # deleted with propagationPolicy=Orphan

    # --- helpers ---------------------------------------------------------------
    def cluster_ip(self):
        self.ip_next += 1
        return f"10.96.{self.ip_next // 250}.{self.ip_next % 250 + 1}"

    def require_namespace(self, res, ns, creating=False, name=None):
        if not res.namespaced:
            return
        got = self.store.get("namespaces", "", ns)
        if got is None:
            raise E.namespace_not_found(ns)
        if creating and got["metadata"].get("deletionTimestamp"):
            raise E.ApiError(403, "Forbidden", f'{res.qualified} "{name}" is forbidden: unable '
                             f"to create new content in namespace {ns} because it is being "
                             "terminated", E.details(res, name))

    def current(self, res, ns, name):
        obj = self.store.get(res.plural, ns, name)
        if obj is None:
            raise E.not_found(res, name)
        return obj

    def decode(self, res, body):
        if isinstance(body, (bytes, str)):
            try:
                body = json.loads(body or b"null")
            except ValueError as e:
                raise E.bad_request(f"error decoding body: {e}") from None
        if not isinstance(body, dict):
            raise k8s_objects.decode_error(res, "json: cannot unmarshal into Go value of type "
                                           "struct")
        kind = body.get("kind")
        if kind and kind != res.kind:
            raise E.bad_request(f"the API version in the data ({body.get('apiVersion')}) does "
                                f"not match the expected API version ({res.api_version})"
                                if body.get("apiVersion") != res.api_version else
                                f'{kind} in version "{res.version}" cannot be handled as a '
                                f"{res.kind}: no kind \"{kind}\" is registered for version "
                                f'"{res.api_version}"')
        body["kind"], body["apiVersion"] = res.kind, res.api_version
        body.setdefault("metadata", {})
        return body

    # --- create ----------------------------------------------------------------
    def create(self, res, ns, body, manager="unknown", dry_run=False):
        obj = self.decode(res, body)
        meta = obj["metadata"]
        if res.namespaced:
            if meta.get("namespace") not in (None, "", ns):
                raise E.bad_request("the namespace of the provided object does not match the "
                                    "namespace sent on the request")
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + random_suffix()
        self.require_namespace(res, ns, creating=True, name=meta.get("name"))
        k8s_objects.apply_defaults(res, obj, self.cluster_ip() if res.kind == "Service" else None)
        k8s_objects.validate(res, obj)
        if self.store.get(res.plural, ns, meta["name"]) is not None:
            raise E.already_exists(res, meta["name"])
        for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "managedFields"):
            meta.pop(k, None)
        meta["uid"] = new_uid()
        meta["resourceVersion"] = ""  # its place; the store stamps it
        meta["creationTimestamp"] = now_rfc3339()
        if res.has_generation:
            meta["generation"] = 1
        if res.kind in STATUS_KINDS and res.kind not in ("Namespace", "Service"):
            obj["status"] = obj.get("status") if res.kind == "Pod" else {}
            if obj["status"] is None:
                obj["status"] = {}
        if res.kind != "Event":
            set_managed(obj, managed_entry(manager, res.api_version, obj))
        self._order_meta(obj)
        if dry_run:
            return obj
        return self.store.put(res.plural, obj)

    @staticmethod
    def _order_meta(obj):
        """metadata keys in the order a real server writes them."""
        order = ["name", "generateName", "namespace", "uid", "resourceVersion", "generation",
                 "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                 "labels", "annotations", "ownerReferences", "finalizers", "managedFields"]
        meta = obj["metadata"]
        obj["metadata"] = {k: meta[k] for k in order if k in meta}
        obj["metadata"].update({k: v for k, v in meta.items() if k not in order})
        rest = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata")}
        head = {"kind": obj["kind"], "apiVersion": obj["apiVersion"], "metadata": obj["metadata"]}
        obj.clear()
        obj.update(head)
        obj.update(rest)

    # --- read ------------------------------------------------------------------
    def get(self, res, ns, name):
        if res.namespaced:
            self.require_namespace(res, ns)
        return self.current(res, ns, name)

    def list(self, res, ns, query):
        labels = parse_labels(query.get("labelSelector", ""))
        fields = parse_fields(query.get("fieldSelector", ""), res.kind)
        items, rv = self.store.list(res.plural, ns)
        items = [o for o in items if labels(o["metadata"].get("labels")) and fields(o)]
        meta = {"resourceVersion": rv}
        start = 0
        if query.get("continue"):
            try:
                token = json.loads(bytes.fromhex(query["continue"]))
                start, meta["resourceVersion"] = int(token["start"]), token["rv"]
            except (ValueError, KeyError, TypeError):
                raise E.bad_request("continue key is not valid") from None
        limit = int(query.get("limit") or 0)
        page = items[start:start + limit] if limit else items[start:]
        if limit and start + limit < len(items):
            token = {"rv": meta["resourceVersion"], "start": start + limit}
            meta["continue"] = json.dumps(token).encode().hex()
            meta["remainingItemCount"] = len(items) - start - limit
        for o in page:
            o.pop("kind", None)
            o.pop("apiVersion", None)
        return {"kind": res.kind + "List", "apiVersion": res.api_version, "metadata": meta,
                "items": page}

    # --- update ----------------------------------------------------------------
    def update(self, res, ns, name, body, manager="unknown", subresource=None, dry_run=False):
        obj = self.decode(res, body)
        meta = obj["metadata"]
        if meta.get("name", name) != name:
            raise E.bad_request(f"the name of the object ({meta.get('name')}) does not match the "
                                f"name on the URL ({name})")
        meta["name"] = name
        if res.namespaced:
            meta["namespace"] = ns
        with self.store.cond:
            old = self.current(res, ns, name)
            rv = meta.get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise E.conflict(res, name)
            return self._replace(res, old, obj, manager, subresource, dry_run)

    def _replace(self, res, old, obj, manager, subresource, dry_run=False):
        name = old["metadata"]["name"]
        if subresource == "status":
            new = copy.deepcopy(old)
            new["status"] = obj.get("status", {})
        else:
            new = obj
            k8s_objects.apply_defaults(res, new, (old.get("spec") or {}).get("clusterIP"))
            k8s_objects.validate(res, new)
            if res.kind in STATUS_KINDS:
                new["status"] = old.get("status", {})
            if res.kind == "Namespace":
                new["spec"] = old.get("spec")
        meta, ometa = new["metadata"], old["metadata"]
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "generation", "managedFields"):
            if k in ometa:
                meta[k] = ometa[k]
            else:
                meta.pop(k, None)
        if res.kind == "Service":
            new["spec"]["clusterIP"] = old["spec"].get("clusterIP")
            new["spec"]["clusterIPs"] = old["spec"].get("clusterIPs")
        if res.has_generation and new.get("spec") != old.get("spec"):
            meta["generation"] = ometa.get("generation", 1) + 1
        if ometa.get("deletionTimestamp") and not meta.get("finalizers"):
            if not dry_run:
                self.store.remove(res.plural, old["metadata"].get("namespace", ""), name)
            return new
        if self._same(old, new):
            return old  # a no-op write does not bump the resourceVersion
        set_managed(new, managed_entry(manager, res.api_version, new, subresource))
        self._order_meta(new)
        if dry_run:
            return new
        return self.store.put(res.plural, new)

    @staticmethod
    def _same(a, b):
        strip = lambda o: {k: v for k, v in o.items() if k != "metadata"} | {
            "m": {k: v for k, v in o["metadata"].items()
                  if k not in ("resourceVersion", "managedFields")}}
        return strip(a) == strip(b)

    def patch(self, res, ns, name, content_type, body, manager="unknown", subresource=None,
              dry_run=False):
        with self.store.cond:
            old = self.current(res, ns, name)
            patched = k8s_patch.apply(content_type, old, body)
            if not isinstance(patched, dict):
                raise E.bad_request("the patch did not give an object")
            meta = patched.setdefault("metadata", {})
            rv = meta.get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise E.conflict(res, name)
            meta["resourceVersion"] = old["metadata"]["resourceVersion"]
            if meta.get("uid", old["metadata"]["uid"]) != old["metadata"]["uid"]:
                raise E.conflict(res, name, "Precondition failed: UID in precondition: "
                                 f"{meta['uid']}, UID in object meta: {old['metadata']['uid']}")
            return self._replace(res, old, self.decode(res, patched), manager, subresource,
                                 dry_run)

    # --- scale -----------------------------------------------------------------
    def scale_of(self, dep):
        m = dep["metadata"]
        meta = {k: m[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                  "creationTimestamp") if k in m}
        return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta,
                "spec": {"replicas": dep["spec"].get("replicas", 0)},
                "status": {"replicas": (dep.get("status") or {}).get("replicas", 0),
                           "selector": selector_text(dep["spec"]["selector"].get("matchLabels"))}}

    def get_scale(self, res, ns, name):
        return self.scale_of(self.get(res, ns, name))

    def set_scale(self, res, ns, name, method, content_type, body, manager="unknown"):
        with self.store.cond:
            dep = self.get(res, ns, name)
            current = self.scale_of(dep)
            if method == "PATCH":
                scale = k8s_patch.apply(content_type, current, body)
            else:
                scale = json.loads(body or b"{}")
            rv = (scale.get("metadata") or {}).get("resourceVersion")
            if rv and rv != dep["metadata"]["resourceVersion"]:
                raise E.conflict(res, name)
            replicas = (scale.get("spec") or {}).get("replicas", 0)
            if not isinstance(replicas, int) or replicas < 0:
                raise E.invalid(BY_SCALE, name, [k8s_objects.bad_value(
                    "spec.replicas", replicas, "must be greater than or equal to 0")])
            if replicas == dep["spec"].get("replicas"):
                return current
            dep["spec"]["replicas"] = replicas
            dep["metadata"]["generation"] = dep["metadata"].get("generation", 1) + 1
            entry = managed_entry(manager, res.api_version, {"spec": {"replicas": replicas}},
                                  "scale")
            entry.pop("time")
            set_managed(dep, entry)
            return self.scale_of(self.store.put(res.plural, dep))

    # --- delete ----------------------------------------------------------------
    def delete(self, res, ns, name, options):
        """options: a DeleteOptions dict. Returns the answer's body."""
        with self.store.cond:
            obj = self.get(res, ns, name)
            meta = obj["metadata"]
            pre = options.get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != meta["uid"]:
                raise E.conflict(res, name, f"Precondition failed: UID in precondition: "
                                 f"{pre['uid']}, UID in object meta: {meta['uid']}")
            if pre.get("resourceVersion") and pre["resourceVersion"] != meta["resourceVersion"]:
                raise E.conflict(res, name, "Precondition failed: ResourceVersion in "
                                 f"precondition: {pre['resourceVersion']}, ResourceVersion in "
                                 f"object meta: {meta['resourceVersion']}")
            if options.get("dryRun"):
                return obj
            policy = options.get("propagationPolicy") or (
                "Orphan" if options.get("orphanDependents") else "Background")
            grace = options.get("gracePeriodSeconds")
            if res.kind == "Pod":
                return self._delete_pod(res, obj, grace)
            finalizers = list(meta.get("finalizers") or [])
            if res.kind == "Namespace":
                finalizers = finalizers or []
                return self._mark_deleting(res, obj, finalizers, 0, phase="Terminating")
            if policy == "Foreground" and res.kind == "Deployment":
                if "foregroundDeletion" not in finalizers:
                    finalizers.append("foregroundDeletion")
                return self._mark_deleting(res, obj, finalizers, 0)
            if policy == "Orphan" and res.kind == "Deployment":
                self.orphan_uids.add(meta["uid"])
            if finalizers:
                return self._mark_deleting(res, obj, finalizers, 0)
            gone = self.store.remove(res.plural, ns, name)
            if res.returns_deleted:
                return gone
            return E.success(E.details(res, name, uid=meta["uid"]))

    def _mark_deleting(self, res, obj, finalizers, grace, phase=None):
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            return obj
        meta["deletionTimestamp"] = now_rfc3339()
        meta["deletionGracePeriodSeconds"] = grace
        meta["finalizers"] = finalizers
        if res.has_generation:
            meta["generation"] = meta.get("generation", 1) + 1
        if phase:
            obj.setdefault("status", {})["phase"] = phase
        self._order_meta(obj)
        return self.store.put(res.plural, obj)

    def _delete_pod(self, res, obj, grace):
        meta = obj["metadata"]
        if grace is None:
            grace = obj["spec"].get("terminationGracePeriodSeconds", 30)
        if not obj.get("status", {}).get("podIP") and not obj.get("status", {}).get("startTime"):
            grace = 0  # never started: nothing to stop
        if grace == 0:
            return self.store.remove(res.plural, meta["namespace"], meta["name"])
        if meta.get("deletionTimestamp"):
            return obj
        meta["deletionTimestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                  time.gmtime(time.time() + grace))
        meta["deletionGracePeriodSeconds"] = grace
        self._order_meta(obj)
        return self.store.put(res.plural, obj)

    # --- service account tokens ------------------------------------------------------
    def token_request(self, ns, name, body, issue):
        """TokenRequest: a token issued by issue(user) for the account."""
        sa_res = BY_PLURAL["serviceaccounts"]
        self.get(sa_res, ns, name)
        req = json.loads(body or b"{}")
        spec = req.get("spec") or {}
        seconds = spec.get("expirationSeconds") or 3600
        token = issue(f"system:serviceaccount:{ns}:{name}")
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))
        now = now_rfc3339()
        return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": now},
                "spec": {"audiences": spec.get("audiences") or [
                    "https://kubernetes.default.svc.cluster.local"],
                    "expirationSeconds": seconds, "boundObjectRef": spec.get("boundObjectRef")},
                "status": {"token": token, "expirationTimestamp": expires}}


class _ScaleRes:
    group, kind, kind_qualified, plural = "autoscaling", "Scale", "Scale.autoscaling", "scale"


BY_SCALE = _ScaleRes()
