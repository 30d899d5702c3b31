"""Static mode: the files under static_path, served over HTTP."""
import os
import socket

import pytest
import requests

SECRET = "top-secret-outside-static-path"


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "public"
    (root / "css").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "css" / "site.css").write_text("body{color:red}")
    (root / "app.js").write_text("console.log(1)")
    (root / "data.json").write_text('{"a":1}')
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(5000))
    (root / "notes.txt").write_text("plain words")
    (root / "blob.bin").write_bytes(b"\x00\x01\x02")
    (root / "docs" / "index.html").write_text("<p>docs</p>")
    (tmp_path / "secret.txt").write_text(SECRET)
    return root


def raw_get(port, target):
    """Sends the request target exactly as given (no client normalisation)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body


def test_index_html_is_served_for_the_root(watchdog, site):
    wd = watchdog({"mode": "static", "static_path": str(site)})
    r = requests.get(wd.url + "/", timeout=5)
    assert r.status_code == 200
    assert r.text == "<h1>home</h1>"
    assert r.headers["Content-Type"].startswith("text/html")


def test_index_html_of_a_subdirectory(watchdog, site):
    wd = watchdog({"mode": "static", "static_path": str(site)})
    for path in ("/docs/", "/docs"):
        r = requests.get(wd.url + path, timeout=5, allow_redirects=False)
        assert r.status_code == 200, path
        assert r.text == "<p>docs</p>"


@pytest.mark.parametrize("path,ctype", [
    ("/css/site.css", "text/css"),
    ("/app.js", "text/javascript"),
    ("/data.json", "application/json"),
    ("/logo.png", "image/png"),
    ("/notes.txt", "text/plain"),
    ("/blob.bin", "application/octet-stream"),
])
def test_content_type_follows_the_extension(watchdog, site, path, ctype):
    wd = watchdog({"mode": "static", "static_path": str(site)})
    r = requests.get(wd.url + path, timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == ctype
    assert r.content == (site / path.lstrip("/")).read_bytes()


def test_missing_file_is_404(watchdog, site):
    wd = watchdog({"mode": "static", "static_path": str(site)})
    assert requests.get(wd.url + "/nope.html", timeout=5).status_code == 404
    assert requests.get(wd.url + "/css/nope.css", timeout=5).status_code == 404


@pytest.mark.parametrize("target", [
    "/../secret.txt",
    "/css/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/css/%2E%2E/%2E%2E/secret.txt",
])
def test_parent_traversal_is_rejected(watchdog, site, target):
    wd = watchdog({"mode": "static", "static_path": str(site)})
    status, body = raw_get(wd.port, target)
    assert status in (400, 403, 404), status
    assert SECRET.encode() not in body


def test_post_is_405(watchdog, site):
    wd = watchdog({"mode": "static", "static_path": str(site)})
    r = requests.post(wd.url + "/index.html", data=b"x", timeout=5)
    assert r.status_code == 405
    assert "GET" in r.headers.get("Allow", "")


def test_head_gives_headers_without_body(watchdog, site):
    wd = watchdog({"mode": "static", "static_path": str(site)})
    r = requests.head(wd.url + "/index.html", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Length"] == str(len("<h1>home</h1>"))
    assert r.content == b""


def test_health_endpoints_still_work(watchdog, site):
    wd = watchdog({"mode": "static", "static_path": str(site)})
    r = requests.get(wd.url + "/_/health", timeout=5)
    assert r.status_code == 200
    assert r.text == "OK"
