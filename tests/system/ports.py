"""Ports for the tests to hand to things that bind them later (a function's
upstream, nats-server), and ports known to have no listener.

A port the kernel picked with bind(0) and that was closed again can be
picked again at once: by another worker's daemon binding port 0, or as the
source port of any connect(). The one who was told the port then finds it
taken (a function's upstream that cannot bind never becomes ready) or
finds the wrong listener there. So the ports come from below the kernel's
ephemeral range, which neither bind(0) nor connect() draw from, one slice
per pytest-xdist worker, each port handed out once per run.
"""
import os
import random
import socket

BOTTOM = 20000  # below the default ephemeral range (32768), above common services
MIN_SLICE = 256  # fewer ports than this per worker: let the kernel pick


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _slice():
    """(first port, count) of this worker's slice, or None."""
    workers = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), 1)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    size = (_ephemeral_low() - BOTTOM) // workers
    if size < MIN_SLICE:
        return None
    return BOTTOM + worker * size, size


def _ports(first, size):
    """A slice's ports, once each, from a random place in it (two runs
    side by side rarely walk the same ports)."""
    start = random.randrange(size)
    for i in range(size):
        yield first + (start + i) % size


SLICE = _slice()
_next = _ports(*SLICE) if SLICE else None


def _unbound(port):
    """Whether nothing holds 127.0.0.1:port (no SO_REUSEADDR, so a
    connection in TIME_WAIT there counts as holding it)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port():
    if _next is not None:
        for port in _next:
            if _unbound(port):
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
