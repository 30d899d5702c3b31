"""A pod's volumes and env, as the kubelet makes them: secret, configMap,
projected and emptyDir volumes become files in a per-pod directory (kept
up to date when a secret changes); as root, the container runs in a
private mount namespace where each volumeMount is a bind mount at its
mountPath (read-only when asked). env values, valueFrom (secretKeyRef,
configMapKeyRef, fieldRef) and envFrom are resolved at each start."""
import base64
import os
import shlex
import sys


# Runs the binary open on fd 9 with argv[0] its path, fd 9 closed in it.
EXEC_FD = ("import os, sys; os.set_inheritable(9, False); "
           "os.execv('/proc/self/fd/9', sys.argv[1:])")


class Missing(Exception):
    pass


class Volumes:
    def __init__(self, kubelet):
        self.k = kubelet
        self.root = os.geteuid() == 0

    def _data(self, plural, ns, name, optional=False):
        obj = self.k.store.get(plural, ns, name)
        if obj is None:
            if optional:
                return {}
            raise Missing(f"{plural} {name}")
        if plural == "secrets":
            return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
        return {k: v.encode() for k, v in (obj.get("data") or {}).items()}

    def _files(self, runner, vol):
        """{relative path: bytes} of one volume, or None for a directory
        volume (emptyDir)."""
        ns = runner.ns
        if "emptyDir" in vol:
            return None
        sources = []
        if "secret" in vol:
            s = vol["secret"]
            sources.append(("secrets", s.get("secretName"), s.get("items"), s.get("optional")))
        if "configMap" in vol:
            s = vol["configMap"]
            sources.append(("configmaps", s.get("name"), s.get("items"), s.get("optional")))
        for src in (vol.get("projected") or {}).get("sources") or []:
            for kind, plural in (("secret", "secrets"), ("configMap", "configmaps")):
                if kind in src:
                    s = src[kind]
                    sources.append((plural, s.get("name"), s.get("items"), s.get("optional")))
        files = {}
        for plural, name, items, optional in sources:
            data = self._data(plural, ns, name, optional)
            if items:
                for it in items:
                    if it["key"] in data:
                        files[it.get("path", it["key"])] = data[it["key"]]
            else:
                files.update(data)
        return files

    def prepare(self, runner, pod):
        """Writes every volume's files; returns what is still missing
        (the pod waits in ContainerCreating until it exists)."""
        base = os.path.join(runner.dir, "volumes")
        os.makedirs(os.path.join(runner.dir, "tmp"), exist_ok=True)
        try:
            for vol in pod["spec"].get("volumes") or []:
                d = os.path.join(base, vol["name"])
                os.makedirs(d, exist_ok=True)
                files = self._files(runner, vol)
                if files is not None:
                    self._write(d, files)
        except Missing as e:
            return [str(e)]
        runner.volume_dir = base
        return []

    @staticmethod
    def _write(d, files):
        for old in os.listdir(d):
            if old not in files and not old.startswith("."):
                os.unlink(os.path.join(d, old))
        for rel, data in files.items():
            path = os.path.join(d, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
            os.rename(tmp, path)

    def refresh(self, runner):
        """Rewrites secret files after a secret changed (as the kubelet's
        periodic sync does)."""
        pod = runner.current()
        if pod is not None and getattr(runner, "volume_dir", None):
            self.prepare(runner, pod)

    def env_of(self, runner):
        c = runner.container
        env = {}
        for src in c.get("envFrom") or []:
            prefix = src.get("prefix", "")
            for kind, plural in (("secretRef", "secrets"), ("configMapRef", "configmaps")):
                if kind in src:
                    ref = src[kind]
                    for k, v in self._data(plural, runner.ns, ref["name"],
                                           ref.get("optional")).items():
                        env[prefix + k] = v.decode("utf-8", "replace")
        for e in c.get("env") or []:
            if "value" in e or "valueFrom" not in e:
                env[e["name"]] = e.get("value", "")
                continue
            vf = e["valueFrom"]
            for kind, plural in (("secretKeyRef", "secrets"), ("configMapKeyRef", "configmaps")):
                if kind in vf:
                    data = self._data(plural, runner.ns, vf[kind]["name"], True)
                    if vf[kind]["key"] in data:
                        env[e["name"]] = data[vf[kind]["key"]].decode("utf-8", "replace")
            if "fieldRef" in vf:
                env[e["name"]] = {"metadata.name": runner.name, "metadata.namespace": runner.ns,
                                  "status.podIP": runner.ip, "spec.nodeName": "standin-node",
                                  "metadata.uid": runner.uid}.get(vf["fieldRef"]["fieldPath"], "")
        return env

    def hides_state(self, mount):
        """Whether a mount covers the stand-in's own directory (an emptyDir
        at /tmp does): it goes last, and TMPDIR cannot point there."""
        target = mount["mountPath"].rstrip("/") + "/"
        return (os.path.abspath(self.k.dir) + "/").startswith(target)

    def private_tmp(self, runner):
        """Whether the pod keeps TMPDIR in its own directory: pods share the
        host's /tmp, and each watchdog's lock file must be its own."""
        return not (self.root and any(self.hides_state(m) for m in
                                      runner.container.get("volumeMounts") or []))

    def wrap(self, runner, argv):
        """argv run with PDEATHSIG=KILL and, as root, the volume mounts (and
        a read-only root for readOnlyRootFilesystem) in a mount namespace of
        its own."""
        pre = ["setpriv", "--pdeathsig", "KILL", "--"]
        mounts = runner.container.get("volumeMounts") or []
        read_only = (runner.container.get("securityContext") or {}).get("readOnlyRootFilesystem")
        if not self.root or not (mounts or read_only):
            return pre + argv
        depth = lambda m: m["mountPath"].rstrip("/").count("/")  # noqa: E731
        ordered = sorted([m for m in mounts if not self.hides_state(m)], key=depth) + \
            sorted([m for m in mounts if self.hides_state(m)], key=depth)
        lines = ["set -e"]
        hidden = any((os.path.abspath(argv[0]) + "/").startswith(m["mountPath"].rstrip("/") + "/")
                     for m in mounts) and os.path.isabs(argv[0])
        if hidden:  # an emptyDir at /tmp hides a checkout under /tmp: keep the binary open
            lines.append('exec 9< "$1"')
        lines += [f"mkdir -p {shlex.quote(m['mountPath'])}" for m in ordered]
        if read_only:
            lines.append("mount -o remount,bind,ro /")
        for m in ordered:
            src = os.path.join(runner.volume_dir, m["name"], m.get("subPath", ""))
            dst = shlex.quote(m["mountPath"])
            lines.append(f"mount --bind {shlex.quote(src)} {dst}")
            if m.get("readOnly"):
                lines.append(f"mount -o remount,bind,ro {dst}")
            elif read_only:  # a bind of the read-only root starts read-only
                lines.append(f"mount -o remount,bind,rw {dst}")
        if hidden:
            lines.append(f"exec {shlex.quote(sys.executable)} -c {shlex.quote(EXEC_FD)} \"$@\"")
        else:
            lines.append('exec "$@"')
        return pre + ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                      "\n".join(lines), "sh"] + argv
