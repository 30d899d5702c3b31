"""The autoscaler's part of the conformance suite: the com.openfaas.scale.*
labels, the certifier's load shapes, scale to zero and back, manual scale,
AlertManager's webhook and restarts. Like conformance.py it is imported by
a driver's test module, which provides `conformance_start(env=None,
state_dir=None)`: starts a gateway on that driver (with `kit`, see
conformance.py) and returns it. Nothing here knows how replicas run."""
import threading
import time

import requests

from conftest import SLOW, metric, wait_for

FAST = {"autoscale_interval": "200ms", "scale_down_window": "2s"}


def scale_labels(**kw):
    return {f"com.openfaas.scale.{k.replace('_', '-')}": str(v) for k, v in kw.items()}


def replicas(gw, name):
    return gw.status(name)["replicas"]


def decision(gw, name):
    return gw.status(name)["autoscaler"].get("lastDecision")


def call_once(gw, name, body=b"hello"):
    # No keep-alive: a connection per call, as the certifier's load does.
    return requests.post(f"{gw.url}/function/{name}", data=body, timeout=60 * SLOW,
                         headers={"Connection": "close"})


def load(gw, name, calls, concurrency):
    """Runs `calls` calls from `concurrency` threads; returns the statuses."""
    statuses = []
    lock = threading.Lock()
    todo = iter(range(calls))

    def worker():
        nonlocal todo
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            code = call_once(gw, name).status_code
            with lock:
                statuses.append(code)
                if code != 200:  # the test fails: say so now, not after every call waited
                    todo = iter(())

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    return threads, statuses


def watch_replicas(gw, name, stop):
    """Samples the status until stop is set; returns the counts seen."""
    seen = []

    def run():
        while not stop.is_set():
            seen.append(replicas(gw, name))
            time.sleep(0.05)

    t = threading.Thread(target=run)
    t.start()
    return t, seen


BAD_LABELS = [
    ({"min": "-1"}, "scale.min"), ({"min": "x"}, "scale.min"), ({"max": "0"}, "scale.max"),
    ({"min": "5", "max": "2"}, "above"), ({"factor": "101"}, "scale.factor"),
    ({"target": "abc"}, "scale.target"), ({"target": "0"}, "scale.target"),
    ({"type": "bogus"}, "scale.type"),
    ({"target_proportion": "1.5"}, "target-proportion"), ({"zero": "maybe"}, "scale.zero"),
    ({"zero_duration": "forever"}, "zero-duration"),
]


def test_invalid_scale_labels_are_refused_with_400(conformance_start):
    gw = conformance_start()
    for labels, says in BAD_LABELS:
        r = gw.deploy("badscale", image=gw.kit.image, expect=400, labels=scale_labels(**labels))
        assert says in r.text, (labels, r.text)
        assert gw.status("badscale") is None
    gw.deploy("badscale", image=gw.kit.image, expect=202,
              labels=scale_labels(min=1, max=3, type="rps", target_proportion="0.5",
                                  zero="true", zero_duration="10m"))
    r = gw.deploy("badscale", image=gw.kit.image, method="PUT", expect=400,
                  labels=scale_labels(max="lots"))
    assert "scale.max" in r.text


