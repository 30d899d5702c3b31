/* kubernetes_fns.c -- the Deployments the driver knows and the gateway's
 * functions that follow them: a Deployment that appears becomes a
 * function, one that goes stops being one, replicas are what its spec
 * says; a scale patches the scale subresource; the autoscaler's state
 * is kept on the Deployment (an annotation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../autoscale.h"
#include "../drop.h"
#include "../functions.h"
#include "../gw.h"
#include "k8s_api.h"
#include "kubernetes_int.h"
#include "kubernetes_spec.h"
#include "log.h"
#include "xalloc.h"

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

void kd_stamp_created(struct gw_fn *fn, const json_t *obj)
{
    const char *at = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "creationTimestamp"));
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
    kd_stamp_created(fn, f->obj);
    const char *scaler = json_string_value(
        json_object_get(json_object_get(json_object_get(f->obj, "metadata"), "annotations"),
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
    int64_t gen = (int64_t)json_integer_value(
        json_object_get(json_object_get(obj, "metadata"), "generation"));
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
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments/%s/scale", f->ns, f->name);
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
        log_warn("kubernetes", "cannot keep the autoscaler's state of function=%s.%s: %s", f->name,
                 f->ns, k8s_error_text(D.api, r, msg, sizeof msg));
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

int kd_save(struct gw *gw, const struct gw_fn *fn)
{
    (void)gw;
    if (fn->drv)
        save_now(fn->drv);
    return 0;
}
