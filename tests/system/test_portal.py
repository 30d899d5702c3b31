"""The web portal at /ui/: the gateway serves its files (content types, no
way out of ui_dir, basic auth as on /system/*), and the page, driven in a
real headless Chromium, lists, deploys, invokes, tails logs and draws the
connector's routes. Screenshots land in each test's tmp_path."""
import http.client
import os

import requests

from conftest import ROOT

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
