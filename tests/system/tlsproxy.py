"""A TLS terminator in front of a plain HTTP daemon, as an ingress would
be: Python's ssl (OpenSSL) on one side, the daemon's port on the other,
bytes copied both ways. Its certificate is self-signed for 127.0.0.1 and
is its own CA."""
import socket
import ssl
import subprocess
import threading


def self_signed(dir_path):
    """(cert, key) paths: a certificate for IP 127.0.0.1."""
    key, cert = dir_path / "tls-key.pem", dir_path / "tls-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class TLSProxy:
    """Serves TLS on 127.0.0.1:port and hands each connection's bytes to
    127.0.0.1:upstream_port. accepted counts the TLS handshakes done."""

    def __init__(self, cert, key, upstream_port):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.upstream_port = upstream_port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.accepted = 0
        self.refused = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._connection, args=(raw,), daemon=True).start()

    def _connection(self, raw):
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.refused += 1  # the client did not trust us, or left
            raw.close()
            return
        self.accepted += 1
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            conn.close()
            return
        threading.Thread(target=_copy, args=(up, conn), daemon=True).start()
        _copy(conn, up)

    def close(self):
        self.sock.close()


def _copy(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
