"""Running deploy/kubernetes/'s containers as deployed, short of a
cluster: nats-server on its ConfigMap and StatefulSet arguments (the
`nats` fixture), and a daemon with its Deployment's environment, args,
ConfigMap files and secret volume (start_as_deployed), the cluster's
service names mapped to local addresses as its DNS would resolve them."""
import os
import re
import shutil
import subprocess

import pytest
import requests

from conftest import BIN, SLOW, Daemon, free_port, wait_for
from k8s_manifests import MANIFESTS, containers, env_of, expand, find

NAMESPACE = "openfaas"
BINARY = {"gateway": "faasbus-gateway", "queue-worker": "faasbus-queue-worker",
          "connector": "faasbus-connector"}
AUTH = ("admin", "pw")  # what the tests put in the basic-auth Secret


def answers(url, **kw):
    try:
        return requests.get(url, timeout=1, **kw).status_code == 200
    except requests.RequestException:
        return False


def probe(daemon, container, timeout=30):
    """Waits until the daemon answers 200 on the container's readiness and
    liveness probe paths (on its handed-over port)."""
    for which in ("readinessProbe", "livenessProbe"):
        path = container[which]["httpGet"]["path"]
        wait_for(lambda: daemon.proc.poll() is None and answers(daemon.url + path), timeout,
                 what=f"{container['name']} {which} {path}")


@pytest.fixture
def nats(tmp_path, daemons):
    """nats-server as the StatefulSet runs it (a Daemon with .port and
    .monitor), once it passes the StatefulSet's probes."""
    sts = find("StatefulSet", "nats", NAMESPACE)
    conf = find("ConfigMap", "nats-config", NAMESPACE)["data"]["nats-server.conf"]
    c = containers(sts)[0]
    config_dir = next(m["mountPath"] for m in c["volumeMounts"] if m["name"] == "config")
    store = re.search(r"store_dir:\s*(\S+)", conf).group(1)
    (tmp_path / "data").mkdir()
    (tmp_path / "nats-server.conf").write_text(conf.replace(store, str(tmp_path / "data")))
    args = [a.replace(config_dir, str(tmp_path)) for a in c["args"]]
    port, monitor = free_port(), free_port()
    d = Daemon([shutil.which("nats-server"), *args, "-p", str(port), "-m", str(monitor)], {},
               str(tmp_path / "nats.log"), listen=False)
    d.port, d.monitor = port, monitor
    daemons.append(d.start())
    for which in ("startupProbe", "readinessProbe", "livenessProbe"):
        path = c[which]["httpGet"]["path"]
        wait_for(lambda: d.proc.poll() is None and answers(f"http://127.0.0.1:{monitor}{path}"),
                 10, what=f"nats {which} {path}")
    return d


def map_names(text, dns):
    for name, addr in dns.items():
        text = text.replace(name, addr)
    return text


def start_as_deployed(name, dns, tmp_path, daemons, wrap=(), log=None, pod_env=None):
    """The daemon of Deployment `name` with its container's env, args,
    ConfigMap files and secrets (basic auth AUTH), `dns` mapping the
    cluster's host:port names to local ones; `wrap` goes before the
    binary (a command that ends by exec'ing its arguments), `pod_env` is
    what the kubelet adds (KUBERNETES_SERVICE_HOST...). Returns (daemon,
    container)."""
    dep = find("Deployment", name, NAMESPACE)
    c = containers(dep)[0]
    volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"].get("volumes", [])}
    log = log or name
    local = {}
    for m in c.get("volumeMounts", []):
        d = tmp_path / f"{log}-{m['name']}"
        d.mkdir()
        local[m["mountPath"]] = str(d)
        vol = volumes[m["name"]]
        if "configMap" in vol:
            data = find("ConfigMap", vol["configMap"]["name"], NAMESPACE)["data"]
            for key, text in data.items():
                (d / key).write_text(map_names(text, dns))
        elif "secret" in vol:
            (d / "basic-auth-user").write_text(AUTH[0])
            (d / "basic-auth-password").write_text(AUTH[1])

    def localise(value):
        for mount, path in local.items():
            if value.startswith(mount):
                return path + value[len(mount):]
        return map_names(value, dns)

    env = {k: v for k, v in env_of(c).items() if v is not None}
    env["POD_IP"] = "127.0.0.1"
    env = {k: localise(expand(c, v, env)) for k, v in env.items()}
    args = [localise(a) for a in c.get("args", [])]
    env.update(pod_env or {})
    d = Daemon([*wrap, os.path.join(BIN, BINARY[name]), *args], env,
               str(tmp_path / f"{log}.log"))
    daemons.append(d.start())
    return d, c


def kubectl_apply(cluster, name, tmp_path):
    """kubectl apply -f deploy/kubernetes/<name> on the API server stand-in
    (which serves no OpenAPI for client-side validation)."""
    home = tmp_path / "kubectl-home"
    home.mkdir(exist_ok=True)
    out = subprocess.run(["kubectl", "apply", "--validate=false", "-f",
                          os.path.join(MANIFESTS, name)],
                         env=dict(os.environ, KUBECONFIG=cluster.kubeconfig, HOME=str(home)),
                         capture_output=True, text=True, timeout=60 * SLOW)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout
