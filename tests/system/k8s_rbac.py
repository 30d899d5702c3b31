"""RBAC as the API server's authorizer applies it: a request is allowed
when a rule of a Role (bound in the request's namespace by a RoleBinding)
or of a ClusterRole (bound by a ClusterRoleBinding, or by a RoleBinding
for its namespace) matches its group, resource (or resource/subresource),
verb and name, for a subject naming the user, a group of the user, or
its service account. Admins (system:masters) are allowed everything."""


def groups_of(user):
    out = {"system:authenticated"}
    if user.startswith("system:serviceaccount:"):
        ns = user.split(":")[2]
        out |= {"system:serviceaccounts", f"system:serviceaccounts:{ns}"}
    return out


def _names(subject, user, groups):
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user
    if kind == "Group":
        return name in groups
    if kind == "ServiceAccount":
        return user == f"system:serviceaccount:{subject.get('namespace')}:{name}"
    return False


def _rule_allows(rule, group, resource, verb, name):
    def has(values, value):
        return "*" in (values or []) or value in (values or [])
    return (has(rule.get("apiGroups"), group) and has(rule.get("resources"), resource)
            and has(rule.get("verbs"), verb)
            and (not rule.get("resourceNames") or name in rule["resourceNames"]))


def allowed(store, user, verb, res, ns, name=None, sub=None):
    """True when some binding of the user grants verb on the resource."""
    groups = groups_of(user)
    resource = res.plural + (f"/{sub}" if sub else "")
    bindings = [b for b in store.list("clusterrolebindings")[0]]
    if ns:
        bindings += store.list("rolebindings", ns)[0]
    for b in bindings:
        if not any(_names(s, user, groups) for s in b.get("subjects") or []):
            continue
        ref = b.get("roleRef") or {}
        if ref.get("kind") == "ClusterRole":
            role = store.get("clusterroles", "", ref.get("name"))
        else:
            role = store.get("roles", b["metadata"].get("namespace", ""), ref.get("name"))
        for rule in (role or {}).get("rules") or []:
            if _rule_allows(rule, res.group, resource, verb, name):
                return True
    return False
