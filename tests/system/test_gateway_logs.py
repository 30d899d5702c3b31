"""GET /system/logs: the replicas' output as NDJSON lines
{"name","namespace","instance","timestamp","text"}, with tail, since and
follow."""
import datetime
import json
import threading

import requests

from conftest import SLOW, wait_for

STDERR_FN = "sh -c 'echo to-stdout; echo \"to-stderr $Http_X_Mark\" >&2'"


def read_logs(gw, **params):
    r = gw.api("GET", "/system/logs", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines() if line]


def texts(lines):
    return [l["text"] for l in lines]


def deploy_logger(gw, name="lg", **fields):
    gw.deploy(name, env_process=STDERR_FN, envVars={"combine_output": "false"}, **fields)
    gw.wait_available(name.split(".")[0], 1, name.split(".")[1] if "." in name else None)


def has_text(gw, needle, **params):
    return any(needle in t for t in texts(read_logs(gw, **params)))


def test_logs_hold_the_replicas_output_per_call(gateway):
    gw = gateway()
    deploy_logger(gw)
    for mark in ("m1", "m2"):
        r = gw.call("lg", data=b"", headers={"X-Mark": mark})
        assert r.status_code == 200 and r.text == "to-stdout\n"
    wait_for(lambda: has_text(gw, "to-stderr m2", name="lg"), 5, what="the stderr line")
    lines = read_logs(gw, name="lg")
    for l in lines:
        assert set(l) == {"name", "namespace", "instance", "timestamp", "text"}, l
        assert l["name"] == "lg"
        assert l["namespace"] == "openfaas-fn"
        assert l["instance"]
        datetime.datetime.fromisoformat(l["timestamp"].replace("Z", "+00:00"))
    t = texts(lines)
    assert sum("Forking fprocess." in x for x in t) == 2
    assert any("function: stderr: to-stderr m1" in x for x in t)
    assert any("function: stderr: to-stderr m2" in x for x in t)
    # Oldest first.
    first = next(i for i, x in enumerate(t) if "to-stderr m1" in x)
    second = next(i for i, x in enumerate(t) if "to-stderr m2" in x)
    assert first < second
    stamps = [l["timestamp"] for l in lines]
    assert stamps == sorted(stamps)


def test_logs_of_a_function_in_another_namespace(gateway):
    gw = gateway()
    deploy_logger(gw, "lg.team")
    gw.call("lg.team", data=b"", headers={"X-Mark": "ns"})
    wait_for(lambda: has_text(gw, "to-stderr ns", name="lg", namespace="team"), 5,
             what="the line by ?namespace=")
    assert has_text(gw, "to-stderr ns", name="lg.team")
    r = gw.api("GET", "/system/logs", params={"name": "lg"})
    assert r.status_code == 404


def test_tail_keeps_the_last_lines(gateway):
    gw = gateway()
    deploy_logger(gw)
    for mark in ("t1", "t2", "t3"):
        gw.call("lg", data=b"", headers={"X-Mark": mark})
    wait_for(lambda: has_text(gw, "to-stderr t3", name="lg"), 5, what="the last line")
    everything = read_logs(gw, name="lg")
    assert len(everything) > 3
    last = read_logs(gw, name="lg", tail=2)
    assert last == everything[-2:]
    # faas-cli sends tail=-1 by default: <= 0 means every line kept.
    assert read_logs(gw, name="lg", tail=0) == everything
    assert read_logs(gw, name="lg", tail=-1) == everything
    assert read_logs(gw, name="lg", tail=100000) == everything


