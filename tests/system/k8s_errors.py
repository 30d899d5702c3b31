"""Status objects of the Kubernetes API stand-in, shaped as a real
kube-apiserver v1.32 shapes them (kind, apiVersion, metadata, status,
message, reason, details, code, in that order)."""


class ApiError(Exception):
    """An API answer other than success: the HTTP code and its Status."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        return failure(self.code, self.reason, self.message, self.details)


def failure(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason}
    if details:
        body["details"] = details
    body["code"] = code
    return body


def success(details):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        body["details"] = details
    return body


def details(res, name=None, **more):
    """details as the server fills them: name, group (not for the core
    group), kind (the resource's plural), then the rest."""
    out = {}
    if name is not None:
        out["name"] = name
    if res.group:
        out["group"] = res.group
    out["kind"] = res.plural
    out.update(more)
    return out


def not_found(res, name):
    return ApiError(404, "NotFound", f'{res.qualified} "{name}" not found', details(res, name))


def already_exists(res, name):
    return ApiError(409, "AlreadyExists", f'{res.qualified} "{name}" already exists',
                    details(res, name))


def conflict(res, name, why="the object has been modified; please apply your changes "
             "to the latest version and try again"):
    return ApiError(409, "Conflict",
                    f'Operation cannot be fulfilled on {res.qualified} "{name}": {why}',
                    details(res, name))


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def namespace_not_found(name):
    return ApiError(404, "NotFound", f'namespaces "{name}" not found',
                    {"name": name, "kind": "namespaces"})


def invalid(res, name, causes):
    """422 Invalid: causes are (field, reason, message) triples, as
    field.Error gives them ("Invalid value: ...", "Required value", ...)."""
    texts = [f"{field}: {msg}" for field, _, msg in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    d = {"name": name}
    if res.group:
        d["group"] = res.group
    d["kind"] = res.kind
    d["causes"] = [{"reason": r, "message": m, "field": f} for f, r, m in causes]
    return ApiError(422, "Invalid", f'{res.kind_qualified} "{name}" is invalid: {joined}', d)


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(user, verb, res, namespace, name=None, subresource=None):
    what = res.plural + (f"/{subresource}" if subresource else "")
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (f'{res.qualified} is forbidden: User "{user}" cannot {verb} resource '
               f'"{what}" in API group "{res.group}" {where}')
    return ApiError(403, "Forbidden", message, details(res, name))


def expired(message):
    return ApiError(410, "Expired", message)


# Reasons of the codes fail_next() may be asked for, as the server names them.
REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType",
           422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
           503: "ServiceUnavailable", 504: "Timeout"}


def injected(code, message=None):
    """The Status of an injected failure with the reason a real server
    gives that code."""
    return failure(code, REASONS.get(code, "Unknown"), message or f"injected failure ({code})")
