"""Settings: bad values stop start-up with one clear message and exit code
2; --help, --version, --print-config, and -c FILE."""
import os
import subprocess

import pytest
import requests

from conftest import BIN, ROOT, SLOW, Daemon

WATCHDOG = os.path.join(BIN, "faasbus-watchdog")
SETTINGS = ("fprocess", "function_process", "mode", "port", "metrics_port", "read_timeout",
            "write_timeout", "exec_timeout", "healthcheck_interval", "max_inflight",
            "content_type", "combine_output", "write_debug", "marshal_request",
            "suppress_lock", "upstream_url", "http_buffer_req_body", "prefix_logs",
            "static_path", "max_body_size", "log_level")


def clean_env(env):
    """The test's environment without any watchdog setting, plus env."""
    full = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    full.update(env)
    return full


def run_once(tmp_path, env, args=()):
    """Starts the watchdog as a Daemon that must exit by itself; returns
    (exit code, output)."""
    d = Daemon([WATCHDOG, *args], {}, str(tmp_path / "out.log"), listen=False)
    # Port 0: if start-up wrongly went on, it would not clash with anything.
    d.env = clean_env({"TMPDIR": str(tmp_path), "port": "0", "metrics_port": "0", **env})
    d.start()
    try:
        rc = d.proc.wait(5 * SLOW)
    finally:
        d.stop()
    d.assert_clean()
    return rc, d.text()


def run(args, env=None, **kw):
    return subprocess.run([WATCHDOG, *args], env=clean_env(env or {}), capture_output=True,
                          text=True, timeout=10 * SLOW, **kw)


@pytest.mark.parametrize("env,needle", [
    ({"fprocess": "cat", "mode": "bogus"}, "mode"),
    ({"fprocess": "cat", "exec_timeout": "abc"}, "exec_timeout"),
    ({}, "fprocess"),
    ({"fprocess": "cat", "mode": "http"}, "upstream_url"),
    ({"fprocess": "cat", "max_inflight": "-1"}, "max_inflight"),
    ({"fprocess": "cat", "max_inflight": "abc"}, "max_inflight"),
    ({"fprocess": "cat", "port": "70000"}, "port"),
    ({"fprocess": "cat", "combine_output": "maybe"}, "combine_output"),
    ({"fprocess": "cat", "max_body_size": "lots"}, "max_body_size"),
    ({"fprocess": "cat", "healthcheck_interval": "xyz"}, "healthcheck_interval"),
    ({"fprocess": "cat", "read_timeout": "5parsecs"}, "read_timeout"),
    ({"fprocess": "cat", "log_level": "loud"}, "log_level"),
], ids=["mode=bogus", "exec_timeout=abc", "no-fprocess", "http-without-upstream_url",
        "max_inflight=-1", "max_inflight=abc", "port=70000", "combine_output=maybe",
        "max_body_size=lots", "healthcheck_interval=xyz", "read_timeout=5parsecs",
        "log_level=loud"])
def test_bad_setting_stops_start_up_with_exit_2(tmp_path, env, needle):
    rc, out = run_once(tmp_path, env)
    assert rc == 2, out
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1, out
    assert needle in lines[0]
    assert not (tmp_path / ".lock").exists()


@pytest.mark.parametrize("env,needle", [
    ({"mode": "http", "fprocess": "cat", "upstream_url": "notaurl"}, "upstream_url"),
    ({"fprocess": "sh -c 'unclosed"}, "fprocess"),
    ({"mode": "static", "static_path": "/nonexistent/dir"}, "static_path"),
], ids=["bad-upstream_url", "unclosed-quote-in-fprocess", "missing-static_path"])
def test_unusable_setting_value_stops_start_up_with_exit_2(tmp_path, env, needle):
    rc, out = run_once(tmp_path, env)
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1, out
    assert needle in lines[0]
    assert not (tmp_path / ".lock").exists()
    assert rc == 2, out


def test_unknown_key_in_file_names_file_and_line(tmp_path):
    cfg = tmp_path / "wd.cfg"
    cfg.write_text('fprocess = "cat";\n\nbogus_setting = 1;\n')
    rc, out = run_once(tmp_path, {}, args=("-c", str(cfg)))
    assert rc == 2, out
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1, out
    assert f"{cfg}:3" in lines[0]
    assert "bogus_setting" in lines[0]


def test_syntax_error_in_file_names_file_and_line(tmp_path):
    cfg = tmp_path / "wd.cfg"
    cfg.write_text('fprocess = "cat";\nmode = "classic"\nport = ;\n')
    rc, out = run_once(tmp_path, {}, args=("-c", str(cfg)))
    assert rc == 2, out
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1, out
    assert f"{cfg}:3" in lines[0]


