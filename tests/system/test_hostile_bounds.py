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


# --- deadlines and limits that silence alone does not trip ----------------

import time


def closed_within(s, seconds):
    """True once the server ends the connection, while we keep feeding it
    a header byte every half second (each byte resets an idle timer)."""
    end = time.monotonic() + seconds
    s.settimeout(0.5)
    while time.monotonic() < end:
        try:
            s.sendall(b"a")
            if s.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def test_a_head_sent_a_byte_at_a_time_is_cut_at_its_deadline(watchdog, gateway):
    ds = {"watchdog": watchdog({"fprocess": "cat", "read_timeout": "2s"}),
          "gateway": gateway({"read_timeout": "2s"})}
    for name, d in ds.items():
        s = socket.create_connection(("127.0.0.1", d.port), timeout=5 * SLOW)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            # The idle timeout (2 s) never fires; the head's deadline does.
            assert closed_within(s, 15 * SLOW), f"{name}: a trickled head held its connection"
        finally:
            s.close()
        assert serves(d.port), name
        assert "request head took over 2000ms" in d.text(), name


def test_connections_past_the_limit_are_told_503(watchdog, gateway):
    ds = {"watchdog": watchdog({"fprocess": "cat", "max_connections": "8", "read_timeout": "30s"}),
          "gateway": gateway({"max_connections": "8", "read_timeout": "30s"})}
    for name, d in ds.items():
        held = [socket.create_connection(("127.0.0.1", d.port), timeout=5 * SLOW)
                for _ in range(8)]
        try:
            status, got, closed = exchange(d.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status == 503, f"{name}: {got[:200]!r}"
            assert b"too many connections" in got and closed, name
        finally:
            for s in held:
                s.close()
        wait_for(lambda: serves(d.port), 10, what=f"{name} serving again")


def test_api_bodies_together_are_bounded_before_they_are_read(gateway):
    gw = gateway({"max_body_total": "1MiB"})
    head = (b"POST /system/functions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 700000\r\n\r\n")
    first = socket.create_connection(("127.0.0.1", gw.port), timeout=5 * SLOW)
    try:
        first.sendall(head + b"{")  # holds its reservation while it trickles
        wait_for(lambda: serves(gw.port), 10, what="gateway serving")
        status, got, closed = exchange(gw.port, head)
        assert status == 503, got[:200]
        assert b"too many request bodies held" in got and closed
    finally:
        first.close()
    # The first body's room is given back when it goes.
    def second_fits():
        status, got, _ = exchange(gw.port, head + b"{" + b" " * 699998 + b"}", timeout=5)
        return status is not None and status != 503
    wait_for(second_fits, 10, what="room for a body again")
