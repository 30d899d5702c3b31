/* kubernetes_deploy.c -- a deploy or update written to the cluster
 * before the client is answered: the namespace must be labelled
 * openfaas=1, the secrets it mounts must exist, then the Deployment is
 * created (or patched, which rolls it) and its Service made. Any refusal
 * of the API server is the client's answer, with its reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../functions.h"
#include "../gw.h"
#include "k8s_api.h"
#include "kubernetes_int.h"
#include "kubernetes_spec.h"
#include "log.h"
#include "xalloc.h"

#define D kd_state

struct prep {
    json_t *dep; /* the caller's, valid until done */
    void (*done)(void *, int, const char *);
    void *arg;
    struct kd_fn *f;
    json_t *spec;     /* the Deployment wanted */
    json_t *old_spec; /* for an update: the one it replaces */
    struct k8s_call *call;
    struct prep *next;
};

static struct prep *preps;

static void finish(struct prep *p, int status, const char *msg)
{
    for (struct prep **q = &preps; *q; q = &(*q)->next)
        if (*q == p) {
            *q = p->next;
            break;
        }
    if (status) {
        p->f->preparing = false;
        if (!p->f->fn && !p->f->obj)
            kd_fn_free(p->f);
    }
    json_decref(p->spec);
    json_decref(p->old_spec);
    void (*done)(void *, int, const char *) = p->done;
    void *arg = p->arg;
    free(p);
    done(arg, status, msg); /* 0: apply() ends the preparing */
}

/* The API's refusal as the client's answer. */
static void refused(struct prep *p, const char *doing, const struct k8s_result *r)
{
    char msg[640], full[900];
    k8s_error_text(D.api, r, msg, sizeof msg);
    snprintf(full, sizeof full, "cannot %s function %s.%s: %s", doing, p->f->name, p->f->ns, msg);
    int status = r->status == 0                         ? 503
                 : r->status == 422 || r->status == 400 ? 400
                 : r->status == 409                     ? 409
                                                        : 502;
    log_error("kubernetes", "%s", full);
    finish(p, status, full);
}

static void on_service(void *arg, const struct k8s_result *r)
{
    struct prep *p = arg;
    p->call = NULL;
    if (r->status >= 300 && r->status != 409) {
        refused(p, "make the Service of", r);
        return;
    }
    finish(p, 0, NULL);
}

static void make_service(struct prep *p)
{
    char path[192];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services", p->f->ns);
    json_t *svc = k8s_spec_service(p->f->name, p->f->ns);
    p->call = k8s_request(D.api, "POST", path, NULL, svc, KD_CALL_TIMEOUT_MS, on_service, p);
    json_decref(svc);
    if (!p->call)
        finish(p, 503, "cannot reach the Kubernetes API");
}

static void on_deployment(void *arg, const struct k8s_result *r)
{
    struct prep *p = arg;
    p->call = NULL;
    if (r->status == 409 && !p->old_spec) {
        char msg[512], full[700];
        snprintf(full, sizeof full,
                 "a Deployment %s already exists in namespace %s (being "
                 "removed, or not made by faasbus): %s",
                 p->f->name, p->f->ns, k8s_error_text(D.api, r, msg, sizeof msg));
        finish(p, 409, full);
        return;
    }
    if (r->status >= 300) {
        refused(p, p->old_spec ? "update" : "create", r);
        return;
    }
    p->f->write_rv = kd_rv(r->body);
    if (!p->old_spec)
        p->f->replicas = (int)json_integer_value(
            json_object_get(json_object_get(p->spec, "spec"), "replicas"));
    make_service(p);
}

static void write_deployment(struct prep *p)
{
    char path[256];
    if (p->old_spec) {
        snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments/%s", p->f->ns,
                 p->f->name);
        json_t *patch = k8s_spec_update(p->old_spec, p->spec);
        p->call = k8s_request(D.api, "PATCH", path, K8S_MERGE_PATCH, patch, KD_CALL_TIMEOUT_MS,
                              on_deployment, p);
        json_decref(patch);
    } else {
        snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments", p->f->ns);
        p->call = k8s_request(D.api, "POST", path, NULL, p->spec, KD_CALL_TIMEOUT_MS, on_deployment,
                              p);
    }
    if (!p->call)
        finish(p, 503, "cannot reach the Kubernetes API");
}

