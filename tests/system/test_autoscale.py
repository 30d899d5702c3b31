"""The built-in autoscaler: replicas follow load within the
com.openfaas.scale.* labels, scale to zero, the AlertManager webhook,
manual scale, and decisions that survive a restart.

Check intervals and windows are short so the tests end soon; every wait
has a generous deadline and nothing asserts how long a reaction took
(bench/gateway measures that)."""
import threading
import time

import pytest
import requests

from conftest import SLOW, metric, wait_for

FAST = {"autoscale_interval": "100ms", "scale_down_window": "1s"}
SCALE = "com.openfaas.scale."


def labels(**kw):
    return {SCALE + k.replace("_", "-"): str(v) for k, v in kw.items()}


class Load:
    """`total` calls from `concurrency` threads, each on a new connection
    (no keep-alive), as the certifier's load does. A watcher samples the
    function's replicas meanwhile."""

    def __init__(self, gw, name, total, concurrency, path="", body=b"x" * 64):
        self.gw, self.name, self.path, self.body = gw, name, path, body
        self.left = total
        self.lock = threading.Lock()
        self.codes = []
        self.replicas_seen = []
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._caller) for _ in range(concurrency)]
        self.watcher = threading.Thread(target=self._watch)

    def _caller(self):
        while True:
            with self.lock:
                if self.left == 0:
                    return
                self.left -= 1
            r = requests.post(f"{self.gw.url}/function/{self.name}{self.path}", data=self.body,
                              headers={"Connection": "close"}, timeout=60 * SLOW)
            with self.lock:
                self.codes.append(r.status_code)

    def _watch(self):
        while not self.done.is_set():
            st = self.gw.status(self.name)
            self.replicas_seen.append(st["replicas"])
            time.sleep(0.02)

    def run(self):
        self.watcher.start()
        for t in self.threads:
            t.start()
        for t in self.threads:
            t.join(600 * SLOW)
        self.done.set()
        self.watcher.join(30 * SLOW)
        return self


def decisions(gw, name, direction):
    return metric(gw.metrics(), "gateway_autoscaler_decisions_total",
                  function_name=f"{name}.openfaas-fn", direction=direction) or 0


@pytest.mark.parametrize("name,value,says", [
    ("min", "-1", "is not an integer"),
    ("max", "lots", "is not an integer"),
    ("max", "0", "is not an integer"),
    ("factor", "150", "from 0 to 100"),
    ("target", "0", "is not a number above 0"),
    ("target-proportion", "1.5", "at most 1"),
    ("type", "memory", "is not one of capacity, rps, cpu"),
    ("zero", "sometimes", "is not true or false"),
    ("zero-duration", "soon", "is not a duration"),
])
def test_an_invalid_scale_label_is_refused_with_400(gateway, name, value, says):
    gw = gateway()
    r = gw.deploy("badscale", expect=400, labels={SCALE + name: value})
    assert SCALE + name in r.text and says in r.text, r.text
    assert gw.status("badscale") is None
    # An update is checked the same way, and the function stays as it was.
    gw.deploy("badscale")
    r = gw.deploy("badscale", method="PUT", expect=400, labels={SCALE + name: value})
    assert SCALE + name in r.text
    assert gw.status("badscale").get("labels") is None


def test_min_above_max_is_refused(gateway):
    gw = gateway()
    r = gw.deploy("minmax", expect=400, labels=labels(min=3, max=2))
    assert "com.openfaas.scale.min" in r.text and "max" in r.text


