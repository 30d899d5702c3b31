#!/usr/bin/python3
"""A Kubernetes API server stand-in for the kubernetes driver's tests:
HTTPS with a CA made at start, bearer-token (and client-certificate)
authentication and RBAC, the resources the driver uses with a real
server's rules and answers (k8s_api, k8s_objects, k8s_patch), watches
(k8s_watch), pods/log (k8s_logs), and a node agent (k8s_agent, k8s_pods,
k8s_volumes) that runs each pod's container as a real process on a
loopback pod IP.

It stands in for kube-apiserver v1.32 with the deployment, endpointslice,
namespace and garbage-collection controllers, a scheduler for one node
and its kubelet. Not there: ReplicaSets as objects (pods name theirs in
ownerReferences), StatefulSets, DaemonSets, Jobs, Events, server-side
apply, HTTP/2, protobuf, memory and CPU limits (kept, not enforced).

Run: k8s_standin.py --dir DIR. When it serves, DIR/ready.json says where
(url, tokens, kubeconfig, control socket). The control socket
(DIR/control.sock, plain HTTP) is how tests look inside and inject
trouble; k8s_util.py wraps it. SIGTERM stops every pod, then the server.

Threads: one per connection (ThreadingHTTPServer); watch and log streams
wait on the store's condition; the agent runs its own (k8s_agent)."""
import argparse
import json
import os
import secrets
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import k8s_errors as E  # noqa: E402
import k8s_openapi  # noqa: E402
import k8s_rbac  # noqa: E402
import k8s_table  # noqa: E402
import k8s_resources as R  # noqa: E402
from k8s_agent import Agent  # noqa: E402
from k8s_api import Api  # noqa: E402
from k8s_control import ControlHandler  # noqa: E402
from k8s_http import ApiHandler  # noqa: E402
from k8s_store import Store  # noqa: E402
from k8s_tls import make_certs, write_kubeconfig, write_serviceaccount  # noqa: E402
from k8s_watch import serve_watch  # noqa: E402

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.13-standin",
           "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
           "buildDate": "2026-12-03T00:00:00Z", "goVersion": "go1.23.5", "compiler": "gc",
           "platform": "linux/amd64"}
ADMIN = "kubernetes-admin"
VERB_OF = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


class Cluster:
    """Everything the handlers share: store, API verbs, agent, tokens, the
    request log and the failures to inject."""

    def __init__(self, args):
        self.store = Store()
        self.api = Api(self.store)
        self.tokens = {}           # token -> user name
        self.admins = {ADMIN}
        self.requests = []
        self.failures = []         # [method, path_prefix, status, body]
        self.lock = threading.Lock()
        self.args = args
        self.agent = None

    def issue(self, user):
        token = secrets.token_urlsafe(32)
        self.tokens[token] = user
        return token

    def take_failure(self, method, path):
        with self.lock:
            for f in self.failures:
                if f[0] in (method, "*") and path.startswith(f[1]):
                    f[4] -= 1
                    if f[4] <= 0:
                        self.failures.remove(f)
                    return f
        return None


