"""Helpers for the async-queue tests: a callback receiver and the queue
worker fixture."""
import http.server
import os
import threading

import pytest
import requests

from conftest import BIN, SLOW, Daemon, wait_for


class Callbacks:
    """An HTTP server that records every callback it receives. The first
    `fail_first` requests are answered 500."""

    def __init__(self, fail_first=0):
        self.received = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                with outer.lock:
                    failing = outer.fail_first > 0
                    if failing:
                        outer.fail_first -= 1
                    else:
                        outer.received.append({"path": self.path, "headers": dict(self.headers),
                                               "body": body})
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"

    def count(self):
        with self.lock:
            return len(self.received)

    def wait(self, n, timeout=20):
        wait_for(lambda: self.count() >= n, timeout, interval=0.05,
                 what=f"{n} callbacks (have {self.count()})")
        with self.lock:
            return list(self.received)

    def ids(self):
        with self.lock:
            return [r["headers"].get("X-Call-Id") for r in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def callbacks():
    made = []

    def make(**kw):
        cb = Callbacks(**kw)
        made.append(cb)
        return cb
    yield make
    for cb in made:
        cb.close()


def worker_healthy(w):
    if w.proc.poll() is not None:
        raise AssertionError(f"queue worker exited with {w.proc.returncode}:\n{w.text()[-3000:]}")
    try:
        return requests.get(w.url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def queue_worker(tmp_path, daemons):
    """start(nats, gw, wait=True, **settings) -> a running faasbus-queue-worker
    with quick retries (100 ms to 500 ms) for tests."""
    count = [0]

    def start(nats, gw, wait=True, **settings):
        count[0] += 1
        # The tests' receivers listen on loopback, which the worker refuses
        # by default; tests of that policy set callback_allow themselves.
        env = {"nats_url": nats.nats_url, "gateway_url": gw.url, "log_level": "info",
               "retry_min_wait": "100ms", "retry_max_wait": "500ms",
               "callback_allow": "127.0.0.0/8"}
        env.update({k: str(v) for k, v in settings.items()})
        w = Daemon([os.path.join(BIN, "faasbus-queue-worker")], env,
                   str(tmp_path / f"queue-worker{count[0]}.log"))
        daemons.append(w.start())
        if wait:
            wait_for(lambda: worker_healthy(w), 15, what="queue worker /healthz")
        return w
    return start


def worker_metric(w, name, **labels):
    from conftest import metric
    return metric(requests.get(w.url + "/metrics", timeout=5 * SLOW).text, name, **labels)
