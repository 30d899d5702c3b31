/* kubernetes_spec.c -- Deployment, Service and Secret bodies. */
#include "kubernetes_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "xalloc.h"

static json_t *labels_of(const struct k8s_spec_in *in, bool managed)
{
    json_t *l = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(in->dep, "labels"), k, v)
        json_object_set(l, k, v);
    json_object_set_new(l, K8S_LABEL_FUNCTION, json_string(in->name));
    if (managed)
        json_object_set_new(l, K8S_LABEL_MANAGED, json_string(K8S_MANAGER));
    return l;
}

static json_t *annotations_of(const struct k8s_spec_in *in)
{
    json_t *a = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(in->dep, "annotations"), k, v)
        json_object_set(a, k, v);
    char *text = json_dumps(in->dep, JSON_COMPACT | JSON_SORT_KEYS);
    json_object_set_new(a, K8S_ANNOTATION_DEP, json_string(text));
    free(text);
    return a;
}

static json_t *env_of(const json_t *dep)
{
    json_t *env = json_array();
    const char *proc = json_string_value(json_object_get(dep, "envProcess"));
    if (proc && *proc)
        json_array_append_new(env, json_pack("{s:s,s:s}", "name", "fprocess", "value", proc));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(dep, "envVars"), k, v)
        if (!(proc && *proc && strcmp(k, "fprocess") == 0))
            json_array_append_new(env, json_pack("{s:s,s:O}", "name", k, "value", v));
    return env;
}

/* limits/requests as a container's resources (only memory and cpu). */
static json_t *resources_of(const json_t *dep)
{
    json_t *r = json_object();
    static const char *const kinds[] = { "limits", "requests" };
    for (size_t i = 0; i < 2; i++) {
        json_t *q = json_object();
        const json_t *given = json_object_get(dep, kinds[i]);
        static const char *const keys[] = { "memory", "cpu" };
        for (size_t j = 0; j < 2; j++) {
            const char *s = json_string_value(json_object_get(given, keys[j]));
            if (s && *s)
                json_object_set_new(q, keys[j], json_string(s));
        }
        if (json_object_size(q))
            json_object_set_new(r, kinds[i], q);
        else
            json_decref(q);
    }
    return r;
}

static json_t *probe(int period)
{
    return json_pack("{s:{s:s,s:i},s:i,s:i}", "httpGet", "path", "/_/health", "port", K8S_PORT,
                     "periodSeconds", period, "timeoutSeconds", 2);
}

bool k8s_spec_constraint(const char *c, char *key, size_t keylen, char *value, size_t vlen)
{
    const char *eq = strchr(c, '=');
    if (!eq || eq == c || eq[1] == '=' || strchr(eq + 1, '=') || eq[-1] == '!')
        return false;
    size_t klen = (size_t)(eq - c);
    const char *v = eq + 1;
    while (klen && c[klen - 1] == ' ')
        klen--;
    while (*v == ' ')
        v++;
    if (!klen || klen >= keylen || strlen(v) >= vlen || memchr(c, ' ', klen))
        return false;
    memcpy(key, c, klen);
    key[klen] = '\0';
    snprintf(value, vlen, "%s", v);
    return true;
}

static json_t *container_of(const struct k8s_spec_in *in, bool ro, bool secrets)
{
    json_t *c = json_pack("{s:s,s:s,s:s,s:o,s:[{s:i,s:s}],s:o,s:o,s:o}", "name", in->name, "image",
                          json_string_value(json_object_get(in->dep, "image")), "imagePullPolicy",
                          in->pull_policy, "env", env_of(in->dep), "ports", "containerPort",
                          K8S_PORT, "name", "http", "readinessProbe", probe(2), "livenessProbe",
                          probe(10), "resources", resources_of(in->dep));
    json_t *mounts = json_array();
    if (secrets)
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:b}", "name", "secrets", "mountPath",
                                                K8S_SECRETS_PATH, "readOnly", 1));
    if (ro) {
        json_array_append_new(mounts, json_pack("{s:s,s:s}", "name", "tmp", "mountPath", "/tmp"));
        json_object_set_new(c, "securityContext", json_pack("{s:b}", "readOnlyRootFilesystem", 1));
    }
    if (json_array_size(mounts))
        json_object_set_new(c, "volumeMounts", mounts);
    else
        json_decref(mounts);
    return c;
}

