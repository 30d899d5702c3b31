"""Server-side defaults and validation of the stand-in's objects, with the
field paths, reasons and messages a real API server uses (422 Invalid with
causes; 400 when a body cannot be decoded)."""
import base64
import binascii
import json
import re

from k8s_errors import ApiError, invalid

SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
PATH_SEGMENT = re.compile(r"^(?!\.\.?$)[^/%]+$")
QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")

MSG_SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
MSG_1123 = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
            "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
            "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
MSG_1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
            "with an alphabetic character, and end with an alphanumeric character (e.g. "
            "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
MSG_LABEL_VALUE = ("a valid label must be an empty string or consist of alphanumeric characters, "
                   "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                   "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                   "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
MSG_ENV = ("a valid environment variable name must consist of alphabetic characters, digits, "
           "'_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or "
           "'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is "
           "'[-._a-zA-Z][-._a-zA-Z0-9]*')")
MSG_KEY = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
           "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
           "'[-._a-zA-Z0-9]+')")
SECRET_MAX = 1024 * 1024


def go_value(v):
    """A value as Go's %#v prints it in field errors."""
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def bad_value(field, value, why):
    return (field, "FieldValueInvalid", f"Invalid value: {go_value(value)}: {why}")


def required(field, why=None):
    return (field, "FieldValueRequired", "Required value" + (f": {why}" if why else ""))


def not_found_cause(field, value):
    return (field, "FieldValueNotFound", f"Not found: {go_value(value)}")


def decode_error(res, why):
    return ApiError(400, "BadRequest",
                    f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
                    f'{why}')


# --- quantities ----------------------------------------------------------------
SUFFIX = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "n": 1e-9,
          "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}


def quantity(res, text):
    """The value of a resource quantity ("128Mi", "500m"); 400 when it
    does not parse, as the real decoder refuses it."""
    s = str(text)
    m = QUANTITY.match(s)
    if not m or (m.group(2) not in SUFFIX and not re.match(r"^[eE][-+]?[0-9]+$", m.group(2))):
        raise decode_error(res, "quantities must match the regular expression "
                                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    number, suffix = m.groups()
    if suffix in SUFFIX:
        return float(number) * SUFFIX[suffix]
    return float(number + suffix)


# --- metadata --------------------------------------------------------------------
def validate_meta(res, obj, causes, name_re=SUBDOMAIN, name_msg=MSG_SUBDOMAIN, limit=253):
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not name:
        causes.append(required("metadata.name", "name or generateName is required"))
    elif not name_re.match(name):
        causes.append(bad_value("metadata.name", name, name_msg))
    elif len(name) > limit:
        causes.append(bad_value("metadata.name", name, f"must be no more than {limit} characters"))
    validate_labels("metadata.labels", meta.get("labels"), causes)


def validate_labels(field, labels, causes):
    for k, v in (labels or {}).items():
        if not isinstance(v, str) or not LABEL_VALUE.match(v) or len(v) > 63:
            causes.append(bad_value(field, v, MSG_LABEL_VALUE))


# --- pod templates ---------------------------------------------------------------
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                  "failureThreshold": 3}


def default_probe(probe):
    if not probe:
        return
    if "httpGet" in probe:
        probe["httpGet"].setdefault("scheme", "HTTP")
    for k, v in PROBE_DEFAULTS.items():
        probe.setdefault(k, v)


def default_pod_spec(spec):
    for vol in spec.get("volumes") or []:
        for kind in ("projected", "secret", "configMap"):
            if kind in vol:
                vol[kind].setdefault("defaultMode", 420)
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for p in c.get("ports") or []:
            p.setdefault("protocol", "TCP")
        default_probe(c.get("readinessProbe"))
        default_probe(c.get("livenessProbe"))
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        image = c.get("image", "")
        latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
        c.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")


def validate_pod_spec(res, spec, path, causes):
    containers = spec.get("containers") or []
    if not containers:
        causes.append(required(f"{path}.containers"))
    volumes = {v.get("name") for v in spec.get("volumes") or []}
    for i, c in enumerate(containers):
        cp = f"{path}.containers[{i}]"
        name = c.get("name")
        if not name:
            causes.append(required(f"{cp}.name"))
        elif not LABEL_1123.match(name):
            causes.append(bad_value(f"{cp}.name", name, MSG_1123))
        if not c.get("image"):
            causes.append(required(f"{cp}.image"))
        for j, e in enumerate(c.get("env") or []):
            if not e.get("name"):
                causes.append(required(f"{cp}.env[{j}].name"))
            elif not ENV_NAME.match(e["name"]):
                causes.append(bad_value(f"{cp}.env[{j}].name", e["name"], MSG_ENV))
        for j, m in enumerate(c.get("volumeMounts") or []):
            if m.get("name") not in volumes:
                causes.append(not_found_cause(f"{cp}.volumeMounts[{j}].name", m.get("name")))
        validate_resources(res, c.get("resources") or {}, f"{cp}.resources", causes)
        policy = c.get("imagePullPolicy")
        if policy not in ("Always", "IfNotPresent", "Never"):
            causes.append((f"{cp}.imagePullPolicy", "FieldValueNotSupported",
                           f'Unsupported value: {go_value(policy)}: supported values: '
                           '"Always", "IfNotPresent", "Never"'))


