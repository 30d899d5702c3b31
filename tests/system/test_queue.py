"""The async path: /async-function stores calls in NATS JetStream (a real
nats-server), faasbus-queue-worker runs them through a real gateway and
real replicas, retries, dead-letters, and posts results to callbacks
received by a plain Python HTTP server. What JetStream holds is read with
a separate minimal NATS client."""
import concurrent.futures
import os
import signal
import tempfile
import time

import requests

from conftest import SLOW, free_port, wait_for
from natsclient import NatsClient
from queue_util import callbacks, queue_worker, worker_metric  # noqa: F401 (fixtures)


def record_dir():
    """A directory functions (running as nobody) can write to."""
    d = tempfile.mkdtemp(prefix="faasbus-q-")
    os.chmod(d, 0o777)
    return d


def lines(path):
    try:
        with open(path) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


def post_async(gw, name, data=b"", path="", **kw):
    kw.setdefault("timeout", 20 * SLOW)
    return requests.post(f"{gw.url}/async-function/{name}{path}", data=data, **kw)


def stack(nats, gateway, env=None):
    srv = nats()
    full = {"nats_url": srv.nats_url}
    full.update(env or {})
    return srv, gateway(env=full)


# --- enqueue -------------------------------------------------------------------

def test_callback_gets_the_functions_answer_and_the_call_headers(nats, gateway, queue_worker,
                                                                 callbacks):
    srv, gw = stack(nats, gateway)
    gw.deploy("env", env_process="sh -c 'echo \"$Http_Method $Http_Path $Http_Query "
                                  "$Http_X_Custom\"; cat'")
    gw.wait_available("env", 1)
    queue_worker(srv, gw)
    cb = callbacks()
    r = post_async(gw, "env", b"the body", path="/a/b?x=1&y=2",
                   headers={"X-Callback-Url": cb.url, "X-Custom": "kept"})
    assert r.status_code == 202, r.text
    call_id = r.headers["X-Call-Id"]
    got = cb.wait(1)[0]
    h = got["headers"]
    assert got["body"] == b"POST /a/b x=1&y=2 kept\nthe body"
    assert h["X-Call-Id"] == call_id
    assert h["X-Function-Name"] == "env"
    assert h["X-Function-Status"] == "200"
    assert float(h["X-Duration-Seconds"]) > 0
    assert h["X-Retry"] == "1"


def test_callers_call_id_is_kept(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway)
    gw.deploy("id", env_process="printenv Http_X_Call_Id")
    queue_worker(srv, gw)
    cb = callbacks()
    r = post_async(gw, "id", headers={"X-Callback-Url": cb.url, "X-Call-Id": "order-42"})
    assert r.status_code == 202 and r.headers["X-Call-Id"] == "order-42"
    got = cb.wait(1)[0]
    assert got["body"].strip() == b"order-42"  # the function saw the same id
    assert got["headers"]["X-Call-Id"] == "order-42"


def test_unknown_function_is_404_and_nothing_is_stored(nats, gateway):
    srv, gw = stack(nats, gateway)
    gw.deploy("known")
    assert post_async(gw, "known", b"x").status_code == 202
    r = post_async(gw, "nope", b"x")
    assert r.status_code == 404
    assert "nope" in r.text and r.headers.get("X-OpenFaaS-Internal") == "gateway"
    nc = NatsClient(srv.nats_url)
    assert nc.stream_info("faas-request")["state"]["messages"] == 1  # only the known call
    nc.close()


def test_malformed_callback_url_is_400(nats, gateway):
    srv, gw = stack(nats, gateway)
    gw.deploy("fn")
    for bad in ["not a url", "ftp://host/x", "http://", "/relative/path"]:
        r = post_async(gw, "fn", b"x", headers={"X-Callback-Url": bad})
        assert r.status_code == 400, (bad, r.status_code, r.text)
        assert "X-Callback-Url" in r.text


