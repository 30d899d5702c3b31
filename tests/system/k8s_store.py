"""The stand-in's object store: every object by resource, namespace and
name, one cluster-wide resourceVersion counter bumped by every write, and
the history of writes that watches replay (bounded, like the real watch
cache; expire() forgets it all, so older resourceVersions get 410).

Lock: one condition (self.cond) guards everything; writers notify it, and
watch streams wait on it."""
import copy
import threading
import time
import uuid


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Event:
    __slots__ = ("rv", "type", "plural", "ns", "old", "new")

    def __init__(self, rv, type_, plural, ns, old, new):
        self.rv, self.type, self.plural, self.ns, self.old, self.new = \
            rv, type_, plural, ns, old, new


class Store:
    def __init__(self, history_max=50000, first_rv=200):
        self.cond = threading.Condition()
        self.rv = first_rv
        self.objects = {}         # plural -> {(ns, name): obj}
        self.history = []         # Event, oldest first
        self.base = 0             # absolute index of history[0]
        self.compacted = first_rv  # watches from an older rv get 410 Expired
        self.history_max = history_max
        self.drop_epoch = 0       # bumped by drop_watches()
        self.bookmark_epoch = 0   # bumped to make every watch send a BOOKMARK
        self.hooks = []           # fn(event), called with the lock held

    # --- reads ---------------------------------------------------------------
    def get(self, plural, ns, name):
        with self.cond:
            obj = self.objects.get(plural, {}).get((ns or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, plural, ns=None):
        """Copies of the objects (of one namespace, or all), sorted as a
        real list is: by namespace, then name; and the list's rv."""
        with self.cond:
            items = [copy.deepcopy(o) for (n, _), o in sorted(self.objects.get(plural, {}).items())
                     if ns is None or n == ns]
            return items, str(self.rv)

    def scan(self, plural, ns, pred):
        """Copies of the objects of ns that pred accepts (pred sees the
        stored object: it must not change it)."""
        with self.cond:
            return [copy.deepcopy(o) for (n, _), o in self.objects.get(plural, {}).items()
                    if n == ns and pred(o)]

    # --- writes --------------------------------------------------------------
    def _record(self, type_, plural, ns, old, new):
        ev = Event(self.rv, type_, plural, ns, old, new)
        self.history.append(ev)
        if len(self.history) > self.history_max:
            drop = len(self.history) - self.history_max
            self.compacted = self.history[drop - 1].rv
            del self.history[:drop]
            self.base += drop
        for hook in self.hooks:
            hook(ev)
        self.cond.notify_all()

    def put(self, plural, obj):
        """Stores obj (created or replaced), stamping a new resourceVersion;
        returns a copy of what is stored."""
        with self.cond:
            meta = obj["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            bucket = self.objects.setdefault(plural, {})
            old = bucket.get(key)
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            stored = copy.deepcopy(obj)
            bucket[key] = stored
            self._record("ADDED" if old is None else "MODIFIED", plural, key[0], old, stored)
            return copy.deepcopy(stored)

    def remove(self, plural, ns, name):
        """Removes the object; the DELETED event carries it with the
        deletion's resourceVersion. Returns it, or None."""
        with self.cond:
            bucket = self.objects.get(plural, {})
            old = bucket.pop((ns or "", name), None)
            if old is None:
                return None
            self.rv += 1
            gone = copy.deepcopy(old)
            gone["metadata"]["resourceVersion"] = str(self.rv)
            self._record("DELETED", plural, ns or "", old, gone)
            return copy.deepcopy(gone)

    # --- watch support ---------------------------------------------------------
    def position_after(self, rv):
        """The absolute history index of the first event newer than rv, or
        None when rv is older than what the history still holds."""
        with self.cond:
            if rv < self.compacted:
                return None
            for i, ev in enumerate(self.history):
                if ev.rv > rv:
                    return self.base + i
            return self.base + len(self.history)

    def events_from(self, pos):
        """(events from absolute index pos, next pos), or (None, pos) when
        they have been forgotten."""
        with self.cond:
            if pos < self.base:
                return None, pos
            evs = self.history[pos - self.base:]
            return evs, self.base + len(self.history)

    def expire(self):
        """Forgets the history: every resourceVersion a client holds is now
        too old to watch from. The counter moves on first, as it always has
        on a real cluster by the time its history is compacted (leases and
        events write all the time), so even the newest rv gets 410."""
        with self.cond:
            self.rv += 1
            self.base += len(self.history)
            self.history = []
            self.compacted = self.rv
            self.cond.notify_all()

    def drop_watches(self):
        with self.cond:
            self.drop_epoch += 1
            self.cond.notify_all()

    def send_bookmarks(self):
        with self.cond:
            self.bookmark_epoch += 1
            self.cond.notify_all()


def new_uid():
    return str(uuid.uuid4())
