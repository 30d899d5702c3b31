"""deploy/systemd: `make install` places units that systemd accepts, with
paths that exist, hardened, and never overwrites a config the admin
edited."""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, SANITIZED

UNITS = ["faasbus-gateway", "faasbus-queue-worker", "faasbus-connector"]


def make_install(prefix):
    args = ["make", "-s", "install", f"PREFIX={prefix}"]
    if SANITIZED:
        args.append("SANITIZE=1")
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("prefix")
    make_install(prefix)
    return prefix


def unit_text(prefix, name):
    return (prefix / "lib/systemd/system" / f"{name}.service").read_text()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_units_pass_systemd_analyze_verify(installed):
    paths = [str(installed / "lib/systemd/system" / f"{u}.service") for u in UNITS]
    out = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "faasbus" not in out.stderr, out.stderr  # no complaint about our units


def test_units_point_at_installed_binaries_and_configs(installed):
    for u in UNITS:
        text = unit_text(installed, u)
        assert "@" not in text.replace("multi-user", "")  # every placeholder filled in
        exec_line = next(l for l in text.splitlines() if l.startswith("ExecStart="))
        argv = exec_line.split("=", 1)[1].split()
        assert os.access(argv[0], os.X_OK), argv[0]
        assert argv[1] == "-c" and os.path.exists(argv[2]), argv
        # The installed config loads in the installed binary.
        out = subprocess.run([argv[0], "-c", argv[2], "--print-config"], capture_output=True,
                             text=True, timeout=10)
        assert out.returncode == 0, (u, out.stderr)


def test_units_are_hardened_and_restart(installed):
    for u in UNITS:
        text = unit_text(installed, u)
        for option in ["NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                       "Restart=on-failure", "StateDirectory="]:
            assert option in text, (u, option)
    assert "DynamicUser=yes" in unit_text(installed, "faasbus-queue-worker")
    assert "DynamicUser=yes" in unit_text(installed, "faasbus-connector")
    # The gateway keeps functions in its StateDirectory, where state_dir points.
    gw = unit_text(installed, "faasbus-gateway")
    assert "StateDirectory=faasbus\n" in gw and "state_dir=/var/lib/faasbus" in gw


def test_install_keeps_an_edited_config(tmp_path):
    make_install(tmp_path)
    conf = tmp_path / "etc/faasbus/gateway.conf"
    conf.write_text("port = 9999;\n")
    make_install(tmp_path)
    assert conf.read_text() == "port = 9999;\n"
    fresh = (tmp_path / "share/faasbus/config/gateway.conf").read_text()
    assert "port = 8080;" in fresh  # the sample itself is refreshed


def test_installed_gateway_serves_the_installed_portal(installed):
    ui = installed / "share/faasbus/ui"
    for name in ("index.html", "app.js", "style.css", "topology.js"):
        assert (ui / name).is_file(), name
    out = subprocess.run([str(installed / "bin/faasbus-gateway"), "--print-config"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    assert f'ui_dir = "{ui}";' in out.stdout, out.stdout