def test_body_limit_413_above_and_8mib_accepted_byte_exact(nats, gateway, queue_worker,
                                                           callbacks):
    srv, gw = stack(nats, gateway)
    gw.deploy("sum", env_process="sha256sum")
    queue_worker(srv, gw)
    cb = callbacks()
    big = os.urandom(8 << 20)
    r = post_async(gw, "sum", big, headers={"X-Callback-Url": cb.url})
    assert r.status_code == 202, r.text
    import hashlib
    got = cb.wait(1, timeout=30)[0]
    assert got["body"].split()[0].decode() == hashlib.sha256(big).hexdigest()
    r = post_async(gw, "sum", b"\0" * ((8 << 20) + 1))
    assert r.status_code == 413
    assert "8388608" in r.text


def test_nats_unreachable_is_503_with_the_reason(gateway):
    gw = gateway(env={"nats_url": f"nats://127.0.0.1:{free_port()}"})
    gw.deploy("fn")
    r = post_async(gw, "fn", b"x")
    assert r.status_code == 503
    assert "unreachable" in r.text and r.headers.get("X-OpenFaaS-Internal") == "gateway"


def test_openfaas_nats_address_and_port_settings(nats, gateway):
    srv = nats()
    gw = gateway(env={"nats_url": None, "faas_nats_address": "127.0.0.1",
                      "faas_nats_port": str(srv.port)})
    gw.deploy("fn")
    assert post_async(gw, "fn", b"x").status_code == 202


def test_a_repeated_call_id_is_stored_once(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway)
    rec = record_dir()
    gw.deploy("rec", env_process=f"sh -c 'echo $Http_X_Call_Id >> {rec}/calls; cat'")
    cb = callbacks()
    for _ in range(3):
        r = post_async(gw, "rec", b"x", headers={"X-Call-Id": "same", "X-Callback-Url": cb.url})
        assert r.status_code == 202
    assert r.headers.get("X-Duplicate") == "true"
    post_async(gw, "rec", b"x", headers={"X-Call-Id": "last", "X-Callback-Url": cb.url})
    queue_worker(srv, gw, max_inflight=1)  # one at a time: "last" runs after "same"
    cb.wait(2)
    assert sorted(lines(f"{rec}/calls")) == ["last", "same"]
    assert sorted(cb.ids()) == ["last", "same"]


# --- retries and dead letters -----------------------------------------------------

FLAKY = "sh -c 'n=$(cat {d}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > {d}/n; " \
        "[ $n -gt {fails} ] || exit 1; echo ok-$n'"


def test_retries_then_success(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway)
    rec = record_dir()
    gw.deploy("flaky", env_process=FLAKY.format(d=rec, fails=2),
              annotations={"com.openfaas.retry.attempts": "5",
                           "com.openfaas.retry.min_wait": "50ms"})
    w = queue_worker(srv, gw)
    cb = callbacks()
    assert post_async(gw, "flaky", b"x", headers={"X-Callback-Url": cb.url}).status_code == 202
    got = cb.wait(1)[0]
    assert got["headers"]["X-Function-Status"] == "200"
    assert got["body"].strip() == b"ok-3"
    assert got["headers"]["X-Retry"] == "3"
    assert worker_metric(w, "queue_retries_total", function_name="flaky.openfaas-fn") == 2
    nc = NatsClient(srv.nats_url)
    assert nc.stream_info("faas-dead-letter")["state"]["messages"] == 0
    nc.close()


