/* kubernetes.c -- the kubernetes driver: each function is a Deployment
 * and a Service, so the cluster, not the gateway, keeps its pods alive
 * and spreads them over the nodes.
 *
 * DESIGN: the cluster holds the truth. The driver follows the Deployments
 * it manages (labelled app.kubernetes.io/managed-by=faasbus) in every
 * namespace labelled openfaas=1, and the gateway's functions follow them:
 * a Deployment that appears (a restarted gateway, another replica's
 * deploy) becomes a function, one that goes (kubectl delete included)
 * stops being one, and replicas are what its spec says. A deploy writes
 * the objects before it is answered (kubernetes_deploy.c), so the
 * client hears the API server's refusal; a scale patches the scale
 * subresource; calls go to the ready pod addresses of the function's
 * EndpointSlices (kubernetes_watch.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../autoscale.h"
#include "../gw.h"
#include "k8s_api.h"
#include "k8s_config.h"
#include "kubernetes_int.h"
#include "kubernetes_spec.h"
#include "../model.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define NS_TICK_MS 5000

struct kd kd_state;
#define D kd_state

/* --- the table of Deployments ------------------------------------------------ */

struct kd_fn *kd_fn_find(const char *name, const char *ns)
{
    for (struct kd_fn *f = D.fns; f; f = f->next)
        if (strcmp(f->name, name) == 0 && strcmp(f->ns, ns) == 0)
            return f;
    return NULL;
}

struct kd_fn *kd_fn_get(const char *name, const char *ns)
{
    struct kd_fn *f = kd_fn_find(name, ns);
    if (f)
        return f;
    f = xcalloc(1, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->ns, sizeof f->ns, "%s", ns);
    f->replicas = -1;
    f->next = D.fns;
    D.fns = f;
    return f;
}