def test_a_sudden_load_reaches_max_then_returns_to_min(gateway):
    gw = gateway(FAST)
    gw.deploy("stronghash", env_process="sha512sum", labels=labels(min=1, max=2, target=2))
    gw.wait_available("stronghash", 1, timeout=30 * SLOW)
    load = Load(gw, "stronghash", total=1000, concurrency=50).run()
    assert load.codes == [200] * 1000
    # Reached max before the 1,000 calls had finished, never above it.
    assert 2 in load.replicas_seen, load.replicas_seen[-20:]
    assert max(load.replicas_seen) == 2
    assert decisions(gw, "stronghash", "up") >= 1
    st = gw.status("stronghash")
    assert st["autoscaler"]["enabled"] is True
    # Back to min once the window has passed with no load.
    wait_for(lambda: gw.status("stronghash")["replicas"] == 1, 60 * SLOW, interval=0.1,
             what="stronghash back to 1 replica")
    gw.wait_available("stronghash", 1, timeout=30 * SLOW)
    last = gw.status("stronghash")["autoscaler"]["lastDecision"]
    assert last["direction"] == "down" and last["from"] == 2 and last["to"] == 1, last
    assert "needed" in last["reason"], last
    assert decisions(gw, "stronghash", "down") >= 1
    text = gw.metrics()
    assert metric(text, "gateway_autoscaler_desired_replicas",
                  function_name="stronghash.openfaas-fn") is not None
    assert "autoscale" in gw.text() and "replicas 2 -> 1" in gw.text()


def test_min_equals_max_is_left_alone_under_load(gateway):
    gw = gateway(FAST)
    gw.deploy("fixed", env_process="sha512sum", labels=labels(min=2, max=2, target=1))
    gw.wait_available("fixed", 2, timeout=30 * SLOW)
    load = Load(gw, "fixed", total=1000, concurrency=5).run()
    assert load.codes == [200] * 1000
    assert set(load.replicas_seen) == {2}
    st = gw.status("fixed")
    assert st["autoscaler"]["enabled"] is False
    assert "lastDecision" not in st["autoscaler"]
    assert decisions(gw, "fixed", "up") == 0 and decisions(gw, "fixed", "down") == 0


SLEEPER = "sh -c 'sleep 0.3; echo done'"


def test_steady_load_does_not_flap(gateway):
    gw = gateway({"autoscale_interval": "100ms", "scale_down_window": "2s"})
    # 4 calls always in flight, a target of 2 per replica (aiming at 1.8):
    # 3 replicas, and the count must then hold.
    gw.deploy("steady", env_process=SLEEPER, labels=labels(min=1, max=10, target=2))
    gw.wait_available("steady", 1, timeout=30 * SLOW)
    stop = threading.Event()

    def caller():
        while not stop.is_set():
            gw.call("steady", data=b"")

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: gw.status("steady")["replicas"] >= 3, 60 * SLOW, interval=0.1,
                 what="steady to scale up")
        wait_for(lambda: gw.available("steady") == gw.status("steady")["replicas"],
                 60 * SLOW, what="the new replicas to be ready")
        ups, downs = decisions(gw, "steady", "up"), decisions(gw, "steady", "down")
        seen = set()
        end = time.monotonic() + 4  # two windows of steady load
        while time.monotonic() < end:
            seen.add(gw.status("steady")["replicas"])
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30 * SLOW)
    assert len(seen) == 1 and 3 <= seen.pop() <= 4
    assert decisions(gw, "steady", "up") == ups
    assert decisions(gw, "steady", "down") == downs


def test_scale_to_zero_after_zero_duration_and_back_on_a_call(gateway):
    gw = gateway(FAST)
    gw.deploy("napper", env_process="echo awake",
              labels=labels(zero="true", zero_duration="1s"))
    gw.wait_available("napper", 1, timeout=30 * SLOW)
    assert gw.call("napper", data=b"").status_code == 200
    wait_for(lambda: gw.status("napper")["replicas"] == 0, 30 * SLOW, interval=0.05,
             what="napper to scale to zero")
    wait_for(lambda: gw.children() == [], 30 * SLOW, what="its replica to stop")
    last = gw.status("napper")["autoscaler"]["lastDecision"]
    assert last["to"] == 0 and "zero-duration" in last["reason"], last
    # Concurrent first calls wait for the same new replica.
    results = [None] * 8

    def call(i):
        results[i] = gw.call("napper", data=b"")

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60 * SLOW)
    assert [r.status_code for r in results] == [200] * 8
    assert all(r.text == "awake\n" for r in results)
    assert len({r.headers["X-Served-By"] for r in results}) == 1
    kids = gw.children()
    if len(kids) != 1:
        # Eight calls in flight on a slow (sanitized) build are load the
        # autoscaler may rightly answer with a second replica: then it
        # says so, and it is one more, not one per waiting call.
        last = gw.status("napper")["autoscaler"]["lastDecision"]
        assert len(kids) == 2 and last["to"] == 2 and last["direction"] == "up", (kids, last)


