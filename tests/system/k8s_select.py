"""Label and field selectors, with the syntax and errors of a real API
server: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
comma-separated terms that must all hold."""
import re

from k8s_errors import bad_request

_SET = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|=|!=)\s*(\S*))?\s*$")


def _terms(text):
    """Splits on commas that are not inside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return out


def parse_labels(text):
    """A predicate on a labels dict; BadRequest on a malformed selector."""
    if not text:
        return lambda labels: True
    checks = []
    for term in _terms(text):
        m = _SET.match(term)
        if not m or (m.group(1) and (m.group(3) or m.group(5))):
            raise bad_request(f'unable to parse requirement: found \'{term.strip()}\', '
                              "expected: ',' or 'end of string'")
        neg, key, setop, values, op, value = m.groups()
        if setop:
            vals = {v.strip() for v in values.split(",") if v.strip()}
            checks.append(_set_check(key, setop, vals))
        elif op:
            checks.append(_eq_check(key, op != "!=", value))
        else:
            checks.append(_exists_check(key, not neg))
    return lambda labels: all(c(labels or {}) for c in checks)


def _set_check(key, op, vals):
    if op == "in":
        return lambda labels: labels.get(key) in vals
    return lambda labels: labels.get(key) not in vals


def _eq_check(key, equal, value):
    if equal:
        return lambda labels: labels.get(key) == value
    return lambda labels: labels.get(key) != value


def _exists_check(key, present):
    return lambda labels: (key in labels) == present


# The fields each kind may be selected on, beyond metadata.name and
# metadata.namespace (a real server refuses the others).
FIELDS = {"Pod": {"status.phase", "spec.nodeName", "spec.restartPolicy",
                  "spec.serviceAccountName", "status.podIP"},
          "Secret": {"type"}, "Event": {"involvedObject.name", "involvedObject.kind",
                                        "involvedObject.namespace", "reason", "type"},
          "Namespace": {"status.phase"}}


def _value(obj, path):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    return "" if cur is None else str(cur)


def parse_fields(text, kind):
    """A predicate on an object; BadRequest for a field the kind does not
    support, as `field label not supported`."""
    if not text:
        return lambda obj: True
    checks = []
    for term in text.split(","):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise bad_request(f'invalid selector: \'{text}\'; can\'t understand \'{term}\'')
        path, op, value = m.groups()
        if path not in ("metadata.name", "metadata.namespace") and \
                path not in FIELDS.get(kind, ()):
            raise bad_request(f'field label not supported: {path}')
        checks.append((path, op != "!=", value))
    return lambda obj: all((_value(obj, p) == v) == eq for p, eq, v in checks)


def selector_text(match_labels):
    """matchLabels as a selector string, as Scale's status.selector."""
    return ",".join(f"{k}={v}" for k, v in sorted((match_labels or {}).items()))


def matches_selector(selector, labels):
    """A LabelSelector object (matchLabels, matchExpressions) against labels."""
    if not selector:
        return False
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, vals = e.get("key"), e.get("operator"), set(e.get("values") or [])
        if op == "In" and labels.get(key) not in vals:
            return False
        if op == "NotIn" and labels.get(key) in vals:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True
