"""/system/secrets: values go in (as text or base64 rawValue), are stored
0600 in the state directory, are never returned, and reach the functions
that list them as files under $secret_mount_path."""
import base64
import os
import stat

import pytest

SECRETS = "/system/secrets"


def listing(gw, namespace=None):
    params = {"namespace": namespace} if namespace else None
    r = gw.api("GET", SECRETS, params=params)
    assert r.status_code == 200
    return sorted(r.json(), key=lambda s: s["name"])


def stored_files(gw, content):
    """Files under state_dir holding exactly content."""
    out = []
    for root, _, files in os.walk(gw.state_dir):
        for f in files:
            path = os.path.join(root, f)
            with open(path, "rb") as fh:
                if fh.read() == content:
                    out.append(path)
    return out


def test_create_update_delete_and_list(gateway):
    gw = gateway()
    assert listing(gw) == []
    r = gw.api("POST", SECRETS, json={"name": "api-key", "value": "first-value"})
    assert r.status_code == 201, r.text
    r = gw.api("POST", SECRETS, json={"name": "api-key", "value": "again"})
    assert r.status_code == 409
    r = gw.api("POST", SECRETS, json={"name": "raw", "rawValue": base64.b64encode(
        b"\x00\x01\xfe\xff binary").decode()})
    assert r.status_code == 201, r.text
    assert listing(gw) == [{"name": "api-key", "namespace": "openfaas-fn"},
                           {"name": "raw", "namespace": "openfaas-fn"}]
    r = gw.api("PUT", SECRETS, json={"name": "api-key", "value": "second-value"})
    assert r.status_code == 200, r.text
    r = gw.api("PUT", SECRETS, json={"name": "nope", "value": "x"})
    assert r.status_code == 404
    r = gw.api("DELETE", SECRETS, json={"name": "api-key"})
    assert r.status_code == 204
    r = gw.api("DELETE", SECRETS, json={"name": "api-key"})
    assert r.status_code == 404
    assert listing(gw) == [{"name": "raw", "namespace": "openfaas-fn"}]


def test_values_are_never_returned(gateway):
    gw = gateway()
    value = "very-secret-value-8c1f"
    assert gw.api("POST", SECRETS, json={"name": "hidden", "value": value}).status_code == 201
    gw.deploy("user", secrets=["hidden"])
    for path in (SECRETS, "/system/functions", "/system/function/user", "/metrics",
                 "/system/logs?name=user"):
        r = gw.api("GET", path)
        assert r.status_code == 200, path
        assert value not in r.text, path
        assert base64.b64encode(value.encode()).decode() not in r.text, path


def test_secrets_are_stored_0600_in_the_state_directory(gateway):
    gw = gateway()
    value = b"\x00stored-bytes\xff"
    r = gw.api("POST", SECRETS, json={"name": "ondisk",
                                       "rawValue": base64.b64encode(value).decode()})
    assert r.status_code == 201
    [path] = stored_files(gw, value)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    gw.api("PUT", SECRETS, json={"name": "ondisk", "value": "changed"})
    assert stored_files(gw, value) == []
    [path] = stored_files(gw, b"changed")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    gw.api("DELETE", SECRETS, json={"name": "ondisk"})
    assert stored_files(gw, b"changed") == []


def test_secrets_are_per_namespace(gateway):
    gw = gateway()
    r = gw.api("POST", SECRETS, json={"name": "shared", "value": "a", "namespace": "team"})
    assert r.status_code == 201
    r = gw.api("POST", SECRETS, json={"name": "shared", "value": "b"})
    assert r.status_code == 201
    assert listing(gw, "team") == [{"name": "shared", "namespace": "team"}]
    assert listing(gw) == [{"name": "shared", "namespace": "openfaas-fn"}]
    r = gw.api("DELETE", SECRETS, json={"name": "shared", "namespace": "team"})
    assert r.status_code == 204
    assert listing(gw, "team") == []
    assert listing(gw) == [{"name": "shared", "namespace": "openfaas-fn"}]


def test_namespace_query_argument_applies_to_secret_changes(gateway):
    """As for /system/functions, ?namespace= names the namespace when the
    body does not; above all it must never act on another namespace."""
    gw = gateway()
    for ns in ("team", None):
        body = {"name": "shared", "value": f"in {ns}"}
        if ns:
            body["namespace"] = ns
        assert gw.api("POST", SECRETS, json=body).status_code == 201
    r = gw.api("DELETE", SECRETS + "?namespace=team", json={"name": "shared"})
    assert listing(gw) == [{"name": "shared", "namespace": "openfaas-fn"}], \
        "DELETE ?namespace=team removed the secret of openfaas-fn"
    assert r.status_code == 204
    assert listing(gw, "team") == []
    r = gw.api("POST", SECRETS + "?namespace=team", json={"name": "only-team", "value": "t"})
    assert r.status_code == 201
    assert listing(gw, "team") == [{"name": "only-team", "namespace": "team"}]


@pytest.mark.parametrize("body, field", [
    ({"name": "x"}, "value"),
    ({"name": "x", "value": "a", "rawValue": "YQ=="}, "rawValue"),
    ({"name": "x", "rawValue": "not base64!"}, "rawValue"),
    ({"name": "x", "rawValue": "YQ="}, "rawValue"),
    ({"name": "x", "value": 5}, "value"),
    ({"name": "Bad_Name", "value": "a"}, "name"),
    ({"name": "../../etc/evil", "value": "a"}, "name"),
    ({"name": "x", "value": "a", "namespace": "../up"}, "namespace"),
    ({"value": "a"}, "name"),
    ({"name": 7, "value": "a"}, "name"),
])
def test_bad_secret_bodies_are_400_and_change_nothing(gateway, body, field):
    gw = gateway()
    r = gw.api("POST", SECRETS, json=body)
    assert r.status_code == 400
    assert field in r.text
    assert listing(gw) == []


def test_a_function_reads_the_secrets_it_lists(gateway):
    gw = gateway()
    raw = b"\x00\x01binary\xff"
    gw.api("POST", SECRETS, json={"name": "db-pass", "value": "hunter2"})
    gw.api("POST", SECRETS, json={"name": "blob", "rawValue": base64.b64encode(raw).decode()})
    gw.api("POST", SECRETS, json={"name": "not-listed", "value": "nope"})
    gw.deploy("reader", env_process="sh -c 'cat \"$secret_mount_path/$Http_X_Name\"'",
              secrets=["db-pass", "blob"])
    gw.wait_available("reader", 1)
    r = gw.call("reader", data=b"", headers={"X-Name": "db-pass"})
    assert r.status_code == 200, r.text
    assert r.text == "hunter2"
    r = gw.call("reader", data=b"", headers={"X-Name": "blob"})
    assert r.status_code == 200
    assert r.content == raw
    # A secret the function did not list is not there.
    r = gw.call("reader", data=b"", headers={"X-Name": "not-listed"})
    assert r.status_code != 200 or r.text != "nope"
