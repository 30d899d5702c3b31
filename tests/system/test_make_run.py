"""`make run`, headless, as a newcomer runs it: the whole stack comes up,
the demo's orders come out at the far end of the chain, and Ctrl-C leaves
no process behind."""
import os
import signal
import subprocess
import threading
import time

import requests

from conftest import ROOT, SANITIZED, SLOW, free_port


def session_members(sid):
    """Pids of every process in session sid (daemons, replicas, functions)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            out.append(int(pid))
    return out


def described(pid):
    """pid and its command line, for a failure message."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f"{pid} " + f.read().replace(b"\0", b" ").decode("utf-8", "replace")[:200]
    except OSError:
        return str(pid)


def test_make_run_streams_orders_through_the_chain_and_ctrl_c_stops_everything():
    env = dict(os.environ, PORT=str(free_port()), NATS_PORT=str(free_port()),
               CONNECTOR_PORT=str(free_port()), QUEUE_WORKER_PORT=str(free_port()),
               DEMO_ORDERS="40", SANITIZE="1" if SANITIZED else "0")
    # A terminal's Ctrl-C finds SIGINT at its default in the foreground job;
    # a suite started in the background without job control (`.ci/run &`)
    # hands SIG_IGN down instead, which a shell may not trap: run.sh would
    # then sleep through the Ctrl-C.
    proc = subprocess.Popen(["make", "-s", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(
        l.decode("utf-8", "replace") for l in proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 180 * SLOW
    try:
        while not any("faasbus is running" in l for l in lines):
            assert proc.poll() is None, "make run exited:\n" + "".join(lines)
            assert time.monotonic() < deadline, "make run did not finish its demo:\n" + "".join(lines)
            time.sleep(0.2)
        out = "".join(lines)
        assert "demo: every order went through the chain" in out, out
        # Not a terminal: plain progress lines, the last one with every order accounted for.
        progress = [l for l in lines if l.startswith("produced")]
        assert progress and "\r" not in "".join(progress)
        final = progress[-1].split()
        counts = dict(zip(final[::2], final[1::2]))
        assert counts["produced"] == "40/40"
        assert int(counts["enriched"]) + int(counts["rejected"]) == 40
        assert int(counts["rejected"]) >= 5  # every seventh order is broken on purpose
        assert '"total":' in out and "invalid order" in out  # an enriched and a rejected record
        for needle in ["desserts", "curl -d 'hello'", "faasbus publish", "async-function"]:
            assert needle in out, needle
        # The portal's address, and it draws the demo's chain.
        portal = f"http://127.0.0.1:{env['PORT']}/ui/"
        assert portal in out, out
        assert requests.get(portal, timeout=10).status_code == 200
        routes = requests.get(f"http://127.0.0.1:{env['PORT']}/system/connectors",
                              timeout=10).json()[0]["routes"]
        assert {"orders", "orders.valid"} <= {r["topic"] for r in routes}, routes
        # Its queue view reads the worker's consumer and dead-letter stream.
        queue = requests.get(f"http://127.0.0.1:{env['PORT']}/system/queue", timeout=10).json()
        assert queue["consumer"]["exists"] and queue["dead_letters"]["exists"], queue
    finally:
        try:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        except ProcessLookupError:
            pass
        try:
            proc.wait(60 * SLOW)
        except subprocess.TimeoutExpired:
            raise AssertionError("make run was still running 60 s after Ctrl-C: " + "; ".join(
                described(p) for p in session_members(proc.pid))) from None
        finally:
            deadline = time.monotonic() + 10 * SLOW
            while session_members(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = session_members(proc.pid)
            for pid in left:
                os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes left after Ctrl-C: {left}"
    assert "faasbus: stopped; logs are in" in "".join(lines)
