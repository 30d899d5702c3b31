"""faasbus, the command-line client, against the real gateway: deploy
from stack files, list, describe, invoke, logs, scale, remove, and the
errors a user meets (unknown function, gateway down, bad stack file)."""
import json

from cli_util import cli  # noqa: F401 (fixture)
from conftest import wait_for

# A stack file in the form of OpenFaaS's documentation (its YAML
# reference): build-time keys and all, taken as it is.
DOCS_STACK = """\
version: 1.0
provider:
  name: openfaas
  gateway: http://127.0.0.1:8080

functions:
  url-ping:
    lang: python3
    handler: ./url-ping
    image: ${DOCKER_USER:-alexellis2}/faas-urlping:0.1
    fprocess: cat
    skip_build: true
    build_args:
      ADDITIONAL_PACKAGE: curl
    environment:
      write_timeout: 10s
      read_timeout: 10s
      write_debug: true
    environment_file:
      - env.yml
    labels:
      com.openfaas.scale.min: "1"
      com.openfaas.scale.max: "5"
    annotations:
      topic: payments-received
    limits:
      memory: 128Mi
      cpu: 500m
    requests:
      memory: 64Mi
      cpu: 100m
    readonly_root_filesystem: true
    constraints:
      - "node.platform.os == linux"
  shrink:
    lang: dockerfile
    handler: ./shrink
    image: functions/shrink:latest
    fprocess: tr A-Z a-z
"""


def deploy_docs_stack(cli, gw):
    cli.write("stack.yml", DOCS_STACK)
    cli.write("env.yml", "environment:\n  db_host: db.local\n  read_timeout: 20s\n")
    return cli("deploy", "--wait", env={"OPENFAAS_URL": gw.url}, check=0)


def test_a_stack_file_from_the_openfaas_docs_deploys_unchanged(gateway, cli):
    gw = gateway()
    r = deploy_docs_stack(cli, gw)
    assert "Deploying: url-ping." in r.out and "Deploying: shrink." in r.out
    assert f"URL: {gw.url}/function/shrink" in r.out
    assert r.err == ""  # build-time keys are known, not warned about
    st = gw.status("url-ping")
    assert st["image"] == "alexellis2/faas-urlping:0.1"
    assert st["envProcess"] == "cat"
    # The environment file overrides the inline environment.
    assert st["envVars"] == {"write_timeout": "10s", "read_timeout": "20s",
                             "write_debug": "true", "db_host": "db.local"}
    assert st["labels"]["com.openfaas.scale.max"] == "5"
    assert st["annotations"]["topic"] == "payments-received"
    assert st["limits"] == {"memory": "128Mi", "cpu": "500m"}
    assert st["requests"] == {"memory": "64Mi", "cpu": "100m"}
    assert st["readOnlyRootFilesystem"] is True
    assert st["constraints"] == ["node.platform.os == linux"]
    r = cli("invoke", "shrink", input=b"QUIET", env={"OPENFAAS_URL": gw.url}, check=0)
    assert r.out == "quiet"


def test_redeploy_updates_and_flags_override_the_stack(gateway, cli):
    gw = gateway()
    deploy_docs_stack(cli, gw)
    cli("deploy", "--filter", "shr*", "-g", gw.url, "--env", "extra=1", "--label", "l=v",
        "--annotation", "topic=other", check=0)
    st = gw.status("shrink")
    assert st["envVars"] == {"extra": "1"}
    assert st["labels"] == {"l": "v"}
    assert st["annotations"] == {"topic": "other"}
    assert gw.status("url-ping")["annotations"]["topic"] == "payments-received"
    r = cli("deploy", "--filter", "nothing", "-g", gw.url, check=1)
    assert "no functions matching" in r.err
    r = cli("deploy", "-g", gw.url, "--env", "novalue", check=1)
    assert "--env: expected KEY=VALUE" in r.err


