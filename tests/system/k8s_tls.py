"""Certificates and kubeconfigs of a stand-in API server, made with the
openssl command at start: a CA, a server certificate for 127.0.0.1 and
localhost, and an admin client certificate (the kubeconfig's
client-certificate form)."""
import base64
import os
import subprocess


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def _key(name, cwd):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-out", name, cwd=cwd)


def _sign(name, subject, ext, cwd):
    _key(f"{name}.key", cwd)
    _openssl("req", "-new", "-key", f"{name}.key", "-subj", subject, "-out", f"{name}.csr",
             cwd=cwd)
    with open(os.path.join(cwd, f"{name}.ext"), "w") as f:
        f.write(ext + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "3", "-extfile", f"{name}.ext", "-out", f"{name}.crt",
             cwd=cwd)


def make_certs(d):
    """Writes ca.crt/ca.key, server.crt/server.key and admin.crt/admin.key
    into d."""
    _key("ca.key", d)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=standin-ca", "-days", "3",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash", "-out", "ca.crt", cwd=d)
    _sign("server", "/CN=kube-apiserver",
          "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
          "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,"
          "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n", d)
    _sign("admin", "/O=system:masters/CN=kubernetes-admin",
          "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
          "extendedKeyUsage=clientAuth\n", d)


def _b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def write_kubeconfig(path, url, ca_path, token=None, cert=None, key=None, namespace=None):
    """A kubeconfig (YAML, as kubectl writes one) whose current context
    reaches url with the CA's data and a bearer token or a client
    certificate."""
    if token:
        user = f"    token: {token}\n"
    else:
        user = (f"    client-certificate-data: {_b64(cert)}\n"
                f"    client-key-data: {_b64(key)}\n")
    ns = f"    namespace: {namespace}\n" if namespace else ""
    text = ("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
            f"    certificate-authority-data: {_b64(ca_path)}\n    server: {url}\n"
            "  name: standin\ncontexts:\n- context:\n    cluster: standin\n"
            f"{ns}    user: standin-user\n  name: standin\ncurrent-context: standin\n"
            "preferences: {}\nusers:\n- name: standin-user\n  user:\n" + user)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def write_serviceaccount(d, token, namespace="openfaas-fn"):
    """d/serviceaccount/{token,ca.crt,namespace}: what a pod finds at
    /var/run/secrets/kubernetes.io/serviceaccount (the token replaced
    atomically, as the kubelet rotates it)."""
    sa = os.path.join(d, "serviceaccount")
    os.makedirs(sa, exist_ok=True)
    for name, text in (("token", token), ("namespace", namespace)):
        tmp = os.path.join(sa, f".{name}.tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(sa, name))
    with open(os.path.join(d, "ca.crt"), "rb") as src, \
            open(os.path.join(sa, "ca.crt"), "wb") as dst:
        dst.write(src.read())
