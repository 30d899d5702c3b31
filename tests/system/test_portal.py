"""The web portal at /ui/: the gateway serves its files (content types, no
way out of ui_dir, basic auth as on /system/*), and the page, driven in a
real headless Chromium, lists, deploys, invokes, tails logs and draws the
connector's routes. Screenshots land in each test's tmp_path."""
import hashlib
import http.client
import os
import re
import signal

import pytest
import requests

from conftest import ROOT, SLOW, free_port, wait_for
from connector_util import broker, connector, produce
from natsclient import NatsClient
from queue_util import queue_worker

__all__ = ["broker", "connector", "queue_worker"]  # fixtures

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

CREDS = {"basic_auth": "true", "auth_user": "admin", "auth_password": "s3cret"}


def raw_get(gw, path, headers=None):
    """GET with the path sent byte for byte (no client-side cleaning)."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def test_files_are_served_with_their_types(gateway):
    gw = gateway()
    status, headers, body = raw_get(gw, "/ui/")
    with open(os.path.join(ROOT, "ui/index.html"), "rb") as f:
        assert status == 200 and body == f.read()
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for name, ctype in (("app.js", "text/javascript"), ("style.css", "text/css")):
        r = requests.get(f"{gw.url}/ui/{name}", timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(ctype), name
    r = requests.get(gw.url + "/ui", allow_redirects=False, timeout=10)
    assert r.status_code == 301 and r.headers["Location"] == "/ui/"
    assert requests.get(gw.url + "/ui/missing.js", timeout=10).status_code == 404
    assert requests.post(gw.url + "/ui/", timeout=10).status_code == 405


def test_no_path_leaves_ui_dir(gateway, tmp_path):
    ui = tmp_path / "ui"
    ui.mkdir()
    (ui / "index.html").write_text("<p>home</p>")
    (ui / "sub").mkdir()
    (ui / "sub" / "a.txt").write_text("inside")
    (ui / ".hidden").write_text("hidden")
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink("/etc/passwd", ui / "passwd.txt")
    gw = gateway({"ui_dir": str(ui)})
    assert raw_get(gw, "/ui/sub/a.txt")[2] == b"inside"
    for path in ("/ui/../secret.txt", "/ui/sub/../../secret.txt", "/ui/%2e%2e/secret.txt",
                 "/ui/%2E%2E%2Fsecret.txt", "/ui/..%2fsecret.txt", "/ui//etc/passwd",
                 "/ui/sub/", "/ui/sub", "/ui/.hidden", "/ui/passwd.txt", "/ui/sub//a.txt",
                 "/ui/..\\secret.txt", "/ui/sub/./a.txt", "/ui/" + "a/" * 150 + "x"):
        status, _, body = raw_get(gw, path)
        assert status == 404, (path, status, body)
        assert b"outside" not in body and b"root:" not in body, path


def test_portal_can_be_off_and_missing_files_are_404(gateway):
    gw = gateway({"ui_dir": ""})
    r = requests.get(gw.url + "/ui/", timeout=10)
    assert r.status_code == 404 and "ui_dir" in r.text


def test_files_need_the_credentials_when_basic_auth_is_on(gateway):
    gw = gateway(CREDS)
    for path in ("/ui/", "/ui/app.js", "/ui/missing"):
        r = requests.get(gw.url + path, timeout=10)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic"), path
    r = requests.get(gw.url + "/ui/", auth=("admin", "wrong"), timeout=10)
    assert r.status_code == 401
    r = requests.get(gw.url + "/ui/", auth=("admin", "s3cret"), timeout=10)
    assert r.status_code == 200 and "<html" in r.text


# --- in the browser -----------------------------------------------------------

class Page:
    """A headless Chromium on the portal, with waits that fail the test
    with what the page showed instead."""

    def __init__(self, driver, shots):
        self.d = driver
        self.shots = shots

    def open(self, gw, fragment="functions"):
        self.d.get(f"{gw.url}/ui/#{fragment}")

    def el(self, id_):
        return self.d.find_element("id", id_)

    def text(self, id_):
        return self.el(id_).text

    def fill(self, id_, value):
        e = self.el(id_)
        e.clear()
        e.send_keys(value)

    def wait_text(self, id_, needle, timeout=10):
        try:
            wait_for(lambda: needle in self.text(id_), timeout, interval=0.1,
                     what=f"{needle!r} in #{id_}")
        except AssertionError:
            self.shot(f"failed-{id_}")
            raise AssertionError(f"#{id_} shows {self.text(id_)!r}, not {needle!r}") from None

    def shot(self, name):
        self.d.save_screenshot(str(self.shots / f"{name}.png"))

    def errors(self):
        """The page's script errors (refusals the page shows are not)."""
        return [l for l in self.d.get_log("browser")
                if l["level"] == "SEVERE" and l["source"] != "network"]


