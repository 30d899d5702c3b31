"""faasbus new + up + invoke: every built-in template runs at once on the
process driver; completion scripts and the man page come from the same
option tables as --help."""
import json
import os
import shutil
import subprocess

import pytest

from cli_util import cli  # noqa: F401 (fixture)


@pytest.mark.parametrize("lang", ["shell", "python", "node", "c"])
def test_new_up_invoke_for_every_template(gateway, cli, lang):
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url}
    name = f"hello-{lang}"
    r = cli("new", name, "--lang", lang, env=env, check=0)
    assert "Stack file written: stack.yml" in r.out
    assert os.path.isdir(os.path.join(cli.cwd, name))
    r = cli("up", "--wait", env=env, check=0)
    assert f"{name} is ready." in r.out
    r = cli("invoke", name, input=b"world", env=env, check=0)
    assert r.out.strip() == f"Hello from {lang}: world"


def test_new_appends_and_refuses_clashes(gateway, cli):
    gw = gateway()
    env = {"OPENFAAS_URL": gw.url}
    cli("new", "one", "--lang", "shell", env=env, check=0)
    cli("new", "two", "--lang", "python", env=env, check=0)
    r = cli("new", "one", "--lang", "shell", env=env, check=1)
    assert "one" in r.err
    with open(os.path.join(cli.cwd, "stack.yml")) as f:
        text = f.read()
    assert text.count("provider:") == 1 and "  one:" in text and "  two:" in text
    assert "no template" in cli("new", "x", "--lang", "cobol", check=1).err
    # A stack file whose last line has no newline, and one whose functions
    # are not its last section.
    cli.write("bare.yml", "functions:\n  a:\n    image: a")
    cli("new", "three", "--lang", "shell", "--append", "bare.yml", check=0)
    cli.write("later.yml", "functions:\n  a:\n    image: a\nconfiguration:\n  copy: []\n")
    before = open(os.path.join(cli.cwd, "later.yml")).read()
    r = cli("new", "four", "--lang", "shell", "--append", "later.yml", check=1)
    assert "does not end with its functions" in r.err
    assert open(os.path.join(cli.cwd, "later.yml")).read() == before
    assert not os.path.exists(os.path.join(cli.cwd, "four"))  # nothing written
    cli.write("tpl.yml", "configuration:\n  templates:\n    - name: golang-middleware\n"
                         "      source: https://example.invalid/t\n"
                         "functions:\n  z:\n    image: z\n")
    r = cli("new", "x", "--lang", "golang-middleware", "--append", "tpl.yml", check=1)
    assert "configuration.templates" in r.err
    assert "--lang is required" in cli("new", "y", check=1).err
    assert "lowercase" in cli("new", "Bad_Name", "--lang", "shell", check=1).err
    langs = [t["lang"] for t in json.loads(cli("new", "--list", "-o", "json", check=0).out)]
    assert langs == ["shell", "python", "node", "c"]
    # deploy (not up) sends the stack's image as it is, and up on a
    # stack whose handler folder is missing says so.
    cli.write("nohandler.yml", "functions:\n  lost:\n    image: x\n    handler: ./gone\n")
    assert "needs a handler folder" in cli("up", "-f", "nohandler.yml", env=env, check=1).err


def test_bash_completion_knows_every_verb_option_and_function(gateway, cli):
    from conftest import BIN
    gw = gateway()
    cli("deploy", "--image", "x", "--name", "alpha", "--fprocess", "cat", "-g", gw.url, check=0)
    script = cli("completion", "bash", check=0).out
    path = cli.write("faasbus.bash", script)
    if not shutil.which("bash"):
        pytest.skip("no bash")
    env = dict(cli.env, OPENFAAS_URL=gw.url, PATH=f"{BIN}:{os.environ['PATH']}")

    def complete(line):
        words = line.split(" ")
        prog = (f"source {path}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
                f"COMP_CWORD={len(words) - 1}; _faasbus; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
        return subprocess.run(["bash", "-c", prog], capture_output=True, text=True,
                              check=True, env=env).stdout.split()

    assert complete("faasbus describe ") == ["alpha"]
    assert complete("faasbus logs al") == ["alpha"]
    assert "--tail" in complete("faasbus logs --ta")

    assert "deploy" in complete("faasbus de") and "describe" in complete("faasbus de")
    assert "--replicas" in complete("faasbus scale --re")
    assert set(complete("faasbus invoke --")) >= {"--async", "--header", "--query", "--method",
                                                   "--callback-url", "--gateway"}
    assert "create" in complete("faasbus secret cr")


def test_zsh_completion_and_man_page(cli):
    z = cli("completion", "zsh", check=0).out
    assert z.startswith("#compdef faasbus")
    assert "'--from-beginning[" in z
    if shutil.which("zsh"):
        path = cli.write("_faasbus", z)
        subprocess.run(["zsh", "-n", path], check=True)
    man = cli("man", check=0).out
    assert man.startswith(".TH FAASBUS 1")
    for verb in ("deploy", "invoke", "subscribe", "secret"):
        assert f'.SS "{verb} ' in man
    assert "\\-\\-tls\\-no\\-verify" in man
    assert "fish" in cli("completion", "fish", check=1).err
    if shutil.which("man"):
        path = cli.write("faasbus.1", man)
        r = subprocess.run(["man", "-l", path], capture_output=True, text=True,
                           env={"MANPAGER": "cat", "PATH": os.environ["PATH"]})
        assert "subscribe" in r.stdout
        assert "... its name" in r.stdout  # a help text starting with '.' is not a request


def test_make_install_places_the_cli_its_man_page_and_completions(tmp_path):
    from conftest import ROOT, SANITIZED
    args = ["make", "-s", "install", f"PREFIX={tmp_path}"]
    if SANITIZED:
        args.append("SANITIZE=1")
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    binary = tmp_path / "bin" / "faasbus"
    assert os.access(binary, os.X_OK)
    man = (tmp_path / "share/man/man1/faasbus.1").read_text()
    assert man == subprocess.run([str(binary), "man"], capture_output=True, text=True).stdout
    bash = (tmp_path / "share/bash-completion/completions/faasbus").read_text()
    assert "complete -o default -F _faasbus faasbus" in bash
    assert (tmp_path / "share/zsh/site-functions/_faasbus").read_text().startswith("#compdef")