static void on_secrets(void *arg, const struct k8s_result *r)
{
    struct prep *p = arg;
    p->call = NULL;
    if (r->status != 200) {
        refused(p, "read the secrets of", r);
        return;
    }
    size_t i, j;
    json_t *want, *have;
    json_array_foreach(json_object_get(p->dep, "secrets"), i, want) {
        bool found = false;
        json_array_foreach(json_object_get(r->body, "items"), j, have)
            found = found ||
                    json_equal(want, json_object_get(json_object_get(have, "metadata"), "name"));
        if (!found) {
            char msg[300];
            snprintf(msg, sizeof msg, "secrets: \"%s\" does not exist in namespace %s",
                     json_string_value(want), p->f->ns);
            finish(p, 400, msg);
            return;
        }
    }
    write_deployment(p);
}

/* The secrets it mounts must be there (the pods would never start). */
static void check_secrets(struct prep *p)
{
    if (!json_array_size(json_object_get(p->dep, "secrets"))) {
        write_deployment(p);
        return;
    }
    char path[256];
    snprintf(path, sizeof path,
             "/api/v1/namespaces/%s/secrets?labelSelector="
             "app.kubernetes.io%%2Fmanaged-by%%3D" K8S_MANAGER,
             p->f->ns);
    p->call = k8s_request(D.api, "GET", path, NULL, NULL, KD_CALL_TIMEOUT_MS, on_secrets, p);
    if (!p->call)
        finish(p, 503, "cannot reach the Kubernetes API");
}

static void on_namespace(void *arg, const struct k8s_result *r)
{
    struct prep *p = arg;
    p->call = NULL;
    char msg[700];
    const char *label = json_string_value(json_object_get(
        json_object_get(json_object_get(r->body, "metadata"), "labels"), "openfaas"));
    if (r->status == 404) {
        snprintf(msg, sizeof msg,
                 "namespace %s does not exist (create it and label it "
                 "openfaas=1)",
                 p->f->ns);
        finish(p, 400, msg);
    } else if (r->status != 200) {
        refused(p, "check the namespace of", r);
    } else if (!label || strcmp(label, "1") != 0) {
        snprintf(msg, sizeof msg,
                 "namespace %s is not labelled openfaas=1, so functions are "
                 "not deployed there (kubectl label namespace %s openfaas=1)",
                 p->f->ns, p->f->ns);
        finish(p, 400, msg);
    } else {
        kd_ns_watch(p->f->ns);
        check_secrets(p);
    }
}

/* The Deployment a FunctionDeployment makes. */
static json_t *spec_of(struct gw *gw, const json_t *dep, int replicas, char *err, size_t len)
{
    struct k8s_spec_in in = {
        .dep = dep,
        .name = json_string_value(json_object_get(dep, "service")),
        .ns = json_string_value(json_object_get(dep, "namespace")),
        .replicas = replicas,
        .pull_policy = gw->cfg.image_pull_policy,
    };
    return k8s_spec_deployment(&in, err, len);
}

void kd_prepare(struct gw *gw, json_t *dep, void (*done)(void *, int, const char *), void *arg)
{
    const char *name = json_string_value(json_object_get(dep, "service"));
    const char *ns = json_string_value(json_object_get(dep, "namespace"));
    struct gw_fn *old = gw_fn_find(gw, name, ns);
    struct gw_fn probe = { .dep = dep };
    char err[512];
    json_t *spec = spec_of(gw, dep, gw_fn_min_scale(&probe), err, sizeof err);
    if (!spec) {
        done(arg, 400, err);
        return;
    }
    struct prep *p = xcalloc(1, sizeof *p);
    p->dep = dep;
    p->done = done;
    p->arg = arg;
    p->spec = spec;
    p->old_spec = old ? spec_of(gw, old->dep, 1, err, sizeof err) : NULL;
    p->f = kd_fn_get(name, ns);
    p->f->preparing = true;
    p->f->removing = false;
    p->next = preps;
    preps = p;
    char path[192];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s", ns);
    p->call = k8s_request(D.api, "GET", path, NULL, NULL, KD_CALL_TIMEOUT_MS, on_namespace, p);
    if (!p->call)
        finish(p, 503, "cannot reach the Kubernetes API");
}

void kd_prepare_cancel_all(void)
{
    while (preps) {
        k8s_cancel(preps->call);
        preps->call = NULL;
        finish(preps, 503, "the gateway is stopping");
    }
}
