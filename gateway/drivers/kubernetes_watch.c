/* kubernetes_watch.c -- Deployments and EndpointSlices followed per
 * namespace, and the pod addresses calls go to.
 *
 * DESIGN: list, then watch from the list's resourceVersion, as every
 * Kubernetes controller does. A watch that drops resumes from the last
 * resourceVersion it saw (events or bookmarks); one the server no longer
 * remembers (410 Gone, or an ERROR event "Expired") lists again, and the
 * listing replaces what was known. An API server that does not answer is
 * tried again every second. Calls never ask the API: they go to the pod
 * addresses the EndpointSlices last said were ready. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../driver.h"
#include "../functions.h"
#include "../gw.h"
#include "k8s_api.h"
#include "kubernetes_int.h"
#include "kubernetes_spec.h"
#include "log.h"
#include "loop.h"
#include "urlenc.h"
#include "xalloc.h"

#define D kd_state
#define RETRY_MS 1000

static void list_start(struct kd_watch *w);
static void watch_start(struct kd_watch *w);

uint64_t kd_rv(const json_t *obj)
{
    const char *rv = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    char *end;
    unsigned long long n = rv ? strtoull(rv, &end, 10) : 0;
    return rv && *end == '\0' ? (uint64_t)n : 0;
}

static void on_retry(struct loop *lp, void *arg)
{
    (void)lp;
    struct kd_watch *w = arg;
    w->retry = NULL;
    if (w->rv[0])
        watch_start(w);
    else
        list_start(w);
}

static void retry_later(struct kd_watch *w)
{
    if (!w->retry)
        w->retry = loop_timer_add(D.gw->lp, RETRY_MS, on_retry, w);
}

static void failing(struct kd_watch *w, const char *doing, const struct k8s_result *r)
{
    char msg[512];
    if (!w->failing)
        log_error("kubernetes", "cannot %s %s in namespace %s: %s", doing, w->what, w->ns->name,
                  k8s_error_text(D.api, r, msg, sizeof msg));
    w->failing = true;
    D.up = r->status != 0;
}

static void recovered(struct kd_watch *w)
{
    if (w->failing)
        log_info("kubernetes", "%s of namespace %s followed again", w->what, w->ns->name);
    w->failing = false;
    D.up = true;
}

static void on_listed(void *arg, const struct k8s_result *r)
{
    struct kd_watch *w = arg;
    w->list = NULL;
    json_t *items = json_object_get(r->body, "items");
    if (r->status != 200 || !json_is_array(items)) {
        failing(w, "list", r);
        retry_later(w);
        return;
    }
    recovered(w);
    uint64_t rv = kd_rv(r->body);
    const char *rvs = json_string_value(
        json_object_get(json_object_get(r->body, "metadata"), "resourceVersion"));
    snprintf(w->rv, sizeof w->rv, "%s", rvs ? rvs : "");
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
        json_object_del(json_object_get(item, "metadata"), "managedFields");
    w->listed(w->ns, items, rv);
    if (!w->synced)
        log_info("kubernetes", "namespace %s: %zu %s listed", w->ns->name, json_array_size(items),
                 w->what);
    w->synced = true;
    if (w->rv[0])
        watch_start(w);
    else
        retry_later(w);
}

static void list_start(struct kd_watch *w)
{
    char path[512];
    snprintf(path, sizeof path, "%s?labelSelector=%s", w->path, w->selector);
    w->list = k8s_request(D.api, "GET", path, NULL, NULL, KD_CALL_TIMEOUT_MS, on_listed, w);
    if (!w->list)
        retry_later(w);
}

/* One event. false: the stream is of no more use (history expired). */
static bool on_event(void *arg, const char *line, size_t len)
{
    struct kd_watch *w = arg;
    json_t *ev = json_loadb(line, len, 0, NULL);
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    bool go_on = true;
    if (!type || !json_is_object(obj)) {
        log_warn("kubernetes", "watch of %s: not an event: %.*s", w->what,
                 (int)(len > 200 ? 200 : len), line);
    } else if (strcmp(type, "ERROR") == 0) {
        long code = (long)json_integer_value(json_object_get(obj, "code"));
        const char *msg = json_string_value(json_object_get(obj, "message"));
        log_info("kubernetes", "watch of %s in %s: %ld %s: listing again", w->what, w->ns->name,
                 code, msg ? msg : "");
        w->rv[0] = '\0'; /* 410 Expired (or any error): the list is the truth */
        go_on = false;
    } else {
        const char *rv = json_string_value(
            json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
        if (rv)
            snprintf(w->rv, sizeof w->rv, "%s", rv);
        /* The server's bookkeeping of who set which field is most of an
         * object and none of our business: not kept. */
        json_object_del(json_object_get(obj, "metadata"), "managedFields");
        if (strcmp(type, "BOOKMARK") != 0)
            w->take(w->ns, type, obj);
    }
    json_decref(ev);
    return go_on;
}

static void on_watch_end(void *arg, const struct k8s_result *r)
{
    struct kd_watch *w = arg;
    w->stream = NULL;
    if (r->status == 410)
        w->rv[0] = '\0';
    if (r->status == 200 || r->status == 410) {
        recovered(w);
        on_retry(NULL, w); /* at once: resume, or list */
        return;
    }
    failing(w, "watch", r);
    if (r->status != 0)
        w->rv[0] = '\0'; /* refused (401, 403...): start over when it works */
    retry_later(w);
}

static void watch_start(struct kd_watch *w)
{
    char path[640];
    snprintf(path, sizeof path,
             "%s?labelSelector=%s&watch=1&allowWatchBookmarks=true&resourceVersion=%s", w->path,
             w->selector, w->rv);
    w->stream = k8s_stream_start(D.api, path, on_event, on_watch_end, w);
    if (!w->stream)
        retry_later(w);
}

static void watch_stop(struct kd_watch *w)
{
    k8s_cancel(w->list);
    w->list = NULL;
    k8s_stream_stop(w->stream);
    w->stream = NULL;
    loop_timer_cancel(D.gw->lp, w->retry);
    w->retry = NULL;
}

/* --- EndpointSlices ------------------------------------------------------------ */

static const char *service_of(const json_t *slice)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(slice, "metadata"), "labels"),
                        "kubernetes.io/service-name"));
}

