"""Bounds against hostile clients: a head too large for a connection's
memory is refused, and many connections holding half-sent heads cost each
daemon a bounded amount of memory (measured from /proc), after which it
still serves."""
import socket

from conftest import SLOW, wait_for
from test_http_smuggling import exchange

CONNS = 100
# Each connection may hold at most its 32 KiB pool; half as much again per
# connection plus allocator slack is the stated bound (about 9 MB).
BOUND = CONNS * 48 * 1024 + 4 * 1024 * 1024


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def daemons(watchdog, gateway):
    wd = watchdog({"fprocess": "cat"})
    gw = gateway()
    return {"watchdog": wd, "gateway": gw}


def serves(port):
    status, got, _ = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                    b"Connection: close\r\n\r\n")
    return status is not None and status < 500


def test_a_head_larger_than_a_connection_holds_is_refused(watchdog, gateway):
    big = b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (64 * 1024) + \
          b"\r\nContent-Length: 0\r\n\r\n"
    for name, d in daemons(watchdog, gateway).items():
        status, got, closed = exchange(d.port, big)
        assert status is not None and 400 <= status < 500, f"{name}: {got[:200]!r}"
        assert closed, f"{name}: connection left open after refusing the head"
        assert serves(d.port), name


def test_many_half_sent_heads_hold_bounded_memory(watchdog, gateway):
    partial = b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"b" * (16 * 1024)
    for name, d in daemons(watchdog, gateway).items():
        before = rss(d.proc.pid)
        socks = []
        try:
            for _ in range(CONNS):
                s = socket.create_connection(("127.0.0.1", d.port), timeout=10 * SLOW)
                s.sendall(partial)
                socks.append(s)
            # The daemon has read them all once a fresh request is answered
            # behind them (one event loop serves connections in turn).
            wait_for(lambda: serves(d.port), 30, what=f"{name} serving")
            grown = rss(d.proc.pid) - before
            assert grown < BOUND, f"{name}: {grown} bytes for {CONNS} half heads"
        finally:
            for s in socks:
                s.close()
        assert serves(d.port), name
