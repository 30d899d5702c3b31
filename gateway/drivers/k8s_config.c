/* k8s_config.c -- kubeconfig and in-cluster credentials. */
#include "k8s_config.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "base64.h"
#include "xalloc.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* --- YAML as JSON (every scalar a string: kubeconfig needs no more) ---- */

static json_t *node_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
    if (!n || depth > 32)
        return json_null();
    if (n->type == YAML_SCALAR_NODE)
        return json_stringn((const char *)n->data.scalar.value, n->data.scalar.length);
    if (n->type == YAML_SEQUENCE_NODE) {
        json_t *a = json_array();
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++)
            json_array_append_new(a, node_json(doc, yaml_document_get_node(doc, *i), depth + 1));
        return a;
    }
    json_t *o = json_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE)
            json_object_setn_new(o, (const char *)k->data.scalar.value, k->data.scalar.length,
                                 node_json(doc, yaml_document_get_node(doc, p->value), depth + 1));
    }
    return o;
}

static json_t *yaml_json(const char *text, size_t len, char *err, size_t errlen)
{
    yaml_parser_t p;
    yaml_document_t doc;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &doc)) {
        fail(err, errlen, "not valid YAML: %s at line %zu", p.problem ? p.problem : "?",
             p.problem_mark.line + 1);
        yaml_parser_delete(&p);
        return NULL;
    }
    json_t *v = node_json(&doc, yaml_document_get_root_node(&doc), 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    return v;
}

/* --- kubeconfig ---------------------------------------------------------- */

/* The "name"d entry of a kubeconfig list (clusters, users, contexts),
 * its inner object (entry[key]). */
static json_t *named(json_t *root, const char *list, const char *key, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(root, list), i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strcmp(n, name) == 0)
            return json_object_get(e, key);
    }
    return NULL;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : NULL;
}

static char *path_in(const char *dir, const char *p)
{
    if (p[0] == '/' || !dir || !*dir)
        return xstrdup(p);
    return xasprintf("%s/%s", dir, p);
}

/* A "<what>-data" (base64 PEM) or "<what>" (a file) field: one of the
 * two outputs set. */
static int take_pem(const json_t *o, const char *what, const char *dir, char **file, char **pem,
                    char *err, size_t errlen)
{
    char key[64];
    snprintf(key, sizeof key, "%s-data", what);
    const char *data = str(o, key), *path = str(o, what);
    if (data) {
        size_t n, bad;
        unsigned char *raw = base64_decode(data, strlen(data), &n, &bad);
        if (!raw)
            return fail(err, errlen, "kubeconfig: %s is not valid base64 (at byte %zu)", key, bad);
        *pem = xstrndup((const char *)raw, n);
        free(raw);
    } else if (path) {
        *file = path_in(dir, path);
        if (access(*file, R_OK) != 0)
            return fail(err, errlen, "kubeconfig: %s: cannot read %s", what, *file);
    }
    return 0;
}

static int take_user(const json_t *user, const char *dir, struct k8s_creds *out, char *err,
                     size_t errlen)
{
    if (str(user, "token"))
        out->token = xstrdup(str(user, "token"));
    else if (str(user, "tokenFile"))
        out->token_file = path_in(dir, str(user, "tokenFile"));
    if (take_pem(user, "client-certificate", dir, &out->cert_file, &out->cert_pem, err, errlen) <
            0 ||
        take_pem(user, "client-key", dir, &out->key_file, &out->key_pem, err, errlen) < 0)
        return -1;
    if (!!(out->cert_file || out->cert_pem) != !!(out->key_file || out->key_pem))
        return fail(err, errlen,
                    "kubeconfig: a client certificate needs its key (and the "
                    "key its certificate)");
    if (json_object_get(user, "exec") || json_object_get(user, "auth-provider"))
        if (!out->token && !out->token_file && !out->cert_file && !out->cert_pem)
            return fail(err, errlen,
                        "kubeconfig: the user authenticates with an exec or "
                        "auth-provider plugin, which faasbus does not run: give "
                        "it a token or a client certificate");
    return 0;
}

