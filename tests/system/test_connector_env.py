"""Configuration for containers: librdkafka properties as KAFKA_<PROPERTY>
environment variables (values from files with _FILE), checked against the
dev Kafka broker, which speaks no SASL: the connector must say that the
broker refused the SASL it was told to use."""
import subprocess

from conftest import SLOW
from connector_util import CONNECTOR, broker

__all__ = ["broker"]  # fixtures


def run(env, *args, timeout=60):
    return subprocess.run([CONNECTOR, *args], env=env, capture_output=True, text=True,
                          timeout=timeout * SLOW)


def test_sasl_properties_from_the_environment_reach_librdkafka(broker, tmp_path):
    bs = broker("-t", "env-in:1")
    password = tmp_path / "sasl-password"
    password.write_text("s3cret\n")
    env = {"brokers": bs, "connect_timeout": "3s", "port": "0",
           "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISMS": "PLAIN",
           "KAFKA_SASL_USERNAME": "app", "KAFKA_SASL_PASSWORD_FILE": str(password)}
    shown = run(env, "--print-config")
    assert shown.returncode == 0, shown.stderr
    assert 'security_protocol = "SASL_PLAINTEXT";' in shown.stdout
    assert 'sasl_username = "app";' in shown.stdout
    assert 'sasl_password = "(hidden)";' in shown.stdout and "s3cret" not in shown.stdout
    r = run(env)
    assert r.returncode != 0
    assert "sasl_plaintext://" in r.stderr
    assert "SASL Handshake not supported by broker (required by mechanism PLAIN)" in r.stderr
    # Without them the same broker is reached (the properties made the difference).
    plain = dict(env)
    for k in [k for k in plain if k.startswith("KAFKA_")]:
        del plain[k]
    assert run(plain, "--print-config").returncode == 0
    r = subprocess.Popen([CONNECTOR], env=plain, stderr=subprocess.PIPE, text=True)
    started = False
    try:
        for line in r.stderr:
            if "faasbus-connector" in line and "on port" in line:
                started = True  # past the broker check
                break
            assert "cannot reach the Kafka brokers" not in line, line
        assert started
    finally:
        r.terminate()
        r.wait(timeout=30 * SLOW)


def test_bad_kafka_variables_are_named(tmp_path):
    env = {"brokers": "127.0.0.1:1"}
    r = run(dict(env, KAFKA_NO_SUCH_PROPERTY="1"))
    assert r.returncode == 2
    assert 'KAFKA_NO_SUCH_PROPERTY (environment): No such configuration property: ' \
           '"no.such.property"' in r.stderr
    missing = tmp_path / "nope"
    r = run(dict(env, KAFKA_SASL_PASSWORD_FILE=str(missing)))
    assert r.returncode == 2
    assert f"KAFKA_SASL_PASSWORD_FILE={missing} (environment): cannot read it" in r.stderr
    r = run(dict(env, KAFKA_ENABLE_AUTO_COMMIT="true"))
    assert r.returncode == 2 and "enable.auto.commit is set by the connector" in r.stderr