@pytest.fixture
def page(tmp_path, gateway):
    """A headless Chromium (Debian's) driven through chromedriver; the
    gateway fixture comes first so the browser is gone before its check
    for leftover processes."""
    # No skip when they are missing: make deps installs them, and a portal
    # test that never runs must not pass.
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    assert os.access(CHROMIUM, os.X_OK), "chromium is missing: run make deps"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,1000", f"--user-data-dir={tmp_path / 'chromium'}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    p = Page(driver, shots)
    try:
        yield p
        errors = p.errors()
        assert not errors, errors
    finally:
        driver.quit()


def row_texts(page):
    """The list's rows as text; [] when the table was redrawn under us (it
    is every 2 s), so a wait_for asks again."""
    from selenium.common.exceptions import StaleElementReferenceException
    try:
        return [r.text for r in page.el("fn-table").find_elements("css selector", "tbody tr")]
    except StaleElementReferenceException:
        return []


def test_list_shows_deployed_functions_live_and_filters(gateway, page):
    gw = gateway()
    gw.deploy("alpha", image="img/alpha:1")
    gw.deploy("beta", namespace="team", image="img/beta:2")
    gw.wait_available("alpha", 1)
    page.open(gw)
    page.wait_text("fn-table", "alpha openfaas-fn img/alpha:1 1 / 1 0")
    page.wait_text("fn-table", "beta team img/beta:2")
    # Live: a function deployed now and calls made now show without a reload.
    gw.deploy("gamma")
    for _ in range(3):
        assert gw.call("alpha", data=b"x").status_code == 200
    page.wait_text("fn-table", "gamma", timeout=6)
    page.wait_text("fn-table", "alpha openfaas-fn img/alpha:1 1 / 1 3", timeout=6)
    page.shot("functions")
    page.fill("filter-name", "bet")
    wait_for(lambda: [t.split()[0] for t in row_texts(page)] == ["beta"], 5, what="the filter")
    page.fill("filter-name", "")
    from selenium.webdriver.support.ui import Select
    Select(page.el("filter-ns")).select_by_value("openfaas-fn")
    wait_for(lambda: sorted(t.split()[0] for t in row_texts(page)) == ["alpha", "gamma"], 5,
             what="the namespace filter")
    # At phone width the list still reads.
    page.d.set_window_size(390, 800)
    page.shot("functions-phone")


def test_list_and_charts_show_errors_and_latency_from_the_metrics(gateway, page):
    gw = gateway()
    gw.deploy("ok")
    gw.deploy("bad", env_process="false")
    gw.wait_available("ok", 1)
    gw.wait_available("bad", 1)
    page.open(gw)
    page.wait_text("fn-table", "bad")
    for _ in range(4):
        assert gw.call("ok", data=b"x").status_code == 200
        assert gw.call("bad", data=b"x").status_code == 500
    wait_for(lambda: any(t.startswith("bad ") and " 4 100% " in t for t in row_texts(page)),
             6, interval=0.2, what="bad's error rate")
    ok_row = next(t for t in row_texts(page) if t.startswith("ok "))
    assert " 4 0% " in ok_row and " ms / " in ok_row, ok_row
    page.open(gw, "function/openfaas-fn/ok")
    page.wait_text("fn-title", "ok")
    for _ in range(3):
        assert gw.call("ok", data=b"x").status_code == 200
    rate = lambda: page.d.find_element("css selector", "#chart-rate text").get_attribute(
        "data-max")
    wait_for(lambda: float(rate() or 0) > 0, 8, interval=0.2, what="calls in the rate chart")
    page.shot("charts")


