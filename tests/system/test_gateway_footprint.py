"""The gateway loads libcurl only when something needs it: on the process
driver, deploying, probing and invoking never do (health checks are
lib/hprobe), so its memory holds none of libcurl's dozen libraries; the
first thing that does (here the connectors page) loads it and works."""
from conftest import free_port, mapped


def test_process_driver_runs_without_libcurl_until_it_is_needed(gateway):
    dead = free_port()
    gw = gateway({"connector_urls": f"http://127.0.0.1:{dead}"})
    gw.deploy("echo", env_process="cat")
    gw.wait_available("echo", 1)  # the health checks answered
    r = gw.call("echo", data=b"ping")
    assert r.status_code == 200 and r.content == b"ping"
    assert gw.api("GET", "/system/functions").status_code == 200
    assert not mapped(gw.proc.pid, "libcurl"), "libcurl was loaded for a process-driver call"

    r = gw.api("GET", "/system/connectors")
    assert r.status_code == 200, r.text
    (down,) = r.json()
    assert down["up"] is False and down["error"], down
    assert mapped(gw.proc.pid, "libcurl")
    # Loaded once, it keeps serving, and the replicas stay ready.
    assert gw.api("GET", "/system/connectors").json()[0]["up"] is False
    assert gw.call("echo", data=b"pong").content == b"pong"
    assert gw.available("echo") == 1
