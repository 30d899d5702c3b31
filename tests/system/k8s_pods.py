"""The stand-in's kubelet: each pod's container runs as a real process
(build/bin/faasbus-watchdog, the entrypoint of the faasbus/* images, or
the container's own command) on the pod's loopback IP 127.A.Y.Z, with
the pod's env and its secret/emptyDir volumes (bind-mounted at their
mountPath in a private mount namespace when we are root). It probes
readiness (httpGet), restarts a container that exits (restartCount,
lastState, back-off), captures stdout/stderr for pods/log and stops the
container when the pod is deleted as a container runtime does: SIGTERM to
its main process alone, then SIGKILL to all it runs after the grace
period.

Threads: one per pod (PodRunner.run) owns its process: it spawns it,
waits on it, probes it and writes the pod's status; one reader thread per
process feeds its log. Pod processes get PDEATHSIG=KILL from the runner
thread, so none outlives the stand-in."""
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.request

from k8s_store import now_rfc3339

MAX_BACKOFF = 5.0
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a kubelet probes directly
FAST_PROBE = 0.1  # until first ready, probe this often (the real period after)


NODE = "standin-node"
UNSCHEDULABLE = ("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. "
                 "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")


def unschedulable(st):
    st["phase"] = "Pending"
    st["conditions"] = [{"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                         "lastTransitionTime": now_rfc3339(), "reason": "Unschedulable",
                         "message": UNSCHEDULABLE}]