def test_deploy_from_the_form_then_invoke_from_the_page(gateway, page):
    gw = gateway()
    page.open(gw, "deploy")
    page.fill("dep-name", "shout")
    page.fill("dep-image", "local/shout")
    page.fill("dep-process", "tr a-z A-Z")
    page.fill("dep-env", "MY_VAR=1")
    page.fill("dep-labels", "team=web")
    page.fill("dep-topic", "words")
    page.fill("dep-reply", "words.loud")
    page.shot("deploy")
    page.el("dep-submit").click()
    # The page moves to the new function, which the gateway now has.
    page.wait_text("fn-title", "shout (openfaas-fn)")
    st = gw.status("shout")
    assert st["envProcess"] == "tr a-z A-Z" and st["envVars"] == {"MY_VAR": "1"}
    assert st["labels"] == {"team": "web"}
    assert st["annotations"] == {"topic": "words", "reply-topic": "words.loud"}
    page.wait_text("fn-fields", "topic=words")
    gw.wait_available("shout", 1)
    page.fill("inv-body", "hello portal")
    page.fill("inv-headers", "X-Test: 1")
    page.el("inv-send").click()
    page.wait_text("inv-status", "200")
    page.wait_text("inv-resp-body", "HELLO PORTAL")
    assert page.text("inv-duration").endswith(" ms")
    # JSON answers are pretty-printed.
    gw.deploy("js", env_process="echo '{\"a\":[1,2]}'")
    gw.wait_available("js", 1)
    page.open(gw, "function/openfaas-fn/js")
    page.wait_text("fn-title", "js")
    page.el("inv-send").click()
    page.wait_text("inv-resp-body", '"a": [\n    1,')
    page.shot("invoke")


def test_invoke_sends_a_files_bytes_as_they_are(gateway, page, tmp_path):
    gw = gateway()
    gw.deploy("sum", env_process="sh -c 'printf \"%s \" \"$Http_Content_Type\"; sha256sum'",
              envVars={"content_type": "text/plain"})
    gw.deploy("count", env_process="wc -c", envVars={"content_type": "text/plain"})
    # Bytes no text encoding keeps: a NUL, lone continuation bytes, CR LF.
    data = bytes(range(256)) * 3 + b"\xff\xfe\x80\r\n\x00"
    path = tmp_path / "blob.png"
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    gw.wait_available("sum", 1)
    page.open(gw, "function/openfaas-fn/sum")
    page.wait_text("fn-title", "sum")
    page.fill("inv-body", "not this text")
    page.el("inv-file").send_keys(str(path))
    assert page.el("inv-body").get_attribute("disabled") is not None
    page.el("inv-send").click()
    page.wait_text("inv-resp-body", f"image/png {digest}  -")
    # A Content-Type the user set wins over the file's own.
    page.fill("inv-headers", "content-type: application/x-raw")
    page.el("inv-send").click()
    page.wait_text("inv-resp-body", f"application/x-raw {digest}  -")
    # Back to the text body.
    page.el("inv-file-clear").click()
    page.el("inv-send").click()
    page.wait_text("inv-resp-body", "application/x-raw " + hashlib.sha256(
        b"not this text").hexdigest())
    gw.wait_available("count", 1)
    page.open(gw, "function/openfaas-fn/count")
    page.wait_text("fn-title", "count")
    assert page.el("inv-file").get_attribute("value") == ""
    page.el("inv-file").send_keys(str(path))
    page.el("inv-send").click()
    page.wait_text("inv-resp-body", str(len(data)))
    assert page.text("inv-resp-body").strip() == str(len(data))
    page.shot("invoke-file")


