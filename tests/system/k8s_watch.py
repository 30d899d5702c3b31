"""Watch streams of the stand-in: chunked NDJSON events (ADDED, MODIFIED,
DELETED, BOOKMARK, ERROR) as a real server sends them. From
resourceVersion N the stream replays every later change; without one (or
"0") it begins with an ADDED event per current object. A resourceVersion
older than the store's history gets one ERROR event with a 410 Expired
Status, and the stream ends. An object that stops matching the selectors
is seen DELETED, one that starts matching ADDED."""
import json
import socket
import time

import k8s_errors as E
from k8s_select import parse_fields, parse_labels

TICK = 0.25


def _line(ev_type, obj):
    return json.dumps({"type": ev_type, "object": obj}, separators=(",", ":")) + "\n"


class Filter:
    def __init__(self, req):
        q = req.query
        self.plural, self.ns = req.res.plural, req.ns
        self.labels = parse_labels(q.get("labelSelector", ""))
        self.fields = parse_fields(q.get("fieldSelector", ""), req.res.kind)
        self.name = req.name

    def match(self, obj):
        if obj is None:
            return False
        meta = obj["metadata"]
        if self.name and meta["name"] != self.name:
            return False
        return self.labels(meta.get("labels")) and self.fields(obj)

    def translate(self, ev):
        """The (type, object) a watcher of this filter sees, or None."""
        if ev.plural != self.plural or (self.ns and ev.ns != self.ns):
            return None
        now = self.match(ev.new)
        if ev.type == "ADDED":
            return ("ADDED", ev.new) if now else None
        if ev.type == "DELETED":
            return ("DELETED", ev.new) if now else None
        before = self.match(ev.old)
        if before and now:
            return ("MODIFIED", ev.new)
        if now:
            return ("ADDED", ev.new)
        if before:
            return ("DELETED", ev.new)
        return None


def _start_position(handler, cluster, req, flt):
    """(position, initial events) or raises for a bad resourceVersion."""
    store = cluster.store
    text = req.query.get("resourceVersion", "")
    with store.cond:
        if text in ("", "0"):
            items, _ = store.list(flt.plural, flt.ns)
            initial = [o for o in items if flt.match(o)]
            return store.base + len(store.history), initial
        try:
            rv = int(text)
        except ValueError:
            raise E.ApiError(400, "BadRequest", f'invalid resource version "{text}"') from None
        return store.position_after(rv), []


def serve_watch(handler, cluster, req):
    store = cluster.store
    flt = Filter(req)
    pos, initial = _start_position(handler, cluster, req, flt)
    handler.start(200)
    try:
        handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    if pos is None:
        status = E.expired(f"too old resource version: {req.query['resourceVersion']} "
                           f"({store.compacted + 1})").status()
        handler.chunk(_line("ERROR", status))
        handler.end_chunks()
        return
    for obj in initial:
        handler.chunk(_line("ADDED", obj))
    _stream(handler, cluster, req, flt, pos)


def _stream(handler, cluster, req, flt, pos):
    store = cluster.store
    q = req.query
    bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
    timeout = float(q.get("timeoutSeconds") or 0)
    deadline = time.monotonic() + timeout if timeout else None
    interval = cluster.args.bookmark_interval
    next_bookmark = time.monotonic() + interval
    with store.cond:
        drop_epoch, bm_epoch = store.drop_epoch, store.bookmark_epoch
    while True:
        with store.cond:
            evs, nxt = store.events_from(pos)
            if evs == [] and store.drop_epoch == drop_epoch and store.bookmark_epoch == bm_epoch:
                store.cond.wait(TICK)
                evs, nxt = store.events_from(pos)
            dropped = store.drop_epoch != drop_epoch
            forced = store.bookmark_epoch != bm_epoch
            bm_epoch = store.bookmark_epoch
            current_rv = store.rv
        if dropped:
            _drop(handler)
            return
        if evs is None:  # fell behind the history kept
            status = E.expired("The resourceVersion for the provided watch is too old.").status()
            handler.chunk(_line("ERROR", status))
            handler.end_chunks()
            return
        for ev in evs:
            seen = flt.translate(ev)
            if seen:
                handler.chunk(_line(*seen))
        pos = nxt
        now = time.monotonic()
        if bookmarks and (forced or now >= next_bookmark):
            mark = {"kind": req.res.kind, "apiVersion": req.res.api_version,
                    "metadata": {"resourceVersion": str(current_rv), "creationTimestamp": None}}
            handler.chunk(_line("BOOKMARK", mark))
            next_bookmark = now + interval
        if deadline and now >= deadline:
            handler.end_chunks()
            return
        if not evs and handler.client_gone():
            handler.close_connection = True
            return


def _drop(handler):
    """Cuts the connection without ending the stream, as a lost link does."""
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