def test_sudden_load_adds_a_replica_before_it_ends_and_goes_back_after(conformance_start):
    gw = conformance_start(FAST)
    gw.deploy("hash", env_process="sha512sum", image=gw.kit.image,
              labels=scale_labels(min=1, max=2))
    gw.wait_available("hash", 1, timeout=30)
    stop = threading.Event()
    watcher, seen = watch_replicas(gw, "hash", stop)
    threads, statuses = load(gw, "hash", 1000, 50)
    try:
        wait_for(lambda: 2 in seen or all(not t.is_alive() for t in threads), 600,
                 interval=0.05, what="2 replicas or the end of the load")
        reached_during_load = 2 in seen
        for t in threads:
            t.join()
    finally:
        stop.set()
        watcher.join()
    assert statuses.count(200) == 1000, {c: statuses.count(c) for c in set(statuses)}
    assert reached_during_load, f"the load ended with replicas {sorted(set(seen))}"
    assert max(seen) <= 2
    d = decision(gw, "hash")
    assert d["direction"] == "up" and d["to"] == 2 and "in flight" in d["reason"]
    wait_for(lambda: replicas(gw, "hash") == 1, 60, interval=0.1, what="back to min")
    d = decision(gw, "hash")
    assert d["direction"] == "down" and d["from"] == 2 and d["to"] == 1
    m = gw.metrics()
    label = "hash.openfaas-fn"
    assert metric(m, "gateway_autoscaler_decisions_total", function_name=label,
                  direction="up") >= 1
    assert metric(m, "gateway_autoscaler_decisions_total", function_name=label,
                  direction="down") >= 1
    wait_for(lambda: metric(gw.metrics(), "gateway_autoscaler_desired_replicas",
                            function_name=label) == 1, 10, what="the desired gauge")
    assert "autoscale: function=hash.openfaas-fn replicas 1 -> 2" in gw.text()


def test_min_equal_max_never_scales_under_load(conformance_start):
    gw = conformance_start(FAST)
    gw.deploy("fixed", env_process="sha512sum", image=gw.kit.image,
              labels=scale_labels(min=2, max=2))
    gw.wait_available("fixed", 2, timeout=30)
    stop = threading.Event()
    watcher, seen = watch_replicas(gw, "fixed", stop)
    threads, statuses = load(gw, "fixed", 1000, 5)
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    assert statuses.count(200) == 1000
    assert set(seen) == {2}
    st = gw.status("fixed")
    assert st["autoscaler"]["enabled"] is False
    assert "lastDecision" not in st["autoscaler"]


def test_steady_light_load_does_not_flap(conformance_start):
    gw = conformance_start(FAST)
    gw.deploy("steady", env_process="cat", image=gw.kit.image,
              labels=scale_labels(min=1, max=5, target=10))
    gw.wait_available("steady", 1, timeout=30)
    stop = threading.Event()
    watcher, seen = watch_replicas(gw, "steady", stop)
    threads, statuses = load(gw, "steady", 400, 2)  # 2 in flight, target 9: 1 replica
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    assert statuses.count(200) == 400, {c: statuses.count(c) for c in set(statuses)}
    assert set(seen) == {1}
    assert decision(gw, "steady") is None


def test_scale_to_zero_and_concurrent_first_calls_share_one_replica(conformance_start):
    gw = conformance_start(FAST)
    # A target the ten first calls cannot exceed: while they wait for the
    # replica they count as load, and a slow cold start (a container) would
    # otherwise let the autoscaler add a second one, rightly.
    gw.deploy("napper", env_process="cat", image=gw.kit.image,
              labels=scale_labels(zero="true", zero_duration="1s", target=100))
    gw.wait_available("napper", 1, timeout=30)
    wait_for(lambda: replicas(gw, "napper") == 0, 30, interval=0.1, what="scale to zero")
    wait_for(lambda: gw.available("napper") == 0, 30, what="no replica left")
    d = decision(gw, "napper")
    assert d["to"] == 0 and d["direction"] == "down" and "no call" in d["reason"]
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(
        call_once(gw, "napper", f"first-{i}".encode()))) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.text for r in results) == sorted(f"first-{i}" for i in range(10))
    assert gw.text().count("scaling from zero function=napper.openfaas-fn") == 1
    assert replicas(gw, "napper") == 1
    assert len({r.headers["X-Served-By"] for r in results}) == 1