void kd_fn_free(struct kd_fn *f)
{
    for (struct kd_fn **p = &D.fns; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    if (f->fn)
        f->fn->drv = NULL;
    kd_logs_forget(f);
    k8s_cancel(f->scale);
    k8s_cancel(f->save);
    free(f->saved);
    json_decref(f->obj);
    free(f->eps);
    free(f);
}

static int spec_replicas(const json_t *obj)
{
    json_t *r = json_object_get(json_object_get(obj, "spec"), "replicas");
    return r ? (int)json_integer_value(r) : 1;
}

static void stamp_created(struct gw_fn *fn, const json_t *obj)
{
    const char *at = json_string_value(json_object_get(json_object_get(obj, "metadata"),
                                                       "creationTimestamp"));
    if (at)
        snprintf(fn->created_at, sizeof fn->created_at, "%s", at);
}

static void adopt(struct kd_fn *f)
{
    json_t *dep = k8s_spec_read(f->obj);
    if (!dep)
        return;
    struct gw_fn *fn = gw_fn_add(D.gw, f->name, f->ns, dep);
    fn->drv = f;
    f->fn = fn;
    fn->desired = f->replicas;
    stamp_created(fn, f->obj);
    const char *scaler = json_string_value(json_object_get(
        json_object_get(json_object_get(f->obj, "metadata"), "annotations"),
        K8S_ANNOTATION_SCALER));
    json_t *doc = scaler ? json_loads(scaler, 0, NULL) : NULL;
    if (json_is_object(doc)) {
        gw_autoscale_restore(fn, doc);
        free(f->saved);
        f->saved = xstrdup(scaler);
    }
    json_decref(doc);
    log_info("kubernetes", "found function=%s.%s replicas=%d", f->name, f->ns, f->replicas);
}

/* The Deployment is gone: so is the function. */
static void gone(struct kd_fn *f)
{
    struct gw_fn *fn = f->fn;
    if (fn) {
        log_info("kubernetes", "function=%s.%s: its Deployment is gone", f->name, f->ns);
        f->fn = NULL;
        fn->drv = NULL;
        gw_fn_drop(D.gw, fn);
    }
    if (f->preparing) { /* a deploy is making it again */
        json_decref(f->obj);
        f->obj = NULL;
        return;
    }
    kd_fn_free(f);
}

/* The cluster's view of a function we know: replicas (kubectl scale, or
 * another gateway's decision) and, after a change of spec, the fields. */
static void refresh(struct kd_fn *f, const json_t *obj)
{
    struct gw_fn *fn = f->fn;
    bool newer = !f->write_rv || kd_rv(obj) >= f->write_rv;
    if (!f->scale && newer)
        fn->desired = f->replicas;
    int64_t gen = (int64_t)json_integer_value(json_object_get(json_object_get(obj, "metadata"),
                                                              "generation"));
    if (gen != f->generation && !f->preparing && newer) {
        json_t *dep = k8s_spec_read(obj);
        if (dep) {
            json_decref(fn->dep);
            fn->dep = dep;
        }
    }
    f->generation = gen;
}

void kd_deployment_take(struct kd_ns *ns, const char *type, json_t *obj)
{
    const json_t *md = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    if (!name)
        return;
    struct kd_fn *f = kd_fn_find(name, ns->name);
    if (strcmp(type, "DELETED") == 0 || json_object_get(md, "deletionTimestamp")) {
        if (f)
            gone(f);
        return;
    }
    bool fresh = !f;
    if (!f)
        f = kd_fn_get(name, ns->name);
    f->seen = true;
    /* News older than our last write (a watch lagging behind a scale we
     * were answered) must not undo it. */
    bool newer = !f->write_rv || kd_rv(obj) >= f->write_rv;
    json_decref(f->obj);
    f->obj = json_incref(obj);
    if (!f->scale && newer)
        f->replicas = spec_replicas(obj);
    f->available = (int)json_integer_value(
        json_object_get(json_object_get(obj, "status"), "availableReplicas"));
    if (!f->fn && !f->preparing && !f->removing)
        adopt(f);
    else if (f->fn)
        refresh(f, obj);
    if (f->fn && !f->generation)
        f->generation = (int64_t)json_integer_value(json_object_get(md, "generation"));
    if (fresh)
        kd_endpoints_update(ns, name);
}

void kd_deployments_listed(struct kd_ns *ns, json_t *items, uint64_t rv)
{
    for (struct kd_fn *f = D.fns; f; f = f->next)
        if (strcmp(f->ns, ns->name) == 0)
            f->seen = false;
    size_t i;
    json_t *d;
    json_array_foreach(items, i, d)
        kd_deployment_take(ns, "ADDED", d);
    struct kd_fn *next;
    for (struct kd_fn *f = D.fns; f; f = next) {
        next = f->next;
        bool ours_is_newer = f->write_rv && rv && rv < f->write_rv;
        if (strcmp(f->ns, ns->name) == 0 && !f->seen && !f->preparing && !ours_is_newer &&
            (f->obj || f->fn))
            gone(f);
    }
}

/* --- scale ---------------------------------------------------------------------- */

static void on_scaled(void *arg, const struct k8s_result *r)
{
    struct kd_fn *f = arg;
    f->scale = NULL;
    if (r->status == 200) {
        f->replicas = f->scale_to;
        f->write_rv = kd_rv(r->body);
    } else {
        char msg[512];
        log_error("kubernetes", "cannot scale function=%s.%s to %d: %s", f->name, f->ns,
                  f->scale_to, k8s_error_text(D.api, r, msg, sizeof msg));
    }
    if (f->scale_again || (r->status == 200 && f->fn && f->fn->desired != f->replicas)) {
        f->scale_again = false;
        kd_scale(f);
    }
}

void kd_scale(struct kd_fn *f)
{
    if (!f->fn || f->preparing || f->removing)
        return;
    if (f->scale) {
        f->scale_again = true;
        return;
    }
    int want = f->fn->desired > 0 ? f->fn->desired : 0;
    if (want == f->replicas)
        return;
    char path[256];
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments/%s/scale", f->ns,
             f->name);
    json_t *body = json_pack("{s:{s:i}}", "spec", "replicas", want);
    f->scale_to = want;
    f->scale = k8s_request(D.api, "PATCH", path, K8S_MERGE_PATCH, body, KD_CALL_TIMEOUT_MS,
                           on_scaled, f);
    json_decref(body);
    if (f->scale)
        log_info("kubernetes", "scaling function=%s.%s to %d", f->name, f->ns, want);
}

/* --- the autoscaler's state, kept on the Deployment ------------------------------- */

static void save_now(struct kd_fn *f);

static void on_saved(void *arg, const struct k8s_result *r)
{
    struct kd_fn *f = arg;
    f->save = NULL;
    if (r->status >= 300) {
        char msg[512];
        log_warn("kubernetes", "cannot keep the autoscaler's state of function=%s.%s: %s",
                 f->name, f->ns, k8s_error_text(D.api, r, msg, sizeof msg));
        free(f->saved);
        f->saved = NULL;
    }
    if (f->save_again) {
        f->save_again = false;
        save_now(f);
    }
}