def test_since_drops_older_lines(gateway):
    gw = gateway()
    deploy_logger(gw)
    gw.call("lg", data=b"", headers={"X-Mark": "old"})
    wait_for(lambda: has_text(gw, "to-stderr old", name="lg"), 5, what="the old line")
    # Lines are stamped to the millisecond and `since` has whole seconds:
    # wait until the next second has begun.
    last = read_logs(gw, name="lg")[-1]["timestamp"]
    cut = (datetime.datetime.fromisoformat(last.replace("Z", "+00:00")).replace(microsecond=0)
           + datetime.timedelta(seconds=1))
    wait_for(lambda: datetime.datetime.now(datetime.timezone.utc) >= cut, 2,
             what="the next second")
    gw.call("lg", data=b"", headers={"X-Mark": "new"})
    wait_for(lambda: has_text(gw, "to-stderr new", name="lg"), 5, what="the new line")
    since = cut.strftime("%Y-%m-%dT%H:%M:%SZ")
    t = texts(read_logs(gw, name="lg", since=since))
    assert any("to-stderr new" in x for x in t)
    assert not any("to-stderr old" in x for x in t)
    future = (cut + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert read_logs(gw, name="lg", since=future) == []
    # The same instant written with a UTC offset means the same thing.
    offset = cut.astimezone(datetime.timezone(datetime.timedelta(hours=-5)))
    t = texts(read_logs(gw, name="lg", since=offset.isoformat()))
    assert any("to-stderr new" in x for x in t)
    assert not any("to-stderr old" in x for x in t), \
        f"since={offset.isoformat()} returned lines from before {since}"


def test_follow_streams_new_lines_until_the_client_leaves(gateway):
    gw = gateway()
    deploy_logger(gw)
    gw.call("lg", data=b"", headers={"X-Mark": "before"})
    wait_for(lambda: has_text(gw, "to-stderr before", name="lg"), 5, what="the first line")
    r = requests.get(gw.url + "/system/logs", params={"name": "lg", "follow": "true"},
                     stream=True, timeout=5 * SLOW)
    try:
        assert r.status_code == 200
        lines = r.iter_lines()
        got = []

        def until(needle):
            for line in lines:
                if line:
                    got.append(json.loads(line)["text"])
                    if needle in got[-1]:
                        return

        # What was already there comes first, then new lines as they come.
        until("to-stderr before")
        gw.call("lg", data=b"", headers={"X-Mark": "live1"})
        until("to-stderr live1")
        gw.call("lg", data=b"", headers={"X-Mark": "live2"})
        until("to-stderr live2")
        assert any("Forking fprocess." in x for x in got)
    finally:
        r.close()
    # The gateway is none the worse for the reader leaving.
    gw.call("lg", data=b"", headers={"X-Mark": "after"})
    wait_for(lambda: has_text(gw, "to-stderr after", name="lg"), 5, what="a line after")


def test_follow_ends_when_the_function_is_removed(gateway):
    gw = gateway()
    deploy_logger(gw)
    r = requests.get(gw.url + "/system/logs", params={"name": "lg", "follow": "true"},
                     stream=True, timeout=10 * SLOW)
    done = threading.Event()

    def drain():
        try:
            for _ in r.iter_lines():
                pass
        finally:
            done.set()

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    try:
        assert gw.api("DELETE", "/system/functions",
                      json={"functionName": "lg"}).status_code == 202
        assert done.wait(5 * SLOW), "the follow stream did not end"
    finally:
        r.close()


def test_logs_errors(gateway):
    gw = gateway()
    deploy_logger(gw)
    assert gw.api("GET", "/system/logs").status_code == 400
    assert gw.api("GET", "/system/logs", params={"name": "nope"}).status_code == 404
    r = gw.api("GET", "/system/logs", params={"name": "lg", "tail": "many"})
    assert r.status_code == 400 and "tail" in r.text
    r = gw.api("GET", "/system/logs", params={"name": "lg", "since": "yesterday"})
    assert r.status_code == 400 and "since" in r.text
    r = gw.api("GET", "/system/logs", params={"name": "Bad_Name"})
    assert r.status_code == 400


def test_log_lines_bounds_what_is_kept(gateway):
    gw = gateway({"log_lines": "10"})
    deploy_logger(gw)
    for i in range(8):
        gw.call("lg", data=b"", headers={"X-Mark": f"n{i}"})
    wait_for(lambda: has_text(gw, "to-stderr n7", name="lg"), 5, what="the last line")
    lines = read_logs(gw, name="lg")
    assert len(lines) == 10
    assert not any("to-stderr n0" in t for t in texts(lines))
