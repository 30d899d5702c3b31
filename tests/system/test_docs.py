"""The docs say what the code does: docs/settings.md is what the daemons'
option tables print, and the README names every daemon and sample."""
import os
import subprocess

from conftest import BIN, ROOT


def test_settings_reference_is_generated_from_the_option_tables():
    out = subprocess.run([os.path.join(ROOT, "scripts/settings-doc.sh"), BIN],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    with open(os.path.join(ROOT, "docs/settings.md")) as f:
        committed = f.read()
    assert committed == out.stdout, "docs/settings.md is out of date: run make docs"
    for setting in ["exec_timeout", "upstream_timeout", "nats_url", "brokers", "ack_wait",
                    "max_inflight", "retry_codes", "queue_max_message"]:
        assert setting in committed, setting


def test_readme_covers_every_daemon_and_sample_config():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    for name in ["faasbus-gateway", "faasbus-watchdog", "faasbus-connector",
                 "faasbus-queue-worker", "faasbus-devkafka", "make run", "make test"]:
        assert name in readme, name
    for conf in os.listdir(os.path.join(ROOT, "config")):
        if conf.endswith(".conf"):
            assert f"config/{conf}" in readme, conf