class Request:
    """A parsed API path: /api/v1/... or /apis/GROUP/VERSION/..."""

    def __init__(self, method, path, query):
        self.method, self.path, self.query = method, path, query
        self.res = self.ns = self.name = self.sub = None
        self.watch = query.get("watch") in ("1", "true")
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise E.ApiError(404, "NotFound", "the server could not find the requested resource")
        if rest[:1] == ["watch"]:
            self.watch, rest = True, rest[1:]
        if len(rest) >= 3 and rest[0] == "namespaces" and R.lookup(group, version, rest[2]):
            self.ns, rest = rest[1], rest[2:]
        if not rest or not R.lookup(group, version, rest[0]):
            raise E.ApiError(404, "NotFound", "the server could not find the requested resource")
        self.res = R.lookup(group, version, rest[0])
        self.name = rest[1] if len(rest) > 1 else None
        self.sub = rest[2] if len(rest) > 2 else None
        if len(rest) > 3 or (self.sub and self.sub not in self.res.subresources):
            raise E.ApiError(404, "NotFound", "the server could not find the requested resource")
        if self.res.namespaced and self.ns is None and self.name is not None:
            raise E.ApiError(404, "NotFound", "the server could not find the requested resource")

    @property
    def verb(self):
        if self.method in ("GET", "HEAD"):
            return "watch" if self.watch else "get" if self.name else "list"
        if self.method == "DELETE" and not self.name:
            return "deletecollection"
        return VERB_OF.get(self.method, self.method.lower())


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that leaves or refuses our certificate is no error of ours."""
        err = sys.exc_info()[1]
        if isinstance(err, (ssl.SSLError, ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Listener:
    """The HTTPS port, which can go down (refusing connections, cutting
    the open ones) and come back on the same port: an API server that
    restarts, while its pods run on."""

    def __init__(self, ctx, port):
        self.ctx, self.port, self.httpd, self.serving = ctx, port, None, False
        self._bind()

    def _bind(self):
        self.httpd = Server(("127.0.0.1", self.port), Handler)
        self.port = self.httpd.server_address[1]
        self.httpd.socket = self.ctx.wrap_socket(self.httpd.socket, server_side=True,
                                                 do_handshake_on_connect=False)

    def up(self):
        if self.serving:
            return
        if self.httpd is None:
            self._bind()
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.serving = True

    def down(self):
        if not self.serving:
            return
        self.httpd.shutdown()
        self.httpd.server_close()
        self.httpd, self.serving = None, False
        for conn in list(Handler.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(ApiHandler):
    cluster = None  # set by serve()
    connections = set()

    def setup(self):
        super().setup()
        self.connections.add(self.connection)

    def finish(self):
        self.connections.discard(self.connection)
        super().finish()

    def do_GET(self):
        self.serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def serve(self):
        c = self.cluster
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        self.record(url, query, body)
        try:
            failure = c.take_failure(self.command, url.path)
            if failure:
                return self.inject(failure)
            user = self.authenticate()
            self.route(url.path, query, body, user)
        except E.ApiError as e:
            self.send_json(e.code, e.status(), e.headers)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
            self.close_connection = True
        except Exception as e:  # a stand-in bug: say so (the test fails) and answer 500
            traceback.print_exc()
            print(f"standin bug: {self.command} {self.path}: {e!r}", flush=True)
            try:
                self.send_json(500, E.failure(500, "InternalError", f"stand-in bug: {e!r}"))
            except OSError:
                pass
            self.close_connection = True

    def record(self, url, query, body):
        parsed = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
        with self.cluster.lock:
            self.cluster.requests.append({"method": self.command, "path": url.path,
                                          "query": query, "headers": dict(self.headers.items()),
                                          "body": parsed, "time": time.time()})

    def inject(self, failure):
        _, _, status, body, _ = failure
        if body is None:
            body = E.injected(status)
        extra = {"Retry-After": "1"} if status == 429 else None
        if isinstance(body, (dict, list)):
            self.send_json(status, body, extra)
        else:
            data = str(body).encode()
            self.start(status, "text/plain", len(data), extra)
            self.wfile.write(data)

    def authenticate(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            user = self.cluster.tokens.get(auth[7:].strip())
            if user:
                return user
            raise E.unauthorized()
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return v
        raise E.unauthorized()

    def route(self, path, query, body, user):
        if self.command == "GET" and self.discovery(path):
            return
        req = Request(self.command, path, query)
        if user not in self.cluster.admins and not k8s_rbac.allowed(
                self.cluster.store, user, req.verb, req.res, req.ns, req.name, req.sub):
            raise E.forbidden(user, req.verb, req.res, req.ns, req.name, req.sub)
        if req.watch:
            return serve_watch(self, self.cluster, req)
        result = self.dispatch(req, body)
        if result is None:  # pods/log streams its own answer
            return
        code, out = result
        if self.command == "GET" and req.sub is None and code == 200 and \
                k8s_table.wants_table(self.headers.get("Accept")):
            out = k8s_table.table(req.res, out)
        self.send_json(code, out)

    def discovery(self, path):
        p = path.rstrip("/")
        doc = None
        if p == "/version":
            doc = VERSION
        elif p == "/api":
            doc = R.api_versions()
        elif p == "/apis":
            doc = R.api_group_list()
        elif p in ("/healthz", "/livez", "/readyz"):
            self.start(200, "text/plain; charset=utf-8", 2)
            self.wfile.write(b"ok")
            return True
        elif p == "/api/v1":
            doc = R.resource_list("", "v1")
        elif p.startswith("/apis/") and p.count("/") == 2:
            doc = R.api_group(p.split("/")[2])
        elif p.startswith("/apis/") and p.count("/") == 3:
            doc = R.resource_list(*p.split("/")[2:4])
        elif p == "/openapi/v2":
            # Protobuf, the only form kubectl takes: a document with no
            # definitions, so its client-side validation has nothing to check.
            data = k8s_openapi.V2_PROTOBUF
            self.start(200, "application/octet-stream",
                       len(data))
            self.wfile.write(data)
            return True
        elif p.startswith("/openapi/v3"):
            doc = k8s_openapi.lookup(p)
        else:
            return False
        if doc is None:
            raise E.ApiError(404, "NotFound", "the server could not find the requested resource")
        self.send_json(200, doc)
        return True

    def dispatch(self, req, body):
        api, res, ns, name, q = self.cluster.api, req.res, req.ns or "", req.name, req.query
        manager = q.get("fieldManager") or "unknown"
        dry = q.get("dryRun") == "All"
        m = self.command
        if req.sub == "log":
            return self.cluster.agent.kubelet.serve_log(self, ns, name, q)
        if req.sub == "scale":
            if m == "GET":
                return 200, api.get_scale(res, ns, name)
            if m in ("PUT", "PATCH"):
                return 200, api.set_scale(res, ns, name, m, self.headers.get("Content-Type"),
                                          body, manager)
        elif req.sub == "token" and m == "POST":
            return 201, api.token_request(ns, name, body, self.cluster.issue)
        elif req.sub in (None, "status"):
            if m in ("GET", "HEAD") and name:
                return 200, api.get(res, ns, name)
            if m in ("GET", "HEAD") and req.sub is None:
                return 200, api.list(res, req.ns, q)
            if m == "POST" and not name:
                return 201, api.create(res, ns, body, manager, dry)
            if m == "PUT" and name:
                return 200, api.update(res, ns, name, body, manager, req.sub, dry)
            if m == "PATCH" and name:
                return 200, api.patch(res, ns, name, self.headers.get("Content-Type"), body,
                                      manager, req.sub, dry)
            if m == "DELETE" and req.sub is None:
                opts = json.loads(body) if body else {}
                for k in ("propagationPolicy", "gracePeriodSeconds", "dryRun"):
                    if k in q:
                        opts[k] = int(q[k]) if k == "gracePeriodSeconds" else q[k]
                if not name:  # deletecollection: every match, answered with a Status
                    for item in api.list(res, req.ns, q)["items"]:
                        meta = item["metadata"]
                        api.delete(res, meta.get("namespace", ""), meta["name"], opts)
                    return 200, E.success(None)
                # A real server answers 200 even while finalizers or a
                # grace period hold the object (202 only for the
                # deprecated orphanDependents=false).
                out = api.delete(res, ns, name, opts)
                return 202 if opts.get("orphanDependents") is False and \
                    out.get("kind") != "Status" else 200, out
        raise E.ApiError(405, "MethodNotAllowed",
                         "the server does not allow this method on the requested resource")


def serve(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    make_certs(d)
    cluster = Cluster(args)
    token = cluster.issue(ADMIN)
    nobody = cluster.issue("system:serviceaccount:openfaas-fn:nobody")
    Handler.cluster = cluster
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "server.crt"), os.path.join(d, "server.key"))
    ctx.load_verify_locations(os.path.join(d, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])  # a real server also offers h2; this one cannot
    listener = Listener(ctx, args.port)
    url = f"https://127.0.0.1:{listener.port}"
    cluster.url = url
    cluster.listener = listener
    cluster.agent = Agent(cluster, d, args)
    cluster.agent.bootstrap()
    ca = os.path.join(d, "ca.crt")
    write_kubeconfig(os.path.join(d, "kubeconfig"), url, ca, token=token)
    write_kubeconfig(os.path.join(d, "kubeconfig-cert"), url, ca,
                     cert=os.path.join(d, "admin.crt"), key=os.path.join(d, "admin.key"))
    write_serviceaccount(d, token)
    control = ControlServer(os.path.join(d, "control.sock"), cluster)
    listener.up()
    threading.Thread(target=control.serve_forever, daemon=True).start()
    cluster.agent.start()
    ready = {"url": url, "token": token, "forbidden_token": nobody, "ca": ca,
             "kubeconfig": os.path.join(d, "kubeconfig"),
             "kubeconfig_cert": os.path.join(d, "kubeconfig-cert"),
             "control": os.path.join(d, "control.sock"), "pod_net": cluster.agent.net_text,
             "serviceaccount": os.path.join(d, "serviceaccount"),
             "pid": os.getpid()}
    tmp = os.path.join(d, "ready.json.tmp")
    with open(tmp, "w") as f:
        json.dump(ready, f)
    os.rename(tmp, os.path.join(d, "ready.json"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    cluster.agent.stop()
    listener.down()
    control.shutdown()


class ControlServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path, cluster):
        if os.path.exists(path):
            os.unlink(path)
        ControlHandler.cluster = cluster
        super().__init__(path, ControlHandler)

    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("control", 0)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True, help="state directory (certs, kubeconfig, pods)")
    p.add_argument("--port", type=int, default=0, help="HTTPS port (0: any free one)")
    p.add_argument("--watchdog", default=None, help="the faasbus-watchdog binary pods run")
    p.add_argument("--bookmark-interval", type=float, default=60.0,
                   help="seconds between BOOKMARK events of a watch that allows them")
    p.add_argument("--max-grace", type=float, default=None,
                   help="cap on a pod's termination grace period, in seconds")
    p.add_argument("--restart-backoff", type=float, default=0.2,
                   help="first delay before a crashed container restarts (doubles, up to 5s)")
    p.add_argument("--run-pods", type=int, default=1,
                   help="0: never start pod processes (pods stay Pending), for benchmarks")
    serve(p.parse_args())


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    main()