static void slice_take(struct kd_ns *ns, const char *type, json_t *obj)
{
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    const char *service = service_of(obj);
    if (!name)
        return;
    if (strcmp(type, "DELETED") == 0)
        json_object_del(ns->slices_by_name, name);
    else
        json_object_set(ns->slices_by_name, name, obj);
    if (service)
        kd_endpoints_update(ns, service);
}

static void slices_listed(struct kd_ns *ns, json_t *items, uint64_t rv)
{
    (void)rv;
    json_object_clear(ns->slices_by_name);
    size_t i;
    json_t *s;
    json_array_foreach(items, i, s) {
        const char *name = json_string_value(
            json_object_get(json_object_get(s, "metadata"), "name"));
        if (name)
            json_object_set(ns->slices_by_name, name, s);
    }
    for (struct kd_fn *f = D.fns; f; f = f->next)
        if (strcmp(f->ns, ns->name) == 0)
            kd_endpoints_update(ns, f->name);
}

static struct kd_endpoint *endpoint_at(struct kd_fn *f, const char *ip)
{
    for (unsigned i = 0; i < f->neps; i++)
        if (strcmp(f->eps[i].ip, ip) == 0)
            return &f->eps[i];
    f->eps = xrealloc(f->eps, (f->neps + 1) * sizeof *f->eps);
    struct kd_endpoint *e = &f->eps[f->neps++];
    memset(e, 0, sizeof *e);
    snprintf(e->ip, sizeof e->ip, "%s", ip);
    e->serial = ++D.serial;
    return e;
}

/* One endpoint of a slice; returns true if it turned ready. */
static bool take_endpoint(struct kd_fn *f, const json_t *e)
{
    const char *ip = json_string_value(json_array_get(json_object_get(e, "addresses"), 0));
    if (!ip)
        return false;
    const json_t *cond = json_object_get(e, "conditions");
    const json_t *ready = json_object_get(cond, "ready");
    /* Unknown readiness counts as ready, as the API documents. */
    bool is_ready = (!ready || json_is_true(ready)) &&
                    !json_is_true(json_object_get(cond, "terminating"));
    const char *pod = json_string_value(json_object_get(json_object_get(e, "targetRef"), "name"));
    struct kd_endpoint *ep = endpoint_at(f, ip);
    bool turned = is_ready && !ep->ready;
    ep->ready = is_ready;
    ep->seen = true;
    snprintf(ep->pod, sizeof ep->pod, "%s", pod ? pod : ip);
    return turned;
}

static const char *ep_pod(const json_t *e)
{
    const char *pod = json_string_value(json_object_get(json_object_get(e, "targetRef"), "name"));
    return pod ? pod : "";
}

