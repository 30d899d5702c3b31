/* functions.c -- the registry of deployed functions and their status. */
#include "functions.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoscale.h"
#include "driver.h"
#include "gw.h"
#include "logs.h"
#include "model.h"
#include "parse.h"
#include "xalloc.h"

struct gw_fn *gw_fn_find(struct gw *gw, const char *name, const char *ns)
{
    for (struct gw_fn *fn = gw->fns; fn; fn = fn->next)
        if (strcmp(fn->name, name) == 0 && strcmp(fn->ns, ns) == 0)
            return fn;
    return NULL;
}

static void stamp_now(char *out, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct gw_fn *gw_fn_add(struct gw *gw, const char *name, const char *ns, json_t *dep)
{
    struct gw_fn *fn = xcalloc(1, sizeof *fn);
    fn->name = xstrdup(name);
    fn->ns = xstrdup(ns);
    fn->dep = dep;
    fn->desired = gw_fn_min_scale(fn);
    stamp_now(fn->created_at, sizeof fn->created_at);
    fn->next = gw->fns;
    gw->fns = fn;
    return fn;
}

void gw_fn_unlink(struct gw *gw, struct gw_fn *fn)
{
    for (struct gw_fn **p = &gw->fns; *p; p = &(*p)->next)
        if (*p == fn) {
            *p = fn->next;
            return;
        }
}

void gw_fn_free(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    gw_logs_free(fn);
    gw_autoscale_forget(fn);
    json_decref(fn->dep);
    free(fn->replicas);
    free(fn->name);
    free(fn->ns);
    free(fn);
}

int gw_fn_min_scale(const struct gw_fn *fn)
{
    const char *v = gw_dep_map_get(fn->dep, "labels", "com.openfaas.scale.min");
    int64_t n;
    if (v && parse_int64(v, &n) == 0 && n >= 0 && n <= 1000)
        return (int)n;
    return 1;
}

json_t *gw_fn_status(const struct gw *gw, const struct gw_fn *fn)
{
    json_t *st = json_deep_copy(fn->dep);
    json_object_set_new(st, "name", json_string(fn->name));
    json_object_set_new(st, "namespace", json_string(fn->ns));
    json_object_set_new(st, "replicas", json_integer(fn->desired));
    json_object_set_new(st, "availableReplicas", json_integer(gw->driver->available(fn)));
    json_object_set_new(st, "invocationCount", json_integer(fn->invocations));
    json_object_set_new(st, "createdAt", json_string(fn->created_at));
    gw_autoscale_status(gw, fn, st);
    /* Fields that were not deployed stay absent, as OpenFaaS encodes
     * them (omitempty): no "envVars":{} for a function without any. */
    return st;
}