def test_update_replace_and_env_subst_flags(gateway, cli):
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url, "TAG": "v2"}
    cli.write("stack.yml", "functions:\n  tagged:\n    image: img:${TAG}\n    fprocess: cat\n")
    cli("deploy", env=env, check=0)
    assert gw.status("tagged")["image"] == "img:v2"
    cli("deploy", "--env-subst=false", env=env, check=0)
    assert gw.status("tagged")["image"] == "img:${TAG}"
    # --update=false only creates: an existing function is the gateway's error.
    r = cli("deploy", "--update=false", env=env, check=1)
    assert "deploy tagged: the gateway answered" in r.err
    gw.scale("tagged", 2)
    gw.wait_available("tagged", 2)
    cli("deploy", "--replace", "--wait", env=env, check=0)  # removed, then created anew
    st = gw.status("tagged")
    assert st["image"] == "img:v2" and st["replicas"] == 1
    assert "true or false" in cli("deploy", "--replace=maybe", env=env, check=1).err


def test_gateway_order_flag_then_env_then_stack(gateway, cli):
    gw = gateway()
    cli.write("stack.yml", f"provider:\n  name: openfaas\n  gateway: {gw.url}\n"
                           "functions:\n  fromstack:\n    image: x\n    fprocess: cat\n")
    cli("deploy", check=0)  # the stack's gateway
    assert gw.status("fromstack") is not None
    r = cli("list", "-f", "stack.yml", env={"OPENFAAS_URL": "http://127.0.0.1:1"}, check=1)
    assert "cannot reach the gateway at http://127.0.0.1:1" in r.err
    r = cli("list", "-g", gw.url, env={"OPENFAAS_URL": "http://127.0.0.1:1"}, check=0)
    assert "fromstack" in r.out


def test_list_describe_and_json(gateway, cli):
    gw = gateway()
    deploy_docs_stack(cli, gw)
    env = {"OPENFAAS_URL": gw.url}
    r = cli("list", env=env, check=0)
    lines = r.out.splitlines()
    assert lines[0].split() == ["Function", "Invocations", "Replicas"]
    assert [l.split()[0] for l in lines[1:]] == ["shrink", "url-ping"]
    # Columns are aligned: every row's second column starts where the header's does.
    col = lines[0].index("Invocations")
    assert all(l[col - 2:col] == "  " and l[col] != " " for l in lines[1:])
    assert "\033[" not in r.out  # no colours when stdout is not a terminal
    r = cli("list", "-v", env=env, check=0)
    assert "functions/shrink:latest" in r.out and "Available" in r.out
    assert cli("ls", "-q", env=env, check=0).out.split() == ["shrink", "url-ping"]
    listed = json.loads(cli("list", "-o", "json", env=env, check=0).out)
    assert sorted(f["name"] for f in listed) == ["shrink", "url-ping"]
    r = cli("describe", "url-ping", env=env, check=0)
    assert "Image:" in r.out and "alexellis2/faas-urlping:0.1" in r.out
    assert "topic: payments-received" in r.out
    d = json.loads(cli("describe", "url-ping", "-o", "json", env=env, check=0).out)
    assert d["name"] == "url-ping" and d["availableReplicas"] >= 1
    r = cli("describe", "nope", env=env, check=1)
    assert "function nope not found" in r.err
    r = cli("list", "-o", "yaml", env=env, check=1)
    assert "--output" in r.err


def test_invoke_headers_query_method_and_errors(gateway, cli):
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url}
    cli("deploy", "--image", "x", "--name", "echo", "--fprocess", "env", "--wait", env=env,
        check=0)
    r = cli("invoke", "echo", "-H", "X-Mark=one", "--header", "X-Other: two", "--query",
            "q=a b", "-m", "PUT", input=b"", env=env, check=0)
    got = dict(l.split("=", 1) for l in r.out.splitlines() if "=" in l)
    assert got["Http_X_Mark"] == "one"
    assert got["Http_X_Other"] == "two"
    assert got["Http_Method"] == "PUT"
    assert got["Http_Query"] == "q=a%20b"
    r = cli("invoke", "missing", input=b"x", env=env, check=1)
    assert "function missing not found" in r.err
    r = cli("invoke", "echo", "--callback-url", "http://127.0.0.1:1/", env=env, check=1)
    assert "--callback-url needs --async" in r.err
    r = cli("invoke", "echo", input=b"x", env={"OPENFAAS_URL": "http://127.0.0.1:1"}, check=1)
    assert "cannot reach the gateway" in r.err


