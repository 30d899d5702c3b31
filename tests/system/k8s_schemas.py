"""JSON schemas of the Kubernetes objects that deploy/kubernetes/ and the
kubernetes driver use, written from the Kubernetes API reference (v1.32)
for the fields and types of those kinds.

It is a subset: each kind declares the fields a manifest of ours may
use, with their types, enums and required members, and every object
refuses fields it does not declare (additionalProperties false), as the
API server's strict field validation refuses unknown fields. A field the
manifests start to use is declared here first, from the API reference;
a typo (`replica:`), a wrong type (`containerPort: "8080"`) or a field
in the wrong place fails the schema check. Names follow the server's
validation rules (DNS-1123 labels and subdomains, IANA service names
for ports), which it answers with 422 Invalid.

    schema_for(api_version, kind) -> a JSON schema, or None
"""

INT32 = {"type": "integer", "minimum": -(2 ** 31), "maximum": 2 ** 31 - 1}
INT64 = {"type": "integer", "minimum": -(2 ** 63), "maximum": 2 ** 63 - 1}
STR = {"type": "string"}
BOOL = {"type": "boolean"}

# A DNS-1123 label (namespaces, container and volume names) and subdomain
# (most object names); a DNS-1035 label (Services); an IANA service name
# (port names: at most 15, at least one letter, no "--").
DNS_LABEL = {"type": "string", "maxLength": 63, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
DNS_SUBDOMAIN = {"type": "string", "maxLength": 253,
                 "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"}
DNS_1035_LABEL = {"type": "string", "maxLength": 63, "pattern": r"^[a-z]([-a-z0-9]*[a-z0-9])?$"}
PORT_NAME = {"type": "string", "maxLength": 15,
             "pattern": r"^(?!.*--)(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
# A quantity: "100m", "64Mi", "5Gi", "0.5", 2.
QUANTITY = {"anyOf": [
    {"type": "string",
     "pattern": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$"},
    {"type": "number"}]}
INT_OR_STRING = {"anyOf": [INT32, STR]}
# Label values: at most 63, alphanumerics at the ends, -_. inside.
LABEL_VALUE = {"type": "string", "maxLength": 63,
               "pattern": r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"}
LABEL_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?" \
            r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
# Environment variable names: the rule every server version takes (newer
# ones, with relaxed validation, take any printable name but "=").
ENV_NAME = {"type": "string", "pattern": r"^[-._a-zA-Z][-._a-zA-Z0-9]*$"}
# Keys of a ConfigMap's or a Secret's data: file names in the volume.
DATA_KEYS = {"type": "object", "propertyNames": {"pattern": r"^[-._a-zA-Z0-9]+$"},
             "additionalProperties": STR}


def obj(required=(), **props):
    """An object with exactly these properties allowed."""
    schema = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def arr(items, **more):
    return dict({"type": "array", "items": items}, **more)


def strmap(values=STR):
    return {"type": "object", "additionalProperties": values}


def enum(*values):
    return {"type": "string", "enum": list(values)}


LABELS = {"type": "object", "propertyNames": {"pattern": LABEL_KEY},
          "additionalProperties": LABEL_VALUE}
ANNOTATIONS = {"type": "object", "propertyNames": {"pattern": LABEL_KEY},
               "additionalProperties": STR}


def metadata(name=DNS_SUBDOMAIN, namespaced=True):
    props = {"name": name, "labels": LABELS, "annotations": ANNOTATIONS}
    if namespaced:
        props["namespace"] = DNS_LABEL
    return obj(required=("name",), **props)


# What a pod template, a volume claim template and the like carry: no
# name of their own is needed.
TEMPLATE_METADATA = obj(name=DNS_SUBDOMAIN, labels=LABELS, annotations=ANNOTATIONS)

LABEL_SELECTOR = obj(
    matchLabels=LABELS,
    matchExpressions=arr(obj(required=("key", "operator"), key=STR,
                             operator=enum("In", "NotIn", "Exists", "DoesNotExist"),
                             values=arr(STR))))

RESOURCES = obj(limits=strmap(QUANTITY), requests=strmap(QUANTITY))

SECCOMP = obj(required=("type",), type=enum("Localhost", "RuntimeDefault", "Unconfined"),
              localhostProfile=STR)

CONTAINER_SECURITY = obj(
    allowPrivilegeEscalation=BOOL,
    capabilities=obj(add=arr(STR), drop=arr(STR)),
    privileged=BOOL,
    procMount=enum("Default", "Unmasked"),
    readOnlyRootFilesystem=BOOL,
    runAsGroup=INT64,
    runAsNonRoot=BOOL,
    runAsUser=INT64,
    seccompProfile=SECCOMP)

POD_SECURITY = obj(
    fsGroup=INT64,
    fsGroupChangePolicy=enum("Always", "OnRootMismatch"),
    runAsGroup=INT64,
    runAsNonRoot=BOOL,
    runAsUser=INT64,
    seccompProfile=SECCOMP,
    supplementalGroups=arr(INT64),
    sysctls=arr(obj(required=("name", "value"), name=STR, value=STR)))

PROBE = obj(
    httpGet=obj(required=("port",), path=STR, port=INT_OR_STRING, host=STR,
                scheme=enum("HTTP", "HTTPS"),
                httpHeaders=arr(obj(required=("name", "value"), name=STR, value=STR))),
    tcpSocket=obj(required=("port",), port=INT_OR_STRING, host=STR),
    exec=obj(command=arr(STR)),
    initialDelaySeconds=INT32,
    periodSeconds=INT32,
    timeoutSeconds=INT32,
    successThreshold=INT32,
    failureThreshold=INT32,
    terminationGracePeriodSeconds=INT64)

KEY_SELECTOR = obj(required=("key",), key=STR, name=STR, optional=BOOL)

ENV_VAR = obj(
    required=("name",),
    name=ENV_NAME,
    value=STR,
    valueFrom=obj(
        fieldRef=obj(required=("fieldPath",), apiVersion=STR, fieldPath=STR),
        resourceFieldRef=obj(required=("resource",), containerName=STR, divisor=QUANTITY,
                             resource=STR),
        configMapKeyRef=KEY_SELECTOR,
        secretKeyRef=KEY_SELECTOR))

CONTAINER = obj(
    required=("name",),
    name=DNS_LABEL,
    image=STR,
    imagePullPolicy=enum("Always", "IfNotPresent", "Never"),
    command=arr(STR),
    args=arr(STR),
    workingDir=STR,
    env=arr(ENV_VAR),
    ports=arr(obj(required=("containerPort",), containerPort=PORT, name=PORT_NAME,
                  protocol=enum("SCTP", "TCP", "UDP"), hostIP=STR, hostPort=PORT)),
    livenessProbe=PROBE,
    readinessProbe=PROBE,
    startupProbe=PROBE,
    resources=RESOURCES,
    securityContext=CONTAINER_SECURITY,
    terminationMessagePath=STR,
    terminationMessagePolicy=enum("FallbackToLogsOnError", "File"),
    volumeMounts=arr(obj(required=("name", "mountPath"), name=STR, mountPath=STR,
                         readOnly=BOOL, subPath=STR, subPathExpr=STR,
                         mountPropagation=enum("Bidirectional", "HostToContainer",
                                               "None"))))

KEY_TO_PATH = obj(required=("key", "path"), key=STR, path=STR, mode=INT32)

# A volume is its name and exactly one source.
VOLUME = dict(obj(
    required=("name",),
    name=DNS_LABEL,
    configMap=obj(name=STR, items=arr(KEY_TO_PATH), defaultMode=INT32, optional=BOOL),
    secret=obj(secretName=STR, items=arr(KEY_TO_PATH), defaultMode=INT32, optional=BOOL),
    emptyDir=obj(medium=STR, sizeLimit=QUANTITY),
    persistentVolumeClaim=obj(required=("claimName",), claimName=STR, readOnly=BOOL),
    # Several secrets in one directory (the driver's /var/openfaas/secrets).
    projected=obj(defaultMode=INT32, sources=arr(obj(
        secret=obj(name=STR, items=arr(KEY_TO_PATH), optional=BOOL),
        configMap=obj(name=STR, items=arr(KEY_TO_PATH), optional=BOOL))))),
    minProperties=2, maxProperties=2)

TOPOLOGY_SPREAD = obj(
    required=("maxSkew", "topologyKey", "whenUnsatisfiable"),
    maxSkew=INT32,
    minDomains=INT32,
    topologyKey=STR,
    whenUnsatisfiable=enum("DoNotSchedule", "ScheduleAnyway"),
    labelSelector=LABEL_SELECTOR,
    matchLabelKeys=arr(STR),
    nodeAffinityPolicy=enum("Honor", "Ignore"),
    nodeTaintsPolicy=enum("Honor", "Ignore"))

POD_SPEC = obj(
    required=("containers",),
    containers=arr(CONTAINER, minItems=1),
    initContainers=arr(CONTAINER),
    volumes=arr(VOLUME),
    serviceAccountName=DNS_SUBDOMAIN,
    automountServiceAccountToken=BOOL,
    enableServiceLinks=BOOL,
    securityContext=POD_SECURITY,
    terminationGracePeriodSeconds=INT64,
    restartPolicy=enum("Always", "Never", "OnFailure"),
    nodeSelector=strmap(),
    priorityClassName=STR,
    topologySpreadConstraints=arr(TOPOLOGY_SPREAD),
    tolerations=arr(obj(key=STR, operator=enum("Equal", "Exists"), value=STR,
                        effect=enum("NoExecute", "NoSchedule", "PreferNoSchedule"),
                        tolerationSeconds=INT64)))

POD_TEMPLATE = obj(metadata=TEMPLATE_METADATA, spec=POD_SPEC)


def kind_of(api_version, kind, namespaced=True, name=DNS_SUBDOMAIN,
            **top):
    """A whole object: apiVersion and kind fixed, metadata, and the rest."""
    props = {"apiVersion": {"const": api_version}, "kind": {"const": kind},
             "metadata": metadata(name, namespaced)}
    props.update(top)
    return obj(required=("apiVersion", "kind", "metadata"), **props)


PVC = obj(
    apiVersion={"const": "v1"},
    kind={"const": "PersistentVolumeClaim"},
    metadata=TEMPLATE_METADATA,
    spec=obj(accessModes=arr(enum("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                  "ReadWriteOncePod")),
             resources=obj(limits=strmap(QUANTITY), requests=strmap(QUANTITY)),
             storageClassName=STR,
             volumeMode=enum("Block", "Filesystem"),
             selector=LABEL_SELECTOR))

DEPLOYMENT_SPEC = obj(
    required=("selector", "template"),
    replicas=INT32,
    selector=LABEL_SELECTOR,
    template=POD_TEMPLATE,
    strategy=obj(type=enum("Recreate", "RollingUpdate"),
                 rollingUpdate=obj(maxSurge=INT_OR_STRING, maxUnavailable=INT_OR_STRING)),
    minReadySeconds=INT32,
    progressDeadlineSeconds=INT32,
    revisionHistoryLimit=INT32,
    paused=BOOL)

STATEFULSET_SPEC = obj(
    required=("selector", "template", "serviceName"),
    replicas=INT32,
    selector=LABEL_SELECTOR,
    serviceName=STR,
    template=POD_TEMPLATE,
    volumeClaimTemplates=arr(PVC),
    podManagementPolicy=enum("OrderedReady", "Parallel"),
    updateStrategy=obj(type=enum("OnDelete", "RollingUpdate"),
                       rollingUpdate=obj(maxUnavailable=INT_OR_STRING, partition=INT32)),
    persistentVolumeClaimRetentionPolicy=obj(whenDeleted=enum("Delete", "Retain"),
                                             whenScaled=enum("Delete", "Retain")),
    minReadySeconds=INT32,
    revisionHistoryLimit=INT32)

SERVICE_SPEC = obj(
    type=enum("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"),
    clusterIP=STR,
    selector=strmap(),
    ports=arr(obj(required=("port",), port=PORT, targetPort=INT_OR_STRING,
                  name=PORT_NAME, protocol=enum("SCTP", "TCP", "UDP"),
                  nodePort=PORT, appProtocol=STR)),
    publishNotReadyAddresses=BOOL,
    sessionAffinity=enum("ClientIP", "None"),
    internalTrafficPolicy=enum("Cluster", "Local"),
    externalTrafficPolicy=enum("Cluster", "Local"))

# A time with microseconds, RFC 3339: "2026-12-04T10:00:00.000000Z".
MICRO_TIME = {"type": "string",
              "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$"}
LEASE_SPEC = obj(holderIdentity=STR, leaseDurationSeconds=INT32, leaseTransitions=INT32,
                 acquireTime=MICRO_TIME, renewTime=MICRO_TIME, preferredHolder=STR, strategy=STR)

RBAC = "rbac.authorization.k8s.io/v1"
POLICY_RULE = obj(required=("verbs",), apiGroups=arr(STR), resources=arr(STR),
                  resourceNames=arr(STR), nonResourceURLs=arr(STR), verbs=arr(STR, minItems=1))
ROLE_REF = obj(required=("apiGroup", "kind", "name"), apiGroup=STR, kind=STR, name=STR)
SUBJECT = obj(required=("kind", "name"), kind=STR, name=STR, namespace=STR, apiGroup=STR)

SCHEMAS = {
    ("v1", "Namespace"): kind_of("v1", "Namespace", namespaced=False, name=DNS_LABEL,
                                 spec=obj(finalizers=arr(STR))),
    ("v1", "ServiceAccount"): kind_of("v1", "ServiceAccount",
                                      automountServiceAccountToken=BOOL,
                                      imagePullSecrets=arr(obj(name=STR))),
    ("v1", "ConfigMap"): kind_of("v1", "ConfigMap", data=DATA_KEYS, binaryData=DATA_KEYS,
                                 immutable=BOOL),
    ("v1", "Secret"): kind_of("v1", "Secret", data=DATA_KEYS, stringData=DATA_KEYS,
                              type=STR, immutable=BOOL),
    ("v1", "Service"): kind_of("v1", "Service", name=DNS_1035_LABEL, spec=SERVICE_SPEC),
    ("apps/v1", "Deployment"): kind_of("apps/v1", "Deployment", spec=DEPLOYMENT_SPEC),
    ("apps/v1", "StatefulSet"): kind_of("apps/v1", "StatefulSet", spec=STATEFULSET_SPEC),
    ("policy/v1", "PodDisruptionBudget"): kind_of(
        "policy/v1", "PodDisruptionBudget",
        spec=obj(minAvailable=INT_OR_STRING, maxUnavailable=INT_OR_STRING,
                 selector=LABEL_SELECTOR,
                 unhealthyPodEvictionPolicy=enum("AlwaysAllow", "IfHealthyBudget"))),
    ("coordination.k8s.io/v1", "Lease"): kind_of("coordination.k8s.io/v1", "Lease",
                                                 spec=LEASE_SPEC),
    (RBAC, "Role"): kind_of(RBAC, "Role", rules=arr(POLICY_RULE)),
    (RBAC, "ClusterRole"): kind_of(RBAC, "ClusterRole", namespaced=False,
                                   rules=arr(POLICY_RULE)),
    (RBAC, "RoleBinding"): dict(kind_of(RBAC, "RoleBinding", roleRef=ROLE_REF,
                                        subjects=arr(SUBJECT)),
                                required=["apiVersion", "kind", "metadata", "roleRef"]),
    (RBAC, "ClusterRoleBinding"): dict(kind_of(RBAC, "ClusterRoleBinding", namespaced=False,
                                               roleRef=ROLE_REF, subjects=arr(SUBJECT)),
                                       required=["apiVersion", "kind", "metadata", "roleRef"]),
}


def schema_for(api_version, kind):
    """The schema of that kind, or None when none is declared here."""
    return SCHEMAS.get((api_version, kind))
