"""Helpers for the CLI's system tests: runs build/bin/faasbus as a user
would, with a HOME, config folders and working folder of its own, so
tests running in parallel never share saved logins or stack files."""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BIN, SANITIZER_MARKS, SLOW

FAASBUS = os.path.join(BIN, "faasbus")


class Cli:
    def __init__(self, home, cwd):
        self.home = home
        self.cwd = cwd
        self.env = {"HOME": home, "FAASBUS_CONFIG": os.path.join(home, ".faasbus"),
                    "OPENFAAS_CONFIG": os.path.join(home, ".openfaas"),
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    def __call__(self, *args, input=b"", env=None, timeout=60, check=None):
        """Runs faasbus; returns the CompletedProcess (text is decoded).
        check=0 or 1 asserts the exit status."""
        full = dict(self.env)
        full.update(env or {})
        full = {k: v for k, v in full.items() if v is not None}
        r = subprocess.run([FAASBUS, *args], input=input, env=full, cwd=self.cwd,
                           capture_output=True, timeout=timeout * SLOW)
        r.out = r.stdout.decode("utf-8", "replace")
        r.err = r.stderr.decode("utf-8", "replace")
        for mark in SANITIZER_MARKS:  # under make test SANITIZE=1
            assert mark not in r.err, f"faasbus {' '.join(args)}:\n{r.err}"
        if check is not None:
            assert r.returncode == check, (f"faasbus {' '.join(args)}: exit {r.returncode}\n"
                                           f"stdout: {r.out}\nstderr: {r.err}")
        return r

    def write(self, name, text):
        path = os.path.join(self.cwd, name)
        with open(path, "w") as f:
            f.write(text)
        return path


@pytest.fixture
def cli():
    """A Cli in a fresh folder that replicas (run as nobody) may read."""
    home = tempfile.mkdtemp(prefix="faasbus-cli-home-")
    work = tempfile.mkdtemp(prefix="faasbus-cli-work-")
    os.chmod(work, 0o755)
    yield Cli(home, work)
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