static json_t *pod_spec(const struct k8s_spec_in *in)
{
    bool ro = json_is_true(json_object_get(in->dep, "readOnlyRootFilesystem"));
    const json_t *secrets = json_object_get(in->dep, "secrets");
    json_t *volumes = json_array();
    if (json_array_size(secrets)) {
        json_t *sources = json_array();
        size_t i;
        json_t *s;
        json_array_foreach(secrets, i, s)
            json_array_append_new(sources, json_pack("{s:{s:O}}", "secret", "name", s));
        json_array_append_new(volumes, json_pack("{s:s,s:{s:o}}", "name", "secrets", "projected",
                                                 "sources", sources));
    }
    if (ro)
        json_array_append_new(volumes, json_pack("{s:s,s:{}}", "name", "tmp", "emptyDir"));
    json_t *spec = json_pack("{s:[o]}", "containers",
                             container_of(in, ro, json_array_size(secrets) > 0));
    if (json_array_size(volumes))
        json_object_set_new(spec, "volumes", volumes);
    else
        json_decref(volumes);
    json_t *sel = json_object();
    size_t i;
    json_t *c;
    /* label=value is a node selector, as faas-netes reads it; Swarm's
     * "node.x == y" forms select nothing here (kept in the deployment). */
    json_array_foreach(json_object_get(in->dep, "constraints"), i, c) {
        char k[256], v[256];
        if (k8s_spec_constraint(json_string_value(c), k, sizeof k, v, sizeof v))
            json_object_set_new(sel, k, json_string(v));
    }
    if (json_object_size(sel))
        json_object_set_new(spec, "nodeSelector", sel);
    else
        json_decref(sel);
    return spec;
}

json_t *k8s_spec_deployment(const struct k8s_spec_in *in, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    json_t *pod = pod_spec(in);
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:o},s:{s:i,s:{s:{s:s}},s:{s:s,s:{s:i,s:i}},"
                     "s:{s:{s:o},s:o}}}",
                     "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", in->name,
                     "namespace", in->ns, "labels", labels_of(in, true), "annotations",
                     annotations_of(in), "spec", "replicas", in->replicas, "selector",
                     "matchLabels", K8S_LABEL_FUNCTION, in->name, "strategy", "type",
                     "RollingUpdate", "rollingUpdate", "maxUnavailable", 0, "maxSurge", 1,
                     "template", "metadata", "labels", labels_of(in, true), "spec", pod);
}

json_t *k8s_spec_service(const char *name, const char *ns)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:{s:s},s:[{s:s,s:i,s:i,s:s}]}}",
                     "apiVersion", "v1", "kind", "Service", "metadata", "name", name, "namespace",
                     ns, "labels", K8S_LABEL_FUNCTION, name, K8S_LABEL_MANAGED, K8S_MANAGER, "spec",
                     "selector", K8S_LABEL_FUNCTION, name, "ports", "name", "http", "port",
                     K8S_PORT, "targetPort", K8S_PORT, "protocol", "TCP");
}

json_t *k8s_merge_diff(const json_t *from, const json_t *to)
{
    if (!json_is_object(from) || !json_is_object(to))
        return json_deep_copy(to);
    json_t *patch = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)from, k, v)
        if (!json_object_get(to, k))
            json_object_set_new(patch, k, json_null());
    json_object_foreach((json_t *)to, k, v) {
        json_t *old = json_object_get(from, k);
        if (json_is_object(old) && json_is_object(v))
            json_object_set_new(patch, k, k8s_merge_diff(old, v));
        else
            json_object_set_new(patch, k, json_deep_copy(v));
    }
    return patch;
}

/* The parts an update may change. New object. */
static json_t *updatable(const json_t *d)
{
    const json_t *md = json_object_get(d, "metadata"), *spec = json_object_get(d, "spec");
    return json_pack(
        "{s:{s:O,s:O},s:{s:O,s:O}}", "metadata", "labels", json_object_get(md, "labels"),
        "annotations", json_object_get(md, "annotations"), "spec", "strategy",
        json_object_get(spec, "strategy"), "template", json_object_get(spec, "template"));
}

json_t *k8s_spec_update(const json_t *old_deployment, const json_t *new_deployment)
{
    json_t *from = updatable(old_deployment), *to = updatable(new_deployment);
    json_t *patch = k8s_merge_diff(from, to);
    json_decref(from);
    json_decref(to);
    return patch;
}

