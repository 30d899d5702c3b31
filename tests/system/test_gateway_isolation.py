"""Functions on the process driver, as a hostile function would look
around: another function's environment and state, the gateway's own HOME,
and what a gateway killed with -9 leaves behind. Needs root (replicas run
under users of their own only when the gateway can switch users)."""
import os
import signal
import stat

import pytest

from conftest import gateway_children, pid_alive, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="replicas change user only as root")


def output(gw, name, body=b""):
    r = gw.call(name, data=body)
    assert r.status_code == 200, r.text
    return r.text


def test_a_function_cannot_read_another_functions_environment_or_state(gateway):
    gw = gateway()
    gw.deploy("keeper", env_process="cat", envVars={"API_KEY": "s3cret-keeper"})
    gw.wait_available("keeper", 1)
    state = gw.state_dir
    snoop = ("sh -c 'cat /proc/[0-9]*/environ 2>/dev/null | tr \"\\000\" \"\\n\" | "
             "grep -c s3cret-kee[p]er; cat %s/functions/openfaas-fn/keeper.json 2>&1; "
             "ls %s/functions 2>&1; true'" % (state, state))
    gw.deploy("snoop", env_process=snoop)
    gw.wait_available("snoop", 1)
    seen = output(gw, "snoop")  # (the pattern does not match its own fprocess)
    assert "s3cret-keeper" not in seen
    assert seen.split("\n")[0] == "0", seen  # no process environment showed it
    assert "Permission denied" in seen


def test_each_function_runs_under_a_uid_of_its_own(gateway):
    gw = gateway()
    for name in ("one", "two"):
        gw.deploy(name, env_process="sh -c 'id -u; id -g'")
    gw.wait_available("one", 1)
    gw.wait_available("two", 1)
    gw.scale("one", 2)
    gw.wait_available("one", 2)
    one = {output(gw, "one") for _ in range(6)}  # both replicas answer
    two = output(gw, "two")
    assert len(one) == 1, one  # a function's replicas share their uid
    (one,) = one
    assert one != two
    for ids in (one, two):
        uid, gid = ids.split()
        assert uid != "0" and uid == gid


def test_home_is_the_functions_own_not_the_gateways(gateway):
    gw = gateway(env={"HOME": "/root"})
    gw.deploy("home", env_process="sh -c 'echo $HOME; touch $HOME/x && echo writable'")
    gw.deploy("ownhome", env_process="sh -c 'echo $HOME'", envVars={"HOME": "/srv/mine"})
    gw.wait_available("home", 1)
    home, ok = output(gw, "home").split()
    assert home != "/root" and ok == "writable"
    gw.wait_available("ownhome", 1)
    assert output(gw, "ownhome").strip() == "/srv/mine"


def test_state_is_readable_only_by_the_gateway(gateway):
    gw = gateway()
    gw.deploy("f", env_process="cat", envVars={"K": "v"})
    fdir = os.path.join(gw.state_dir, "functions")
    assert stat.S_IMODE(os.stat(fdir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(fdir, "openfaas-fn")).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(fdir, "openfaas-fn", "f.json")).st_mode) == 0o600


def test_older_loose_state_is_tightened_and_dead_writers_temp_files_removed(gateway):
    gw = gateway()
    gw.deploy("f", env_process="cat")
    gw.stop()
    ns = os.path.join(gw.state_dir, "functions", "openfaas-fn")
    os.chmod(ns, 0o755)
    os.chmod(os.path.join(ns, "f.json"), 0o644)
    stale = os.path.join(ns, "g.json.tmp.999999999")
    with open(stale, "w") as f:
        f.write("{")
    gw2 = gateway(state_dir=gw.state_dir)
    assert not os.path.exists(stale)
    assert stat.S_IMODE(os.stat(ns).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(ns, "f.json")).st_mode) == 0o600
    assert gw2.status("f") is not None


def cgroups_of(pid):
    """Replica cgroup directories named after gateway `pid`, in every hierarchy."""
    found = []
    for root, dirs, _ in os.walk("/sys/fs/cgroup"):
        for d in dirs:
            if d.startswith(f"faasbus-{pid}-"):
                found.append(os.path.join(root, d))
        if root.count("/") > 8:
            dirs[:] = []
    return found


def test_replicas_die_with_a_gateway_killed_by_sigkill(gateway):
    gw = gateway()
    gw.deploy("f", env_process="cat", labels={"com.openfaas.scale.min": "2"})
    gw.scale("f", 2)
    gw.wait_available("f", 2)
    replicas = gateway_children(gw)
    assert len(replicas) == 2
    old_pid = gw.proc.pid
    gw.proc.send_signal(signal.SIGKILL)
    gw.proc.wait()
    wait_for(lambda: not any(pid_alive(p) for p in replicas), 15,
             what="the replicas to end with their gateway")
    gw2 = gateway(state_dir=gw.state_dir)
    gw2.wait_available("f", 2)
    assert len(gateway_children(gw2)) == 2  # exactly the desired count, not doubled
    wait_for(lambda: not cgroups_of(old_pid), 10, what="the dead gateway's cgroups to go")
