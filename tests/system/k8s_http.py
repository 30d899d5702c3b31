"""HTTP plumbing of the stand-in API server: reading requests (with
Content-Length or chunked bodies) and writing answers as a real
kube-apiserver (a Go net/http server) does: Content-Length for a small
body, Transfer-Encoding: chunked once it is over 2 KiB or streamed, and gzip (when the client takes it)
once it is over 128 KiB."""
import email.utils
import gzip
import json
import select
import socket
import ssl
import uuid
from http.server import BaseHTTPRequestHandler

GO_BUFFER = 2048  # net/http chunks a body it cannot buffer whole
GZIP_ABOVE = 128 * 1024  # the API server compresses answers bigger than this


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle
        # and the client's delayed ACK hold every answer back 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def start(self, code, content_type="application/json", length=None, extra=None):
        """Status line and headers; chunked when length is None."""
        self.send_response_only(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", content_type)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("X-Kubernetes-Pf-Flowschema-Uid", "standin-flowschema")
        self.send_header("X-Kubernetes-Pf-Prioritylevel-Uid", "standin-prioritylevel")
        self.send_header("Date", email.utils.formatdate(usegmt=True))
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def client_gone(self):
        """True once the client of a streamed answer has hung up (it sends
        nothing while it reads a stream, so anything readable is EOF)."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            sock.setblocking(False)
            try:
                return sock.recv(1) == b""
            finally:
                sock.setblocking(True)
        except ssl.SSLWantReadError:
            return False
        except (OSError, ValueError):
            return True

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")

    def send_json(self, code, body, extra=None):
        data = json.dumps(body, separators=(",", ":")).encode() + b"\n"
        if len(data) > GZIP_ABOVE and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data, 1)
            extra = dict(extra or {}, **{"Content-Encoding": "gzip"})
            self.start(code, extra=extra)
            for i in range(0, len(data), 16384):
                self.chunk(data[i:i + 16384])
            self.end_chunks()
            return
        if self.command == "HEAD":
            self.start(code, length=len(data), extra=extra)
        elif len(data) <= GO_BUFFER:
            self.start(code, length=len(data), extra=extra)
            self.wfile.write(data)
        else:
            self.start(code, extra=extra)
            for i in range(0, len(data), 16384):
                self.chunk(data[i:i + 16384])
            self.end_chunks()
