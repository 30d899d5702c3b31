"""pods/{name}/log of the stand-in: the captured output of a pod's
container as text/plain, chunked, one chunk per line, with the options of
a real server (container, previous, tailLines, sinceSeconds, sinceTime,
timestamps, limitBytes, follow: held open, new lines streamed as they
come, ended when the container stops)."""
import time

import k8s_errors as E
from k8s_pods import parse_time, ts_text
from k8s_resources import BY_PLURAL


def _runner(kubelet, ns, name):
    with kubelet.lock:
        return next((r for r in kubelet.runners.values() if (r.ns, r.name) == (ns, name)), None)


def _pick(kubelet, ns, name, q):
    pod = kubelet.store.get("pods", ns, name)
    if pod is None:
        raise E.not_found(BY_PLURAL["pods"], name)
    names = [c["name"] for c in pod["spec"].get("containers") or []]
    want = q.get("container")
    if want is None and len(names) > 1:
        raise E.bad_request(f"a container name must be specified for pod {name}, choose one "
                            f"of: [{' '.join(names)}]")
    want = want or names[0]
    if want not in names:
        raise E.bad_request(f"container {want} is not valid for pod {name}")
    runner = _runner(kubelet, ns, name)
    if q.get("previous") in ("true", "1"):
        if runner is None or runner.previous is None:
            raise E.bad_request(f'previous terminated container "{want}" in pod "{name}" '
                                "not found")
        return runner.previous
    if runner is None or runner.log is None:
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        reason = "ContainerCreating"
        for s in statuses:
            reason = (s.get("state") or {}).get("waiting", {}).get("reason", reason)
        raise E.bad_request(f'container "{want}" in pod "{name}" is waiting to start: {reason}')
    return runner.log


def _int(q, key):
    try:
        return int(q[key]) if q.get(key) not in (None, "") else None
    except ValueError:
        raise E.bad_request(f"{key}: invalid value {q[key]!r}") from None


def serve_log(kubelet, handler, ns, name, q):
    log = _pick(kubelet, ns, name, q)
    tail, since, limit = _int(q, "tailLines"), _int(q, "sinceSeconds"), _int(q, "limitBytes")
    since_time = None
    if q.get("sinceTime"):
        try:
            since_time = parse_time(q["sinceTime"])
        except ValueError:
            raise E.bad_request(f'sinceTime: invalid value "{q["sinceTime"]}"') from None
    if since is not None:
        since_time = max(since_time or 0, time.time() - since)
    stamps = q.get("timestamps") in ("true", "1")
    follow = q.get("follow") in ("true", "1")
    with log.cond:
        lines = [ln for ln in log.lines if since_time is None or ln[0] >= since_time]
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        pos = len(log.lines)
    handler.start(200, "text/plain")
    sent = 0
    for t, text in lines:
        sent += _send(handler, t, text, stamps)
        if limit is not None and sent >= limit:
            handler.end_chunks()
            return None
    while follow:
        with log.cond:
            if pos == len(log.lines) and not log.done:
                log.cond.wait(0.5)
            new = log.lines[pos:]
            pos = len(log.lines)
            done = log.done
        for t, text in new:
            sent += _send(handler, t, text, stamps)
        if done and not new:
            break
        if not new and handler.client_gone():
            return None
    handler.end_chunks()
    return None


def _send(handler, t, text, stamps):
    line = f"{ts_text(t)} {text}" if stamps else text
    handler.chunk(line)
    return len(line.encode())