def replica_rows(page):
    """The replica table's rows as text; [] when it was redrawn under us."""
    from selenium.common.exceptions import StaleElementReferenceException
    try:
        return [r.text for r in page.el("replica-table").find_elements("css selector", "tbody tr")]
    except StaleElementReferenceException:
        return []


def test_function_page_shows_replicas_and_a_restart(gateway, page):
    gw = gateway()
    gw.deploy("pair", labels={"com.openfaas.scale.min": "2"})
    gw.wait_available("pair", 2)
    st = gw.status("pair")
    assert sorted(r["name"] for r in st["replicaStatus"]) == ["0", "1"]
    assert all(r["ready"] and r["restarts"] == 0 and r["started"].endswith("Z")
               for r in st["replicaStatus"]), st["replicaStatus"]
    # The list keeps OpenFaaS's fields: the replicas are one function's.
    [listed] = gw.api("GET", "/system/functions").json()
    assert "replicaStatus" not in listed
    page.open(gw, "function/openfaas-fn/pair")
    page.wait_text("fn-title", "pair")
    wait_for(lambda: len(replica_rows(page)) == 2, 10 * SLOW, interval=0.2,
             what="two replica rows")
    wait_for(lambda: (lambda rows: len(rows) == 2 and all(" yes 0 " in t for t in rows))(
        replica_rows(page)), 10 * SLOW, interval=0.2, what="both ready, no restart")
    pid = gw.children()[0]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: sorted(t.split()[2] for t in replica_rows(page) if len(t.split()) > 2)
             == ["0", "1"], 10 * SLOW,
             interval=0.2, what="one restart in the table")
    gw.wait_available("pair", 2)
    wait_for(lambda: all(" yes " in t for t in replica_rows(page)), 10 * SLOW, interval=0.2,
             what="both ready again")
    restarted = next(r for r in gw.status("pair")["replicaStatus"] if r["restarts"] == 1)
    assert restarted["ready"] and restarted["started"]
    page.shot("replicas")


def test_log_tail_shows_a_new_line_after_a_call(gateway, page):
    gw = gateway()
    gw.deploy("lg", env_process="sh -c 'echo \"portal-mark-$Http_X_Mark\" >&2; cat'",
              envVars={"combine_output": "false"})
    gw.wait_available("lg", 1)
    page.open(gw, "function/openfaas-fn/lg")
    page.wait_text("fn-title", "lg")
    assert page.el("logs-toggle").get_attribute("aria-pressed") == "true"
    assert "portal-mark-41" not in page.text("log-lines")
    assert gw.call("lg", data=b"", headers={"X-Mark": "41"}).status_code == 200
    page.wait_text("log-lines", "portal-mark-41", timeout=5)
    page.shot("logs")


def test_a_refused_deploy_shows_the_gateways_message(gateway, page):
    gw = gateway()
    page.open(gw, "deploy")
    # The page stops what it can tell is wrong...
    page.fill("dep-name", "Bad_Name")
    page.fill("dep-image", "x")
    page.el("dep-submit").click()
    page.wait_text("deploy-error", "Name:")
    # ...and shows the gateway's own words for the rest.
    page.fill("dep-name", "okname")
    page.fill("dep-labels", "com.openfaas.scale.min=lots")
    page.el("dep-submit").click()
    refusal = requests.post(gw.url + "/system/functions", timeout=10, json={
        "service": "okname", "image": "x", "labels": {"com.openfaas.scale.min": "lots"}})
    assert refusal.status_code == 400, refusal.text
    page.wait_text("deploy-error", "400 " + refusal.text.strip())
    page.shot("refused")
    assert gw.status("okname") is None


