"""A single-node Docker Swarm for the swarm driver's tests.

An engine of its own (docker_util.Engine: dockerd in its own network and
mount namespaces), made a swarm manager with `swarm init` advertising
127.0.0.1, which needs no interface beyond the namespace's loopback.
The swarm test modules carry `pytestmark = pytest.mark.xdist_group(
"swarm")`, so one pytest worker holds this engine. Tasks publish their
port in host mode on the namespace's 127.0.0.1, where a gateway started
with nsenter --net reaches them.
"""
import os
import shutil
import tempfile
import uuid

import pytest

from conftest import BIN, gateway_up, wait_for
from docker_util import BUSYBOX, DOCKER, DockerGateway, Engine, build_images


class SwarmEngine(Engine):
    def services(self, label=None):
        import json
        import urllib.parse
        filters = {"label": [label]} if label else {}
        q = urllib.parse.quote(json.dumps(filters))
        status, body = self.api("GET", f"/services?filters={q}")
        assert status == 200, body
        return body

    def tasks(self, service_id, state="running"):
        import json
        import urllib.parse
        q = urllib.parse.quote(json.dumps({"service": [service_id]}))
        status, body = self.api("GET", f"/tasks?filters={q}")
        assert status == 200, body
        return [t for t in body if t["Status"]["State"] == state]

    def remove_services(self, label=None):
        for s in self.services(label):
            self.api("DELETE", f"/services/{s['ID']}")

    def close(self):
        if self.daemon_pid:
            try:
                self.remove_services()
            except (OSError, AssertionError):
                pass
        super().close()


@pytest.fixture(scope="session")
def swarm_engine():
    """The worker's single-node swarm with the test images; skips, saying
    why, when no engine or swarm can start here."""
    if not shutil.which("dockerd") or not os.path.exists(DOCKER):
        pytest.skip("docker.io is not installed (scripts/deps.sh installs it)")
    if not os.path.exists(BUSYBOX):
        pytest.skip("busybox-static is not installed (scripts/deps.sh installs it)")
    engine = SwarmEngine()
    try:
        if not engine.start():
            tail = engine.text()[-1500:]
            pytest.skip(f"dockerd cannot start here (needs root and namespaces):\n{tail}")
        r = engine.cli("swarm", "init", "--advertise-addr", "127.0.0.1", check=False)
        if r.returncode != 0:
            pytest.skip(f"docker swarm init fails here: {r.stderr.decode()}")
        build_images(engine)
        yield engine
    finally:
        engine.close()


class SwarmGateway(DockerGateway):
    """A gateway with the swarm driver, inside the engine's network
    namespace, its socket bound on the host's loopback."""

    def service(self, function, ns="openfaas-fn"):
        found = [s for s in self.engine.services(f"com.faasbus.instance={self.instance}")
                 if s["Spec"]["Labels"].get("com.faasbus.function") == function
                 and s["Spec"]["Labels"].get("com.faasbus.namespace") == ns]
        return found[0] if found else None

    def running_tasks(self, function):
        s = self.service(function)
        return self.engine.tasks(s["ID"]) if s else []

    def task_ports(self, function):
        """{task id: {binding address: port}}: where each running container
        of the function publishes 8080, as the engine lists it."""
        return {c["Labels"]["com.docker.swarm.task.id"]:
                {p["IP"]: p["PublicPort"] for p in c["Ports"] if p.get("PrivatePort") == 8080}
                for c in self.containers(function) if c["State"] == "running"}


@pytest.fixture
def swarm_gateway(swarm_engine, tmp_path, daemons):
    """start(env=None, state_dir=None, instance=None) -> a SwarmGateway.
    At the end the gateways stop and their services are removed."""
    made, instances = [], set()
    count = [0]

    def start(env=None, state_dir=None, instance=None, wait=True):
        count[0] += 1
        if state_dir is None:
            state_dir = tempfile.mkdtemp(prefix="faasbus-sgw-")
            made.append(state_dir)
        instance = instance or "t" + uuid.uuid4().hex[:12]
        instances.add(instance)
        full = {"state_dir": state_dir, "log_level": "info", "health_interval": "200ms",
                "nats_url": "", "driver": "swarm", "docker_host": swarm_engine.host,
                "docker_instance": instance}
        full.update(env or {})
        full = {k: v for k, v in full.items() if v is not None}
        argv = ["nsenter", f"--net=/proc/{swarm_engine.pid}/ns/net",
                os.path.join(BIN, "faasbus-gateway")]
        gw = SwarmGateway(argv, full, str(tmp_path / f"sgateway{count[0]}.log"))
        gw.state_dir, gw.instance, gw.engine = state_dir, instance, swarm_engine
        daemons.append(gw.start())
        if wait:
            wait_for(lambda: gateway_up(gw), 15, what="gateway /healthz")
        return gw

    yield start
    for d in daemons:
        if isinstance(d, SwarmGateway) and d.proc.poll() is None:
            d.stop()
    for inst in instances:
        swarm_engine.remove_services(f"com.faasbus.instance={inst}")
    for state in made:
        shutil.rmtree(state, ignore_errors=True)
