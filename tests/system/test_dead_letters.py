"""The queue and its dead letters through the gateway's API: GET
/system/queue (the depth of the async stream, its consumer and the
dead-letter stream), GET /system/dead-letters, GET and DELETE
/system/dead-letter/<seq>, read from a real nats-server that a real queue
worker wrote to; and their errors (bad input, unknown letters, NATS down,
basic auth)."""
import base64


import requests

from conftest import free_port, wait_for
from natsclient import NatsClient
from queue_util import queue_worker  # noqa: F401 (fixture)

CREDS = {"basic_auth": "true", "auth_user": "admin", "auth_password": "s3cret"}
BROKEN = {"com.openfaas.retry.attempts": "2", "com.openfaas.retry.min_wait": "50ms"}


def post_async(gw, name, data=b"", path="", **kw):
    return requests.post(f"{gw.url}/async-function/{name}{path}", data=data, timeout=20, **kw)


def stack(nats, gateway, env=None):
    srv = nats()
    return srv, gateway(dict({"nats_url": srv.nats_url}, **(env or {})))


def letters(gw, **params):
    r = gw.api("GET", "/system/dead-letters", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def wait_letters(gw, n):
    wait_for(lambda: letters(gw)["total"] >= n, 20, interval=0.1, what=f"{n} dead letters")
    return letters(gw, limit=100)


def test_queue_depth_follows_the_calls_stored_and_run(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo")
    for i in range(3):
        assert post_async(gw, "echo", b"x%d" % i).status_code == 202
    r = gw.api("GET", "/system/queue")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    q = r.json()
    # No worker yet: three calls wait, nobody consumes, nothing is dead.
    assert q["stream"]["name"] == "faas-request" and q["stream"]["exists"] is True
    assert q["stream"]["messages"] == 3 and q["stream"]["oldest"].endswith("Z")
    assert q["consumer"] == {"name": "faas-workers", "exists": False}
    assert q["dead_letters"] == {"name": "faas-dead-letter", "exists": False}
    assert letters(gw) == {"stream": "faas-dead-letter", "exists": False, "total": 0,
                           "letters": []}
    queue_worker(srv, gw)
    wait_for(lambda: gw.api("GET", "/system/queue").json()["stream"]["messages"] == 0, 20,
             interval=0.1, what="the calls to be run")
    q = gw.api("GET", "/system/queue").json()
    assert q["consumer"]["exists"] is True
    assert q["consumer"]["pending"] == 0 and q["consumer"]["ack_pending"] == 0
    assert q["dead_letters"]["exists"] is True and q["dead_letters"]["messages"] == 0
    assert gw.api("POST", "/system/queue").status_code == 405


def test_dead_letters_list_newest_first_with_what_the_worker_stored(nats, gateway,
                                                                    queue_worker):
    srv, gw = stack(nats, gateway)
    gw.deploy("broken", env_process="sh -c 'cat >/dev/null; exit 1'", annotations=BROKEN)
    queue_worker(srv, gw)
    binary = bytes(range(256)) * 4
    ids = []
    for i, body in enumerate((b"first", b"a" * 300, binary)):
        r = post_async(gw, "broken", body, path=f"/p/{i}?n={i}",
                       headers={"X-Custom": f"v{i}", "Content-Type": "text/plain"})
        assert r.status_code == 202, r.text
        ids.append(r.headers["X-Call-Id"])
        # One at a time, so the stream's order is the calls' order.
        wait_letters(gw, i + 1)
    got = letters(gw, limit=100)
    assert got["total"] == 3 and got["exists"] is True
    newest, middle, oldest = got["letters"]
    assert newest["seq"] > middle["seq"] > oldest["seq"]
    assert [x["call_id"] for x in got["letters"]] == ids[::-1]
    assert oldest["function"] == "broken.openfaas-fn"
    assert "after 2 attempts" in oldest["reason"]
    assert oldest["status"] == 500 and oldest["attempts"] == 2
    assert oldest["method"] == "POST" and oldest["path"] == "/p/0" and oldest["query"] == "n=0"
    assert oldest["time"].endswith("Z") and oldest["queued_at"] <= oldest["time"]
    assert oldest["headers"]["X-Custom"] == "v0"
    assert oldest["headers"]["Content-Type"] == "text/plain"
    assert oldest["headers"]["X-Call-Id"] == ids[0]
    # What a replay must not send again stays out of the headers.
    assert not [h for h in oldest["headers"] if h.startswith(("Faasbus-", "Nats-"))
                or h in ("X-Function-Status", "X-Attempts")], oldest["headers"]
    assert oldest["size"] == 5 and oldest["preview"] == "first" and not oldest["truncated"]
    assert "body" not in oldest
    assert middle["preview"] == "a" * 256 and middle["truncated"] and middle["size"] == 300
    assert newest["preview"] is None and newest["size"] == len(binary)
    # ?limit= takes the newest.
    assert [x["seq"] for x in letters(gw, limit=2)["letters"]] == [newest["seq"], middle["seq"]]
    # One letter whole: its body, byte for byte.
    r = gw.api("GET", f"/system/dead-letter/{newest['seq']}")
    assert r.status_code == 200, r.text
    whole = r.json()
    assert base64.b64decode(whole["body"]) == binary
    assert whole["call_id"] == ids[2] and whole["reason"] == newest["reason"]


def test_a_removed_letter_is_gone_and_the_rest_stay(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    gw.deploy("broken", env_process="false", annotations=BROKEN)
    queue_worker(srv, gw)
    for i in range(3):
        assert post_async(gw, "broken", b"%d" % i, headers={"X-Call-Id": f"c{i}"}).status_code \
            == 202
    seqs = [x["seq"] for x in wait_letters(gw, 3)["letters"]]
    middle = seqs[1]
    r = gw.api("DELETE", f"/system/dead-letter/{middle}")
    assert r.status_code == 200 and r.json() == {"deleted": middle}
    after = letters(gw)
    assert after["total"] == 2 and [x["seq"] for x in after["letters"]] == [seqs[0], seqs[2]]
    assert gw.api("GET", f"/system/dead-letter/{middle}").status_code == 404
    r = gw.api("DELETE", f"/system/dead-letter/{middle}")
    assert r.status_code == 404 and f"no dead letter {middle}" in r.text, r.text
    nc = NatsClient(srv.nats_url)
    assert nc.stream_info("faas-dead-letter")["state"]["messages"] == 2
    nc.close()


def test_a_stream_made_anew_is_read_anew(nats, gateway):
    """Letters are read once and remembered by sequence; a dead-letter
    stream deleted and created again numbers from 1 again, and the gateway
    must not show the old letters for the new numbers."""
    srv, gw = stack(nats, gateway)
    nc = NatsClient(srv.nats_url)

    def letter(body, reason):
        nc.js_publish("faas-dead-letter", body, headers={
            "Faasbus-Function": "a.openfaas-fn", "Faasbus-Reason": reason})

    nc.create_stream("faas-dead-letter", ["faas-dead-letter"])
    letter(b"old", "old reason")
    assert [(x["seq"], x["reason"]) for x in letters(gw)["letters"]] == [(1, "old reason")]
    assert nc.js_api("STREAM.DELETE.faas-dead-letter").get("success") is True
    nc.create_stream("faas-dead-letter", ["faas-dead-letter"])
    letter(b"new", "new reason")
    got = letters(gw)["letters"]
    assert [(x["seq"], x["reason"], x["preview"]) for x in got] == [(1, "new reason", "new")]
    nc.close()


def test_bad_and_unknown_letters(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    queue_worker(srv, gw)  # creates the streams
    wait_for(lambda: gw.api("GET", "/system/queue").json()["dead_letters"]["exists"], 10,
             what="the dead-letter stream")
    r = gw.api("GET", "/system/dead-letter/999")
    assert r.status_code == 404 and "no dead letter 999 in stream faas-dead-letter" in r.text
    assert gw.api("DELETE", "/system/dead-letter/999").status_code == 404
    for bad in ("abc", "0", "-1", "1x", "", "99999999999999999999999"):
        r = gw.api("GET", f"/system/dead-letter/{bad}")
        assert r.status_code == 400 and "sequence number" in r.text, (bad, r.text)
    for bad in ("0", "x", "1001", "-5"):
        r = gw.api("GET", "/system/dead-letters", params={"limit": bad})
        assert r.status_code == 400 and "limit" in r.text, bad
    assert gw.api("POST", "/system/dead-letter/1").status_code == 405
    assert gw.api("DELETE", "/system/dead-letters").status_code == 405


def test_nats_down_is_503_with_the_reason(nats, gateway):
    gw = gateway({"nats_url": f"nats://127.0.0.1:{free_port()}"})
    for path in ("/system/queue", "/system/dead-letters", "/system/dead-letter/1"):
        r = gw.api("GET", path)
        assert r.status_code == 503 and "unreachable" in r.text, (path, r.text)
    assert gw.api("DELETE", "/system/dead-letter/1").status_code == 503
    # Lost after start: the same, until it is back.
    srv, gw2 = stack(nats, gateway)
    assert gw2.api("GET", "/system/queue").status_code == 200
    srv.stop()
    wait_for(lambda: gw2.api("GET", "/system/queue").status_code == 503, 10,
             interval=0.1, what="503 with NATS gone")
    assert f"NATS at {srv.nats_url}" in gw2.api("GET", "/system/dead-letters").text
    srv.start()
    wait_for(lambda: gw2.api("GET", "/system/queue").status_code == 200, 15,
             interval=0.1, what="NATS back")


def test_disabled_queue_is_503(gateway):
    gw = gateway()  # nats_url is "" in tests
    r = gw.api("GET", "/system/queue")
    assert r.status_code == 503 and "disabled" in r.text


def test_the_queue_api_needs_the_credentials_when_basic_auth_is_on(nats, gateway):
    srv, gw = stack(nats, gateway, CREDS)
    for method, path in (("GET", "/system/queue"), ("GET", "/system/dead-letters"),
                         ("GET", "/system/dead-letter/1"), ("DELETE", "/system/dead-letter/1")):
        r = gw.api(method, path)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic"), path
        assert gw.api(method, path, auth=("admin", "wrong")).status_code == 401
    r = gw.api("GET", "/system/queue", auth=("admin", "s3cret"))
    assert r.status_code == 200 and r.json()["stream"]["name"] == "faas-request"
    assert gw.api("GET", "/system/dead-letter/1", auth=("admin", "s3cret")).status_code == 404


def test_stream_names_follow_the_settings(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway, {"nats_durable": "crew", "dead_letter_stream": "graveyard"})
    gw.deploy("broken", env_process="false", annotations=BROKEN)
    queue_worker(srv, gw, nats_durable="crew", dead_letter_stream="graveyard",
                 dead_letter_subject="graveyard.calls")
    assert post_async(gw, "broken", b"x").status_code == 202
    got = wait_letters(gw, 1)
    assert got["stream"] == "graveyard" and got["letters"][0]["function"] == "broken.openfaas-fn"
    q = gw.api("GET", "/system/queue").json()
    assert q["consumer"]["name"] == "crew" and q["consumer"]["exists"] is True
    assert q["dead_letters"]["name"] == "graveyard" and q["dead_letters"]["messages"] == 1