def test_bad_value_in_file_names_file_line_and_key(tmp_path):
    cfg = tmp_path / "wd.cfg"
    cfg.write_text('fprocess = "cat";\nmax_inflight = "many";\n')
    rc, out = run_once(tmp_path, {}, args=("-c", str(cfg)))
    assert rc == 2, out
    assert f"{cfg}:2" in out
    assert "max_inflight" in out


def test_missing_config_file(tmp_path):
    rc, out = run_once(tmp_path, {"fprocess": "cat"}, args=("-c", str(tmp_path / "nope.cfg")))
    assert rc == 2, out
    assert "nope.cfg" in out


def test_unknown_argument_exits_2(tmp_path):
    rc, out = run_once(tmp_path, {"fprocess": "cat"}, args=("--bogus",))
    assert rc == 2
    assert "--bogus" in out


def test_help_lists_every_setting():
    p = run(["--help"])
    assert p.returncode == 0
    for name in SETTINGS:
        if name != "function_process":
            assert name in p.stdout, name
    assert "-run-healthcheck" in p.stdout
    assert "/_/health" in p.stdout


def test_version():
    p = run(["--version"])
    assert p.returncode == 0
    assert p.stdout.startswith("faasbus-watchdog ")
    version = p.stdout.split()[1]
    assert version[0].isdigit() and "." in version


def test_print_config_shows_defaults_and_environment():
    p = run(["--print-config"], {"fprocess": "cat", "max_inflight": "7",
                                  "exec_timeout": "1m30s"})
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert 'fprocess = "cat";' in p.stdout
    assert any(l.startswith("max_inflight = 7;") for l in lines)
    assert any(l.startswith('exec_timeout = "1m30s";') for l in lines)
    assert any(l.startswith('mode = "classic";') for l in lines)
    assert any(l.startswith("combine_output = true;") for l in lines)


def test_function_process_is_an_alias_of_fprocess():
    p = run(["--print-config"], {"function_process": "wc -l"})
    assert p.returncode == 0, p.stderr
    assert 'fprocess = "wc -l";' in p.stdout


def test_print_config_reads_back_with_c(tmp_path):
    env = {"fprocess": "sh -c 'echo \"quoted\\\\back\"; printf %s x'",
           "mode": "serializing", "content_type": 'text/x; charset="utf-8"',
           "exec_timeout": "1.5s", "max_body_size": "1M", "combine_output": "false",
           "upstream_url": "http://127.0.0.1:3000/"}
    first = run(["--print-config"], env)
    assert first.returncode == 0, first.stderr
    cfg = tmp_path / "printed.cfg"
    cfg.write_text(first.stdout)
    second = run(["-c", str(cfg), "--print-config"])
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout


def test_watchdog_runs_from_a_config_file(watchdog, tmp_path):
    cfg = tmp_path / "wd.cfg"
    cfg.write_text('fprocess = "sh -c \'printf from-file; cat\'";\n'
                   'content_type = "text/from-file";\nmax_body_size = "1K";\n')
    wd = watchdog({}, args=("-c", str(cfg)))
    r = requests.post(wd.url + "/", data=b"!", timeout=5)
    assert r.status_code == 200
    assert r.text == "from-file!"
    assert r.headers["Content-Type"] == "text/from-file"
    assert requests.post(wd.url + "/", data=b"x" * 2000, timeout=5).status_code == 413


def test_environment_overrides_the_file(watchdog, tmp_path):
    cfg = tmp_path / "wd.cfg"
    cfg.write_text('fprocess = "echo from-file";\ncontent_type = "text/from-file";\n')
    wd = watchdog({"content_type": "text/from-env"}, args=("-c", str(cfg)))
    r = requests.post(wd.url + "/", data=b"", timeout=5)
    assert r.text == "from-file\n"
    assert r.headers["Content-Type"] == "text/from-env"


def test_run_healthcheck_needs_no_valid_config(tmp_path):
    (tmp_path / ".lock").write_text("")
    p = run(["-run-healthcheck"], {"TMPDIR": str(tmp_path), "mode": "bogus"})
    assert p.returncode == 0


def test_sample_config_file_loads_and_uses_only_known_settings():
    """config/watchdog.conf is what users copy: it must load as it is."""
    sample = os.path.join(ROOT, "config", "watchdog.conf")
    out = subprocess.run([WATCHDOG, "-c", sample, "--print-config"], env=clean_env({}),
                         capture_output=True, text=True, timeout=10 * SLOW)
    assert out.returncode == 0, out.stderr
    assert 'fprocess = "cat";' in out.stdout
    assert 'mode = "classic";' in out.stdout