def test_the_page_works_with_basic_auth_on(gateway, page):
    gw = gateway(CREDS)
    r = requests.post(gw.url + "/system/functions", auth=("admin", "s3cret"), timeout=10,
                      json={"service": "guarded", "image": "x", "envProcess": "cat"})
    assert r.status_code == 202
    # Credentials in the address are what a user types at the browser's
    # prompt: the browser keeps them for the realm and answers the API's
    # challenges with them (the page's own calls carry none).
    page.d.get(gw.url.replace("http://", "http://admin:s3cret@") + "/ui/#functions")
    page.wait_text("fn-table", "guarded")
    page.el("fn-table").find_element("link text", "guarded").click()
    page.wait_text("fn-title", "guarded")
    page.el("inv-body").send_keys("through auth")
    page.el("inv-send").click()
    page.wait_text("inv-resp-body", "through auth")
    page.shot("auth")


# --- the topology -------------------------------------------------------------

def bus(gateway, nats, connector):
    """A gateway that knows two connectors: a real one on core NATS, and
    one that is down (nothing listens on its port). Two functions chain
    through subjects: svc.in -> up -> svc.mid -> rev -> svc.out."""
    srv = nats()
    port, dead = free_port(), free_port()
    urls = f"http://127.0.0.1:{port}, http://127.0.0.1:{dead}/"
    gw = gateway({"connector_urls": urls})
    for name, proc, ann in (
            ("up", "tr a-z A-Z", {"topic": "nats:svc.in", "reply-topic": "nats:svc.mid",
                                  "error-topic": "nats:svc.dead"}),
            ("rev", "rev", {"topic": "nats:svc.mid", "reply-topic": "nats:svc.out"})):
        gw.deploy(name, env_process=proc, image="x", annotations=ann)
    c = connector(gw, "", env={"nats_url": srv.nats_url, "subjects": "svc.in,svc.mid"},
                  port=port)
    wait_for(lambda: len(c.routes()["routes"]) == 2, 10, what="the connector's routes")
    return srv, gw, c, dead


def test_connectors_endpoint_reports_routes_and_down_connectors(gateway, nats, connector):
    srv, gw, c, dead = bus(gateway, nats, connector)
    r = gw.api("GET", "/system/connectors")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    up, down = r.json()
    assert up["url"] == f"http://127.0.0.1:{c.port}" and up["up"] is True
    assert up["error"] is None
    assert {(x["topic"], x["function"], x["reply_topic"]) for x in up["routes"]} == {
        ("nats:svc.in", "up", "nats:svc.mid"), ("nats:svc.mid", "rev", "nats:svc.out")}
    assert "connector_invocations_total" in up["metrics"]
    assert down["url"] == f"http://127.0.0.1:{dead}" and down["up"] is False
    assert down["error"] and down["routes"] == [] and down["metrics"] == ""
    assert gw.api("POST", "/system/connectors").status_code == 405


def test_connectors_endpoint_without_connectors_and_behind_auth(gateway):
    gw = gateway()
    assert gw.api("GET", "/system/connectors").json() == []
    gw2 = gateway(dict(CREDS, connector_urls="http://127.0.0.1:1"))
    assert gw2.api("GET", "/system/connectors").status_code == 401
    r = gw2.api("GET", "/system/connectors", auth=("admin", "s3cret"))
    assert r.status_code == 200 and r.json()[0]["up"] is False


def text_of(page, css):
    """The text of the first element css selects, or None; asked again
    when the graph was redrawn between finding the element and reading
    it (it is every 2 s)."""
    from selenium.common.exceptions import StaleElementReferenceException
    for _ in range(5):
        try:
            found = page.d.find_elements("css selector", css)
            return found[0].text if found else None
        except StaleElementReferenceException:
            continue
    return None


def edge_label(page, src, dst):
    return text_of(page, f'[data-edge="{src}>{dst}"]') or ""


