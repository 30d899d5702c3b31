"""NATS with authentication: a real nats-server asking for a user and
password, a token, or TLS with client certificates, and the gateway, the
queue worker and the connector proving who they are with the nats_*
settings (secrets from files, as Kubernetes mounts them)."""
import os
import subprocess

import requests

from conftest import BIN, SLOW, wait_for
from connector_util import CONNECTOR, connector  # noqa: F401 (fixture)
from natsclient import NatsClient
from queue_util import callbacks, queue_worker  # noqa: F401 (fixtures)


def secret_file(tmp_path, name, value):
    p = tmp_path / name
    p.write_text(value + "\n")
    return str(p)


def async_round_trip(gw, srv, queue_worker, callbacks, **creds):
    """An async call stored by gw, run by a worker with creds, called back."""
    gw.deploy("upper", env_process="tr a-z A-Z")
    gw.wait_available("upper", 1)
    queue_worker(srv, gw, **creds)
    cb = callbacks()

    def queued():
        r = requests.post(f"{gw.url}/async-function/upper", data=b"later",
                          headers={"X-Callback-Url": cb.url}, timeout=10 * SLOW)
        assert r.status_code in (202, 503), r.text
        return r.status_code == 202
    wait_for(queued, 15, interval=0.2, what="the gateway queueing through NATS")
    assert cb.wait(1)[0]["body"] == b"LATER"


def test_user_and_password_from_a_file(tmp_path, nats, gateway, queue_worker, callbacks):
    srv = nats(extra='authorization { user: "fb", password: "pa55 word" }\n')
    creds = {"nats_user": "fb",
             "nats_password_FILE": secret_file(tmp_path, "pw", "pa55 word")}
    gw = gateway(env={"nats_url": srv.nats_url, **creds})
    async_round_trip(gw, srv, queue_worker, callbacks, **creds)


def test_without_credentials_the_gateway_says_why_it_cannot_queue(nats, gateway):
    srv = nats(extra='authorization { user: "fb", password: "right" }\n')
    gw = gateway(env={"nats_url": srv.nats_url, "nats_user": "fb", "nats_password": "wrong"})
    gw.deploy("upper", env_process="tr a-z A-Z")
    r = requests.post(f"{gw.url}/async-function/upper", data=b"x", timeout=10 * SLOW)
    assert r.status_code == 503 and "Authorization Violation" in r.text, r.text
    assert "Authorization Violation" in gw.text()


def make_pki(d):
    """A CA, a server certificate for 127.0.0.1 and a client certificate."""
    def ssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
        "-keyout", "ca.key", "-out", "ca.pem")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for who in ("server", "client"):
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={who}",
            "-keyout", f"{who}.key", "-out", f"{who}.csr")
        ssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", f"{who}.pem")
    return {k: str(d / v) for k, v in {"ca": "ca.pem", "cert": "client.pem",
                                       "key": "client.key"}.items()}


def test_tls_with_a_client_certificate(tmp_path, nats, gateway, queue_worker, callbacks):
    pki = make_pki(tmp_path)
    srv = nats(extra=f'tls {{\n cert_file: "{tmp_path}/server.pem"\n'
                     f' key_file: "{tmp_path}/server.key"\n ca_file: "{pki["ca"]}"\n'
                     f' verify: true\n}}\n')
    creds = {"nats_tls_ca": pki["ca"], "nats_tls_cert": pki["cert"],
             "nats_tls_key": pki["key"]}
    gw = gateway(env={"nats_url": srv.nats_url, **creds})
    async_round_trip(gw, srv, queue_worker, callbacks, **creds)


def test_the_connector_with_a_token(tmp_path, nats, gateway, connector):
    srv = nats(extra='authorization { token: "t0k3n" }\n')
    gw = gateway()
    gw.deploy("upper", env_process="tr a-z A-Z",
              annotations={"topic": "nats:jobs.upper", "reply-topic": "nats:done.upper"})
    connector(gw, None, env={"nats_url": srv.nats_url, "subjects": "jobs.*",
                             "nats_token_FILE": secret_file(tmp_path, "tok", "t0k3n")})
    sub = NatsClient(srv.nats_url, auth_token="t0k3n")
    sub.subscribe("done.>")
    pub = NatsClient(srv.nats_url, auth_token="t0k3n")
    pub.publish("jobs.upper", b"event")
    pub.ping()
    [(subject, _, payload)] = sub.collect(1, timeout=20 * SLOW)
    assert (subject, payload) == ("done.upper", b"EVENT")


def run_connector(env):
    full = {"PATH": os.environ["PATH"], "nats_url": "nats://127.0.0.1:1",
            "gateway_url": "http://127.0.0.1:1"}
    full.update(env)
    return subprocess.run([CONNECTOR, "--print-config"], env=full, capture_output=True,
                          text=True, timeout=10)


def test_settings_that_do_not_fit_together_are_refused_by_name():
    r = run_connector({"nats_user": "a", "nats_token": "b"})
    assert r.returncode != 0 and "nats_user, nats_token and nats_creds" in r.stderr, r.stderr
    r = run_connector({"nats_password": "p"})
    assert r.returncode != 0 and "nats_password: set without nats_user" in r.stderr, r.stderr
    r = run_connector({"nats_tls_cert": "/c.pem"})
    assert r.returncode != 0 and "nats_tls_cert: set without nats_tls_key" in r.stderr
    gw = subprocess.run([os.path.join(BIN, "faasbus-gateway"), "--print-config"],
                        env={"PATH": os.environ["PATH"], "nats_token": "b", "nats_user": "a"},
                        capture_output=True, text=True, timeout=10)
    assert gw.returncode != 0 and "nats_user, nats_token" in gw.stderr, gw.stderr


def test_printed_config_hides_the_secrets():
    r = run_connector({"nats_user": "fb", "nats_password": "do-not-show"})
    assert r.returncode == 0, r.stderr
    assert "do-not-show" not in r.stdout
    assert 'nats_password = "(hidden)"' in r.stdout and 'nats_user = "fb"' in r.stdout