def test_the_gateway_setting_gives_the_zero_duration(gateway):
    gw = gateway(dict(FAST, scale_zero_duration="1s"))
    gw.deploy("idle", env_process="cat", labels=labels(zero="true"))
    gw.deploy("busy", env_process="cat")  # zero not on: stays at min
    gw.wait_available("idle", 1, timeout=30 * SLOW)
    gw.wait_available("busy", 1, timeout=30 * SLOW)
    wait_for(lambda: gw.status("idle")["replicas"] == 0, 30 * SLOW, interval=0.05,
             what="idle to scale to zero")
    assert gw.status("busy")["replicas"] == 1
    assert decisions(gw, "busy", "down") == 0


def test_min_zero_without_zero_keeps_the_replica_a_call_started(gateway):
    gw = gateway(FAST)
    gw.deploy("lazy", env_process="cat", labels=labels(min=0))
    assert gw.status("lazy")["replicas"] == 0
    assert gw.call("lazy", data=b"hi").text == "hi"
    time.sleep(2)  # two scale-down windows: nothing may take it away
    assert gw.status("lazy")["replicas"] == 1
    assert decisions(gw, "lazy", "down") == 0


def test_a_manual_scale_stands_while_the_load_is_unchanged(gateway):
    gw = gateway(FAST)
    gw.deploy("hand", env_process="cat", labels=labels(min=1, max=5))
    gw.wait_available("hand", 1, timeout=30 * SLOW)
    gw.scale("hand", 3)
    gw.wait_available("hand", 3, timeout=30 * SLOW)
    for _ in range(20):
        assert gw.call("hand", data=b"x").status_code == 200
    time.sleep(2)  # two scale-down windows with a load that needs one
    st = gw.status("hand")
    assert st["replicas"] == 3
    last = st["autoscaler"]["lastDecision"]
    assert last["direction"] == "manual" and last["to"] == 3, last
    assert decisions(gw, "hand", "down") == 0


def test_decisions_and_a_manual_count_survive_a_restart(gateway):
    gw = gateway(FAST)
    gw.deploy("keeper", env_process="sha512sum", labels=labels(min=1, max=2, target=2))
    gw.deploy("manual", env_process="cat", labels=labels(min=1, max=4))
    gw.wait_available("keeper", 1, timeout=30 * SLOW)
    gw.scale("manual", 3)
    Load(gw, "keeper", total=300, concurrency=20).run()
    wait_for(lambda: gw.status("keeper")["replicas"] == 2, 30 * SLOW, what="keeper at 2")
    before = gw.status("keeper")["autoscaler"]["lastDecision"]
    gw.stop()
    # A long window now: the restored count is not undone at once.
    again = gateway({"autoscale_interval": "100ms", "scale_down_window": "1h"},
                    state_dir=gw.state_dir)
    st = again.status("keeper")
    assert st["replicas"] == 2
    assert st["autoscaler"]["lastDecision"] == before
    again.wait_available("keeper", 2, timeout=30 * SLOW)
    again.wait_available("manual", 3, timeout=30 * SLOW)
    time.sleep(1)  # ten checks with no load: the hand-set count stands
    assert again.status("manual")["replicas"] == 3
    assert again.status("manual")["autoscaler"]["lastDecision"]["direction"] == "manual"


def alert(gw, status, *names, group=None):
    body = {"receiver": "scale-up", "status": group or status,
            "alerts": [{"status": status, "labels": {"alertname": "APIHighInvocationRate",
                                                     "function_name": n}} for n in names]}
    return gw.api("POST", "/system/alert", json=body)


