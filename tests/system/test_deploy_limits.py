"""Deploy bodies a replica could never start are refused with 400 and a
reason, and change nothing: an environment too large for exec() (E2BIG),
too many variables, a variable name holding a control byte."""
import pytest


def listing(gw):
    return sorted(f["name"] for f in gw.api("GET", "/system/functions").json())


CASES = {
    "a 1 MB envProcess": ({"envProcess": "a" * (1024 * 1024)}, "envProcess"),
    "a 200 KiB variable": ({"envVars": {"BIG": "b" * (200 * 1024)}}, "envVars.BIG"),
    "ten 120 KiB variables":
        ({"envVars": {f"V{i}": "c" * (120 * 1024) for i in range(10)}}, "bytes together"),
    "2000 variables": ({"envVars": {f"V{i}": "x" for i in range(2000)}}, "variables"),
    "a newline in a variable name": ({"envVars": {"A\nB": "x"}}, "control bytes"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_environment_a_replica_cannot_exec_is_400(gateway, case):
    gw = gateway()
    gw.deploy("keep", envVars={"V": "1"})
    before = listing(gw)
    fields, reason = CASES[case]
    r = gw.deploy("hostile", expect=400, **fields)
    assert reason in r.text, r.text[:300]
    assert listing(gw) == before
    assert gw.status("keep")["envVars"] == {"V": "1"}


def test_an_environment_that_fits_still_deploys_and_starts(gateway):
    gw = gateway()
    gw.deploy("fits", envVars={"BIG": "d" * (100 * 1024)})
    gw.wait_available("fits", 1)
