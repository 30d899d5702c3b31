"""The OpenFaaS conformance suite, written from the expectations of
OpenFaaS's certifier: what a provider must do, whatever runs the replicas.

Not collected by itself (no test_ prefix): a driver's test module imports
these tests and provides the `conformance_gw` fixture, a started Gateway
(conftest.Gateway) on that driver with one extra attribute, `kit`, which
knows how that driver runs things:

    kit.image                      image to deploy (the process driver
                                   ignores it; an image driver needs one
                                   that has sha512sum, env and sh)
    kit.deploy_redirector(gw, name) deploys a function whose GET /redirect
                                   answers 302 Location: /echo

See test_conformance_process.py for the process driver's."""
import base64
import hashlib
import json
import re
import threading

import requests

from conftest import SLOW, env_of, wait_for

CLASSIC_STAMP = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ")


def deploy(gw, name, env_process, replicas=1, **fields):
    fields.setdefault("image", gw.kit.image)
    gw.deploy(name, env_process=env_process, **fields)
    gw.wait_available(name, replicas, timeout=30 * SLOW)


def logs(gw, **params):
    r = gw.api("GET", "/system/logs", params=params)
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines() if line]


# --- invoke -------------------------------------------------------------


def test_invoke_not_found_is_404_with_a_reason(conformance_gw):
    gw = conformance_gw
    for path, says in (("/function/notfound", "notfound"), ("/function/", "no function name"),
                       ("/function/.openfaas-fn", "not found"),
                       ("/function/Bad_Name", "Bad_Name"),
                       ("/function/notfound/sub/path", "notfound")):
        r = requests.post(gw.url + path, data=b"x", timeout=10 * SLOW)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert says in r.text, (path, r.text)
        assert "not found" in r.text, (path, r.text)


def test_stronghash_deploys_lists_and_hashes(conformance_gw):
    gw = conformance_gw
    deploy(gw, "stronghash", "sha512sum")
    r = gw.api("GET", "/system/functions")
    assert r.status_code == 200
    assert "stronghash" in [f["name"] for f in r.json()]
    r = gw.call("stronghash", data=b"hello")
    assert r.status_code == 200, r.text
    assert r.text.split()[0] == hashlib.sha512(b"hello").hexdigest()


def test_custom_env_vars_and_query_string_reach_the_function(conformance_gw):
    gw = conformance_gw
    deploy(gw, "env-test", "env", envVars={"custom_env": "custom_env_value"})
    r = gw.call("env-test", method="POST")
    assert r.status_code == 200
    assert env_of(r.text)["custom_env"] == "custom_env_value"
    assert "Http_Query" not in env_of(r.text)
    r = requests.post(gw.url + "/function/env-test?testing=1", timeout=30 * SLOW)
    assert "Http_Query=testing=1" in r.text


def test_every_verb_reaches_the_function(conformance_gw):
    gw = conformance_gw
    deploy(gw, "env-test-verbs", "env")
    for verb in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        r = gw.call("env-test-verbs", method=verb)
        assert r.status_code == 200, (verb, r.text)
        assert f"Http_Method={verb}" in r.text, verb


def test_path_query_and_headers_reach_the_function(conformance_gw):
    gw = conformance_gw
    deploy(gw, "env-path", "env")
    r = gw.call("env-path", "/a/b%20c/", method="GET", params={"q": "1", "r": "x y"},
                headers={"X-Custom": "v1", "Content-Type": "text/plain"})
    env = env_of(r.text)
    assert env["Http_Path"] == "/a/b c/" or env["Http_Path"] == "/a/b%20c/", env
    assert env["Http_Query"] == "q=1&r=x+y"
    assert env["Http_X_Custom"] == "v1"
    assert env["Http_Content_Type"] == "text/plain"


