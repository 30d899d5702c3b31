"""faasbus login/logout against a gateway with basic auth: a file of mode
0600, faas-cli's config.yml read too, credentials from the environment."""
import base64
import json
import os
import stat

from cli_util import cli  # noqa: F401 (fixture)

CREDS = {"basic_auth": "true", "auth_user": "admin", "auth_password": "p4ss:word"}


def test_login_saves_0600_and_logout_forgets(gateway, cli):
    gw = gateway(CREDS)
    env = {"OPENFAAS_URL": gw.url}
    r = cli("list", env=env, check=1)
    assert "unauthorized (401)" in r.err
    r = cli("login", "--password-stdin", input=b"wrong\n", env=env, check=1)
    assert "refused" in r.err
    path = os.path.join(cli.home, ".faasbus", "config.yml")
    assert not os.path.exists(path)
    r = cli("login", "-u", "admin", "--password-stdin", input=b"p4ss:word\n", env=env, check=0)
    assert path in r.out
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as f:
        text = f.read()
    assert gw.url in text and "p4ss" not in text  # base64, as faas-cli writes it
    assert base64.b64encode(b"admin:p4ss:word").decode() in text
    cli("deploy", "--image", "x", "--name", "locked", "--fprocess", "cat", env=env, check=0)
    assert "locked" in cli("list", env=env, check=0).out
    cli("logout", env=env, check=0)
    assert "unauthorized" in cli("list", env=env, check=1).err
    assert "no saved credentials" in cli("logout", env=env, check=1).err
    assert "--password-stdin" in cli("login", env=env, check=1).err


def test_faas_cli_config_and_environment_credentials(gateway, cli):
    gw = gateway(CREDS)
    env = {"OPENFAAS_URL": gw.url}
    os.makedirs(os.path.join(cli.home, ".openfaas"))
    token = base64.b64encode(b"admin:p4ss:word").decode()
    with open(os.path.join(cli.home, ".openfaas", "config.yml"), "w") as f:
        f.write(f"authconfigs:\n- gateway: {gw.url}/\n  token: {token}\n  auth: basic\n")
    assert json.loads(cli("list", "-o", "json", env=env, check=0).out) == []
    os.unlink(os.path.join(cli.home, ".openfaas", "config.yml"))
    assert cli("list", env=env).returncode == 1
    cli("list", env=dict(env, OPENFAAS_PASSWORD="p4ss:word"), check=0)
    r = cli("list", env=dict(env, FAASBUS_USER="admin", FAASBUS_PASSWORD="bad"), check=1)
    assert "unauthorized" in r.err


# Every verb that talks to the gateway, with the arguments it needs.
GATEWAY_VERBS = [
    ("list",), ("describe", "fn"), ("invoke", "fn"), ("logs", "fn"),
    ("scale", "fn", "--replicas", "1"), ("remove", "fn"), ("secret", "list"),
    ("secret", "create", "s", "--from-literal", "v"), ("secret", "update", "s",
                                                      "--from-literal", "v"),
    ("secret", "remove", "s"), ("namespace", "list"), ("version",),
    ("deploy", "--image", "x", "--name", "fn"),
]


def test_every_verb_reports_a_gateway_that_is_down(cli):
    for verb in GATEWAY_VERBS:
        r = cli(*verb, "-g", "http://127.0.0.1:1", check=1)
        assert "cannot reach the gateway at http://127.0.0.1:1" in r.err, verb
    r = cli("login", "--password-stdin", "-g", "http://127.0.0.1:1", input=b"pw", check=1)
    assert "cannot reach the gateway" in r.err


def test_every_verb_reports_bad_credentials(gateway, cli):
    gw = gateway(CREDS)
    env = {"OPENFAAS_URL": gw.url, "FAASBUS_PASSWORD": "wrong"}
    for verb in GATEWAY_VERBS:
        if verb[0] in ("invoke", "version"):
            continue  # function calls and /system/info are open (auth_functions=false)
        r = cli(*verb, env=env, check=1)
        assert "unauthorized (401)" in r.err, (verb, r.err)
