"""The stand-in's controllers and node: the deployment controller (pods
from the template, rolling updates within maxSurge/maxUnavailable,
status and conditions, revision), the EndpointSlice controller (one slice
per Service, following its pods' readiness), garbage collection (pods of
a deleted Deployment, foreground deletion, namespace deletion) and the
kubelet (k8s_pods).

Threads: store hooks only queue keys; one controller thread works the
queue (and re-checks unfinished rollouts every second)."""
import hashlib
import json
import platform
import queue
import threading
import time
import traceback

import k8s_resources as R
from k8s_api import managed_entry, random_suffix, set_managed
from k8s_pods import NODE, Kubelet
from k8s_select import matches_selector
from k8s_store import now_rfc3339



def template_hash(template):
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    n = int(digest[:16], 16)
    out = ""
    for _ in range(10):
        n, r = divmod(n, len(alphabet))
        out += alphabet[r]
    return out.rstrip("b")[:10] or "b"


def resolve(value, total, round_up):
    if isinstance(value, str) and value.endswith("%"):
        exact = total * int(value[:-1]) / 100.0
        return int(-(-exact // 1)) if round_up else int(exact)
    return int(value or 0)


def pod_ready(pod):
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c["type"] == "Ready":
            return c["status"] == "True"
    return False


class Agent:
    def __init__(self, cluster, d, args):
        self.cluster, self.store, self.api, self.dir = cluster, cluster.store, cluster.api, d
        self.kubelet = Kubelet(cluster, d, args)
        self.net_text = self.kubelet.net.text
        self.queue = queue.Queue()
        self.revisions = {}   # deployment uid -> {template hash: revision}
        self.progress = {}    # deployment uid -> (last counts, time of last progress)
        self.rs_owner = {}    # (stand-in) ReplicaSet uid -> its Deployment's uid
        self.deadlines = {}   # (ns, name) -> when its progress deadline passes
        self.owned = {}       # (ns, deployment name) -> names of its pods
        self.stopping = False
        self.store.hooks.append(self.on_event)

    # --- setup -----------------------------------------------------------------
    def bootstrap(self):
        ns = R.BY_PLURAL["namespaces"]
        for name, labels in (("default", {}), ("kube-system", {}), ("kube-public", {}),
                             ("kube-node-lease", {}), ("openfaas-fn", {"openfaas": "1"})):
            self.api.create(ns, "", {"metadata": {"name": name, "labels": labels}})
        self.api.create(R.BY_PLURAL["nodes"], "", {"metadata": {
            "name": NODE, "labels": node_labels()},
            "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}})

    def start(self):
        threading.Thread(target=self.loop, daemon=True).start()

    def stop(self):
        self.stopping = True
        self.queue.put(None)
        self.kubelet.stop()

    # --- events ----------------------------------------------------------------
    def on_event(self, ev):
        """Locality: a writer's thread, store lock held: queue only."""
        obj = ev.new
        name = obj["metadata"]["name"]
        if ev.plural == "deployments":
            self.queue.put(("deployment", ev.ns, name))
        elif ev.plural == "pods":
            owner = self.owner_of(obj)
            if owner:
                pods = self.owned.setdefault((ev.ns, owner), set())
                if ev.type == "DELETED":
                    pods.discard(name)
                else:
                    pods.add(name)
            self.queue.put(("pod", ev.ns, name, obj, ev.type))
        elif ev.plural == "services":
            self.queue.put(("service", ev.ns, name))
        elif ev.plural == "secrets":
            self.queue.put(("secret", ev.ns, name))
        elif ev.plural == "namespaces":
            self.queue.put(("namespace", "", name, obj, ev.type))

    def loop(self):
        next_sweep = time.monotonic() + 1
        while not self.stopping:
            try:
                item = self.queue.get(timeout=0.2)
            except queue.Empty:
                item = ()
            if item is None:
                return
            try:
                self.handle(item)
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + 1
                    self.sweep()
            except Exception as e:  # a controller bug must not stop the cluster
                traceback.print_exc()
                print(f"controller: {e!r}", flush=True)

    def sweep(self):
        """Re-checks the rollouts whose progress deadline has passed."""
        now = time.monotonic()
        for key, when in list(self.deadlines.items()):
            if when <= now:
                del self.deadlines[key]
                self.reconcile(*key)

    def handle(self, item):
        if not item:
            return
        kind, ns, name = item[:3]
        if kind == "deployment":
            self.reconcile(ns, name)
        elif kind == "pod":
            pod, typ = item[3], item[4]
            if typ != "DELETED" and not self.kubelet.stopping:
                self.kubelet.pod_seen(pod)
            owner = self.owner_of(pod)
            if owner:
                self.reconcile(ns, owner)
            labels = pod["metadata"].get("labels")
            for svc in self.store.scan("services", ns, lambda s: s.get("spec", {}).get(
                    "selector") and matches_selector({"matchLabels": s["spec"]["selector"]},
                                                     labels)):
                self.sync_slices(svc)
        elif kind == "service":
            svc = self.store.get("services", ns, name)
            if svc is None:
                for s in self.store.list("endpointslices", ns)[0]:
                    if s["metadata"]["labels"].get("kubernetes.io/service-name") == name:
                        self.store.remove("endpointslices", ns, s["metadata"]["name"])
            else:
                self.sync_slices(svc)
        elif kind == "secret":
            with self.kubelet.lock:
                runners = [r for r in self.kubelet.runners.values() if r.ns == ns]
            for r in runners:
                self.kubelet.volumes.refresh(r)
        elif kind == "namespace":
            self.namespace_changed(name, item[3], item[4])

    # --- deployments -------------------------------------------------------------
    @staticmethod
    def owner_of(pod):
        for ref in pod["metadata"].get("ownerReferences") or []:
            if ref.get("kind") == "ReplicaSet":
                return ref["name"].rsplit("-", 1)[0]
        return None

    def pods_of(self, ns, dep_name):
        with self.store.cond:
            names = sorted(self.owned.get((ns, dep_name), ()))
            pods = [self.store.get("pods", ns, n) for n in names]
        return [p for p in pods if p is not None]

    def reconcile(self, ns, name):
        dep = self.store.get("deployments", ns, name)
        pods = self.pods_of(ns, name)
        if dep is None:
            return self.collect(ns, name, pods)
        h = template_hash(dep["spec"]["template"])
        revs = self.revisions.setdefault(dep["metadata"]["uid"], {})
        if h not in revs:
            revs[h] = max(revs.values(), default=0) + 1
        if dep["metadata"].get("deletionTimestamp"):
            self.write_status(ns, name, h, revs[h])
            return self.finish_foreground(dep, pods)
        self.roll(dep, h, pods)
        self.write_status(ns, name, h, revs[h])

    def collect(self, ns, name, pods):
        """Garbage collection of the pods of a Deployment that is gone."""
        for p in pods:
            if p["metadata"].get("deletionTimestamp"):
                continue
            rs_uid = p["metadata"]["ownerReferences"][0]["uid"]
            if self.rs_owner.get(rs_uid) in self.api.orphan_uids:
                continue
            self.delete_pod(p)

    def finish_foreground(self, dep, pods):
        for p in pods:
            self.delete_pod(p)
        if not pods:
            meta = dep["metadata"]
            meta["finalizers"] = [f for f in meta.get("finalizers") or []
                                  if f != "foregroundDeletion"]
            if meta["finalizers"]:
                self.store.put("deployments", dep)
            else:
                self.store.remove("deployments", meta["namespace"], meta["name"])

    def delete_pod(self, pod):
        try:
            self.api.delete(R.BY_PLURAL["pods"], pod["metadata"]["namespace"],
                            pod["metadata"]["name"], {})
        except Exception:  # gone already
            pass

    def roll(self, dep, h, pods):
        spec = dep["spec"]
        desired = spec.get("replicas", 1)
        active = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        new = [p for p in active if p["metadata"]["labels"].get("pod-template-hash") == h]
        old = [p for p in active if p not in new]
        strategy = spec.get("strategy") or {}
        if strategy.get("type") == "Recreate":
            if old:
                for p in old:
                    self.delete_pod(p)
                return
            if len(pods) != len(active):
                return  # old pods still terminating
            return self.scale_to(dep, h, new, desired)
        ru = strategy.get("rollingUpdate") or {}
        surge = resolve(ru.get("maxSurge", "25%"), desired, True)
        unavail = resolve(ru.get("maxUnavailable", "25%"), desired, False)
        if surge == 0 and unavail == 0:
            unavail = 1
        if not old:
            return self.scale_to(dep, h, new, desired)
        room = min(desired - len(new), desired + surge - len(active))
        for _ in range(max(0, room)):
            self.create_pod(dep, h)
        min_available = desired - unavail
        new_unready = len([p for p in new if not pod_ready(p)])
        budget = len(active) - min_available - new_unready
        if budget <= 0:
            return
        unhealthy = [p for p in old if not pod_ready(p)][:budget]
        for p in unhealthy:
            self.delete_pod(p)
        budget -= len(unhealthy)
        available = len([p for p in active if pod_ready(p)])
        can = min(budget, available - min_available)
        for p in [p for p in old if pod_ready(p)][:max(0, can)]:
            self.delete_pod(p)

    def scale_to(self, dep, h, new, desired):
        for _ in range(desired - len(new)):
            self.create_pod(dep, h)
        if len(new) > desired:
            ranked = sorted(new, key=lambda p: (pod_ready(p), p["metadata"]["creationTimestamp"]),
                            reverse=False)
            unready = [p for p in ranked if not pod_ready(p)]
            ready = sorted([p for p in ranked if pod_ready(p)],
                           key=lambda p: p["metadata"]["creationTimestamp"], reverse=True)
            for p in (unready + ready)[:len(new) - desired]:
                self.delete_pod(p)

    def rs_uid(self, dep_uid, h):
        import uuid
        uid = str(uuid.uuid5(uuid.UUID(dep_uid), h))
        self.rs_owner[uid] = dep_uid
        return uid

    def create_pod(self, dep, h):
        meta = dep["metadata"]
        tmpl = json.loads(json.dumps(dep["spec"]["template"]))
        rs = f"{meta['name']}-{h}"
        labels = dict((tmpl.get("metadata") or {}).get("labels") or {})
        labels["pod-template-hash"] = h
        pod_meta = {"name": f"{rs}-{random_suffix()}", "generateName": f"{rs}-",
                    "namespace": meta["namespace"], "labels": labels,
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                         "name": rs, "uid": self.rs_uid(meta["uid"], h),
                                         "controller": True,
                                         "blockOwnerDeletion": True}]}
        if (tmpl.get("metadata") or {}).get("annotations"):
            pod_meta["annotations"] = tmpl["metadata"]["annotations"]
        spec = tmpl.get("spec") or {}
        for c in spec.get("containers") or []:
            res = c.get("resources") or {}
            if res.get("limits"):
                req = res.setdefault("requests", {})
                for k, v in res["limits"].items():
                    req.setdefault(k, v)
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        spec.setdefault("tolerations", [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 300}])
        spec.setdefault("priority", 0)
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        pod = {"metadata": pod_meta, "spec": spec,
               "status": {"phase": "Pending", "qosClass": qos_class(spec)}}
        return self.api.create(R.BY_PLURAL["pods"], meta["namespace"], pod,
                               "kube-controller-manager")

    def write_status(self, ns, name, h, revision):
        with self.store.cond:
            dep = self.store.get("deployments", ns, name)
            if dep is None:
                return
            pods = [p for p in self.pods_of(ns, name)
                    if not p["metadata"].get("deletionTimestamp")]
            st = deployment_status(dep, pods, h, self.progress)
            if st.get("_deadline"):
                self.deadlines[(ns, name)] = st.pop("_deadline")
            else:
                self.deadlines.pop((ns, name), None)
            ann = dep["metadata"].setdefault("annotations", {})
            changed = st != dep.get("status") or ann.get(
                "deployment.kubernetes.io/revision") != str(revision)
            if not changed:
                return
            ann["deployment.kubernetes.io/revision"] = str(revision)
            dep["status"] = st
            set_managed(dep, managed_entry("kube-controller-manager", "apps/v1",
                                           {"status": st}, "status"))
            self.store.put("deployments", dep)

    # --- endpoint slices -----------------------------------------------------------
    def sync_slices(self, svc):
        meta, spec = svc["metadata"], svc.get("spec") or {}
        selector = spec.get("selector")
        if not selector:
            return
        ns, name = meta["namespace"], meta["name"]
        pods = self.store.scan("pods", ns, lambda p: (p.get("status") or {}).get("podIP") and
                               matches_selector({"matchLabels": selector},
                                                p["metadata"].get("labels")))
        endpoints = [endpoint_of(p) for p in pods] or None
        ports = [{"name": p.get("name", ""), "protocol": p.get("protocol", "TCP"),
                  "port": target_port(p, pods)} for p in spec.get("ports") or []]
        slices = self.store.scan("endpointslices", ns, lambda s: s["metadata"]["labels"].get(
            "kubernetes.io/service-name") == name)
        if slices:
            sl = slices[0]
            if sl.get("endpoints") == endpoints and sl.get("ports") == ports:
                return
            sl["endpoints"], sl["ports"] = endpoints, ports
            sl["metadata"]["generation"] = sl["metadata"].get("generation", 1) + 1
            sl["metadata"]["annotations"] = {
                "endpoints.kubernetes.io/last-change-trigger-time": now_rfc3339()}
            self.store.put("endpointslices", sl)
            return
        labels = dict(meta.get("labels") or {})
        labels.update({"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                       "kubernetes.io/service-name": name})
        body = {"metadata": {"generateName": f"{name}-", "labels": labels,
                             "annotations": {"endpoints.kubernetes.io/last-change-trigger-time":
                                             now_rfc3339()},
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Service",
                                                  "name": name, "uid": meta["uid"],
                                                  "controller": True,
                                                  "blockOwnerDeletion": True}]},
                "addressType": "IPv4", "endpoints": endpoints, "ports": ports}
        self.api.create(R.BY_PLURAL["endpointslices"], ns, body, "kube-controller-manager")

    # --- namespaces ----------------------------------------------------------------
    def namespace_changed(self, name, obj, typ):
        if typ == "ADDED":
            sa = R.BY_PLURAL["serviceaccounts"]
            if self.store.get("serviceaccounts", name, "default") is None:
                try:
                    self.api.create(sa, name, {"metadata": {"name": "default"}})
                except Exception:  # the namespace went already
                    pass
            return
        if typ == "DELETED" or not obj["metadata"].get("deletionTimestamp"):
            return
        left = 0
        for res in R.RESOURCES:
            if not res.namespaced:
                continue
            for o in self.store.list(res.plural, name)[0]:
                left += 1
                if res.plural == "pods":
                    self.delete_pod(o)
                else:
                    self.store.remove(res.plural, name, o["metadata"]["name"])
        if left == 0:
            self.store.remove("namespaces", "", name)
        else:
            threading.Timer(0.2, lambda: self.queue.put(
                ("namespace", "", name, self.store.get("namespaces", "", name) or obj,
                 "MODIFIED"))).start()

    def ready_ips(self, ns, function):
        return sorted(p["status"]["podIP"] for p in self.store.list("pods", ns)[0]
                      if p["metadata"].get("labels", {}).get("faas_function") == function
                      and pod_ready(p) and not p["metadata"].get("deletionTimestamp"))

    def signal_pod(self, ns, name, sig):
        return self.kubelet.signal_pod(ns, name, sig)

    def pids(self):
        return self.kubelet.pids()


def node_labels():
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return {"kubernetes.io/hostname": NODE, "kubernetes.io/os": "linux",
            "kubernetes.io/arch": arch, "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": arch}


def qos_class(spec):
    cs = spec.get("containers") or []
    res = [c.get("resources") or {} for c in cs]
    if not any(r.get("limits") or r.get("requests") for r in res):
        return "BestEffort"
    full = all((r.get("limits") or {}).get(k) and (r.get("limits") or {}).get(k) ==
               (r.get("requests") or {}).get(k) for r in res for k in ("cpu", "memory"))
    return "Guaranteed" if full else "Burstable"


def endpoint_of(pod):
    meta, st = pod["metadata"], pod["status"]
    terminating = bool(meta.get("deletionTimestamp"))
    ready = pod_ready(pod)
    return {"addresses": [st["podIP"]],
            "conditions": {"ready": ready and not terminating, "serving": ready,
                           "terminating": terminating},
            "targetRef": {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                          "uid": meta["uid"]},
            "nodeName": NODE}


def target_port(port, pods):
    t = port.get("targetPort", port.get("port"))
    if isinstance(t, int):
        return t
    for p in pods:
        for c in p["spec"].get("containers") or []:
            for cp in c.get("ports") or []:
                if cp.get("name") == t:
                    return cp["containerPort"]
    return port.get("port")


def set_condition(conds, typ, status, reason, message, now):
    for i, c in enumerate(conds):
        if c["type"] == typ:
            if c["status"] == status:
                if (c["reason"], c["message"]) != (reason, message):
                    c.update(reason=reason, message=message, lastUpdateTime=now)
                return
            del conds[i]
            break
    conds.append({"type": typ, "status": status, "lastUpdateTime": now,
                  "lastTransitionTime": now, "reason": reason, "message": message})


def deployment_status(dep, pods, h, progress):
    spec, meta = dep["spec"], dep["metadata"]
    desired = spec.get("replicas", 1)
    ready = [p for p in pods if pod_ready(p)]
    updated = [p for p in pods if p["metadata"]["labels"].get("pod-template-hash") == h]
    ru = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    unavail_ok = resolve(ru.get("maxUnavailable", "25%"), desired, False) \
        if (spec.get("strategy") or {}).get("type") != "Recreate" else 0
    st = {"observedGeneration": meta.get("generation", 1)}
    for k, v in (("replicas", len(pods)), ("updatedReplicas", len(updated)),
                 ("readyReplicas", len(ready)), ("availableReplicas", len(ready)),
                 ("unavailableReplicas", max(0, max(desired, len(pods)) - len(ready)))):
        if v:
            st[k] = v
    now = now_rfc3339()
    conds = json.loads(json.dumps((dep.get("status") or {}).get("conditions") or []))
    rs = f"{meta['name']}-{h}"
    if len(ready) >= desired - unavail_ok:
        set_condition(conds, "Available", "True", "MinimumReplicasAvailable",
                      "Deployment has minimum availability.", now)
    else:
        set_condition(conds, "Available", "False", "MinimumReplicasUnavailable",
                      "Deployment does not have minimum availability.", now)
    counts = (len(pods), len(updated), len(ready))
    last = progress.get(meta["uid"])
    if last is None or last[0] != counts:
        progress[meta["uid"]] = (counts, time.monotonic())
    stalled = time.monotonic() - progress[meta["uid"]][1] > spec.get("progressDeadlineSeconds", 600)
    complete = len(updated) == desired and len(ready) >= desired and len(pods) == desired
    if not complete and not stalled:
        st["_deadline"] = progress[meta["uid"]][1] + spec.get("progressDeadlineSeconds", 600) + 0.1
    if complete:
        set_condition(conds, "Progressing", "True", "NewReplicaSetAvailable",
                      f'ReplicaSet "{rs}" has successfully progressed.', now)
    elif stalled:
        set_condition(conds, "Progressing", "False", "ProgressDeadlineExceeded",
                      f'ReplicaSet "{rs}" has timed out progressing.', now)
    else:
        set_condition(conds, "Progressing", "True", "ReplicaSetUpdated",
                      f'ReplicaSet "{rs}" is progressing.', now)
    st["conditions"] = conds
    return st