def test_topology_draws_the_chain_with_counts_that_rise(gateway, nats, connector, page):
    srv, gw, c, dead = bus(gateway, nats, connector)
    page.open(gw, "topology")
    page.wait_text("connector-list", f"up http://127.0.0.1:{c.port} — 2 route(s)")
    page.wait_text("connector-list", f"down http://127.0.0.1:{dead}")
    svg = page.el("topo-svg")
    wait_for(lambda: len(svg.find_elements("css selector", "g.function")) == 2, 10 * SLOW,
             what="two function nodes")
    labels = {g.get_attribute("data-id") for g in svg.find_elements("css selector", "g")}
    assert {"t:nats:svc.in", "f:up", "t:nats:svc.mid", "f:rev", "t:nats:svc.out",
            "t:nats:svc.dead"} <= labels, labels
    # Columns follow the chain: each hop sits right of the one before.
    x = {i: float(page.d.find_element("css selector", f'g[data-id="{i}"] rect')
                  .get_attribute("x")) for i in ("t:nats:svc.in", "f:up", "f:rev", "t:nats:svc.out")}
    assert x["t:nats:svc.in"] < x["f:up"] < x["f:rev"] < x["t:nats:svc.out"], x
    assert edge_label(page, "f:up", "t:nats:svc.mid") == "0 replies"
    gw.wait_available("up", 1)
    gw.wait_available("rev", 1)
    pub = NatsClient(srv.nats_url)
    for i in range(3):
        pub.publish("svc.in", f"event {i}".encode())
    pub.close()
    wait_for(lambda: edge_label(page, "t:nats:svc.in", "f:up") == "3 calls", 10 * SLOW,
             interval=0.2, what="3 calls on svc.in -> up")
    wait_for(lambda: edge_label(page, "f:rev", "t:nats:svc.out") == "3 replies", 10 * SLOW,
             interval=0.2, what="3 replies of rev")
    assert edge_label(page, "f:up", "t:nats:svc.dead") == "0 dead letters"
    page.shot("topology")


def test_topology_shows_calls_in_flight_and_the_lag_per_partition(
        gateway, broker, connector, page):
    bs = broker("-t", "slow-in:2")
    port = free_port()
    gw = gateway({"connector_urls": f"http://127.0.0.1:{port}"})
    gw.deploy("slow", env_process="sh -c 'sleep 5; cat'", annotations={"topic": "slow-in"})
    gw.wait_available("slow", 1)
    c = connector(gw, bs, port=port)
    wait_for(lambda: c.routes()["routes"], 10, what="the connector's route")
    assert c.routes()["routes"][0]["inflight"] == 0
    page.open(gw, "topology")
    inflight = lambda: text_of(page, '[data-inflight="t:slow-in>f:slow"]')
    lag = lambda: text_of(page, '[data-lag="t:slow-in"]') or ""
    wait_for(lambda: inflight() == "0 in flight", 10 * SLOW, interval=0.2, what="the edge")
    # Keyless records keep no order, so all four are called at once.
    produce(bs, "slow-in", [(None, b"r%d" % i, None) for i in range(4)])
    wait_for(lambda: inflight() == "4 in flight", 10 * SLOW, interval=0.2, what="4 in flight")
    assert c.routes()["routes"][0]["inflight"] == 4
    wait_for(lambda: lag().startswith("lag 4: "), 5 * SLOW,
             interval=0.2, what="the topic's lag")
    # Keyless records land on either partition; both are listed, summing to 4.
    shown = lag()
    m = re.fullmatch(r"lag 4: p0 (\d), p1 (\d)", shown)
    assert m and int(m[1]) + int(m[2]) == 4, shown
    page.shot("topology-inflight")
    wait_for(lambda: edge_label(page, "t:slow-in", "f:slow") == "4 calls", 20 * SLOW,
             interval=0.2, what="4 calls done")
    wait_for(lambda: inflight() == "0 in flight", 5 * SLOW, interval=0.2, what="none in flight")
    wait_for(lambda: lag() == "lag 0: p0 0, p1 0", 10 * SLOW, interval=0.2,
             what="no lag once committed")
    assert c.routes()["routes"][0]["inflight"] == 0


# --- the queue and its dead letters --------------------------------------------

RETRY_TWICE = {"com.openfaas.retry.attempts": "2", "com.openfaas.retry.min_wait": "50ms"}


def fixable(rec):
    """A function that fails until the file rec/ok exists, then answers
    (and records) the body it got."""
    return f"sh -c '[ -f {rec}/ok ] || exit 1; tee -a {rec}/got'"