void kd_endpoints_update(struct kd_ns *ns, const char *service)
{
    struct kd_fn *f = kd_fn_find(service, ns->name);
    if (!f)
        return;
    for (unsigned i = 0; i < f->neps; i++)
        f->eps[i].seen = false;
    char turned[8][128];
    unsigned nturned = 0;
    const char *k;
    json_t *slice;
    json_object_foreach(ns->slices_by_name, k, slice) {
        const char *svc = service_of(slice);
        if (!svc || strcmp(svc, service) != 0)
            continue;
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(slice, "endpoints"), i, e)
            if (take_endpoint(f, e) && nturned < 8)
                snprintf(turned[nturned++], sizeof turned[0], "%s", ep_pod(e));
    }
    unsigned keep = 0;
    for (unsigned i = 0; i < f->neps; i++)
        if (f->eps[i].seen)
            f->eps[keep++] = f->eps[i];
    f->neps = keep;
    for (unsigned i = 0; i < nturned; i++)
        kd_logs_pod(f, turned[i]);
    if (nturned && f->fn && D.gw->on_replica_ready)
        D.gw->on_replica_ready(D.gw, f->fn);
}

unsigned kd_endpoints_ready(const struct kd_fn *f)
{
    unsigned n = 0;
    for (unsigned i = 0; f && i < f->neps; i++)
        n += f->eps[i].ready;
    return n;
}

bool kd_endpoints_pick(struct kd_fn *f, struct gw_endpoint *ep)
{
    if (!f || !f->neps || !f->fn)
        return false;
    struct kd_endpoint *best = NULL;
    unsigned start = f->fn->pick_from++, best_i = 0;
    for (unsigned k = 0; k < f->neps; k++) {
        unsigned i = (start + k) % f->neps;
        struct kd_endpoint *e = &f->eps[i];
        if (e->ready && (!best || e->inflight < best->inflight)) {
            best = e;
            best_i = i;
        }
    }
    if (!best)
        return false;
    best->inflight++;
    bool v6 = strchr(best->ip, ':') != NULL;
    snprintf(ep->base_url, sizeof ep->base_url, "http://%s%s%s:%d", v6 ? "[" : "", best->ip,
             v6 ? "]" : "", K8S_PORT);
    snprintf(ep->instance, sizeof ep->instance, "%s", best->pod);
    ep->id = best_i;
    ep->serial = best->serial;
    return true;
}

void kd_endpoints_release(struct kd_fn *f, uint64_t serial)
{
    for (unsigned i = 0; f && i < f->neps; i++)
        if (f->eps[i].serial == serial && f->eps[i].inflight) {
            f->eps[i].inflight--;
            return;
        }
}

/* --- namespaces ------------------------------------------------------------------ */

static void watch_init(struct kd_ns *ns, struct kd_watch *w, const char *what, const char *path,
                       const char *selector)
{
    w->ns = ns;
    w->what = what;
    snprintf(w->path, sizeof w->path, "%s", path);
    url_escape(selector, "", w->selector, sizeof w->selector);
}

struct kd_ns *kd_ns_watch(const char *name)
{
    for (struct kd_ns *ns = D.nss; ns; ns = ns->next)
        if (strcmp(ns->name, name) == 0)
            return ns;
    struct kd_ns *ns = xcalloc(1, sizeof *ns);
    snprintf(ns->name, sizeof ns->name, "%s", name);
    ns->slices_by_name = json_object();
    char path[256];
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments", name);
    watch_init(ns, &ns->deployments, "deployments", path, K8S_LABEL_MANAGED "=" K8S_MANAGER);
    ns->deployments.take = kd_deployment_take;
    ns->deployments.listed = kd_deployments_listed;
    snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", name);
    watch_init(ns, &ns->slices, "endpointslices", path, K8S_LABEL_FUNCTION);
    ns->slices.take = slice_take;
    ns->slices.listed = slices_listed;
    ns->next = D.nss;
    D.nss = ns;
    log_info("kubernetes", "following functions in namespace %s", name);
    list_start(&ns->deployments);
    list_start(&ns->slices);
    return ns;
}

void kd_ns_unwatch_all(void)
{
    while (D.nss) {
        struct kd_ns *ns = D.nss;
        D.nss = ns->next;
        watch_stop(&ns->deployments);
        watch_stop(&ns->slices);
        json_decref(ns->slices_by_name);
        free(ns);
    }
}