def validate_resources(res, resources, path, causes):
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    for kind in (limits, requests):
        for v in kind.values():
            quantity(res, v)
    for name, req in requests.items():
        if name in limits and quantity(res, req) > quantity(res, limits[name]):
            causes.append(bad_value(f"{path}.requests", str(req),
                                    f"must be less than or equal to {name} limit of "
                                    f"{limits[name]}"))


# --- kinds -----------------------------------------------------------------------
def default_deployment(obj):
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    tmpl = spec.setdefault("template", {})
    tmpl.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    default_pod_spec(tmpl.setdefault("spec", {}))
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", "25%")
        ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    obj.setdefault("status", {})


def validate_deployment(res, obj, causes):
    spec = obj.get("spec") or {}
    replicas = spec.get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise decode_error(res, "json: cannot unmarshal " + type(replicas).__name__.replace(
            "str", "string") + " into Go struct field DeploymentSpec.spec.replicas of type int32")
    if replicas < 0:
        causes.append(bad_value("spec.replicas", replicas, "must be greater than or equal to 0"))
    selector = spec.get("selector")
    tmpl_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector:
        causes.append(required("spec.selector"))
    elif not selector.get("matchLabels") and not selector.get("matchExpressions"):
        causes.append(bad_value("spec.selector", "{}", "empty selector is invalid for deployment"))
    else:
        from k8s_select import matches_selector
        if not matches_selector(selector, tmpl_labels):
            causes.append(bad_value("spec.template.metadata.labels", tmpl_labels,
                                    "`selector` does not match template `labels`"))
    validate_labels("spec.template.metadata.labels", tmpl_labels, causes)
    validate_pod_spec(res, (spec.get("template") or {}).get("spec") or {}, "spec.template.spec",
                      causes)


def default_service(obj, cluster_ip):
    spec = obj.setdefault("spec", {})
    for p in spec.get("ports") or []:
        p.setdefault("protocol", "TCP")
        p.setdefault("targetPort", p.get("port"))
    spec.setdefault("type", "ClusterIP")
    if spec.get("clusterIP") != "None":
        spec.setdefault("clusterIP", cluster_ip)
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("sessionAffinity", "None")
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    obj.setdefault("status", {"loadBalancer": {}})


def validate_service(res, obj, causes):
    ports = (obj.get("spec") or {}).get("ports") or []
    if not ports:
        causes.append(required("spec.ports"))
    for i, p in enumerate(ports):
        port = p.get("port")
        if not isinstance(port, int) or not 0 < port < 65536:
            causes.append(bad_value(f"spec.ports[{i}].port", port,
                                    "must be between 1 and 65535, inclusive"))


def default_secret(res, obj):
    """stringData folds into data (base64), as the server does."""
    data = obj.get("data") or {}
    for k, v in data.items():
        try:
            base64.b64decode(v, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise decode_error(res, "illegal base64 data at input byte 0") from None
    for k, v in (obj.pop("stringData", None) or {}).items():
        data[k] = base64.b64encode(str(v).encode()).decode()
    if data:
        obj["data"] = data
    obj.setdefault("type", "Opaque")


def validate_secret(res, obj, causes):
    total = 0
    for k, v in (obj.get("data") or {}).items():
        if not CONFIG_KEY.match(k):
            causes.append(bad_value(f"data[{k}]", k, MSG_KEY))
        total += len(base64.b64decode(v))
    if total > SECRET_MAX:
        causes.append(("data", "FieldValueTooLong", f"Too long: must have at most {SECRET_MAX} bytes"))


def default_namespace(obj):
    name = obj["metadata"].get("name", "")
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    obj["spec"] = {"finalizers": ["kubernetes"]}
    obj["status"] = {"phase": "Active"}


def apply_defaults(res, obj, cluster_ip=None):
    kind = res.kind
    if kind == "Deployment":
        default_deployment(obj)
    elif kind == "Service":
        default_service(obj, cluster_ip)
    elif kind == "Secret":
        default_secret(res, obj)
    elif kind == "Namespace":
        default_namespace(obj)
    elif kind == "Pod":
        default_pod_spec(obj.setdefault("spec", {}))


def validate(res, obj):
    """Raises 422 Invalid with every cause found."""
    causes = []
    kind = res.kind
    if kind == "Namespace":
        validate_meta(res, obj, causes, LABEL_1123, MSG_1123, 63)
    elif res.group == "rbac.authorization.k8s.io":  # path segment names: system:... is fine
        validate_meta(res, obj, causes, PATH_SEGMENT, "may not contain '/' or '%'")
    elif kind == "Service":
        validate_meta(res, obj, causes, LABEL_1035, MSG_1035, 63)
        validate_service(res, obj, causes)
    else:
        validate_meta(res, obj, causes)
    if kind == "Deployment":
        validate_deployment(res, obj, causes)
    elif kind == "Secret":
        validate_secret(res, obj, causes)
    elif kind == "Pod":
        validate_pod_spec(res, obj.get("spec") or {}, "spec", causes)
    if causes:
        raise invalid(res, (obj.get("metadata") or {}).get("name", ""), causes)