def ts_text(t):
    sec = int(t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{int((t - sec) * 1e9):09d}Z"


def parse_time(text):
    import calendar
    base, _, frac = text.rstrip("Z").partition(".")
    t = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return t + (float("0." + frac) if frac else 0.0)


class PodNet:
    """A block 127.A.0.0/16 of loopback addresses no other stand-in uses:
    holding 127.A.0.1:8080 open reserves it (a second stand-in fails to
    bind there and tries another A)."""

    def __init__(self):
        self.hold = None
        for a in random.sample(range(1, 255), 254):
            s = socket.socket()
            try:
                s.bind((f"127.{a}.0.1", 8080))
                s.listen(1)
            except OSError:
                s.close()
                continue
            self.hold, self.a = s, a
            break
        if self.hold is None:
            raise RuntimeError("no free 127.A.0.0/16 block: port 8080 is taken on every "
                               "loopback address (pods listen there)")
        self.next = 2 * 256  # 127.A.2.0 upwards

    def allocate(self):
        while True:
            self.next += 1
            y, z = divmod(self.next, 256)
            if 1 <= z <= 254:
                return f"127.{self.a}.{y % 256}.{z}"

    @property
    def text(self):
        return f"127.{self.a}.0.0/16"


class Log:
    """The lines of one container run: (time, text) and whether it ended."""

    def __init__(self, cond):
        self.lines, self.done, self.cond = [], False, cond


class PodRunner:
    def __init__(self, kubelet, pod):
        self.k = kubelet
        m = pod["metadata"]
        self.ns, self.name, self.uid = m["namespace"], m["name"], m["uid"]
        self.container = pod["spec"]["containers"][0]
        self.spec = pod["spec"]
        self.proc = None
        self.ip = None
        self.log = None
        self.previous = None
        self.restarts = 0
        self.ready = False
        self.dir = os.path.join(kubelet.dir, "pods", self.uid)
        self.last_state = None  # lastState of the containerStatus
        self.started_at = None

    # --- status ----------------------------------------------------------------
    def patch_status(self, fn):
        store = self.k.store
        with store.cond:
            pod = store.get("pods", self.ns, self.name)
            if pod is None or pod["metadata"]["uid"] != self.uid:
                return False
            before = repr(pod.get("status"))
            fn(pod.setdefault("status", {}))
            if repr(pod.get("status")) != before:
                store.put("pods", pod)
            return True

    def container_status(self, state, ready=False):
        c = self.container
        out = {"name": c["name"], "state": state, "lastState": self.last_state or {},
               "ready": ready, "restartCount": self.restarts, "image": c["image"],
               "imageID": f"standin://{c['image']}"}
        if "running" in state or "terminated" in state:
            out["containerID"] = f"standin://{self.uid}-{self.restarts}"
            out["started"] = "running" in state
        else:
            out["started"] = False
        return out

    def set_conditions(self, st, ready):
        t = now_rfc3339()
        old = {c["type"]: c for c in st.get("conditions") or []}
        conds = []
        for typ, value in (("PodReadyToStartContainers", True), ("Initialized", True),
                           ("Ready", ready), ("ContainersReady", ready), ("PodScheduled", True)):
            text = "True" if value else "False"
            prev = old.get(typ)
            cond = {"type": typ, "status": text, "lastProbeTime": None,
                    "lastTransitionTime": prev["lastTransitionTime"]
                    if prev and prev["status"] == text else t}
            if not value:
                cond["reason"] = "ContainersNotReady"
                cond["message"] = f"containers with unready status: [{self.container['name']}]"
            conds.append(cond)
        st["conditions"] = conds

    def waiting(self, reason, message=None):
        state = {"waiting": {"reason": reason}}
        if message:
            state["waiting"]["message"] = message

        def fn(st):
            st["phase"] = st.get("phase") if st.get("phase") == "Running" else "Pending"
            self.set_conditions(st, False)
            st["hostIP"] = "127.0.0.1"
            st.setdefault("startTime", now_rfc3339())
            st["containerStatuses"] = [self.container_status(state)]
        self.patch_status(fn)

    def running(self, ready):
        def fn(st):
            st["phase"] = "Running"
            self.set_conditions(st, ready)
            st["hostIP"] = "127.0.0.1"
            st["podIP"] = self.ip
            st["podIPs"] = [{"ip": self.ip}]
            st.setdefault("startTime", now_rfc3339())
            st["containerStatuses"] = [self.container_status(
                {"running": {"startedAt": self.started_at}}, ready)]
        self.patch_status(fn)

    # --- life ------------------------------------------------------------------
    def current(self):
        pod = self.k.store.get("pods", self.ns, self.name)
        if pod is None or pod["metadata"]["uid"] != self.uid:
            return None
        return pod

    def run(self):
        try:
            self._run()
        finally:
            self.kill_now()
            if self.log:
                self._end_log()
            self.k.forget(self)

    def schedule(self):
        """Binds the pod to the node once the node's labels satisfy its
        nodeSelector (a real scheduler keeps trying, as this does: label
        the node and the pod goes on); False if it went first."""
        want = self.spec.get("nodeSelector") or {}
        said = False
        while not self.k.stopping:
            pod = self.current()
            if pod is None or pod["metadata"].get("deletionTimestamp"):
                return False
            node = self.k.store.get("nodes", "", NODE) or {"metadata": {}}
            labels = node["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in want.items()):
                with self.k.store.cond:
                    pod = self.current()
                    if pod is None:
                        return False
                    pod["spec"]["nodeName"] = NODE
                    self.k.store.put("pods", pod)
                return True
            if not said:
                said = self.patch_status(unschedulable)
            time.sleep(0.2)
        return False

    def _run(self):
        if not self.schedule():
            self.finish()
            return
        image = self.container["image"]
        if self.k.pull_fails(image):
            self.waiting("ErrImagePull", f'failed to pull image "{image}": not found')
            while self.current() and not self.current()["metadata"].get("deletionTimestamp"):
                time.sleep(0.2)
                self.waiting("ImagePullBackOff", f'Back-off pulling image "{image}"')
            self.finish()
            return
        self.waiting("ContainerCreating")
        while not self.k.stopping:
            pod = self.current()
            if pod is None or pod["metadata"].get("deletionTimestamp"):
                self.finish()
                return
            missing = self.k.volumes.prepare(self, pod)
            if not missing:
                break
            time.sleep(0.2)
        if not self.k.run_pods:
            return
        self.ip = self.k.net.allocate()
        backoff = self.k.args.restart_backoff
        while not self.k.stopping:
            self.spawn()
            outcome = self.supervise()
            if outcome == "deleted":
                return
            self.restarts += 1
            self.waiting("CrashLoopBackOff", f"back-off {backoff:g}s restarting failed "
                         f"container={self.container['name']} pod={self.name}_{self.ns}"
                         f"({self.uid})")
            deadline = time.monotonic() + backoff
            while time.monotonic() < deadline:
                if self.deleting():
                    self.finish()
                    return
                time.sleep(0.05)
            backoff = min(backoff * 2, MAX_BACKOFF)

    def deleting(self):
        pod = self.current()
        return pod is None or bool(pod["metadata"].get("deletionTimestamp")) or self.k.stopping

    def spawn(self):
        env, argv = self.k.command_of(self)
        if self.log:
            self.previous = self.log
        self.log = Log(self.k.log_cond)
        self.started_at = now_rfc3339()
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True, close_fds=True,
                                     cwd=self.container.get("workingDir") or "/")
        threading.Thread(target=self._read, args=(self.proc, self.log), daemon=True).start()
        self.ready = not self.container.get("readinessProbe")
        self.running(self.ready)

    def _read(self, proc, log):
        """Feeds the log, and a file of every run's output (the fixture
        checks those for sanitizer reports)."""
        with open(os.path.join(self.dir, "output.log"), "ab") as keep:
            for raw in iter(proc.stdout.readline, b""):
                keep.write(raw)
                keep.flush()
                with log.cond:
                    log.lines.append((time.time(), raw.decode("utf-8", "replace")))
                    log.cond.notify_all()
        proc.stdout.close()

    def _end_log(self):
        with self.log.cond:
            self.log.done = True
            self.log.cond.notify_all()

    def supervise(self):
        """Waits on the process, probing it; "exited" or "deleted"."""
        probe = self.container.get("readinessProbe")
        live = self.container.get("livenessProbe")
        fails = live_fails = 0
        next_probe = time.monotonic() + (probe or {}).get("initialDelaySeconds", 0)
        next_live = time.monotonic() + (live or {}).get("initialDelaySeconds", 0)
        while True:
            if self.proc.poll() is not None:
                self.exited()
                return "exited"
            if self.deleting():
                self.terminate()
                return "deleted"
            now = time.monotonic()
            if probe and now >= next_probe:
                ok = self.k.probe(self, probe)
                fails = 0 if ok else fails + 1
                if ok != self.ready and (ok or fails >= probe.get("failureThreshold", 3)):
                    self.ready = ok
                    self.running(ok)
                period = probe.get("periodSeconds", 10)
                next_probe = now + (period if self.ready else min(period, FAST_PROBE))
            if live and now >= next_live:
                live_fails = 0 if self.k.probe(self, live) else live_fails + 1
                next_live = now + live.get("periodSeconds", 10)
                if live_fails >= live.get("failureThreshold", 3):
                    self.kill_now()
            time.sleep(0.02)

    def exited(self):
        code = self.proc.returncode
        code = 128 - code if code < 0 else code
        self.last_state = {"terminated": {
            "exitCode": code, "reason": "Completed" if code == 0 else "Error",
            "startedAt": self.started_at, "finishedAt": now_rfc3339(),
            "containerID": f"standin://{self.uid}-{self.restarts}"}}
        self.ready = False
        self._end_log()

    def terminate(self):
        """SIGTERM, then SIGKILL once the grace period is over."""
        pod = self.current()
        grace = 0
        if pod is not None and not self.k.stopping:
            grace = pod["metadata"].get("deletionGracePeriodSeconds", 30)
        if self.k.args.max_grace is not None:
            grace = min(grace, self.k.args.max_grace)
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
        self.kill_now()
        self._end_log()
        self.finish()

    def finish(self):
        """The pod's containers are gone: the object goes too."""
        if self.current() is not None and not self.k.stopping:
            self.k.store.remove("pods", self.ns, self.name)

    def _signal(self, sig):
        """SIGKILL ends the whole container; any other signal goes to its
        main process alone, as a runtime's stop does (a signal to the
        group would also reach a process the watchdog is starting, before
        it has a group of its own)."""
        if self.proc and self.proc.poll() is None:
            try:
                if sig == signal.SIGKILL:
                    os.killpg(self.proc.pid, sig)
                else:
                    os.kill(self.proc.pid, sig)
            except OSError:
                pass

    def kill_now(self):
        if self.proc and self.proc.poll() is None:
            self._signal(signal.SIGKILL)
            self.proc.wait()


class Kubelet:
    def __init__(self, cluster, d, args):
        self.cluster, self.store, self.dir, self.args = cluster, cluster.store, d, args
        self.run_pods = bool(args.run_pods)
        self.net = PodNet()
        self.runners = {}  # uid -> PodRunner
        self.lock = threading.Lock()
        self.log_cond = threading.Condition()
        self.stopping = False
        from k8s_volumes import Volumes
        self.volumes = Volumes(self)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self.watchdog = args.watchdog or os.path.join(
            root, os.environ.get("BUILD", "build"), "bin", "faasbus-watchdog")

    @staticmethod
    def pull_fails(image):
        """Images named nosuch* (any registry or tag) do not exist."""
        return image.rsplit("/", 1)[-1].startswith("nosuch")

    def pod_seen(self, pod):
        """A pod was written; start a runner for a new one."""
        uid = pod["metadata"]["uid"]
        with self.lock:
            if uid in self.runners or self.stopping:
                return
            runner = PodRunner(self, pod)
            self.runners[uid] = runner
        threading.Thread(target=runner.run, daemon=True).start()

    def forget(self, runner):
        with self.lock:
            self.runners.pop(runner.uid, None)

    def command_of(self, runner):
        c = runner.container
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOSTNAME": runner.name,
               "HOME": "/root", "KUBERNETES_SERVICE_HOST": "127.0.0.1",
               "KUBERNETES_SERVICE_PORT": self.cluster.url.rsplit(":", 1)[1]}
        if self.volumes.private_tmp(runner):
            env["TMPDIR"] = os.path.join(runner.dir, "tmp")
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        env.update(self.volumes.env_of(runner))
        env["bind_address"] = runner.ip
        argv = list(c.get("command") or [self.watchdog]) + list(c.get("args") or [])
        return env, self.volumes.wrap(runner, argv)

    def probe(self, runner, probe):
        get = probe.get("httpGet")
        if get is None:
            return True
        port = get.get("port", 8080)
        if isinstance(port, str):
            port = next((p["containerPort"] for p in runner.container.get("ports") or []
                         if p.get("name") == port), 0)
        url = f"http://{runner.ip}:{port}{get.get('path', '/')}"
        try:
            with NO_PROXY.open(url, timeout=probe.get("timeoutSeconds", 1)) as r:
                return 200 <= r.status < 400
        except Exception:  # any failure to answer is a failed probe
            return False

    def signal_pod(self, ns, name, sig):
        with self.lock:
            runner = next((r for r in self.runners.values() if (r.ns, r.name) == (ns, name)),
                          None)
        if runner is None or runner.proc is None or runner.proc.poll() is not None:
            return None
        runner._signal(sig)
        return runner.proc.pid

    def pids(self):
        with self.lock:
            return {f"{r.ns}/{r.name}": r.proc.pid for r in self.runners.values()
                    if r.proc and r.proc.poll() is None}

    def stop(self):
        with self.lock:
            self.stopping = True
            runners = list(self.runners.values())
        for r in runners:
            r._signal(signal.SIGTERM)
        deadline = time.monotonic() + 2
        for r in runners:
            if r.proc:
                try:
                    r.proc.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
                r.kill_now()

    # --- pods/log --------------------------------------------------------------
    def serve_log(self, handler, ns, name, q):
        from k8s_logs import serve_log
        return serve_log(self, handler, ns, name, q)
