"""faasbus-devkafka: a Kafka broker on librdkafka's mock cluster, checked
with independent clients (kcat, Python's kafka package) over TCP."""
import os
import signal
import subprocess
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from conftest import BIN, SLOW, Daemon, wait_for

DEVKAFKA = os.path.join(BIN, "faasbus-devkafka")


@pytest.fixture
def broker(tmp_path, daemons):
    """start(*args) -> (daemon, bootstrap address)."""
    def start(*args):
        path = tmp_path / "bootstrap"
        d = Daemon([DEVKAFKA, "-o", str(path), *args], {}, str(tmp_path / "devkafka.log"),
                   listen=False)
        d.start()
        daemons.append(d)
        wait_for(lambda: path.exists() and path.read_text().strip(), 10,
                 what="the bootstrap file")
        return d, path.read_text().strip()
    return start


def kcat(*args, data=None, timeout=20):
    out = subprocess.run(["kcat", *args], input=data, capture_output=True,
                         timeout=timeout * SLOW)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout.decode()


def test_first_line_is_the_bootstrap_address_and_the_file_matches(tmp_path):
    path = tmp_path / "bootstrap"
    proc = subprocess.Popen([DEVKAFKA, "-o", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        first = proc.stdout.readline().strip()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10 * SLOW) == 0
    host, _, port = first.partition(":")
    assert host == "127.0.0.1" and port.isdigit()
    assert path.read_text().strip() == first


def test_topics_are_created_with_their_partitions(broker):
    d, bootstrap = broker("-t", "orders:5", "-t", "events", "-p", "2")
    meta = kcat("-L", "-b", bootstrap)
    assert 'topic "orders" with 5 partitions' in meta
    assert 'topic "events" with 2 partitions' in meta


def test_kcat_produces_and_consumes_keys_and_values(broker):
    d, bootstrap = broker("-t", "orders:3")
    lines = "".join(f"key{i}:value-{i}\n" for i in range(20))
    kcat("-P", "-b", bootstrap, "-t", "orders", "-K:", data=lines.encode())
    out = kcat("-C", "-b", bootstrap, "-t", "orders", "-o", "beginning", "-e", "-q",
               "-f", "%k=%s\n")
    assert sorted(out.splitlines()) == sorted(f"key{i}=value-{i}" for i in range(20))


def test_python_consumer_group_reads_and_commits(broker):
    d, bootstrap = broker("-t", "pyt:3")
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(30):
        producer.send("pyt", key=b"k%d" % i, value=b"v%d" % i)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer("pyt", bootstrap_servers=bootstrap, group_id="g1",
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             session_timeout_ms=6000, heartbeat_interval_ms=1000,
                             consumer_timeout_ms=int(20000 * SLOW))
    got = []
    for message in consumer:
        got.append(message.value)
        if len(got) == 30:
            break
    consumer.commit()
    consumer.close()
    assert sorted(got) == sorted(b"v%d" % i for i in range(30))
    # A committed group resumes at the end: the offsets were stored.
    check = KafkaConsumer(bootstrap_servers=bootstrap, group_id="g1")
    parts = [TopicPartition("pyt", p) for p in range(3)]
    committed = {tp.partition: check.committed(tp) for tp in parts}
    ends = {tp.partition: off for tp, off in check.end_offsets(parts).items()}
    check.close()
    assert committed == ends and sum(ends.values()) == 30


def test_sigterm_stops_it_promptly(broker):
    d, _ = broker()
    t0 = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0
    assert time.monotonic() - t0 < 5 * SLOW


@pytest.mark.parametrize("args, needle", [
    (["-b", "0"], "-b expects a number"),
    (["-p", "x"], "-p expects a number"),
    (["-t", ":3"], "bad topic"),
    (["--bogus"], "unknown or incomplete argument --bogus"),
])
def test_bad_arguments_exit_2_with_a_message(args, needle):
    out = subprocess.run([DEVKAFKA, *args], capture_output=True, text=True, timeout=10)
    assert out.returncode == 2
    assert needle in out.stderr
