"""deploy/kubernetes/: every manifest parses, every object fits the schema
of its kind (tests/system/k8s_schemas.py, unknown fields refused), the
issue's requirements hold (locked-down containers, probes, requests, a
replicated gateway on the kubernetes driver, RBAC limited to the verbs
the driver uses, the images `make images` builds), the daemons accept the
settings and config files the manifests hand them, and `kubectl apply
--dry-run=client` takes the whole folder from a real kubectl. The
daemons run as deployed in test_kubernetes_manifests_run.py."""
import copy
import os
import re
import shutil
import subprocess
import tempfile

import jsonschema
import pytest

from conftest import BIN, ROOT, SLOW
from k8s_discovery import DiscoveryServer
from k8s_manifests import (DAEMON_OF_IMAGE, MANIFESTS, containers, env_of, expand, find,
                           images_built, load_objects, manifest_files, objects, of_kind,
                           settings, version, workloads)
from k8s_schemas import schema_for

FN_NAMESPACE = "openfaas-fn"
NAMESPACE = "openfaas"
GATEWAY_SA = "faasbus-gateway"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}

# What the kubernetes driver asks of the API server, and so all that the
# gateway's service account may do: (API group, resource) -> verbs.
FN_NAMESPACE_RULES = {
    ("apps", "deployments"): {"list", "watch", "create", "patch", "delete"},
    ("apps", "deployments/scale"): {"patch"},
    ("", "services"): {"get", "create", "delete"},
    ("", "secrets"): {"get", "list", "create", "update", "delete"},
    ("", "pods"): {"list"},
    ("", "pods/log"): {"get"},
    ("discovery.k8s.io", "endpointslices"): {"list", "watch"},
}
CLUSTER_RULES = {("", "namespaces"): {"get", "list"}}
LEASE_RULES = {("coordination.k8s.io", "leases"): {"get", "create", "update"}}


def rules_of(role):
    """{(group, resource): verbs} of a Role, every rule unfolded."""
    out = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def describe(obj):
    meta = obj["metadata"]
    return f"{obj['kind']} {meta.get('namespace', '')}/{meta['name']}"


def schema_errors(obj):
    schema = schema_for(obj.get("apiVersion"), obj.get("kind"))
    if schema is None:
        return [f"no schema for {obj.get('apiVersion')} {obj.get('kind')}: declare the kind "
                "in k8s_schemas.py from the API reference"]
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in validator.iter_errors(obj)]


# -- parsing and schemas -------------------------------------------------

def test_every_manifest_parses_into_named_objects():
    files = manifest_files()
    assert len(files) >= 4, files
    seen = set()
    for name, obj in load_objects():
        assert isinstance(obj, dict), f"{name}: an empty or non-mapping document"
        for key in ("apiVersion", "kind", "metadata"):
            assert key in obj, f"{name}: a document without {key}"
        key = (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        assert key not in seen, f"{name}: {key} twice"
        seen.add(key)


def test_every_object_fits_the_schema_of_its_kind():
    problems = [f"{describe(o)}: {e}" for o in objects() for e in schema_errors(o)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d["spec"].update(replica=2), "'replica' was unexpected"),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(
        containerPort="8080"), "is not of type 'integer'"),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(
        readOnlyRootFS=True), "'readOnlyRootFS' was unexpected"),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"].update(
        memory="64 megs"), "is not valid under any of the given schemas"),
    (lambda d: d["spec"]["template"]["spec"]["volumes"][0].update(emptyDir={}),
     "has too many properties"),
    (lambda d: d["metadata"].update(name="Gateway"), "does not match"),
    (lambda d: d["spec"].pop("selector"), "'selector' is a required property"),
    (lambda d: d.update(apiVersion="apps/v1beta1"), "no schema for apps/v1beta1"),
])
def test_the_schemas_refuse_what_the_api_server_refuses(mutate, needle):
    # The check above can fail: typical mistakes in the gateway's
    # Deployment are each caught.
    gateway = copy.deepcopy(find("Deployment", "gateway", NAMESPACE))
    assert not schema_errors(gateway)
    mutate(gateway)
    errors = schema_errors(gateway)
    assert any(needle in e for e in errors), errors