def test_exhausted_retries_go_to_the_dead_letter_subject(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway)
    gw.deploy("broken", env_process="sh -c 'echo broken; exit 1'",
              annotations={"com.openfaas.retry.attempts": "3",
                           "com.openfaas.retry.min_wait": "50ms"})
    w = queue_worker(srv, gw)
    cb = callbacks()
    r = post_async(gw, "broken", b"the original", path="/p?q=1",
                   headers={"X-Callback-Url": cb.url, "X-Custom": "v"})
    call_id = r.headers["X-Call-Id"]
    got = cb.wait(1)[0]  # the caller still learns the outcome
    assert got["headers"]["X-Function-Status"] == "500"
    assert got["headers"]["X-Retry"] == "3"
    wait_for(lambda: worker_metric(w, "queue_dead_letters_total",
                                   function_name="broken.openfaas-fn") == 1, 10,
             what="a dead letter")
    nc = NatsClient(srv.nats_url)
    dead = nc.stream_messages("faas-dead-letter")
    assert len(dead) == 1
    hdrs, data = dead[0]
    assert data == b"the original"
    assert hdrs["X-Call-Id"] == call_id
    assert hdrs["X-Custom"] == "v" and hdrs["Faasbus-Path"] == "/p" and hdrs["Faasbus-Query"] == "q=1"
    assert hdrs["X-Function-Status"] == "500" and hdrs["X-Attempts"] == "3"
    assert "after 3 attempts" in hdrs["Faasbus-Reason"]
    # Nothing left to run: the call is finished, not lost.
    wait_for(lambda: nc.stream_info("faas-request")["state"]["messages"] == 0, 10,
             what="the call to leave the queue")
    nc.close()


def test_non_retryable_status_is_final_at_once(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway)
    port = free_port()
    from test_gateway_invoke import deploy_http
    deploy_http(gw, "status")
    gw.wait_available("status", 1)
    w = queue_worker(srv, gw)
    cb = callbacks()
    post_async(gw, "status", path="/status?code=404", headers={"X-Callback-Url": cb.url})
    got = cb.wait(1)[0]
    assert got["headers"]["X-Function-Status"] == "404"
    assert got["headers"]["X-Retry"] == "1"
    assert worker_metric(w, "queue_retries_total", function_name="status.openfaas-fn") is None
    del port


