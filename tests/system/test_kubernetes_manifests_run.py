"""deploy/kubernetes/ run for real, short of a cluster: nats-server on its
ConfigMap and StatefulSet arguments, and the queue worker and the
connector with their Deployments' environment, files and ConfigMap (the
cluster's service names pointed at local daemons, as its DNS would), all
pass the probes their manifests give them."""
import os
import re
import shutil

import pytest
import requests

from conftest import BIN, Daemon, free_port, wait_for
from connector_util import broker
from k8s_manifests import containers, env_of, expand, find

__all__ = ["broker"]  # fixtures

NAMESPACE = "openfaas"
BINARY = {"queue-worker": "faasbus-queue-worker", "connector": "faasbus-connector"}


def answers(url):
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


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
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        path = c[probe]["httpGet"]["path"]
        wait_for(lambda: d.proc.poll() is None and answers(f"http://127.0.0.1:{monitor}{path}"),
                 10, what=f"nats {probe} {path}")
    return d


def test_nats_runs_jetstream_with_room_for_the_largest_async_call(nats, tmp_path):
    varz = requests.get(f"http://127.0.0.1:{nats.monitor}/varz", timeout=2).json()
    # The gateway's queue_max_message (8 MiB) plus headers.
    assert varz["max_payload"] >= 8 * 1024 * 1024 + 64 * 1024
    jsz = requests.get(f"http://127.0.0.1:{nats.monitor}/jsz", timeout=2).json()
    assert jsz["config"]["store_dir"].startswith(str(tmp_path / "data"))


def start_as_deployed(name, dns, tmp_path, daemons):
    """The daemon of Deployment `name` with its container's env, args,
    ConfigMap files and secrets (basic auth "admin"/"pw"), `dns` mapping
    the cluster's host:port names to local ones. Returns (daemon, container)."""
    dep = find("Deployment", name, NAMESPACE)
    c = containers(dep)[0]
    volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"].get("volumes", [])}
    local = {}
    for m in c.get("volumeMounts", []):
        d = tmp_path / f"{name}-{m['name']}"
        d.mkdir()
        local[m["mountPath"]] = str(d)
        vol = volumes[m["name"]]
        if "configMap" in vol:
            data = find("ConfigMap", vol["configMap"]["name"], NAMESPACE)["data"]
            for key, text in data.items():
                (d / key).write_text(map_names(text, dns))
        elif "secret" in vol:
            (d / "basic-auth-user").write_text("admin")
            (d / "basic-auth-password").write_text("pw")

    def localise(value):
        for mount, path in local.items():
            if value.startswith(mount):
                return path + value[len(mount):]
        return map_names(value, dns)

    env = {k: v for k, v in env_of(c).items() if v is not None}
    env["POD_IP"] = "127.0.0.1"
    env = {k: localise(expand(c, v, env)) for k, v in env.items()}
    args = [localise(a) for a in c.get("args", [])]
    d = Daemon([os.path.join(BIN, BINARY[name]), *args], env, str(tmp_path / f"{name}.log"))
    daemons.append(d.start())
    return d, c


def map_names(text, dns):
    for name, addr in dns.items():
        text = text.replace(name, addr)
    return text


def test_the_worker_and_the_connector_pass_their_probes(nats, gateway, broker, daemons,
                                                        tmp_path):
    auth = tmp_path / "gateway-auth"
    auth.mkdir()
    (auth / "basic-auth-user").write_text("admin")
    (auth / "basic-auth-password").write_text("pw")
    # The gateway's part is played by one on this host, with the basic
    # auth the connector must present.
    gw = gateway(env={"basic_auth": "true", "secret_mount_path": str(auth),
                      "nats_url": f"nats://127.0.0.1:{nats.port}"})
    conf = find("ConfigMap", "connector-config", NAMESPACE)["data"]["connector.conf"]
    brokers = re.search(r'^brokers\s*=\s*"([^"]+)"', conf, re.M).group(1)
    dns = {"nats.openfaas.svc:4222": f"127.0.0.1:{nats.port}",
           "gateway.openfaas.svc:8080": f"127.0.0.1:{gw.port}",
           brokers: broker()}
    for name in ("queue-worker", "connector"):
        d, c = start_as_deployed(name, dns, tmp_path, daemons)
        for probe in ("readinessProbe", "livenessProbe"):
            path = c[probe]["httpGet"]["path"]
            wait_for(lambda: d.proc.poll() is None and answers(d.url + path), 30,
                     what=f"{name} {probe} {path}")
        assert d.proc.poll() is None, d.text()[-3000:]
    # Ready means the connector listed the functions on the gateway, with
    # the basic auth of its secret volume.
    assert "routing table loaded" in d.text()