def test_scale_and_remove(gateway, cli):
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url}
    deploy_docs_stack(cli, gw)
    r = cli("scale", "shrink", "--replicas", "2", env=env, check=0)
    assert "Scaled shrink to 2" in r.out
    gw.wait_available("shrink", 2)
    assert cli("scale", "nope", "--replicas", "1", env=env, check=1).err.strip() == \
        "faasbus: function nope not found"
    assert "--replicas N is required" in cli("scale", "shrink", env=env, check=1).err
    assert json.loads(cli("scale", "shrink", "-r", "1", "-o", "json", env=env, check=0).out) == \
        {"name": "shrink", "replicas": 1}
    assert json.loads(cli("remove", "shrink", "-o", "json", env=env, check=0).out) == ["shrink"]
    assert gw.status("shrink") is None
    assert "function shrink not found" in cli("rm", "shrink", env=env, check=1).err
    # The rest of the stack goes; the function already gone is an error.
    r = cli("remove", "-f", "stack.yml", env=env, check=1)
    assert "function shrink not found" in r.err
    assert gw.status("url-ping") is None


def test_logs_tail_and_follow(gateway, cli):
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url}
    cli("deploy", "--image", "x", "--name", "talk", "--env", "combine_output=false",
        "--fprocess", "sh -c 'echo said-$Http_X_N >&2; echo ok'", "--wait", env=env, check=0)
    for n in ("1", "2", "3"):
        cli("invoke", "talk", "-H", f"X-N={n}", env=env, check=0)
    wait_for(lambda: "said-3" in cli("logs", "talk", env=env).out, 10, what="the log line")
    r = cli("logs", "talk", "--tail", "1", env=env, check=0)
    assert len(r.out.splitlines()) == 1
    lines = [json.loads(l) for l in cli("logs", "talk", "-o", "json", env=env,
                                        check=0).out.splitlines()]
    assert any("said-2" in l["text"] for l in lines)
    assert len(cli("logs", "talk", "--lines", "2", "--tail=false", env=env,
                   check=0).out.splitlines()) == 2  # faas-cli's spelling
    assert cli("logs", "talk", "--since", "1h", env=env, check=0).out.count("said-") == 3
    assert cli("logs", "talk", "--since", "1h30m", env=env, check=0).out.count("said-") == 3
    assert "--tail" in cli("logs", "talk", "--tail", "many", env=env, check=1).err
    assert cli("logs", "talk", "--since", "soon", env=env, check=1).err
    assert "function nope not found" in cli("logs", "nope", env=env, check=1).err


def test_malformed_stack_files_name_their_line(gateway, cli):
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url}
    cli.write("bad.yml", "provider:\n  name: openfaas\nfunctions:\n  f:\n    image: x\n"
                         "    environment:\n      - not\n      - a map\n")
    r = cli("deploy", "-f", "bad.yml", env=env, check=1)
    assert "bad.yml:7: functions.f.environment: expected a mapping" in r.err
    cli.write("syntax.yml", "functions:\n  f:\n    image: \"open\n")
    assert "syntax.yml:" in cli("deploy", "-f", "syntax.yml", env=env, check=1).err
    cli.write("typo.yml", "functions:\n  f:\n    image: x\n    fprocess: cat\n    lables: {}\n")
    r = cli("deploy", "-f", "typo.yml", env=env, check=0)
    assert "typo.yml:5: unknown key \"lables\"" in r.err
    cli.write("empty.yml", "provider:\n  name: openfaas\nfunctions:\n")
    assert "has no functions" in cli("deploy", "-f", "empty.yml", env=env, check=1).err
    r = cli("deploy", "-f", "missing.yml", env=env, check=1)
    assert "missing.yml" in r.err
    cli.write("noimage.yml", "functions:\n  first:\n    image: x\n    fprocess: cat\n"
                             "  second:\n    lang: dockerfile\n")
    r = cli("deploy", "-f", "noimage.yml", env=env, check=1)
    assert "noimage.yml:5: function \"second\" has no image" in r.err
    assert gw.status("first") is None  # nothing of a bad stack is deployed
    # What the gateway refuses comes back with its reason.
    cli.write("limits.yml", "functions:\n  g:\n    image: x\n    limits:\n      memory: lots\n")
    r = cli("deploy", "-f", "limits.yml", env=env, check=1)
    assert "deploy g: the gateway answered 400" in r.err and "limits.memory" in r.err
    assert gw.status("f") is not None  # only the good file deployed


