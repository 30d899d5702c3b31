"""Where the queue worker may post a callback, as a hostile caller of the
public /async-function endpoint would probe it: relays into the gateway's
own API, loopback and link-local receivers, credentials in the URL,
redirects, huge answers, receivers that never answer, and call ids
guessed for another function's calls. Real gateway, nats-server and
worker; callbacks received by plain Python HTTP servers."""
import http.server
import json
import threading

import requests

from conftest import SLOW, wait_for
from natsclient import NatsClient
from queue_util import callbacks, queue_worker, worker_metric  # noqa: F401 (fixtures)
from test_queue import post_async, stack


def dead_letters(srv):
    nc = NatsClient(srv.nats_url)
    try:
        return nc.stream_messages("faas-dead-letter")
    finally:
        nc.close()


def wait_dead(w, srv, function, n=1):
    wait_for(lambda: (worker_metric(w, "queue_dead_letters_total",
                                    function_name=f"{function}.openfaas-fn") or 0) >= n, 20,
             what=f"{n} dead letter(s) for {function}")
    return dead_letters(srv)


class Receiver:
    """A callback receiver answering every POST with `status`, `headers`
    and `body`, or holding the connection open when `hang` is set."""

    def __init__(self, status=200, headers=None, body=b"", hang=False):
        self.hits = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.hits += 1
                if hang:
                    outer.release.wait(120)
                    return
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/cb"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_callback_into_the_gateways_api_is_refused(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    w = queue_worker(srv, gw, callback_allow="")
    evil = json.dumps({"service": "pwned", "envProcess": "id"}).encode()
    r = post_async(gw, "echo", evil, headers={"X-Callback-Url": gw.url + "/system/functions"})
    assert r.status_code == 202
    (hdrs, data), = wait_dead(w, srv, "echo")
    assert data == evil
    assert "refused" in hdrs["Faasbus-Reason"] and "/system/" in hdrs["Faasbus-Reason"]
    assert requests.get(gw.url + "/system/function/pwned", timeout=5).status_code == 404
    assert "callback refused" in w.text()


def test_loopback_receivers_are_refused_unless_allowed(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    allowed, other = Receiver(), Receiver()
    try:
        w = queue_worker(srv, gw, callback_allow=f"127.0.0.1:{allowed.port}")
        post_async(gw, "echo", b"to the allowed one", headers={"X-Callback-Url": allowed.url})
        post_async(gw, "echo", b"to the other one",
                   headers={"X-Callback-Url": f"http://localhost:{other.port}/cb"})
        (hdrs, data), = wait_dead(w, srv, "echo")
        assert data == b"to the other one"
        assert "loopback" in hdrs["Faasbus-Reason"]
        wait_for(lambda: allowed.hits == 1, 10, what="the allowed receiver's callback")
        assert other.hits == 0  # refused before connect: not a single request
        assert worker_metric(w, "queue_callbacks_total", result="refused") == 1
    finally:
        allowed.close()
        other.close()


def test_link_local_metadata_address_is_refused(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    w = queue_worker(srv, gw, callback_allow="127.0.0.0/8")
    post_async(gw, "echo", b"x", headers={"X-Callback-Url": "http://169.254.169.254/latest/"})
    (hdrs, _), = wait_dead(w, srv, "echo")
    assert "link-local" in hdrs["Faasbus-Reason"]


def test_credentials_in_a_callback_url_are_refused_at_the_door(nats, gateway):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    r = post_async(gw, "echo", b"x", headers={"X-Callback-Url": "http://u:hunter2@example.test/"})
    assert r.status_code == 400
    assert "user info" in r.text and "hunter2" not in r.text
    assert "hunter2" not in gw.text()


def test_redirects_are_not_followed_nor_retried(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    target = Receiver()
    redirect = Receiver(status=307, headers={"Location": target.url})
    try:
        w = queue_worker(srv, gw, callback_attempts=5)
        post_async(gw, "echo", b"x", headers={"X-Callback-Url": redirect.url})
        (hdrs, _), = wait_dead(w, srv, "echo")
        assert "307" in hdrs["Faasbus-Reason"] and "redirects" in hdrs["Faasbus-Reason"]
        assert redirect.hits == 1 and target.hits == 0
    finally:
        target.close()
        redirect.close()


def test_a_huge_answer_from_the_receiver_still_counts_as_delivered(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    big = Receiver(body=b"z" * (3 << 20))
    try:
        w = queue_worker(srv, gw)
        post_async(gw, "echo", b"x", headers={"X-Callback-Url": big.url})
        wait_for(lambda: worker_metric(w, "queue_callbacks_total", result="delivered") == 1, 20,
                 what="the callback delivered")
        assert big.hits == 1
        assert not dead_letters(srv)
    finally:
        big.close()


def test_hung_receivers_do_not_hold_the_slots_of_other_calls(nats, gateway, queue_worker,
                                                             callbacks):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    gw.wait_available("echo", 1)
    hung = Receiver(hang=True)
    try:
        # Four call slots, all taken by calls whose receiver never answers
        # (each try may last a minute): a fifth call must not wait for them.
        queue_worker(srv, gw, max_inflight=4, callback_timeout="60s")
        for i in range(4):
            post_async(gw, "echo", f"hung {i}".encode(), headers={"X-Callback-Url": hung.url})
        wait_for(lambda: hung.hits == 4, 20, what="four hung deliveries")
        healthy = callbacks()
        post_async(gw, "echo", b"healthy", headers={"X-Callback-Url": healthy.url})
        got = healthy.wait(1, timeout=20)  # far below the hung tries' 60 s
        assert got[0]["body"] == b"healthy"
    finally:
        hung.close()


def test_call_ids_are_de_duplicated_per_function(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway)
    gw.deploy("a", env_process="cat")
    gw.deploy("b", env_process="cat")
    queue_worker(srv, gw)
    cb = callbacks()
    # A caller who guessed the id of b's call sends it to a first: b's
    # genuine call must still run.
    r1 = post_async(gw, "a", b"squatter", headers={"X-Call-Id": "kafka-in-0-0",
                                                   "X-Callback-Url": cb.url})
    r2 = post_async(gw, "b", b"genuine", headers={"X-Call-Id": "kafka-in-0-0",
                                                  "X-Callback-Url": cb.url})
    assert r1.status_code == 202 and r2.status_code == 202
    assert "X-Duplicate" not in r2.headers
    got = cb.wait(2)
    assert sorted(g["body"] for g in got) == [b"genuine", b"squatter"]
    # The same id to the same function is still a duplicate.
    r3 = post_async(gw, "b", b"again", headers={"X-Call-Id": "kafka-in-0-0"})
    assert r3.headers.get("X-Duplicate") == "true"


def test_bad_allow_list_is_refused_at_start(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    w = queue_worker(srv, gw, wait=False, callback_allow="127.0.0.1, not-an-address")
    wait_for(lambda: w.proc.poll() is not None, 10 * SLOW, what="the worker to refuse")
    assert w.proc.returncode == 2
    assert "not-an-address" in w.text()
