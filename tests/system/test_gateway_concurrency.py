"""No thread per waiting call: 2,000 concurrent calls of an http-mode
function whose upstream answers each after one second all succeed within
a few seconds, and the gateway's thread count does not grow with them."""
import os
import selectors
import socket
import time

from conftest import FIXTURES, SLOW, free_port, wait_for

TESTFN = os.path.join(FIXTURES, "testfn-http")
CALLS = 2000


def threads_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line")


def test_2000_slow_calls_at_once(gateway):
    gw = gateway()
    port = free_port()
    gw.deploy("slow", env_process=f"{TESTFN} {port}",
              envVars={"mode": "http", "upstream_url": f"http://127.0.0.1:{port}"})
    gw.wait_available("slow", 1)
    assert gw.call("slow", "/delay", method="GET", params={"ms": 10}).text == "done\n"
    idle_threads = threads_of(gw.proc.pid)

    request = (f"GET /function/slow/delay?ms=1000 HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\n"
               "Connection: close\r\n\r\n").encode()
    sel = selectors.DefaultSelector()
    answers = {}
    socks = []
    peak_threads = idle_threads
    t0 = time.monotonic()
    try:
        for i in range(CALLS):
            s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
            s.sendall(request)
            s.setblocking(False)
            socks.append(s)
            answers[s] = b""
            sel.register(s, selectors.EVENT_READ)
        sent = time.monotonic() - t0
        open_ = set(socks)
        deadline = time.monotonic() + 20 * SLOW
        while open_ and time.monotonic() < deadline:
            peak_threads = max(peak_threads, threads_of(gw.proc.pid))
            for key, _ in sel.select(timeout=0.2):
                s = key.fileobj
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if chunk:
                    answers[s] += chunk
                else:
                    sel.unregister(s)
                    open_.discard(s)
        took = time.monotonic() - t0
    finally:
        for s in socks:
            s.close()
        sel.close()
    statuses = {}
    for data in answers.values():
        code = data.split(b" ", 2)[1] if data.startswith(b"HTTP/1.1 ") else b"none"
        statuses[code] = statuses.get(code, 0) + 1
    assert statuses == {b"200": CALLS}, statuses
    assert all(data.endswith(b"\r\n\r\ndone\n") for data in answers.values())
    # Each call takes 1 s at the function; all of them, sent in `sent`
    # seconds, are done within 3 s more.
    print(f"sent in {sent:.2f}s, done in {took:.2f}s, threads {idle_threads} -> {peak_threads}")
    assert took < sent + 3 * SLOW, (took, sent)
    assert peak_threads <= idle_threads + 2, (idle_threads, peak_threads)
    wait_for(lambda: gw.status("slow")["invocationCount"] == CALLS + 1, 5,
             what="every call counted")
