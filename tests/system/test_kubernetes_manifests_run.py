"""deploy/kubernetes/ run for real, short of a cluster: nats-server on its
ConfigMap and StatefulSet arguments, and the queue worker and the
connector with their Deployments' environment, files and ConfigMap (the
cluster's service names pointed at local daemons, as its DNS would), all
pass the probes their manifests give them. The gateway runs as deployed
in test_kubernetes_in_cluster.py."""
import re

import requests

from connector_util import broker
from k8s_deployed import AUTH, NAMESPACE, nats, probe, start_as_deployed
from k8s_manifests import find

__all__ = ["broker", "nats"]  # fixtures


def test_nats_runs_jetstream_with_room_for_the_largest_async_call(nats, tmp_path):
    varz = requests.get(f"http://127.0.0.1:{nats.monitor}/varz", timeout=2).json()
    # The gateway's queue_max_message (8 MiB) plus headers.
    assert varz["max_payload"] >= 8 * 1024 * 1024 + 64 * 1024
    jsz = requests.get(f"http://127.0.0.1:{nats.monitor}/jsz", timeout=2).json()
    assert jsz["config"]["store_dir"].startswith(str(tmp_path / "data"))


def test_the_worker_and_the_connector_pass_their_probes(nats, gateway, broker, daemons,
                                                        tmp_path):
    auth = tmp_path / "gateway-auth"
    auth.mkdir()
    (auth / "basic-auth-user").write_text(AUTH[0])
    (auth / "basic-auth-password").write_text(AUTH[1])
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
        probe(d, c)
        assert d.proc.poll() is None, d.text()[-3000:]
    # Ready means the connector listed the functions on the gateway, with
    # the basic auth of its secret volume.
    assert "routing table loaded" in d.text()