def test_alertmanager_firing_scales_by_factor_and_resolved_returns_to_min(gateway):
    gw = gateway({"scale_down_window": "1h"})
    gw.deploy("alerted", env_process="cat", labels=labels(min=1, max=10, factor=30))
    gw.wait_available("alerted", 1, timeout=30 * SLOW)
    r = alert(gw, "firing", "alerted")
    assert r.status_code == 200, r.text
    assert gw.status("alerted")["replicas"] == 4  # 1 + ceil(10 * 30%)
    alert(gw, "firing", "alerted")
    assert gw.status("alerted")["replicas"] == 7
    alert(gw, "firing", "alerted.openfaas-fn")
    assert gw.status("alerted")["replicas"] == 10  # never above max
    last = gw.status("alerted")["autoscaler"]["lastDecision"]
    assert last["reason"] == "alert firing", last
    assert alert(gw, "resolved", "alerted").status_code == 200
    assert gw.status("alerted")["replicas"] == 1
    gw.wait_available("alerted", 1, timeout=30 * SLOW)


def test_a_bad_alert_says_what_was_wrong(gateway):
    gw = gateway()
    r = gw.api("POST", "/system/alert", data=b"{not json")
    assert r.status_code == 400 and "alerts" in r.text, r.text
    r = gw.api("POST", "/system/alert", json={"alerts": [{"status": "firing", "labels": {}}]})
    assert r.status_code == 400 and "function_name" in r.text, r.text
    r = alert(gw, "firing", "ghost")
    assert r.status_code == 404 and "ghost" in r.text, r.text
    assert gw.api("GET", "/system/alert").status_code == 405


# About a third of a second of CPU per call, in the shell alone.
BURNER = "sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo burnt'"


def test_cpu_type_scales_on_the_cpu_the_replicas_use(gateway):
    gw = gateway(FAST)
    gw.deploy("burner", env_process=BURNER,
              labels=labels(type="cpu", target=300, min=1, max=3))
    # A call costs two process starts (sh, sleep): tens of ms of CPU on a
    # loaded machine, and 75 ms under the sanitizers with the suite running
    # beside it (299 millicores over 4 calls of 1 s, against 270), so it
    # sleeps 2 s to stay well under the target.
    gw.deploy("sleeper", env_process="sh -c 'sleep 2; echo slept'",
              labels=labels(type="cpu", target=300, min=1, max=3))
    gw.wait_available("burner", 1, timeout=30 * SLOW)
    gw.wait_available("sleeper", 1, timeout=30 * SLOW)
    # The same number of calls in flight: only the one that burns CPU grows.
    Load(gw, "sleeper", total=12, concurrency=4).run()
    assert gw.status("sleeper")["replicas"] == 1
    assert decisions(gw, "sleeper", "up") == 0
    stop = threading.Event()

    def caller():
        while not stop.is_set():
            gw.call("burner", data=b"")

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: gw.status("burner")["replicas"] >= 2, 60 * SLOW, interval=0.1,
                 what="burner to scale up on CPU")
    finally:
        stop.set()
        for t in threads:
            t.join(30 * SLOW)
    last = gw.status("burner")["autoscaler"]["lastDecision"]
    assert last["direction"] == "up" and "millicores" in last["reason"], last


def test_a_call_waiting_for_a_first_replica_is_bounded_by_upstream_timeout(gateway):
    # scale_from_zero_timeout is longer: upstream_timeout bounds the wait.
    gw = gateway({"scale_from_zero_timeout": "10m", "upstream_timeout": "1s"})
    # An unknown watchdog mode: the replica never turns ready.
    gw.deploy("never", envVars={"mode": "bogus"}, labels=labels(min=0))
    r = gw.call("never", method="GET", timeout=120 * SLOW)
    assert r.status_code == 503 and "ready" in r.text, r.text
    assert r.headers["X-OpenFaaS-Internal"] == "gateway"
