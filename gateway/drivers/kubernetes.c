/* kubernetes.c -- the kubernetes driver: each function is a Deployment
 * and a Service, so the cluster, not the gateway, keeps its pods alive
 * and spreads them over the nodes.
 *
 * DESIGN: the cluster holds the truth. The driver follows the Deployments
 * it manages (labelled app.kubernetes.io/managed-by=faasbus) in every
 * namespace labelled openfaas=1, and the gateway's functions follow them:
 * a Deployment that appears (a restarted gateway, another replica's
 * deploy) becomes a function, one that goes (kubectl delete included)
 * stops being one, and replicas are what its spec says
 * (kubernetes_fns.c). A deploy writes
 * the objects before it is answered (kubernetes_deploy.c), so the
 * client hears the API server's refusal; a scale patches the scale
 * subresource; calls go to the ready pod addresses of the function's
 * EndpointSlices (kubernetes_watch.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../driver.h"
#include "../functions.h"
#include "../gw.h"
#include "../model.h"
#include "k8s_api.h"
#include "k8s_config.h"
#include "kubernetes_int.h"
#include "kubernetes_spec.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define NS_TICK_MS 5000

struct kd kd_state;
#define D kd_state

/* --- namespaces ------------------------------------------------------------------- */

static void schedule_ns(int64_t ms);

static void on_namespaces(void *arg, const struct k8s_result *r)
{
    (void)arg;
    D.ns_list = NULL;
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(r->body, "items"), i, n) {
        const char *name = json_string_value(
            json_object_get(json_object_get(n, "metadata"), "name"));
        if (name)
            kd_ns_watch(name);
    }
    if (r->status != 200 && !D.ns_failing) {
        char msg[512];
        log_warn("kubernetes",
                 "cannot list namespaces labelled openfaas=1 (%s): following "
                 "those known",
                 k8s_error_text(D.api, r, msg, sizeof msg));
    }
    D.ns_failing = r->status != 200;
    schedule_ns(NS_TICK_MS);
}

static void on_ns_tick(struct loop *lp, void *arg)
{
    (void)lp;
    (void)arg;
    D.ns_tick = NULL;
    D.ns_list = k8s_request(D.api, "GET", "/api/v1/namespaces?labelSelector=openfaas%3D1", NULL,
                            NULL, KD_CALL_TIMEOUT_MS, on_namespaces, NULL);
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

/* The credentials check() read, which start() hands to the API client. */
static struct k8s_creds loaded;

/* A gateway that cannot say who it is to the API server could do
 * nothing but fail every call: it stops at once with the reason. */
static int check(struct gw *gw, char *err, size_t errlen)
{
    char why[480];
    if (k8s_config_load(gw->cfg.kubeconfig, gw->cfg.kubernetes_context, &loaded, why, sizeof why) <
        0) {
        snprintf(err, errlen, "driver=kubernetes: %s", why);
        return -1;
    }
    return 0;
}

static void start(struct gw *gw)
{
    struct k8s_creds c = loaded; /* the API client takes them over */
    memset(&loaded, 0, sizeof loaded);
    D.gw = gw;
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
    kd_load_start();
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
            kd_stamp_created(fn, f->obj);
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

/* uid: delete only that object (a precondition), or NULL. */
static void delete_object(const char *path, const char *what, const char *uid)
{
    json_t *opts = json_pack("{s:s,s:s,s:s}", "apiVersion", "v1", "kind", "DeleteOptions",
                             "propagationPolicy", "Background");
    if (uid)
        json_object_set_new(opts, "preconditions", json_pack("{s:s}", "uid", uid));
    char *arg = xstrdup(what);
    if (!k8s_request(D.api, "DELETE", path, NULL, opts, KD_CALL_TIMEOUT_MS, on_deleted, arg))
        free(arg);
    json_decref(opts);
}

/* A Service of the function's name may be someone else's: a deploy takes
 * an existing one as it is (409 on create). Only one that carries the
 * driver's label is deleted, and only that one (its uid as precondition). */
struct svc_delete {
    char *path;
    char *what;
};

static void on_service_read(void *arg, const struct k8s_result *r)
{
    struct svc_delete *d = arg;
    json_t *meta = json_object_get(r->body, "metadata");
    const char *owner = json_string_value(
        json_object_get(json_object_get(meta, "labels"), K8S_LABEL_MANAGED));
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    if (r->status == 404) {
        /* gone already */
    } else if (r->status >= 300) {
        char msg[512];
        log_error("kubernetes", "cannot read %s to delete it: %s", d->what,
                  k8s_error_text(D.api, r, msg, sizeof msg));
    } else if (!owner || strcmp(owner, K8S_MANAGER) != 0 || !uid) {
        log_warn("kubernetes", "%s left in place: it is not labelled %s=%s", d->what,
                 K8S_LABEL_MANAGED, K8S_MANAGER);
    } else {
        delete_object(d->path, d->what, uid);
    }
    free(d->path);
    free(d->what);
    free(d);
}

static void delete_own_service(const char *path, const char *what)
{
    struct svc_delete *d = xcalloc(1, sizeof *d);
    d->path = xstrdup(path);
    d->what = xstrdup(what);
    if (!k8s_request(D.api, "GET", path, NULL, NULL, KD_CALL_TIMEOUT_MS, on_service_read, d)) {
        free(d->path);
        free(d->what);
        free(d);
    }
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
    delete_object(path, what, NULL);
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", f->ns, f->name);
    snprintf(what, sizeof what, "Service %s/%s", f->ns, f->name);
    delete_own_service(path, what);
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
    if (!D.gw)
        return; /* check() refused: nothing was started */
    kd_prepare_cancel_all();
    kd_secrets_cancel_all();
    kd_logs_shutdown();
    kd_lease_stop();
    kd_load_stop();
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
    .check = check,
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
    .save = kd_save,
    .secrets = kd_secrets,
    .namespaces = namespaces,
    .logs = kd_logs,
    .logs_stop = kd_logs_stop,
    .leads = kd_lease_held,
    .share_load = kd_load_share,
    .peer_load = kd_load_peers,
};