static bool is_utf8_text(const unsigned char *s, size_t len)
{
    json_t *probe_s = json_stringn((const char *)s, len);
    bool ok = probe_s != NULL && memchr(s, '\0', len) == NULL;
    json_decref(probe_s);
    return ok;
}

json_t *k8s_spec_secret(const char *name, const char *ns, const unsigned char *value, size_t len,
                        const char *resource_version)
{
    json_t *s = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:s}", "apiVersion", "v1", "kind", "Secret",
                          "metadata", "name", name, "namespace", ns, "labels", K8S_LABEL_MANAGED,
                          K8S_MANAGER, "type", "Opaque");
    if (resource_version)
        json_object_set_new(json_object_get(s, "metadata"), "resourceVersion",
                            json_string(resource_version));
    if (is_utf8_text(value, len)) {
        json_object_set_new(s, "stringData", json_pack("{s:s%}", name, (const char *)value, len));
    } else {
        char *b64 = base64_encode(value, len);
        json_object_set_new(s, "data", json_pack("{s:s}", name, b64));
        free(b64);
    }
    return s;
}

/* --- reading a Deployment back --------------------------------------------- */

static bool ours(const char *key)
{
    return strcmp(key, K8S_LABEL_FUNCTION) == 0 || strcmp(key, K8S_LABEL_MANAGED) == 0 ||
           strcmp(key, K8S_ANNOTATION_DEP) == 0 || strcmp(key, K8S_ANNOTATION_SCALER) == 0 ||
           strncmp(key, "deployment.kubernetes.io/", 25) == 0 ||
           strncmp(key, "kubectl.kubernetes.io/", 22) == 0;
}

/* dep[field] = the object's map without our keys; absent when empty and
 * the deployment did not have it. */
static void take_map(json_t *dep, const char *field, const json_t *map)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v)
        if (!ours(k) && json_is_string(v))
            json_object_set(out, k, v);
    if (json_object_size(out) || json_object_get(dep, field))
        json_object_set_new(dep, field, out);
    else
        json_decref(out);
}

static void take_container(json_t *dep, const json_t *c)
{
    const char *image = json_string_value(json_object_get(c, "image"));
    if (image)
        json_object_set_new(dep, "image", json_string(image));
    json_t *vars = json_object();
    size_t i;
    json_t *e;
    const char *proc = NULL;
    json_array_foreach(json_object_get(c, "env"), i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));
        const char *v = json_string_value(json_object_get(e, "value"));
        if (!n || !v)
            continue;
        if (strcmp(n, "fprocess") == 0 && !proc)
            proc = v;
        else
            json_object_set_new(vars, n, json_string(v));
    }
    if (proc)
        json_object_set_new(dep, "envProcess", json_string(proc));
    else
        json_object_del(dep, "envProcess");
    if (json_object_size(vars) || json_object_get(dep, "envVars"))
        json_object_set_new(dep, "envVars", vars);
    else
        json_decref(vars);
}

json_t *k8s_spec_read(const json_t *d)
{
    const json_t *md = json_object_get(d, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    const json_t *labels = json_object_get(md, "labels");
    const char *fn = json_string_value(json_object_get(labels, K8S_LABEL_FUNCTION));
    const json_t *containers = json_object_get(
        json_object_get(json_object_get(json_object_get(d, "spec"), "template"), "spec"),
        "containers");
    if (!name || !ns || !fn || strcmp(fn, name) != 0 || !json_array_size(containers))
        return NULL;
    const json_t *annotations = json_object_get(md, "annotations");
    const char *saved = json_string_value(json_object_get(annotations, K8S_ANNOTATION_DEP));
    json_t *dep = saved ? json_loads(saved, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(dep)) {
        json_decref(dep);
        dep = json_object();
    }
    json_object_set_new(dep, "service", json_string(name));
    json_object_set_new(dep, "namespace", json_string(ns));
    take_map(dep, "labels", labels);
    take_map(dep, "annotations", annotations);
    /* The function's own container is named after it; else the first. */
    const json_t *c = json_array_get(containers, 0);
    size_t i;
    json_t *e;
    json_array_foreach(containers, i, e) {
        const char *cn = json_string_value(json_object_get(e, "name"));
        if (cn && strcmp(cn, name) == 0)
            c = e;
    }
    take_container(dep, c);
    return dep;
}
