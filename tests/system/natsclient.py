"""A minimal NATS client over a plain socket (the text protocol), so tests
check what our daemons stored in JetStream with code that shares nothing
with them. Debian has no Python NATS package."""
import base64
import json
import socket
import time


class NatsClient:
    def __init__(self, url, timeout=5, **connect):
        host, port = url.replace("nats://", "").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        # Requests are small writes answered at once: without this, delayed
        # ACKs cost 40 ms each.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.sid = 0
        info = self._line()
        assert info.startswith(b"INFO "), info
        # connect: more CONNECT fields, e.g. auth_token="..." or user=, pass=
        fields = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True}
        fields.update(connect)
        self._send(b"CONNECT " + json.dumps(fields).encode() + b"\r\n")
        self.ping()

    def close(self):
        self.sock.close()

    def _send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("NATS server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def ping(self):
        self._send(b"PING\r\n")
        while True:
            line = self._line()
            if line == b"PONG":
                return
            if line == b"PING":
                self._send(b"PONG\r\n")

    def subscribe(self, subject, queue=None):
        self.sid += 1
        q = f" {queue}" if queue else ""
        self._send(f"SUB {subject}{q} {self.sid}\r\n".encode())
        self.ping()
        return self.sid

    def publish(self, subject, payload=b"", headers=None, reply=None):
        r = f" {reply}" if reply else ""
        if headers:
            hdr = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            hdr = hdr.encode()
            self._send(f"HPUB {subject}{r} {len(hdr)} {len(hdr) + len(payload)}\r\n".encode()
                       + hdr + payload + b"\r\n")
        else:
            self._send(f"PUB {subject}{r} {len(payload)}\r\n".encode() + payload + b"\r\n")

    def next_msg(self, timeout=5):
        """(subject, headers dict, payload) of the next message."""
        self.sock.settimeout(timeout)
        while True:
            line = self._line()
            if line == b"PING":
                self._send(b"PONG\r\n")
                continue
            if line.startswith(b"MSG "):
                parts = line.split()
                data = self._exact(int(parts[-1]))
                return parts[1].decode(), {}, data
            if line.startswith(b"HMSG "):
                parts = line.split()
                hlen, total = int(parts[-2]), int(parts[-1])
                data = self._exact(total)
                return parts[1].decode(), parse_headers(data[:hlen]), data[hlen:]
            if line.startswith(b"-ERR"):
                raise AssertionError(line.decode())

    def request(self, subject, payload=b"", timeout=5, headers=None):
        inbox = f"_INBOX.t{time.monotonic_ns()}"
        sid = self.subscribe(inbox)
        self.publish(subject, payload, reply=inbox, headers=headers)
        try:
            return self.next_msg(timeout)
        finally:
            self.unsubscribe(sid)

    def unsubscribe(self, sid):
        self._send(f"UNSUB {sid}\r\n".encode())

    def js_publish(self, subject, payload=b"", headers=None):
        """Publishes into a stream and waits for its acknowledgement."""
        _, _, data = self.request(subject, payload, headers=headers)
        ack = json.loads(data)
        assert "error" not in ack, ack
        return ack

    def collect(self, count, timeout=30):
        """The next `count` messages [(subject, headers, payload)]; fewer
        if `timeout` seconds pass without one."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            try:
                out.append(self.next_msg(max(0.1, deadline - time.monotonic())))
            except (socket.timeout, TimeoutError):
                break
        return out

    def js_api(self, what, body=None):
        _, _, data = self.request(f"$JS.API.{what}", json.dumps(body or {}).encode())
        return json.loads(data)

    def create_stream(self, name, subjects, **extra):
        """A file-backed stream capturing `subjects` (a list)."""
        body = {"name": name, "subjects": subjects, "storage": "file"}
        body.update(extra)
        r = self.js_api(f"STREAM.CREATE.{name}", body)
        assert "error" not in r, r
        return r

    def stream_info(self, stream):
        return self.js_api(f"STREAM.INFO.{stream}")

    def stream_messages(self, stream):
        """Every message stored in a stream: [(headers, data)]."""
        info = self.stream_info(stream)
        if "error" in info:
            return []
        out = []
        first, last = info["state"]["first_seq"], info["state"]["last_seq"]
        for seq in range(first, last + 1):
            r = self.js_api(f"STREAM.MSG.GET.{stream}", {"seq": seq})
            if "message" not in r:
                continue
            m = r["message"]
            hdrs = parse_headers(base64.b64decode(m["hdrs"])) if m.get("hdrs") else {}
            out.append((hdrs, base64.b64decode(m.get("data", ""))))
        return out


def parse_headers(raw):
    """NATS/1.0 header block -> {name: value} (last value wins)."""
    out = {}
    for line in raw.decode("utf-8", "replace").split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out
