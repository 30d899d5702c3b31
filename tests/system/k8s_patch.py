"""PATCH bodies as a real API server applies them: JSON merge patch
(RFC 7386, application/merge-patch+json), JSON patch (RFC 6902,
application/json-patch+json) and strategic merge patch
(application/strategic-merge-patch+json: lists with a merge key, such as
containers and env by name, are merged item by item; $patch,
$setElementOrder, $retainKeys and $deleteFromPrimitiveList directives)."""
import copy
import json

from k8s_errors import ApiError, bad_request

# The merge key of each list, by the list's field name and the field that
# holds it (None: any parent). Lists not named here are replaced whole.
MERGE_KEYS = {
    ("containers", None): "name", ("initContainers", None): "name",
    ("ephemeralContainers", None): "name", ("env", None): "name", ("volumes", None): "name",
    ("volumeMounts", None): "mountPath", ("volumeDevices", None): "devicePath",
    ("imagePullSecrets", None): "name", ("hostAliases", None): "ip",
    ("conditions", None): "type", ("ownerReferences", None): "uid",
    ("ports", "containers"): "containerPort", ("ports", "initContainers"): "containerPort",
    ("ports", "spec"): "port",
}
# Lists of scalars merged as sets.
MERGE_PRIMITIVES = {"finalizers"}


def merge_key(field, parent):
    return MERGE_KEYS.get((field, parent)) or MERGE_KEYS.get((field, None))


def json_merge(target, patch):
    """RFC 7386: objects merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = json_merge(out.get(k), v)
    return out


# --- strategic merge -------------------------------------------------------------
def strategic_merge(original, patch, parent=None):
    """The map original with the strategic patch applied (new object)."""
    if not isinstance(patch, dict):
        raise bad_request("unable to find api field in struct for the json field \"$patch\"")
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = copy.deepcopy(original) if isinstance(original, dict) else {}
    retain = patch.get("$retainKeys")
    orders = {k.split("/", 1)[1]: v for k, v in patch.items() if k.startswith("$setElementOrder/")}
    deletes = {k.split("/", 1)[1]: v for k, v in patch.items()
               if k.startswith("$deleteFromPrimitiveList/")}
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            merged = strategic_merge(out.get(k), v, k)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        elif isinstance(v, list):
            out[k] = merge_list(out.get(k), v, k, parent, orders.get(k))
        else:
            out[k] = v
    for k, values in deletes.items():
        if isinstance(out.get(k), list):
            out[k] = [x for x in out[k] if x not in values]
    for k, order in orders.items():
        if k not in patch and isinstance(out.get(k), list):
            out[k] = reorder(out[k], order, merge_key(k, parent))
    if retain is not None:
        out = {k: v for k, v in out.items() if k in retain}
    return out


def merge_list(original, patch, field, parent, order):
    original = original if isinstance(original, list) else []
    key = merge_key(field, parent)
    if key is None:
        if field in MERGE_PRIMITIVES:
            return original + [x for x in patch if x not in original]
        if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
            return [x for x in patch if not (isinstance(x, dict) and "$patch" in x)]
        return copy.deepcopy(patch)
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and "$patch" in x)]
    by_key = {item.get(key): item for item in original if isinstance(item, dict)}
    deleted = {x.get(key) for x in patch if isinstance(x, dict) and x.get("$patch") == "delete"}
    merged = []
    for item in patch:
        if not isinstance(item, dict) or item.get("$patch") == "delete":
            continue
        if key not in item:
            raise bad_request(f"map: {item} does not contain declared merge key: {key}")
        base = by_key.get(item[key])
        merged.append(strategic_merge(base, item, field))
    seen = {m.get(key) for m in merged}
    server_only = [copy.deepcopy(x) for x in original
                   if isinstance(x, dict) and x.get(key) not in seen and x.get(key) not in deleted]
    if order is not None:
        merged = reorder(merged, order, key)
        server_only = reorder(server_only, [x.get(key) for x in original], key)
    return merge_sorted(server_only, merged, [x.get(key) for x in original], key)


def reorder(items, order, key):
    keys = [o.get(key) if isinstance(o, dict) else o for o in order]
    pos = {k: i for i, k in enumerate(keys)}
    return sorted(items, key=lambda x: pos.get(x.get(key) if isinstance(x, dict) else x,
                                             len(pos)))


def merge_sorted(left, right, server_order, key):
    """Interleaves server-only items (left) with the patch's items (right)
    by their place in the server's list where both have one; otherwise the
    patch's item comes first. This is how a real server orders them, so a
    new env var patched in lands before the existing ones."""
    index = {k: i for i, k in enumerate(server_order)}
    out, i, j = [], 0, 0
    while i < len(left) or j < len(right):
        if j >= len(right):
            out.append(left[i])
            i += 1
        elif i >= len(left):
            out.append(right[j])
            j += 1
        else:
            li, ri = index.get(left[i].get(key)), index.get(right[j].get(key))
            if li is not None and ri is not None and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


# --- JSON patch ------------------------------------------------------------------
def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request("the server rejected our request due to an error in our request")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, list):
            cur = cur[int(p)]
        elif isinstance(cur, dict):
            cur = cur[p]
        else:
            raise KeyError(p)
    return cur


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    for op in ops:
        try:
            doc = _apply_op(doc, op)
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApiError(422, "Invalid", f"the server rejected our request due to an error "
                           f"in our request: {json.dumps(op)}") from None
    return doc


def _apply_op(doc, op):
    kind, parts = op.get("op"), _pointer(op.get("path", ""))
    if kind == "test":
        if _walk(doc, parts) != op.get("value"):
            raise ValueError("test failed")
        return doc
    if kind in ("move", "copy"):
        value = copy.deepcopy(_walk(doc, _pointer(op["from"])))
        if kind == "move":
            doc = _apply_op(doc, {"op": "remove", "path": op["from"]})
        return _apply_op(doc, {"op": "add", "path": op["path"], "value": value})
    if not parts:
        return copy.deepcopy(op.get("value")) if kind in ("add", "replace") else doc
    parent, last = _walk(doc, parts[:-1]), parts[-1]
    if kind == "remove":
        if isinstance(parent, list):
            del parent[int(last)]
        else:
            del parent[last]
    elif kind in ("add", "replace"):
        value = copy.deepcopy(op["value"])
        if isinstance(parent, list):
            if kind == "add":
                parent.insert(len(parent) if last == "-" else int(last), value)
            else:
                parent[int(last)] = value
        else:
            if kind == "replace" and last not in parent:
                raise KeyError(last)
            parent[last] = value
    else:
        raise ValueError(kind)
    return doc


def apply(content_type, original, body):
    """The patched object; 415 for a patch type the server does not take."""
    ctype = (content_type or "").split(";")[0].strip()
    try:
        patch = json.loads(body or b"null")
    except ValueError as e:
        raise bad_request(f"error decoding patch: {e}") from None
    if ctype == "application/merge-patch+json":
        return json_merge(original, patch)
    if ctype == "application/strategic-merge-patch+json":
        return strategic_merge(original, patch)
    if ctype == "application/json-patch+json":
        return json_patch(original, patch)
    raise ApiError(415, "UnsupportedMediaType", 'the body of the request was in an unknown '
                   'format - accepted media types include: application/json-patch+json, '
                   'application/merge-patch+json, application/apply-patch+yaml, '
                   'application/strategic-merge-patch+json')