static void save_now(struct kd_fn *f)
{
    if (!f->fn || f->preparing || f->removing)
        return;
    if (f->save) {
        f->save_again = true;
        return;
    }
    json_t *doc = gw_autoscale_save(f->fn);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    if (!text || (f->saved && strcmp(f->saved, text) == 0)) {
        free(text);
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments/%s", f->ns, f->name);
    json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", K8S_ANNOTATION_SCALER,
                              text);
    f->save = k8s_request(D.api, "PATCH", path, K8S_MERGE_PATCH, patch, KD_CALL_TIMEOUT_MS,
                          on_saved, f);
    json_decref(patch);
    free(f->saved);
    f->saved = text;
}

static int save(struct gw *gw, const struct gw_fn *fn)
{
    (void)gw;
    if (fn->drv)
        save_now(fn->drv);
    return 0;
}

/* --- namespaces ------------------------------------------------------------------- */

static void schedule_ns(int64_t ms);

static void on_namespaces(void *arg, const struct k8s_result *r)
{
    (void)arg;
    D.ns_list = NULL;
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(r->body, "items"), i, n) {
        const char *name = json_string_value(json_object_get(json_object_get(n, "metadata"),
                                                             "name"));
        if (name)
            kd_ns_watch(name);
    }
    if (r->status != 200 && !D.ns_failing) {
        char msg[512];
        log_warn("kubernetes", "cannot list namespaces labelled openfaas=1 (%s): following "
                 "those known", k8s_error_text(D.api, r, msg, sizeof msg));
    }
    D.ns_failing = r->status != 200;
    schedule_ns(NS_TICK_MS);
}

static void on_ns_tick(struct loop *lp, void *arg)
{
    (void)lp;
    (void)arg;
    D.ns_tick = NULL;
    D.ns_list = k8s_request(D.api, "GET", "/api/v1/namespaces?labelSelector=openfaas%3D1",
                            NULL, NULL, KD_CALL_TIMEOUT_MS, on_namespaces, NULL);
    if (!D.ns_list)
        schedule_ns(NS_TICK_MS);
}

static void schedule_ns(int64_t ms)
{
    if (!D.ns_tick && !D.ns_list)
        D.ns_tick = loop_timer_add(D.gw->lp, ms, on_ns_tick, NULL);
}

struct ns_answer {
    gw_answer_fn *done;
    void *arg;
};

static void on_ns_answer(void *arg, const struct k8s_result *r)
{
    struct ns_answer *a = arg;
    json_t *items = json_object_get(r->body, "items");
    if (r->status == 200 && json_is_array(items)) {
        json_t *names = json_array();
        size_t i;
        json_t *n;
        json_array_foreach(items, i, n)
            json_array_append(names, json_object_get(json_object_get(n, "metadata"), "name"));
        a->done(a->arg, 200, names, NULL);
    } else {
        char msg[512], full[640];
        snprintf(full, sizeof full, "cannot list the namespaces labelled openfaas=1: %s",
                 k8s_error_text(D.api, r, msg, sizeof msg));
        a->done(a->arg, r->status ? 502 : 503, NULL, full);
    }
    free(a);
}

static void namespaces(struct gw *gw, gw_answer_fn *done, void *arg)
{
    (void)gw;
    struct ns_answer *a = xcalloc(1, sizeof *a);
    *a = (struct ns_answer){ done, arg };
    if (!k8s_request(D.api, "GET", "/api/v1/namespaces?labelSelector=openfaas%3D1", NULL, NULL,
                     KD_CALL_TIMEOUT_MS, on_ns_answer, a)) {
        free(a);
        done(arg, 503, NULL, "cannot reach the Kubernetes API");
    }
}

/* --- the driver ---------------------------------------------------------------------- */

static void start(struct gw *gw)
{
    char err[512];
    struct k8s_creds c;
    D.gw = gw;
    if (k8s_config_load(gw->cfg.kubeconfig, gw->cfg.kubernetes_context, &c, err,
                        sizeof err) < 0) {
        log_error("kubernetes", "%s", err);
        c = (struct k8s_creds){ .server = xstrdup("https://kubernetes.default.svc") };
    }
    snprintf(D.home_ns, sizeof D.home_ns, "%s", c.ns && *c.ns ? c.ns : "openfaas-fn");
    if (gw->cfg.kubernetes_lease_namespace && *gw->cfg.kubernetes_lease_namespace)
        snprintf(D.home_ns, sizeof D.home_ns, "%s", gw->cfg.kubernetes_lease_namespace);
    if (gw->cfg.kubernetes_identity && *gw->cfg.kubernetes_identity) {
        snprintf(D.identity, sizeof D.identity, "%s", gw->cfg.kubernetes_identity);
    } else {
        char host[64] = "gateway";
        gethostname(host, sizeof host - 1);
        snprintf(D.identity, sizeof D.identity, "%s-%d", host, (int)getpid());
    }
    log_info("kubernetes", "kubernetes driver: API %s (%s), identity %s", c.server,
             c.source ? c.source : "no credentials", D.identity);
    D.api = k8s_api_new(gw->lp, gw->curl, &c);
    D.up = true;
    kd_ns_watch(GW_DEFAULT_NAMESPACE);
    schedule_ns(0);
    kd_lease_start();
}