def test_gateway_setting_scale_zero_duration_applies_to_all(conformance_start):
    gw = conformance_start(dict(FAST, scale_zero_duration="1s"))
    gw.deploy("idler", env_process="cat", image=gw.kit.image, labels=scale_labels(zero="true"))
    gw.deploy("keeper", env_process="cat", image=gw.kit.image)  # zero is off by default
    gw.wait_available("idler", 1, timeout=30)
    wait_for(lambda: replicas(gw, "idler") == 0, 30, interval=0.1, what="idler to zero")
    assert replicas(gw, "keeper") == 1


def test_manual_scale_stands_until_the_load_changes(conformance_start):
    gw = conformance_start(FAST)
    # Calls that last: 20 callers keep 20 in flight whatever the host's speed.
    gw.deploy("manual", env_process="sh -c 'sleep 0.2; echo done'", image=gw.kit.image,
              labels=scale_labels(min=1, max=4, target=5))
    gw.wait_available("manual", 1, timeout=30)
    gw.scale("manual", 3)
    gw.wait_available("manual", 3, timeout=30)
    time.sleep(3)  # many checks and more than a scale-down window
    assert replicas(gw, "manual") == 3
    d = decision(gw, "manual")
    assert d["direction"] == "manual" and d["from"] == 1 and d["to"] == 3
    # A load that needs 4 replicas (20 in flight, 4.5 per replica).
    threads, statuses = load(gw, "manual", 300, 20)
    wait_for(lambda: replicas(gw, "manual") == 4 or all(not t.is_alive() for t in threads),
             300, interval=0.05, what="4 replicas")
    for t in threads:
        t.join()
    assert statuses.count(200) == 300
    assert decision(gw, "manual")["direction"] in ("up", "down")


def test_alertmanager_webhook_scales_by_factor(conformance_start):
    gw = conformance_start()
    gw.deploy("alerted", env_process="cat", image=gw.kit.image,
              labels=scale_labels(min=1, max=10, factor=20))
    gw.wait_available("alerted", 1, timeout=30)

    def alert(status, fn="alerted"):
        body = {"receiver": "scale-up", "status": status,
                "alerts": [{"status": status, "labels": {"alertname": "APIHighInvocationRate",
                                                          "function_name": fn}}]}
        return gw.api("POST", "/system/alert", json=body)

    assert alert("firing").status_code == 200
    assert replicas(gw, "alerted") == 3  # 1 + ceil(10 * 20%)
    assert alert("firing").status_code == 200
    assert replicas(gw, "alerted") == 5
    assert decision(gw, "alerted")["reason"] == "alert firing"
    assert alert("resolved").status_code == 200
    assert replicas(gw, "alerted") == 1
    r = alert("firing", fn="nope")
    assert r.status_code == 404 and "nope" in r.text
    r = gw.api("POST", "/system/alert", data=b"{not json")
    assert r.status_code == 400 and "alerts" in r.text
    assert gw.api("GET", "/system/alert").status_code == 405


def test_decisions_survive_a_gateway_restart(conformance_start):
    gw = conformance_start(FAST)
    gw.deploy("sleepy", env_process="cat", image=gw.kit.image,
              labels=scale_labels(zero="true", zero_duration="1s"))
    gw.deploy("handset", env_process="cat", image=gw.kit.image,
              labels=scale_labels(min=1, max=5))
    gw.scale("handset", 3)
    wait_for(lambda: replicas(gw, "sleepy") == 0, 30, interval=0.1, what="scale to zero")
    before = {n: gw.status(n)["autoscaler"] for n in ("sleepy", "handset")}
    gw.stop()
    gw2 = conformance_start(FAST, state_dir=gw.state_dir)
    assert replicas(gw2, "sleepy") == 0
    assert replicas(gw2, "handset") == 3
    gw2.wait_available("handset", 3, timeout=30)
    after = {n: gw2.status(n)["autoscaler"] for n in ("sleepy", "handset")}
    assert after == before, f"before the restart {before}, after {after}"
    time.sleep(3)  # checks of the new gateway: the hand-set count still stands
    assert replicas(gw2, "handset") == 3
    assert gw2.available("sleepy") == 0