def test_several_stack_files_merge(gateway, cli):
    gw = gateway()
    cli.write("a.yml", f"provider:\n  name: openfaas\n  gateway: {gw.url}\n"
                       "functions:\n  one:\n    image: a\n    fprocess: cat\n")
    cli.write("b.yml", "functions:\n  one:\n    image: b\n    fprocess: cat\n"
                       "  two:\n    image: c\n    fprocess: cat\n")
    cli("deploy", "-f", "a.yml", "-f", "b.yml", check=0)
    assert gw.status("one")["image"] == "b"
    assert gw.status("two")["image"] == "c"


def test_secrets(gateway, cli):
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url}
    cli("secret", "create", "api-key", "--from-literal", "s3cret", env=env, check=0)
    cli.write("value.bin", "from a file\n")
    cli("secret", "create", "filed", "--from-file", "value.bin", env=env, check=0)
    cli("secret", "create", "piped", input=b"stdin value", env=env, check=0)
    r = cli("secret", "list", env=env, check=0)
    assert r.out.split() == ["NAME", "api-key", "filed", "piped"]
    names = [s["name"] for s in json.loads(cli("secret", "list", "-o", "json", env=env,
                                               check=0).out)]
    assert sorted(names) == ["api-key", "filed", "piped"]
    assert "exists" in cli("secret", "create", "api-key", "--from-literal", "x", env=env,
                           check=1).err
    j = json.loads(cli("secret", "update", "api-key", "-o", "json", input=b"new\n", env=env,
                       check=0).out)
    assert j == {"name": "api-key", "result": "updated"}
    cli("secret", "remove", "filed", env=env, check=0)
    assert "no such secret" in cli("secret", "remove", "filed", env=env, check=1).err
    assert "empty" in cli("secret", "create", "e", "--from-literal", "", env=env, check=1).err
    # A function with the secret reads the updated value.
    cli("deploy", "--image", "x", "--name", "reader", "--secret", "api-key", "--fprocess",
        "sh -c 'cat /var/openfaas/secrets/api-key 2>/dev/null || cat \"$secret_mount_path/api-key\"'",
        "--wait", env=env, check=0)
    assert cli("invoke", "reader", env=env, check=0).out == "new\n"


def test_namespaces_and_version(gateway, cli):
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url}
    cli("deploy", "--image", "x", "--name", "inner", "--fprocess", "cat", "-n", "team",
        env=env, check=0)
    r = cli("namespace", "list", env=env, check=0)
    assert r.out.split() == ["NAMESPACE", "openfaas-fn", "team"]
    assert json.loads(cli("namespaces", "-o", "json", env=env, check=0).out) == \
        ["openfaas-fn", "team"]
    assert "inner" in cli("list", "-n", "team", env=env, check=0).out
    r = cli("version", env=env, check=0)
    assert "orchestration: process" in r.out
    v = json.loads(cli("version", "-o", "json", env=env, check=0).out)
    assert v["client"]["version"] and v["gateway"]["provider"]["orchestration"] == "process"
    assert cli("version", "--short-version", check=0).out.strip() == v["client"]["version"]


def test_help_on_every_verb_and_unknown_input(cli):
    r = cli("--help", check=0)
    verbs = [l.split()[0] for l in r.out.split("Verbs:\n")[1].split("\n\n")[0].splitlines()]
    assert "deploy" in verbs and "subscribe" in verbs
    for verb in verbs:
        h = cli(verb, "--help", check=0)
        assert h.out.startswith(f"Usage: faasbus {verb}"), verb
        assert "--gateway" in h.out
    assert "unknown verb" in cli("frobnicate", check=1).err
    assert "unknown option --nope" in cli("list", "--nope", check=1).err
    assert "needs a value" in cli("list", "--gateway", check=1).err
    assert "Usage: faasbus describe" in cli("describe", check=1).err


