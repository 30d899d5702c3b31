"""The stand-in's control socket: plain HTTP on a unix socket, for tests
to look at the cluster's state and make trouble (k8s_util wraps it).
Every call answers JSON."""
import json
import os
import signal
import urllib.parse
from http.server import BaseHTTPRequestHandler

import k8s_resources as R
from k8s_tls import write_kubeconfig, write_serviceaccount


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cluster = None

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.answer()

    do_POST = do_GET

    def answer(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n)) if n else {}
        fn = getattr(self, "op_" + url.path.strip("/"), None)
        try:
            code, out = (200, fn(q, body)) if fn else (404, {"error": "no such operation"})
        except KeyError as e:
            code, out = 400, {"error": f"missing {e}"}
        data = json.dumps(out).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def op_objects(self, q, body):
        items, _ = self.cluster.store.list(q["resource"], q.get("namespace"))
        return items

    def op_delete_by_hand(self, q, body):
        res = R.BY_PLURAL[body["resource"]]
        opts = {"propagationPolicy": body.get("propagationPolicy", "Background")}
        return self.cluster.api.delete(res, body.get("namespace", ""), body["name"], opts)

    def op_drop_watches(self, q, body):
        self.cluster.store.drop_watches()
        return {}

    def op_expire_history(self, q, body):
        self.cluster.store.expire()
        return {"resourceVersion": str(self.cluster.store.rv)}

    def op_send_bookmarks(self, q, body):
        self.cluster.store.send_bookmarks()
        return {}

    def op_pod_ips(self, q, body):
        return self.cluster.agent.ready_ips(q["namespace"], q["function"])

    def op_requests(self, q, body):
        with self.cluster.lock:
            return list(self.cluster.requests)

    def op_clear_requests(self, q, body):
        with self.cluster.lock:
            self.cluster.requests.clear()
        return {}

    def op_fail_next(self, q, body):
        with self.cluster.lock:
            self.cluster.failures.append([body["method"].upper(), body["path_prefix"],
                                          int(body["status"]), body.get("body"),
                                          int(body.get("times", 1))])
        return {}

    def op_rotate_token(self, q, body):
        """A new admin token (in the kubeconfig and the service account
        token file); the old one answers 401 from now on."""
        c = self.cluster
        for t, user in list(c.tokens.items()):
            if user == "kubernetes-admin":
                del c.tokens[t]
        token = c.issue("kubernetes-admin")
        d = os.path.dirname(c.agent.dir + "/")
        write_kubeconfig(os.path.join(d, "kubeconfig"), c.url, os.path.join(d, "ca.crt"),
                         token=token)
        write_serviceaccount(d, token)
        return {"token": token}

    def op_api_down(self, q, body):
        self.cluster.listener.down()
        return {}

    def op_api_up(self, q, body):
        self.cluster.listener.up()
        return {}

    def op_issue_token(self, q, body):
        return {"token": self.cluster.issue(body["user"])}

    def op_grant(self, q, body):
        self.cluster.admins.add(body["user"])
        return {}

    def op_kill_pod(self, q, body):
        sig = getattr(signal, body.get("signal", "SIGKILL"))
        return {"pid": self.cluster.agent.signal_pod(body["namespace"], body["name"], sig)}

    def op_pod_pids(self, q, body):
        return self.cluster.agent.pids()
