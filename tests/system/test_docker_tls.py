"""The docker driver on an engine that listens on TCP with TLS, as the
Docker CLI names the files (DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem;
DOCKER_TLS_VERIFY)."""
import os
import subprocess

import pytest

from conftest import Gateway, BIN, SLOW, gateway_up, wait_for
from docker_util import TEST_IMAGE, Engine, build_images

pytestmark = pytest.mark.xdist_group("docker")
TLS_PORT = 2376  # in the engine's own network namespace


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certs(d):
    """A CA, a server certificate for 127.0.0.1, a client certificate."""
    os.makedirs(d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out",
            "ca.pem", "-days", "1", "-subj", "/CN=faasbus-test-ca", cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}-key.pem", "-out",
                f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(ext)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-days", "1", "-extfile", f"{name}.ext", "-out",
                f"{name}-cert.pem", cwd=d)
    os.rename(os.path.join(d, "client-cert.pem"), os.path.join(d, "cert.pem"))
    os.rename(os.path.join(d, "client-key.pem"), os.path.join(d, "key.pem"))


@pytest.fixture(scope="module")
def tls_engine(docker_engine, tmp_path_factory):
    # docker_engine first: it skips, saying why, when no engine can run.
    certs = str(tmp_path_factory.mktemp("tls") / "certs")
    make_certs(certs)
    engine = Engine(["--tlsverify", f"--tlscacert={certs}/ca.pem",
                     f"--tlscert={certs}/server-cert.pem", f"--tlskey={certs}/server-key.pem",
                     f"--host=tcp://127.0.0.1:{TLS_PORT}"])
    try:
        assert engine.start(), engine.text()[-2000:]
        build_images(engine)
        engine.certs = certs
        yield engine
    finally:
        engine.remove_containers()
        engine.close()


def start_gateway(engine, tmp_path, env):
    full = {"state_dir": str(tmp_path / "state"), "nats_url": "", "driver": "docker",
            "docker_host": f"tcp://127.0.0.1:{TLS_PORT}", "health_interval": "200ms",
            "log_level": "info"}
    full.update(env)
    gw = Gateway(["nsenter", f"--net=/proc/{engine.pid}/ns/net",
                  os.path.join(BIN, "faasbus-gateway")], full, str(tmp_path / "gateway.log"))
    gw.start()
    wait_for(lambda: gateway_up(gw), 15, what="gateway")
    return gw


def test_functions_run_on_an_engine_reached_over_tls(tls_engine, tmp_path):
    gw = start_gateway(tls_engine, tmp_path, {"docker_cert_path": tls_engine.certs,
                                              "docker_tls_verify": "true"})
    try:
        gw.deploy("secure", image=TEST_IMAGE, env_process="cat")
        gw.wait_available("secure", 1, timeout=60)
        assert gw.call("secure", data=b"over tls").text == "over tls"
    finally:
        assert gw.stop() == 0
        gw.assert_clean()


def test_without_the_certificates_the_engine_refuses_and_the_deploy_fails(tls_engine, tmp_path):
    gw = start_gateway(tls_engine, tmp_path, {})
    try:
        r = gw.deploy("plainly", image=TEST_IMAGE, env_process="cat", expect=503)
        assert "cannot inspect" in r.text or "unreachable" in r.text, r.text
        assert gw.status("plainly") is None
    finally:
        assert gw.stop() == 0
        gw.assert_clean()