def test_deploy_json_and_async_invoke(gateway, nats, cli):
    srv = nats()
    gw = gateway({"nats_url": srv.nats_url})
    env = {"OPENFAAS_URL": gw.url}
    out = json.loads(cli("deploy", "--image", "x", "--name", "later", "--fprocess", "cat",
                         "--wait", "-o", "json", env=env, check=0).out)
    assert out == [{"name": "later", "qualified": "later", "status": 202,
                    "url": f"{gw.url}/function/later", "ready": True}]
    r = cli("invoke", "later", "--async", "--callback-url", "http://127.0.0.1:9/done",
            input=b"x", env=env, check=0)
    assert "submitted asynchronously" in r.err
    call_id = r.out.strip()
    assert call_id
    j = json.loads(cli("invoke", "later", "--async", "-o", "json", input=b"y", env=env,
                       check=0).out)
    assert j["status"] == 202 and j["callId"] and j["callId"] != call_id


def test_deploy_wait_gives_up_on_a_function_that_never_gets_ready(gateway, cli):
    gw = gateway()
    r = cli("deploy", "--image", "x", "--name", "broken", "--fprocess", "cat",
            "--env", "mode=no-such-mode", "--wait", "--timeout", "2", "-g", gw.url, check=1)
    assert "broken: no ready replica after 2s" in r.err


def test_logs_follow_prints_new_lines_as_they_come(gateway, cli):
    import subprocess
    from cli_util import FAASBUS
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url}
    cli("deploy", "--image", "x", "--name", "chatty", "--env", "combine_output=false",
        "--fprocess", "sh -c 'echo live-$Http_X_N >&2'", "--wait", env=env, check=0)
    follow = subprocess.Popen([FAASBUS, "logs", "chatty", "--follow", "--tail", "0"],
                              env=dict(cli.env, **env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        cli("invoke", "chatty", "-H", "X-N=7", env=env, check=0)
        while True:
            line = follow.stdout.readline().decode()
            assert line, follow.stderr.read().decode()
            if "live-7" in line:
                break
        assert line.split()[1] == "chatty"
    finally:
        follow.terminate()
        follow.wait(30)


def test_colours_only_on_a_terminal(gateway, cli):
    import os
    import pty
    import subprocess
    from cli_util import FAASBUS
    gw = gateway()
    env = dict(cli.env, OPENFAAS_URL=gw.url)
    cli("deploy", "--image", "x", "--name", "tinted", "--fprocess", "cat", env=env, check=0)
    main, child = pty.openpty()
    p = subprocess.Popen([FAASBUS, "list"], env=env, stdout=child, stderr=subprocess.PIPE)
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait(30)
    os.close(main)
    assert p.returncode == 0
    assert b"\x1b[1mFunction" in out and b"tinted" in out
    assert "\x1b[" not in cli("list", env=env, check=0).out
    p = subprocess.run([FAASBUS, "list"], env=dict(env, NO_COLOR="1"), capture_output=True)
    assert b"\x1b[" not in p.stdout


def test_the_sample_stack_matches_the_demo_functions(gateway, cli):
    """config/stack.yml deploys exactly what config/functions/*.json do."""
    import os
    from conftest import ROOT
    gw = gateway()
    cli("deploy", "-f", os.path.join(ROOT, "config/stack.yml"), env={"OPENFAAS_URL": gw.url},
        check=0)
    folder = os.path.join(ROOT, "config/functions")
    names = sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".json"))
    assert sorted(f["name"] for f in gw.api("GET", "/system/functions").json()) == names
    for name in names:
        with open(os.path.join(folder, name + ".json")) as f:
            want = json.load(f)
        st = gw.status(name)
        assert st["envProcess"] == want["envProcess"], name
        assert st["image"] == want["image"]
        for field in ("labels", "annotations", "envVars"):
            assert (st.get(field) or {}) == want.get(field, {}), (name, field)
        assert st.get("limits") == want.get("limits"), name


def test_every_verb_names_an_unknown_function(gateway, cli):
    gw = gateway()
    for verb in [("describe", "nope"), ("invoke", "nope"), ("logs", "nope"),
                 ("scale", "nope", "-r", "1"), ("remove", "nope")]:
        r = cli(*verb, "-g", gw.url, check=1)
        assert r.err == "faasbus: function nope not found\n", (verb, r.err)