def test_a_redirect_reaches_the_caller(conformance_gw):
    gw = conformance_gw
    gw.kit.deploy_redirector(gw, "redirector-test")
    gw.wait_available("redirector-test", 1, timeout=30 * SLOW)
    r = gw.call("redirector-test", "/redirect", method="GET", allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"] == "/echo"


# --- deploy metadata ----------------------------------------------------

OPTIONAL = ("envVars", "labels", "annotations", "constraints", "secrets", "limits", "requests",
            "readOnlyRootFilesystem")


def listed(gw, name):
    return next(f for f in gw.api("GET", "/system/functions").json() if f["name"] == name)


def test_fields_not_deployed_are_absent(conformance_gw):
    gw = conformance_gw
    deploy(gw, "bare", "cat")
    for st in (gw.status("bare"), listed(gw, "bare")):
        for field in OPTIONAL:
            assert field not in st, (field, st)
        assert st["name"] == "bare" and st["image"] == gw.kit.image


def test_labels_and_annotations_round_trip_exactly(conformance_gw):
    gw = conformance_gw
    labels = {"upstream_uri": "example.com", "canary_build": "true"}
    annotations = {"important-date": "Fri Aug 10 08:21:00 BST 2018",
                   "some-json": '{    "glossary": {  "title": "example",\t"list": ["GML", "XML"]}}'}
    env = {"A": "1", "EMPTY": ""}
    deploy(gw, "meta", "env", labels=labels, annotations=annotations, envVars=env,
           constraints=["node.platform.os == linux"], readOnlyRootFilesystem=False,
           limits={"memory": "128Mi"})
    assert gw.call("meta").status_code == 200
    for st in (gw.status("meta"), listed(gw, "meta")):
        assert st["labels"] == labels
        assert st["annotations"] == annotations
        assert st["envVars"] == env
        assert st["constraints"] == ["node.platform.os == linux"]
        assert st["readOnlyRootFilesystem"] is False
        assert st["limits"] == {"memory": "128Mi"}
        assert st["envProcess"] == "env"


# --- logs ---------------------------------------------------------------


def test_logs_tail_two_after_one_call_are_the_classic_lines(conformance_gw):
    gw = conformance_gw
    deploy(gw, "test-logger", "sha512sum")
    assert gw.call("test-logger", data=b"").status_code == 200
    wait_for(lambda: any("Wrote " in l["text"] for l in logs(gw, name="test-logger")),
             10, what="the Wrote line")
    got = logs(gw, name="test-logger", tail="2")
    assert len(got) == 2, got
    texts = [l["text"] for l in got]
    for t in texts:
        assert CLASSIC_STAMP.match(t), t
        assert t.lstrip("0123456789/: ").startswith(("Forking fprocess", "Wrote 132 Bytes")), t
    assert CLASSIC_STAMP.sub("", texts[0]) == "Forking fprocess."
    assert re.fullmatch(r"Wrote 132 Bytes - Duration: \d+\.\d+ seconds",
                        CLASSIC_STAMP.sub("", texts[1])), texts[1]
    assert all(l["name"] == "test-logger" for l in got)


def test_log_lines_never_mix_two_replicas_bytes(conformance_gw):
    gw = conformance_gw
    # Each call writes one long line made of a single letter, to stderr.
    fprocess = "sh -c 'printf \"%02000d\\n\" 0 | tr 0 \"$Http_X_Letter\" >&2'"
    deploy(gw, "mixer", fprocess, envVars={"combine_output": "false"},
           labels={"com.openfaas.scale.min": "2", "com.openfaas.scale.max": "2"}, replicas=2)
    letters = "abcdefghij"
    errors = []

    def caller(letter):
        for _ in range(5):
            r = gw.call("mixer", headers={"X-Letter": letter})
            if r.status_code != 200:
                errors.append(r.status_code)

    threads = [threading.Thread(target=caller, args=(x,)) for x in letters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors

    def long_lines():
        return [l for l in logs(gw, name="mixer") if len(l["text"]) >= 2000]

    wait_for(lambda: len(long_lines()) == 50, 20, what="50 long lines")
    seen = set()
    for l in long_lines():
        run = re.search(r"([a-j])\1{1999}$", l["text"])
        assert run, l["text"][:100]
        assert set(l["text"][-2000:]) == {run.group(1)}
        seen.add(run.group(1))
    assert seen == set(letters)
    assert len({l["instance"] for l in long_lines()}) == 2


# --- secrets ------------------------------------------------------------


def test_secrets_are_read_at_the_openfaas_path_and_only_by_their_function(conformance_gw):
    gw = conformance_gw
    where = gw.kit.secrets_path  # /var/openfaas/secrets where the driver can
    for body in ({"name": "secret-string", "value": "tester-value"},
                 {"name": "secret-bytes", "rawValue": base64.b64encode(b"\x00\x01\xfe\xff").decode()}):
        r = gw.api("POST", "/system/secrets", json=body)
        assert r.status_code in (200, 201, 202), r.text
    deploy(gw, "secret-string", f"sh -c 'cat {where}/secret-string'", secrets=["secret-string"])
    deploy(gw, "secret-bytes", f"sh -c 'cat {where}/secret-bytes'", secrets=["secret-bytes"])
    deploy(gw, "no-secrets", f"sh -c 'ls -a {where}; cat {where}/secret-string'")
    r = gw.call("secret-string")
    assert r.status_code == 200 and r.text == "tester-value", r.text
    r = gw.call("secret-bytes")
    assert r.status_code == 200 and r.content == b"\x00\x01\xfe\xff", r.content
    r = gw.call("no-secrets")
    assert "tester-value" not in r.text
    assert "secret-string" not in r.text.replace(f"{where}/secret-string", "")


# --- errors -------------------------------------------------------------


def test_every_error_body_says_what_was_wrong(conformance_gw):
    gw = conformance_gw
    cases = [
        ("GET", "/system/function/nope", None, 404, "nope"),
        ("DELETE", "/system/functions", {"functionName": "nope"}, 404, "nope"),
        ("POST", "/system/scale-function/nope", {"serviceName": "nope", "replicas": 1}, 404,
         "nope"),
        ("POST", "/system/functions", {"service": "x"}, 400, "image"),
        ("POST", "/system/functions", b"{", 400, "JSON"),
        ("PATCH", "/system/functions", None, 405, ""),
        ("GET", "/system/logs?name=nope", None, 404, "nope"),
        ("GET", "/system/nope", None, 404, "/system/nope"),
    ]
    for method, path, body, code, says in cases:
        kw = {"json": body} if isinstance(body, dict) else {"data": body}
        r = gw.api(method, path, **kw)
        assert r.status_code == code, (method, path, r.status_code, r.text)
        assert r.text.strip(), (method, path, "empty body")
        assert says.lower() in r.text.lower(), (method, path, r.text)