def test_a_failing_callback_endpoint_is_retried(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    queue_worker(srv, gw)
    cb = callbacks(fail_first=2)
    post_async(gw, "echo", b"hi", headers={"X-Callback-Url": cb.url})
    got = cb.wait(1)[0]
    assert got["body"] == b"hi"


def test_an_unreachable_callback_is_dead_lettered(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    w = queue_worker(srv, gw, callback_attempts=2)
    post_async(gw, "echo", b"hi", headers={"X-Callback-Url": f"http://127.0.0.1:{free_port()}/"})
    wait_for(lambda: worker_metric(w, "queue_dead_letters_total",
                                   function_name="echo.openfaas-fn") == 1, 15,
             what="a dead letter")
    nc = NatsClient(srv.nats_url)
    (hdrs, data), = nc.stream_messages("faas-dead-letter")
    assert data == b"hi" and "callback" in hdrs["Faasbus-Reason"]
    nc.close()


# --- workers, crashes and restarts ---------------------------------------------------

def enqueue_many(gw, name, ids, callback):
    """Posts one call per id, 16 at a time; every one must get 202."""
    def one(i):
        return post_async(gw, name, f"body-{i}".encode(),
                          headers={"X-Call-Id": i, "X-Callback-Url": callback}).status_code
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(one, ids))
    assert codes == [202] * len(ids)


def test_two_workers_share_the_load(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway)
    gw.deploy("slow", env_process="sh -c 'sleep 0.2; cat'")
    gw.scale("slow", 2)
    gw.wait_available("slow", 2)
    w1 = queue_worker(srv, gw, max_inflight=2)
    w2 = queue_worker(srv, gw, max_inflight=2)
    cb = callbacks()
    ids = [f"c{i}" for i in range(24)]
    enqueue_many(gw, "slow", ids, cb.url)
    cb.wait(24)
    done = [worker_metric(w, "queue_processed_total", function_name="slow.openfaas-fn",
                          code="200", outcome="done") or 0 for w in (w1, w2)]
    assert sum(done) == 24 and min(done) >= 4, done  # both took a real share
    assert sorted(cb.ids()) == sorted(ids)


def test_kill9_of_a_worker_mid_call_hands_the_call_to_another(nats, gateway, queue_worker,
                                                              callbacks):
    srv, gw = stack(nats, gateway)
    rec = record_dir()
    gw.deploy("slow", env_process=f"sh -c 'echo $Http_X_Call_Id >> {rec}/calls; sleep 1; cat'")
    w1 = queue_worker(srv, gw, ack_wait="2s")
    cb = callbacks()
    post_async(gw, "slow", b"payload", headers={"X-Call-Id": "mid", "X-Callback-Url": cb.url})
    wait_for(lambda: lines(f"{rec}/calls") == ["mid"], 10, what="the call to start")
    w1.proc.kill()  # SIGKILL: no nak, no ack
    w1.proc.wait()
    queue_worker(srv, gw, ack_wait="2s")
    got = cb.wait(1, timeout=20)[0]  # redelivered once the dead worker's lease ran out
    assert got["body"] == b"payload" and got["headers"]["X-Call-Id"] == "mid"
    assert got["headers"]["X-Retry"] == "2"
    assert lines(f"{rec}/calls") == ["mid", "mid"]


def test_kill9_of_nats_with_1000_queued_calls_loses_none(nats, gateway, queue_worker,
                                                         callbacks):
    srv, gw = stack(nats, gateway)
    gw.deploy("echo", env_process="cat")
    gw.scale("echo", 2)
    gw.wait_available("echo", 2)
    cb = callbacks()
    ids = [f"n{i}" for i in range(1000)]
    enqueue_many(gw, "echo", ids, cb.url)  # all stored (202) before any worker runs
    queue_worker(srv, gw, max_inflight=8, ack_wait="3s")
    wait_for(lambda: cb.count() >= 150, 60, what="the first callbacks")
    srv.proc.kill()  # SIGKILL mid-stream, with most calls still queued
    srv.proc.wait()
    time.sleep(0.5)
    srv.start()  # same port, same store
    wait_for(lambda: set(ids) <= set(cb.ids()), 120, interval=0.2,
             what=f"every call answered (have {len(set(cb.ids()))} of 1000)")
    received = cb.ids()
    assert set(received) == set(ids)  # every call answered, none lost
    # Duplicates come from calls in flight at the crash and from acks the
    # killed server had not yet written to its consumer state; never a replay
    # of the whole queue.
    assert len(received) - len(set(received)) <= 200, len(received) - len(set(received))


def test_a_call_slower_than_ack_wait_runs_once(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway, env={"upstream_timeout": "30s"})
    rec = record_dir()
    gw.deploy("slow", env_process=f"sh -c 'echo $Http_X_Call_Id >> {rec}/calls; sleep 3.5; cat'",
              envVars={"exec_timeout": "20s", "write_timeout": "20s"})
    w = queue_worker(srv, gw, ack_wait="1s")
    queue_worker(srv, gw, ack_wait="1s")  # a second worker ready to take a redelivery
    cb = callbacks()
    post_async(gw, "slow", b"x", headers={"X-Call-Id": "long", "X-Callback-Url": cb.url})
    got = cb.wait(1, timeout=30)[0]
    assert got["headers"]["X-Function-Status"] == "200"
    assert got["headers"]["X-Retry"] == "1"  # the first delivery finished it
    assert lines(f"{rec}/calls") == ["long"]
    nc = NatsClient(srv.nats_url)
    wait_for(lambda: nc.stream_info("faas-request")["state"]["messages"] == 0, 10,
             what="the call to be acknowledged")
    nc.close()
    del w


def test_sigterm_finishes_calls_in_progress(nats, gateway, queue_worker, callbacks):
    srv, gw = stack(nats, gateway)
    rec = record_dir()
    gw.deploy("slow", env_process=f"sh -c 'echo $Http_X_Call_Id >> {rec}/calls; sleep 1; cat'")
    gw.scale("slow", 3)
    gw.wait_available("slow", 3)
    w = queue_worker(srv, gw, max_inflight=3)
    cb = callbacks()
    enqueue_many(gw, "slow", ["a", "b", "c"], cb.url)
    wait_for(lambda: len(lines(f"{rec}/calls")) == 3, 10, what="three calls running")
    w.send(signal.SIGTERM)
    assert w.proc.wait(15 * SLOW) == 0
    assert sorted(cb.ids()) == ["a", "b", "c"]  # finished before it left
    assert "finishing 3 in progress" in w.text()


def test_sigterm_past_the_drain_deadline_hands_calls_back(nats, gateway, queue_worker,
                                                          callbacks):
    srv, gw = stack(nats, gateway)
    rec = record_dir()
    gw.deploy("slow", env_process=f"sh -c 'echo $Http_X_Call_Id >> {rec}/calls; sleep 2; cat'")
    w = queue_worker(srv, gw, drain_timeout="300ms")
    cb = callbacks()
    post_async(gw, "slow", b"x", headers={"X-Call-Id": "late", "X-Callback-Url": cb.url})
    wait_for(lambda: lines(f"{rec}/calls") == ["late"], 10, what="the call to start")
    w.send(signal.SIGTERM)
    assert w.proc.wait(10 * SLOW) == 0
    assert "handed back to the queue" in w.text()
    queue_worker(srv, gw)
    got = cb.wait(1, timeout=20)[0]  # the nak made it available at once
    assert got["headers"]["X-Call-Id"] == "late"


# --- the worker itself ------------------------------------------------------------------

def test_worker_health_follows_nats(nats, gateway, queue_worker):
    srv, gw = stack(nats, gateway)
    w = queue_worker(srv, gw)
    srv.stop()
    wait_for(lambda: requests.get(w.url + "/healthz", timeout=2).status_code == 503, 10,
             what="/healthz 503")
    assert "unreachable" in requests.get(w.url + "/healthz", timeout=2).text
    srv.start()
    wait_for(lambda: requests.get(w.url + "/healthz", timeout=2).status_code == 200, 15,
             what="/healthz 200 again")


def test_worker_starts_before_nats_and_catches_up(nats, gateway, queue_worker, callbacks):
    from conftest import NatsServer
    import pathlib
    srv = NatsServer(pathlib.Path(tempfile.mkdtemp()), "late")
    gw = gateway(env={"nats_url": srv.nats_url})
    gw.deploy("echo", env_process="cat")
    w = queue_worker(srv, gw, wait=False)
    w.wait_log("unreachable", timeout=10)
    srv.start()
    try:
        wait_for(lambda: requests.get(w.url + "/healthz", timeout=2).status_code == 200, 15,
                 what="the worker to subscribe")
        cb = callbacks()
        wait_for(lambda: post_async(gw, "echo", b"x",
                                    headers={"X-Callback-Url": cb.url}).status_code == 202, 10,
                 what="the gateway to store a call")
        assert cb.wait(1)[0]["body"] == b"x"
    finally:
        w.stop()
        srv.stop()


def test_bad_worker_settings_are_clear_errors(tmp_path):
    import subprocess
    from conftest import BIN
    exe = os.path.join(BIN, "faasbus-queue-worker")
    conf = tmp_path / "qw.conf"
    conf.write_text('max_inflight = 16;\nmax_inflite = 3;\n')
    out = subprocess.run([exe, "-c", str(conf)], capture_output=True, text=True, timeout=10)
    assert out.returncode == 2 and "max_inflite" in out.stderr and ":2" in out.stderr
    out = subprocess.run([exe], capture_output=True, text=True, timeout=10,
                         env=dict(os.environ, retry_codes="5xx"))
    assert out.returncode == 2 and "5xx" in out.stderr
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and "ack_wait" in out.stdout and "callback_attempts" in out.stdout


def test_sample_configs_load(tmp_path):
    import subprocess
    from conftest import BIN, ROOT
    for exe, conf in [("faasbus-queue-worker", "queue-worker.conf"),
                      ("faasbus-gateway", "gateway.conf")]:
        out = subprocess.run([os.path.join(BIN, exe), "-c", os.path.join(ROOT, "config", conf),
                              "--print-config"], capture_output=True, text=True, timeout=10)
        assert out.returncode == 0, (conf, out.stderr)
        assert "nats_url" in out.stdout
