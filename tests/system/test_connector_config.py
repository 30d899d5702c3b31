"""faasbus-connector's configuration: bad settings end with a clear error
naming the file and line (or the variable), --help and --print-config
describe the settings, and brokers that cannot be reached at start are an
error too."""
import subprocess

import pytest

from conftest import SANITIZER_MARKS, SLOW, free_port
from connector_util import CONNECTOR, broker

__all__ = ["broker"]  # fixtures


def run(*args, env=None, timeout=20):
    full = {"PATH": "/usr/bin:/bin"}
    full.update(env or {})
    out = subprocess.run([CONNECTOR, *args], capture_output=True, text=True, env=full,
                         timeout=timeout * SLOW)
    for mark in SANITIZER_MARKS:
        assert mark not in out.stderr, out.stderr
    return out


@pytest.mark.parametrize("text, needle", [
    ("bogus_setting = 1;\n", ':1: unknown setting "bogus_setting"'),
    ("port = 8081;\nmax_inflight = \"lots\";\n", ":2: max_inflight: expected an integer"),
    ("rebuild_interval = true;\n", ":1: rebuild_interval: expected a duration"),
    ("initial_offset = \"oldest\";\n", ":1: initial_offset: expected one of earliest|latest"),
    ("routes = ( { topic = \"a\"; function = \"f\";\n  max-inflight = \"x\"; } );\n",
     ":2: routes: max-inflight: expected an integer"),
    ("routes = ( { topic = \"a\"; function = \"f\"; colour = \"red\"; } );\n",
     ":1: routes: colour: unknown route option"),
    ("routes = ( { function = \"f\"; } );\n", ":1: routes: a route needs topic and function"),
    ("routes = ( { topic = \"a\"; function = \"f\"; ordering = \"random\"; } );\n",
     ":1: routes: ordering: expected key, partition or none"),
    ("routes = ( { topic = \"a\"; function = \"f\"; retry-codes = \"5xx\"; } );\n",
     ":1: routes: retry-codes: expected status codes"),
    ("kafka = {\n  no_such_property = 1;\n};\n",
     ':2: kafka: no_such_property: No such configuration property'),
    ("kafka_consumer = { enable_auto_commit = true; };\n",
     ":1: kafka_consumer: enable_auto_commit: enable.auto.commit is set by the connector"),
    ("kafka = ( 1, 2 );\n", ":1: kafka: expected a group"),
    ("port = = 80;\n", ":1: syntax error"),
])
def test_bad_config_file_ends_with_an_error_at_its_line(tmp_path, text, needle):
    path = tmp_path / "connector.conf"
    path.write_text(text)
    out = run("-c", str(path), env={"brokers": "127.0.0.1:9092"})  # unreached
    assert out.returncode == 2, out.stderr
    assert f"{path}{needle}" in out.stderr, out.stderr


def test_bad_environment_value_names_the_variable():
    out = run(env={"max_inflight": "many"})
    assert out.returncode == 2
    assert 'max_inflight=many (environment): expected an integer' in out.stderr


def test_missing_credentials_file_is_an_error(tmp_path):
    out = run(env={"basic_auth_user_file": str(tmp_path / "nope")})
    assert out.returncode == 2
    assert f"cannot read {tmp_path / 'nope'}" in out.stderr


def test_an_unreadable_gateway_ca_is_an_error_at_start(tmp_path):
    out = run(env={"gateway_url": "https://gw.example:8443",
                   "gateway_tls_ca": str(tmp_path / "ca.pem")})
    assert out.returncode == 2
    assert f"gateway_tls_ca: cannot read {tmp_path / 'ca.pem'}: No such file" in out.stderr


def test_unreachable_brokers_end_with_an_error():
    port = free_port()
    out = run(env={"brokers": f"127.0.0.1:{port}", "connect_timeout": "1s",
                   "port": "0"})
    assert out.returncode == 1
    assert f"cannot reach the Kafka brokers 127.0.0.1:{port} within connect_timeout 1s" \
        in out.stderr
    assert "Connection refused" in out.stderr


def test_security_properties_pass_through_to_librdkafka(broker, tmp_path):
    """SASL against a broker without it: librdkafka takes the settings and
    the handshake fails, which ends the start with the broker's error."""
    bs = broker()
    path = tmp_path / "connector.conf"
    path.write_text('kafka = { security_protocol = "SASL_PLAINTEXT"; sasl_mechanisms = "PLAIN";\n'
                    '  sasl_username = "u"; sasl_password = "p"; };\n')
    out = run("-c", str(path), env={"brokers": bs, "connect_timeout": "2s", "port": "0"})
    assert out.returncode == 1
    assert "cannot reach the Kafka brokers" in out.stderr
    assert "SASL" in out.stderr or "Disconnected" in out.stderr, out.stderr


def test_help_lists_every_setting():
    out = run("--help")
    assert out.returncode == 0
    for name in ("gateway_url", "brokers,broker_host", "topics", "group", "initial_offset",
                 "rebuild_interval", "upstream_timeout", "content_type", "max_inflight",
                 "port", "drain_timeout", "basic_auth_user_file", "retry_attempts", "max_hops"):
        assert name in out.stdout, name


def test_print_config_reads_back_the_same(tmp_path):
    path = tmp_path / "in.conf"
    path.write_text('group = "g1";\nmax_inflight = 64;\n'
                    'routes = ( { topic = "a,b"; function = "f.ns"; reply-topic = "r"; '
                    'retry-attempts = 2; } );\n'
                    'kafka = { socket_timeout_ms = 5000; sasl_password = "hush"; };\n')
    first = run("-c", str(path), "--print-config", env={"broker_host": "kafka:9092"})
    assert first.returncode == 0, first.stderr
    assert 'brokers = "kafka:9092";' in first.stdout
    assert 'group = "g1";' in first.stdout
    assert 'topic = "a"; function = "f"; namespace = "ns"; reply-topic = "r";' in first.stdout
    assert 'topic = "b"; function = "f"' in first.stdout
    assert "hush" not in first.stdout
    again = tmp_path / "again.conf"
    again.write_text(first.stdout.replace('"(hidden)"', '"hush"'))
    second = run("-c", str(again), "--print-config")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
