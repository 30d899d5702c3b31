"""Reading deploy/kubernetes/ for the manifest tests: the objects of every
file, the pod templates and containers in them, and the settings each
daemon's option table declares (from its --help)."""
import glob
import os
import re
import subprocess

import yaml

from conftest import BIN, ROOT

MANIFESTS = os.path.join(ROOT, "deploy", "kubernetes")
WORKLOADS = ("Deployment", "StatefulSet")


def manifest_files():
    return sorted(glob.glob(os.path.join(MANIFESTS, "*.yaml")))


def load_objects():
    """[(file name, object)] of every document of every manifest, in the
    order `kubectl apply -f deploy/kubernetes/` takes them."""
    out = []
    for path in manifest_files():
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                out.append((os.path.basename(path), doc))
    return out


def objects():
    return [o for _, o in load_objects()]


def of_kind(kind):
    return [o for o in objects() if o["kind"] == kind]


def find(kind, name, namespace=None):
    """The one object of that kind and name (and namespace)."""
    hits = [o for o in of_kind(kind) if o["metadata"]["name"] == name
            and o["metadata"].get("namespace") == namespace]
    assert len(hits) == 1, f"{kind} {namespace}/{name}: {len(hits)} in {MANIFESTS}"
    return hits[0]


def workloads():
    return [o for o in objects() if o["kind"] in WORKLOADS]


def containers(workload):
    spec = workload["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def env_of(container):
    """{name: value} of the container's plain env values; values taken from
    elsewhere (valueFrom) are None."""
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def expand(container, value, values):
    """A value with its $(NAME) references replaced as the kubelet does."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: values.get(m.group(1), m.group(0)), value)


def images_built():
    """{name} of the images scripts/images.sh builds (faasbus/<name>)."""
    with open(os.path.join(ROOT, "scripts", "images.sh")) as f:
        text = f.read()
    names = set(re.findall(r"^\s*build (\S+) '", text, re.M))
    loop = re.search(r"^for d in ([^;]+); do", text, re.M)
    names |= {d.split(":")[0] for d in loop.group(1).split()}
    assert "gateway" in names and "watchdog" in names, names
    return names


def version():
    """The release, as the daemons and `make images` know it."""
    with open(os.path.join(ROOT, "lib", "cli.h")) as f:
        return re.search(r'#define FAASBUS_VERSION "([^"]+)"', f.read()).group(1)


# The image's program, and the binary built here that it runs.
DAEMON_OF_IMAGE = {"gateway": "faasbus-gateway", "queue-worker": "faasbus-queue-worker",
                   "connector": "faasbus-connector"}


def settings(binary):
    """{environment variable: type} of a daemon's option table, from the
    ENVIRONMENT and TYPE columns of its --help."""
    out = subprocess.run([os.path.join(BIN, binary), "--help"], capture_output=True,
                         text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.lstrip().startswith("OPTION "))
    env_col = lines[head].index("ENVIRONMENT")
    type_col = lines[head].index("TYPE")
    table = {}
    for line in lines[head + 1:]:
        if not line.strip():
            break
        names = line[env_col:type_col].split()[0]
        kind = line[type_col:].split()[0]
        for name in names.split(","):
            table[name] = kind
    return table