int k8s_config_parse(const char *text, size_t len, const char *dir, const char *context,
                     struct k8s_creds *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *root = yaml_json(text, len, err, errlen);
    if (!root)
        return -1;
    int rc = -1;
    const char *ctx_name = context && *context ? context : str(root, "current-context");
    json_t *ctx = ctx_name ? named(root, "contexts", "context", ctx_name) : NULL;
    json_t *cluster = ctx && str(ctx, "cluster")
                          ? named(root, "clusters", "cluster", str(ctx, "cluster"))
                          : NULL;
    json_t *user = ctx && str(ctx, "user") ? named(root, "users", "user", str(ctx, "user")) : NULL;
    if (!ctx_name)
        fail(err, errlen, "kubeconfig: no current-context");
    else if (!ctx)
        fail(err, errlen, "kubeconfig: context \"%s\" not found", ctx_name);
    else if (!cluster || !str(cluster, "server"))
        fail(err, errlen, "kubeconfig: context \"%s\" names no cluster with a server", ctx_name);
    else if (take_pem(cluster, "certificate-authority", dir, &out->ca_file, &out->ca_pem, err,
                      errlen) == 0 &&
             (!user || take_user(user, dir, out, err, errlen) == 0))
        rc = 0;
    if (rc == 0) {
        const char *server = str(cluster, "server");
        size_t n = strlen(server);
        while (n && server[n - 1] == '/')
            n--;
        out->server = xstrndup(server, n);
        const char *skip = str(cluster, "insecure-skip-tls-verify");
        out->insecure = skip && strcmp(skip, "true") == 0;
        if (str(ctx, "namespace"))
            out->ns = xstrdup(str(ctx, "namespace"));
        out->source = xasprintf("context %s", ctx_name);
    }
    json_decref(root);
    if (rc < 0)
        k8s_creds_free(out);
    return rc;
}

/* --- files ---------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (cap - n < 4096)
            data = xrealloc(data, cap = cap ? 2 * cap : 8192);
        got = fread(data + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0 && n < (8u << 20));
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

static char *trimmed_file(const char *path)
{
    size_t n;
    char *s = read_file(path, &n);
    while (s && n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

int k8s_config_in_cluster(const char *sa_dir, struct k8s_creds *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    char *token = xasprintf("%s/token", sa_dir);
    if (!host || !*host || access(token, R_OK) != 0) {
        free(token);
        return 1;
    }
    out->token_file = token;
    out->ca_file = xasprintf("%s/ca.crt", sa_dir);
    if (access(out->ca_file, R_OK) != 0) {
        fail(err, errlen, "in-cluster: cannot read %s", out->ca_file);
        k8s_creds_free(out);
        return -1;
    }
    bool v6 = strchr(host, ':') != NULL;
    out->server = xasprintf("https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
                            port && *port ? port : "443");
    char *nsfile = xasprintf("%s/namespace", sa_dir);
    out->ns = trimmed_file(nsfile);
    free(nsfile);
    out->source = xstrdup("in-cluster service account");
    return 0;
}

static int load_file(const char *path, const char *context, struct k8s_creds *out, char *err,
                     size_t errlen)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        return fail(err, errlen, "kubeconfig: cannot read %s", path);
    char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    int rc = k8s_config_parse(text, len, dir, context, out, err, errlen);
    free(text);
    free(dir);
    if (rc == 0) {
        char *src = xasprintf("kubeconfig %s, %s", path, out->source);
        free(out->source);
        out->source = src;
        out->config_path = xstrdup(path);
        out->config_context = context && *context ? xstrdup(context) : NULL;
    }
    return rc;
}

/* KUBECONFIG is a list like PATH: the first file that exists. */
static char *first_existing(const char *list)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ":");
        char *one = xstrndup(p, n);
        if (n && access(one, F_OK) == 0)
            return one;
        free(one);
        p += n + (p[n] == ':');
    }
    return NULL;
}

int k8s_config_load(const char *kubeconfig, const char *context, struct k8s_creds *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *given = kubeconfig && *kubeconfig ? kubeconfig : getenv("KUBECONFIG");
    if (given && *given) {
        char *path = first_existing(given);
        if (!path)
            return fail(err, errlen, "kubeconfig: none of \"%s\" exists", given);
        int rc = load_file(path, context, out, err, errlen);
        free(path);
        return rc;
    }
    int rc = k8s_config_in_cluster(K8S_SA_DIR, out, err, errlen);
    if (rc <= 0)
        return rc;
    const char *home = getenv("HOME");
    char *path = xasprintf("%s/.kube/config", home && *home ? home : "/root");
    if (access(path, F_OK) != 0) {
        fail(err, errlen,
             "no Kubernetes API: set kubeconfig (or KUBECONFIG), run in a pod "
             "with a service account, or create %s",
             path);
        free(path);
        return -1;
    }
    rc = load_file(path, context, out, err, errlen);
    free(path);
    return rc;
}

void k8s_creds_free(struct k8s_creds *c)
{
    free(c->server);
    free(c->token);
    free(c->token_file);
    free(c->ca_file);
    free(c->ca_pem);
    free(c->cert_file);
    free(c->cert_pem);
    free(c->key_file);
    free(c->key_pem);
    free(c->ns);
    free(c->source);
    free(c->config_path);
    free(c->config_context);
    memset(c, 0, sizeof *c);
}