def queue_stack(nats, gateway, queue_worker, env=None):
    from test_queue import record_dir
    srv = nats()
    gw = gateway(dict({"nats_url": srv.nats_url}, **(env or {})))
    rec = record_dir()
    gw.deploy("fix", env_process=fixable(rec), annotations=RETRY_TWICE)
    gw.wait_available("fix", 1)
    queue_worker(srv, gw)
    return srv, gw, rec


def letter_row(page, seq):
    return page.d.find_element("css selector", f'#dl-table tr[data-seq="{seq}"]')


def letter_button(page, seq, action):
    return page.d.find_element(
        "css selector", f'#dl-table button[data-seq="{seq}"][data-action="{action}"]')


def dead_letters(gw):
    return gw.api("GET", "/system/dead-letters").json()


def wait_dead(gw, n):
    wait_for(lambda: dead_letters(gw)["total"] == n, 20, interval=0.1, what=f"{n} dead letters")
    return [x["seq"] for x in dead_letters(gw)["letters"]]


def test_a_dead_letter_shows_with_its_reason_and_replay_sends_it_again(nats, gateway,
                                                                       queue_worker, page):
    srv, gw, rec = queue_stack(nats, gateway, queue_worker)
    page.open(gw, "queue")
    page.wait_text("dl-total", "0 dead letter(s)")
    r = requests.post(f"{gw.url}/async-function/fix/sub?x=1", data=b"payload-1",
                      headers={"X-Custom": "kept"}, timeout=10)
    assert r.status_code == 202, r.text
    # It fails twice, and the page shows it without a reload.
    page.wait_text("dl-table", "function failed after 2 attempts", timeout=15)
    (seq,) = wait_dead(gw, 1)
    row = letter_row(page, seq).text
    assert "fix.openfaas-fn" in row and " 500 " in f" {row} " and " 2 " in f" {row} ", row
    page.wait_text("q-dead", "1")
    page.shot("queue")
    # Its detail: what the call was.
    letter_button(page, seq, "detail").click()
    page.wait_text("dl-body", "payload-1")
    page.wait_text("dl-headers", "X-Custom: kept")
    page.wait_text("dl-fields", "POST /sub?x=1")
    page.shot("queue-letter")
    # Fixed: a replay, from the keyboard, goes through and the letter goes.
    open(f"{rec}/ok", "w").close()
    from selenium.webdriver.common.keys import Keys
    letter_button(page, seq, "replay").send_keys(Keys.ENTER)
    page.wait_text("replay-list", f"Letter {seq} to fix.openfaas-fn: 200 OK", timeout=15)
    page.wait_text("replay-list", "replayed, removed")
    page.wait_text("replay-list", "payload-1")  # the function's answer
    page.wait_text("dl-total", "0 dead letter(s)")
    assert dead_letters(gw)["total"] == 0
    with open(f"{rec}/got") as f:
        assert f.read() == "payload-1"  # once, with its body
    page.shot("queue-replayed")


