"""HTTP plumbing of the stand-in API server: reading requests (with
Content-Length or chunked bodies) and writing answers as a real
kube-apiserver (a Go net/http server) does: Content-Length for a small
body, Transfer-Encoding: chunked once it is over 2 KiB or streamed."""
import email.utils
import json
import uuid
from http.server import BaseHTTPRequestHandler

GO_BUFFER = 2048  # net/http chunks a body it cannot buffer whole


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

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

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")

    def send_json(self, code, body, extra=None):
        data = json.dumps(body, separators=(",", ":")).encode() + b"\n"
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