def test_objects_live_in_the_namespaces_the_manifests_make():
    namespaces = {o["metadata"]["name"]: o for o in of_kind("Namespace")}
    assert set(namespaces) == {NAMESPACE, FN_NAMESPACE}
    # The driver deploys only to namespaces labelled openfaas=1.
    assert namespaces[FN_NAMESPACE]["metadata"]["labels"]["openfaas"] == "1"
    assert namespaces[NAMESPACE]["metadata"].get("labels", {}).get("openfaas") != "1"
    for obj in objects():
        ns = obj["metadata"].get("namespace")
        if obj["kind"] in CLUSTER_SCOPED:
            assert ns is None, describe(obj)
        else:
            assert ns in namespaces, f"{describe(obj)}: not in a namespace made here"
    # Namespaces come first: kubectl applies the files in name order.
    assert os.path.basename(manifest_files()[0]).startswith("00-")
    assert all(o["kind"] == "Namespace" for _, o in load_objects()[:2])


# -- what every container must have ---------------------------------------

@pytest.mark.parametrize("workload", [o["metadata"]["name"] for o in workloads()])
def test_every_container_is_locked_down(workload):
    obj = next(o for o in workloads() if o["metadata"]["name"] == workload)
    pod = obj["spec"]["template"]["spec"]
    pod_sc = pod.get("securityContext", {})
    assert pod_sc.get("runAsNonRoot") is True
    assert pod_sc.get("runAsUser", 0) != 0
    assert pod_sc.get("seccompProfile") == {"type": "RuntimeDefault"}
    assert not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
    writable = {m["mountPath"] for c in containers(obj) for m in c.get("volumeMounts", [])
                if not m.get("readOnly")}
    for c in containers(obj):
        sc = c.get("securityContext", {})
        assert sc.get("runAsNonRoot") is True, c["name"]
        assert sc.get("readOnlyRootFilesystem") is True, c["name"]
        assert sc.get("allowPrivilegeEscalation") is False, c["name"]
        assert sc.get("capabilities") == {"drop": ["ALL"]}, c["name"]
        assert sc.get("seccompProfile") == {"type": "RuntimeDefault"}, c["name"]
        assert not sc.get("privileged"), c["name"]
        assert sc.get("runAsUser", pod_sc["runAsUser"]) != 0, c["name"]
        # With a read-only root, what a daemon writes is a volume: /tmp
        # and its state directory.
        env = env_of(c)
        for path in ("/tmp", env.get("state_dir")):
            if path and c["name"] != "nats":
                assert path in writable, f"{c['name']}: {path} is not a writable volume"
    # Only the gateway talks to the API server.
    if pod.get("serviceAccountName") != GATEWAY_SA:
        assert pod.get("automountServiceAccountToken") is False, workload