def test_replay_all_delete_with_confirmation_and_phone_width(nats, gateway, queue_worker, page):
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    srv, gw, rec = queue_stack(nats, gateway, queue_worker)
    for i in range(3):
        assert requests.post(f"{gw.url}/async-function/fix", data=f"b{i}".encode(),
                             timeout=10).status_code == 202
    newest, middle, oldest = wait_dead(gw, 3)
    body = {x["seq"]: x["preview"] for x in dead_letters(gw)["letters"]}
    page.open(gw, "queue")
    page.wait_text("dl-total", "3 dead letter(s)")
    # Delete asks first; "no" keeps the letter.
    letter_button(page, middle, "delete").click()
    alert = WebDriverWait(page.d, 5).until(EC.alert_is_present())
    assert f"Delete dead letter {middle}" in alert.text
    alert.dismiss()
    assert middle in [x["seq"] for x in dead_letters(gw)["letters"]]
    letter_button(page, middle, "delete").click()
    WebDriverWait(page.d, 5).until(EC.alert_is_present()).accept()
    page.wait_text("replay-list", f"Letter {middle} to fix.openfaas-fn: deleted")
    page.wait_text("dl-total", "2 dead letter(s)")
    assert [x["seq"] for x in dead_letters(gw)["letters"]] == [newest, oldest]
    # Still failing: replay all keeps them, and says why.
    page.el("replay-all").click()
    page.wait_text("replay-title", "Replay all: 0 of 2 replayed and removed", timeout=15)
    page.wait_text("replay-list", "500")
    page.wait_text("replay-list", "kept")
    assert dead_letters(gw)["total"] == 2
    # At phone width the list still reads, without sideways scrolling.
    page.d.set_window_size(390, 800)
    assert page.d.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
    page.d.execute_script("document.getElementById('h-letters').scrollIntoView()")
    page.shot("queue-phone")
    page.d.set_window_size(1200, 1000)
    open(f"{rec}/ok", "w").close()
    page.el("replay-all").click()
    page.wait_text("replay-title", "Replay all: 2 of 2 replayed and removed", timeout=15)
    page.wait_text("dl-total", "0 dead letter(s)")
    with open(f"{rec}/got") as f:
        # Oldest first; the deleted one never ran again.
        assert f.read() == body[oldest] + body[newest]
    page.shot("queue-replay-all")


def test_replay_through_the_async_queue(nats, gateway, queue_worker, page):
    # A short de-duplication window: the replay keeps the call's X-Call-Id.
    srv, gw, rec = queue_stack(nats, gateway, queue_worker, {"queue_dedup_window": "100ms"})
    r = requests.post(f"{gw.url}/async-function/fix", data=b"again",
                      headers={"X-Call-Id": "order-7"}, timeout=10)
    assert r.status_code == 202
    (seq,) = wait_dead(gw, 1)
    open(f"{rec}/ok", "w").close()
    page.open(gw, "queue")
    page.wait_text("dl-table", "fix.openfaas-fn")
    from selenium.webdriver.support.ui import Select
    Select(page.el("replay-via")).select_by_value("async")
    letter_button(page, seq, "replay").click()
    page.wait_text("replay-list", f"Letter {seq} to fix.openfaas-fn: 202 Accepted")
    page.wait_text("replay-list", "queued again as order-7")
    page.wait_text("dl-total", "0 dead letter(s)")
    # The worker runs it again, and this time it succeeds.
    wait_for(lambda: os.path.exists(f"{rec}/got"), 15, what="the queued replay to run")
    with open(f"{rec}/got") as f:
        assert f.read() == "again"


def test_queue_view_shows_the_connectors_error_topics_and_their_dead_letters(
        gateway, nats, connector, page):
    srv, gw, c, dead = bus(gateway, nats, connector)
    page.open(gw, "queue")
    # This gateway's own queue is disabled (nats_url is ""): it says so.
    page.wait_text("queue-error", "async calls are disabled")
    page.wait_text("error-topics", f"http://127.0.0.1:{c.port} nats:svc.dead up 0")
    page.wait_text("error-topics", f"http://127.0.0.1:{dead} down")
    # "up" breaks: its failures go to its error topic, and the count rises.
    gw.deploy("up", env_process="false", method="PUT", image="x", annotations={
        "topic": "nats:svc.in", "reply-topic": "nats:svc.mid", "error-topic": "nats:svc.dead",
        "com.openfaas.retry.attempts": "1"})
    wait_for(lambda: any(r["function"] == "up" and r["retry"]["attempts"] == 1
                         for r in c.routes()["routes"]), 10, what="the connector's new route")
    # The old replica serves until the new one is ready.
    wait_for(lambda: gw.call("up", data=b"x").status_code == 500, 10, interval=0.1,
             what="the new replica of up")
    pub = NatsClient(srv.nats_url)
    for i in range(2):
        pub.publish("svc.in", b"doomed %d" % i)
    pub.close()
    page.wait_text("error-topics", f"http://127.0.0.1:{c.port} nats:svc.dead up 2",
                   timeout=15 * SLOW)
    page.shot("queue-connectors")
