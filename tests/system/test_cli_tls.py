"""--tls-no-verify: a gateway behind TLS with a self-signed certificate is
refused unless the user says so explicitly."""
import http.server
import os
import shutil
import ssl
import subprocess
import threading

import pytest

from cli_util import cli  # noqa: F401 (fixture)


class FakeGatewayTLS(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"[]" if self.path.startswith("/system/functions") else b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tls_server(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("no openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeGatewayTLS)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"https://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_self_signed_gateway_needs_tls_no_verify(tls_server, cli):
    r = cli("list", "-g", tls_server, check=1)
    assert "cannot reach the gateway" in r.err and "certificate" in r.err.lower()
    r = cli("list", "-g", tls_server, "--tls-no-verify", "-o", "json", check=0)
    assert r.out.strip() == "[]"