static void apply(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    struct kd_fn *f = fn->drv ? fn->drv : kd_fn_get(fn->name, fn->ns);
    fn->drv = f;
    f->fn = fn;
    if (f->preparing) { /* the deploy that made it is committed */
        f->preparing = false;
        if (f->obj)
            stamp_created(fn, f->obj);
    }
    kd_scale(f);
}

static void update(struct gw *gw, struct gw_fn *fn)
{
    apply(gw, fn); /* prepare patched the Deployment already */
}

static void on_deleted(void *arg, const struct k8s_result *r)
{
    char *what = arg;
    if (r->status >= 300 && r->status != 404) {
        char msg[512];
        log_error("kubernetes", "cannot delete %s: %s", what,
                  k8s_error_text(D.api, r, msg, sizeof msg));
    }
    free(what);
}

static void delete_object(const char *path, const char *what)
{
    json_t *opts = json_pack("{s:s,s:s,s:s}", "apiVersion", "v1", "kind", "DeleteOptions",
                             "propagationPolicy", "Background");
    char *arg = xstrdup(what);
    if (!k8s_request(D.api, "DELETE", path, NULL, opts, KD_CALL_TIMEOUT_MS, on_deleted, arg))
        free(arg);
    json_decref(opts);
}

static void remove_fn(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    struct kd_fn *f = fn->drv ? fn->drv : kd_fn_get(fn->name, fn->ns);
    f->fn = NULL;
    fn->drv = NULL;
    f->removing = true;
    kd_logs_forget(f);
    k8s_cancel(f->scale);
    f->scale = NULL;
    char path[256], what[192];
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments/%s", f->ns, f->name);
    snprintf(what, sizeof what, "Deployment %s/%s", f->ns, f->name);
    delete_object(path, what);
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", f->ns, f->name);
    snprintf(what, sizeof what, "Service %s/%s", f->ns, f->name);
    delete_object(path, what);
}

/* The Deployment's status: what Kubernetes counts as available. */
static unsigned available(const struct gw_fn *fn)
{
    const struct kd_fn *f = fn->drv;
    return f && f->available > 0 ? (unsigned)f->available : 0;
}

static bool pick(struct gw *gw, struct gw_fn *fn, struct gw_endpoint *ep)
{
    (void)gw;
    return kd_endpoints_pick(fn->drv, ep);
}

static void release_call(struct gw *gw, const char *name, const char *ns, uint64_t serial)
{
    (void)gw;
    kd_endpoints_release(kd_fn_find(name, ns), serial);
}

/* The cluster keeps running what it runs: the next gateway finds it. */
static void shutdown_all(struct gw *gw)
{
    kd_prepare_cancel_all();
    kd_secrets_cancel_all();
    kd_logs_shutdown();
    kd_lease_stop();
    kd_ns_unwatch_all();
    while (D.fns)
        kd_fn_free(D.fns);
    k8s_cancel(D.ns_list);
    D.ns_list = NULL;
    loop_timer_cancel(gw->lp, D.ns_tick);
    D.ns_tick = NULL;
    k8s_api_free(D.api);
    D.api = NULL;
}

static void prepare(struct gw *gw, json_t *dep, gw_prepare_done_fn *done, void *arg)
{
    kd_prepare(gw, dep, done, arg);
}

const struct gw_driver gw_kubernetes_driver = {
    .name = "kubernetes",
    .start = start,
    .apply = apply,
    .update = update,
    .remove = remove_fn,
    .available = available,
    .pick = pick,
    .release = release_call,
    .shutdown = shutdown_all,
    .prepare = prepare,
    .command_optional = true,
    .engine_state = true,
    .save = save,
    .secrets = kd_secrets,
    .namespaces = namespaces,
    .logs = kd_logs,
    .logs_stop = kd_logs_stop,
    .leads = kd_lease_held,
};