@pytest.mark.parametrize("workload", [o["metadata"]["name"] for o in workloads()])
def test_every_container_has_probes_and_requests(workload):
    obj = next(o for o in workloads() if o["metadata"]["name"] == workload)
    for c in containers(obj):
        ports = {p.get("name") for p in c.get("ports", [])} | \
                {p["containerPort"] for p in c.get("ports", [])}
        for probe in ("readinessProbe", "livenessProbe"):
            get = c.get(probe, {}).get("httpGet")
            assert get, f"{c['name']}: no {probe} on HTTP"
            assert get["path"] in ("/healthz", "/readyz"), get
            assert get["port"] in ports, f"{c['name']}: {probe} port {get['port']} not declared"
        requests_ = c.get("resources", {}).get("requests", {})
        assert {"cpu", "memory"} <= set(requests_), f"{c['name']}: requests {requests_}"
        assert "memory" in c["resources"].get("limits", {}), c["name"]
    if workload == "connector":
        # Ready only once it has its routes and its brokers: /readyz.
        assert containers(obj)[0]["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_images_are_the_ones_make_images_builds():
    built, release = images_built(), version()
    seen = set()
    for obj in workloads():
        for c in containers(obj):
            m = re.fullmatch(r"faasbus/([a-z-]+):(.+)", c["image"])
            assert m, f"{c['name']}: image {c['image']} is not faasbus/<name>:<tag>"
            assert m.group(1) in built, f"{c['image']}: make images builds only {built}"
            assert m.group(2) == release, f"{c['image']}: not the release {release}"
            # No registry: the image is the one loaded on the node.
            assert c.get("imagePullPolicy") == "IfNotPresent", c["name"]
            seen.add(m.group(1))
    assert seen == {"gateway", "queue-worker", "connector", "nats"}
    # `make images` tags the release too.
    with open(os.path.join(ROOT, "scripts", "images.sh")) as f:
        assert "faasbus/$name:$VERSION" in f.read()


# -- the gateway -----------------------------------------------------------

def test_the_gateway_runs_replicated_on_the_kubernetes_driver():
    gw = find("Deployment", "gateway", NAMESPACE)
    assert gw["spec"]["replicas"] >= 2
    assert gw["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = gw["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == GATEWAY_SA
    find("ServiceAccount", GATEWAY_SA, NAMESPACE)
    env = env_of(pod["containers"][0])
    assert env["driver"] == "kubernetes"
    assert env["basic_auth"] == "true"
    # Its Service selects its pods (and nothing else) on the API port.
    svc = find("Service", "gateway", NAMESPACE)
    assert selects(svc, gw)
    assert [w["metadata"]["name"] for w in workloads() if selects(svc, w)] == ["gateway"]
    assert svc["spec"]["ports"][0]["port"] == 8080
    # A drain never takes the last one.
    pdb = find("PodDisruptionBudget", "gateway", NAMESPACE)
    assert pdb["spec"]["selector"]["matchLabels"] == gw["spec"]["selector"]["matchLabels"]
    assert 1 <= pdb["spec"]["minAvailable"] < gw["spec"]["replicas"]


def selects(service, workload):
    labels = workload["spec"]["template"]["metadata"]["labels"]
    selector = service["spec"]["selector"]
    return all(labels.get(k) == v for k, v in selector.items())


def test_every_service_reaches_its_pods_ports():
    for svc in of_kind("Service"):
        targets = [w for w in workloads() if selects(svc, w)]
        assert len(targets) == 1, f"{describe(svc)} selects {len(targets)} workloads"
        names = {p.get("name") for c in containers(targets[0]) for p in c.get("ports", [])}
        numbers = {p["containerPort"] for c in containers(targets[0]) for p in c["ports"]}
        for port in svc["spec"]["ports"]:
            assert port.get("targetPort", port["port"]) in names | numbers, describe(svc)
    # Every workload's selector matches its own template.
    for w in workloads():
        labels = w["spec"]["template"]["metadata"]["labels"]
        for k, v in w["spec"]["selector"]["matchLabels"].items():
            assert labels.get(k) == v, describe(w)


def test_rbac_grants_exactly_what_the_driver_uses():
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in of_kind("Role")}
    fn_roles = [r for (ns, _), r in roles.items() if ns == FN_NAMESPACE]
    ns_roles = [r for (ns, _), r in roles.items() if ns == NAMESPACE]
    assert len(fn_roles) == 1 and len(ns_roles) == 1, list(roles)
    assert rules_of(fn_roles[0]) == FN_NAMESPACE_RULES
    assert rules_of(ns_roles[0]) == LEASE_RULES
    cluster_roles = of_kind("ClusterRole")
    assert len(cluster_roles) == 1
    assert rules_of(cluster_roles[0]) == CLUSTER_RULES
    # Each role is bound to the gateway's service account, and only to it.
    bindings = of_kind("RoleBinding") + of_kind("ClusterRoleBinding")
    bound = set()
    for b in bindings:
        assert b["subjects"] == [{"kind": "ServiceAccount", "name": GATEWAY_SA,
                                  "namespace": NAMESPACE}], describe(b)
        ref = b["roleRef"]
        assert ref["apiGroup"] == "rbac.authorization.k8s.io"
        if ref["kind"] == "Role":
            find("Role", ref["name"], b["metadata"]["namespace"])
        else:
            find("ClusterRole", ref["name"])
        bound.add((ref["kind"], b["metadata"].get("namespace"), ref["name"]))
    assert bound == {("Role", r["metadata"]["namespace"], r["metadata"]["name"])
                     for r in of_kind("Role")} | {("ClusterRole", None, r["metadata"]["name"])
                                                  for r in cluster_roles}


# -- NATS -------------------------------------------------------------------

def nats_parts():
    sts = find("StatefulSet", "nats", NAMESPACE)
    conf = find("ConfigMap", "nats-config", NAMESPACE)["data"]["nats-server.conf"]
    return sts, conf


def test_nats_keeps_jetstream_on_a_volume_behind_a_headless_service():
    sts, conf = nats_parts()
    svc = find("Service", sts["spec"]["serviceName"], NAMESPACE)
    assert svc["spec"]["clusterIP"] == "None"
    assert selects(svc, sts)
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert "storage" in claim["spec"]["resources"]["requests"]
    store = re.search(r"store_dir:\s*(\S+)", conf).group(1)
    mounts = {m["name"]: m["mountPath"] for m in containers(sts)[0]["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == store
    # The ports the config opens are the ones the pod declares.
    ports = {p["name"]: p["containerPort"] for p in containers(sts)[0]["ports"]}
    assert int(re.search(r"^port:\s*(\d+)", conf, re.M).group(1)) == ports["client"]
    assert int(re.search(r"^http_port:\s*(\d+)", conf, re.M).group(1)) == ports["monitor"]
    # The gateway and the workers reach it by that Service's name.
    url = f"nats://{svc['metadata']['name']}.{NAMESPACE}.svc:{svc['spec']['ports'][0]['port']}"
    for name in ("gateway", "queue-worker"):
        c = containers(find("Deployment", name, NAMESPACE))[0]
        assert env_of(c)["nats_url"] == url, name


# -- the daemons take what the manifests give them ---------------------------

def daemon_containers():
    for obj in workloads():
        for c in containers(obj):
            name = re.fullmatch(r"faasbus/([a-z-]+):.*", c["image"]).group(1)
            if name in DAEMON_OF_IMAGE:
                yield DAEMON_OF_IMAGE[name], c


@pytest.mark.parametrize("binary, container", list(daemon_containers()),
                         ids=[c["name"] for _, c in daemon_containers()])
def test_every_setting_is_one_the_daemon_knows(binary, container):
    table = settings(binary)
    env = env_of(container)
    # Variables only there to be expanded in other values ($(POD_IP)).
    helpers = {n for v in env.values() if v for n in re.findall(r"\$\((\w+)\)", v)}
    unknown = set(env) - set(table) - helpers
    assert not unknown, f"{container['name']}: {sorted(unknown)} are not {binary} settings"
    # The kubelet expands $(NAME) only from variables listed before it.
    order = [e["name"] for e in container["env"]]
    for name, value in env.items():
        for ref in re.findall(r"\$\((\w+)\)", value or ""):
            assert ref in order[:order.index(name)], f"{name} uses $({ref}) before it is set"
    for name, value in env.items():
        kind = table.get(name, "")
        if "|" in kind:
            assert value in kind.split("|"), f"{name}={value}: not one of {kind}"


@pytest.mark.parametrize("binary, container", list(daemon_containers()),
                         ids=[c["name"] for _, c in daemon_containers()])
def test_the_daemon_reads_the_manifests_settings(binary, container, tmp_path):
    # --print-config with the container's environment and files: a value
    # or a config file the daemon would refuse at start fails here.
    env = {k: v for k, v in env_of(container).items() if v is not None}
    env["POD_IP"] = "10.1.2.3"
    env = {k: expand(container, v, env) for k, v in env.items()}
    files = {}
    for mount in container.get("volumeMounts", []):
        local = tmp_path / mount["name"]
        local.mkdir()
        files[mount["mountPath"]] = str(local)
    secrets = env.get("secret_mount_path")
    if secrets in files:
        for key in ("basic-auth-user", "basic-auth-password"):
            (tmp_path / os.path.basename(files[secrets]) / key).write_text("x\n")
    args = list(container.get("args", []))
    for i, arg in enumerate(args):
        for mount, local in files.items():
            if arg.startswith(mount + "/"):
                configmap = configmap_of(container, mount)
                key = arg[len(mount) + 1:]
                with open(os.path.join(local, key), "w") as f:
                    f.write(configmap["data"][key])
                args[i] = os.path.join(local, key)
    for k, v in env.items():
        for mount, local in files.items():
            if v.startswith(mount):
                env[k] = local + v[len(mount):]
    full = {"PATH": "/usr/bin:/bin", **env}
    out = subprocess.run([os.path.join(BIN, binary), *args, "--print-config"], env=full,
                         capture_output=True, text=True, timeout=20 * SLOW)
    assert out.returncode == 0, out.stderr
    if "callback_url" in env:
        assert 'callback_url = "http://10.1.2.3:8081/callback"' in out.stdout
    # The probes and the Service knock where the daemon listens.
    port = int(re.search(r"^port = (\d+)", out.stdout, re.M).group(1))
    named = {p.get("name"): p["containerPort"] for p in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        target = container[probe]["httpGet"]["port"]
        assert named.get(target, target) == port, f"{probe} on {target}, daemon on {port}"


def configmap_of(container, mount_path):
    """The ConfigMap mounted at mount_path in the workload of container."""
    for obj in workloads():
        if container in containers(obj):
            mount = next(m for m in container["volumeMounts"] if m["mountPath"] == mount_path)
            vol = next(v for v in obj["spec"]["template"]["spec"]["volumes"]
                       if v["name"] == mount["name"])
            return find("ConfigMap", vol["configMap"]["name"], obj["metadata"]["namespace"])
    raise AssertionError(f"no workload mounts {mount_path}")


def test_the_connector_gets_brokers_and_routes_from_its_configmap():
    conn = find("Deployment", "connector", NAMESPACE)
    c = containers(conn)[0]
    conf_path = next(a for a in c["args"] if a.endswith(".conf"))
    conf = configmap_of(c, os.path.dirname(conf_path))["data"][os.path.basename(conf_path)]
    assert re.search(r"^brokers\s*=", conf, re.M)
    assert re.search(r"^routes\s*=", conf, re.M)
    # Every replica joins one consumer group, so any number may run...
    assert re.search(r'^group\s*=\s*"[^"]+"', conf, re.M)
    assert "brokers" not in env_of(c) and "group" not in env_of(c)
    # ...and each is called back at its own address with async results.
    assert env_of(c)["callback_url"].startswith("http://$(POD_IP):")
    assert env_of(c)["bind_address"] == "0.0.0.0"


def test_the_basic_auth_secret_is_made_once_by_the_readme_command():
    # No password in git: the Secret is not a manifest, the README makes
    # it with a generated password, and the pods mount it by that name.
    assert not of_kind("Secret")
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    cmd = re.search(r"kubectl -n openfaas create secret generic (\S+)((?:.*\\\n)*.*)", readme)
    assert cmd, "the README does not say how to make the basic-auth Secret"
    name, rest = cmd.group(1), cmd.group(2)
    assert "--from-literal=basic-auth-user=" in rest
    assert re.search(r"--from-literal=basic-auth-password=\"?\$\((openssl rand|head -c)", rest)
    mounted = 0
    for obj in workloads():
        for v in obj["spec"]["template"]["spec"].get("volumes", []):
            if "secret" in v:
                assert v["secret"]["secretName"] == name, describe(obj)
                mounted += 1
    assert mounted >= 2  # the gateway checks it, the connector presents it


def test_the_readme_says_how_to_run_on_kubernetes():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    section = re.search(r"^## [^\n]*Kubernetes[^\n]*$(.*?)(?=^## )", readme, re.M | re.S)
    assert section, "no Kubernetes section in the README"
    text = section.group(1)
    for needle in ("kubectl apply -f deploy/kubernetes/", "ctr -n k8s.io images import",
                   "kind load docker-image", "minikube image load",
                   "scale deployment/gateway", "scale deployment/connector", FN_NAMESPACE):
        assert needle in text, f"the Kubernetes section does not mention {needle!r}"


# -- kubectl ------------------------------------------------------------------

def kubectl(kubeconfig, *args, files=MANIFESTS):
    home = tempfile.mkdtemp(prefix="kubectl-home-")
    try:
        env = dict(os.environ, KUBECONFIG=kubeconfig, HOME=home)
        return subprocess.run(["kubectl", *args, "--cache-dir", os.path.join(home, "cache"),
                               "-f", files], env=env, capture_output=True, text=True,
                              timeout=120 * SLOW)
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def api_server():
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed")
    with DiscoveryServer() as api:
        yield api


def test_kubectl_apply_dry_run_takes_every_manifest(api_server):
    # Client-side dry run: kubectl maps every kind through the server's
    # discovery and diffs against the live objects (none yet). Field
    # validation is the schema check's: this server has no OpenAPI.
    out = kubectl(api_server.kubeconfig, "apply", "--dry-run=client", "--validate=false")
    assert out.returncode == 0, out.stdout + out.stderr
    created = [line for line in out.stdout.splitlines() if line.endswith("created (dry run)")]
    assert len(created) == len(objects()), out.stdout
    for obj in objects():
        assert any(f"/{obj['metadata']['name']} created" in line and
                   line.split("/")[0].split(".")[0] == obj["kind"].lower()
                   for line in created), f"{describe(obj)} not in\n{out.stdout}"


def test_kubectl_refuses_a_kind_the_server_does_not_have(api_server, tmp_path):
    # The dry run above can fail: a misspelt kind has no resource.
    bad = tmp_path / "bad.yaml"
    with open(os.path.join(MANIFESTS, "40-queue-worker.yaml")) as f:
        bad.write_text(f.read().replace("kind: Deployment", "kind: Deploymnet"))
    out = kubectl(api_server.kubeconfig, "apply", "--dry-run=client", "--validate=false",
                  files=str(bad))
    assert out.returncode != 0
    assert "Deploymnet" in out.stderr
