/* api_functions.c -- /system/functions, /system/function/<name> and
 * /system/scale-function/<name>: deploy, list, update, remove, scale. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "autoscale.h"
#include "driver.h"
#include "drop.h"
#include "functions.h"
#include "gw.h"
#include "httpd.h"
#include "invoke.h"
#include "log.h"
#include "logs_follow.h"
#include "model.h"
#include "reply.h"
#include "store.h"
#include "xalloc.h"

static void list(struct httpd_req *req, struct gw *gw)
{
    char *ns = gw_query_namespace(req);
    if (!ns)
        return;
    json_t *out = json_array();
    for (const struct gw_fn *fn = gw->fns; fn; fn = fn->next)
        if (strcmp(fn->ns, ns) == 0)
            json_array_append_new(out, gw_fn_status(gw, fn));
    free(ns);
    gw_reply_json(req, 200, out);
}

/* The process driver runs a command: it must have one (an image brings
 * its own on other drivers). Secrets named must exist. Answers 400 and
 * returns false otherwise. */
static bool runnable(struct httpd_req *req, struct gw *gw, const json_t *dep, const char *ns)
{
    struct gw_scale_policy policy;
    char err[256];
    if (gw_scale_policy_read(dep, gw->cfg.scale_zero_duration_ms, &policy, err, sizeof err) < 0) {
        gw_reply_error(req, 400, "%s", err);
        return false;
    }
    if (policy.type == GW_SCALE_CPU && !gw->driver->cpu_seconds) {
        gw_reply_error(req, 400,
                       "labels.com.openfaas.scale.type: \"cpu\" is not measured by "
                       "the %s driver (use capacity or rps)",
                       gw->driver->name);
        return false;
    }
    const char *fprocess = gw_dep_str(dep, "envProcess");
    if (!gw->driver->command_optional && (!fprocess || !*fprocess) &&
        !gw_dep_map_get(dep, "envVars", "fprocess")) {
        gw_reply_error(req, 400,
                       "envProcess: required by the process driver "
                       "(the command that runs the function, e.g. \"cat\")");
        return false;
    }
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(dep, "secrets"), i, s) {
        if (gw->driver->secrets)
            break; /* in the engine: the driver's prepare checks them */
        if (!gw_secret_exists(gw, json_string_value(s), ns)) {
            gw_reply_error(req, 400, "secrets: \"%s\" does not exist in namespace %s",
                           json_string_value(s), ns);
            return false;
        }
    }
    return true;
}

/* False (409/404 answered) if the function's existence does not fit. */
static bool fits(struct httpd_req *req, struct gw *gw, const json_t *dep, bool update)
{
    const char *name = gw_dep_str(dep, "service"), *ns = gw_dep_str(dep, "namespace");
    bool exists = gw_fn_find(gw, name, ns) != NULL;
    if (update == exists)
        return true;
    gw_reply_error(req, update ? 404 : 409, "function %s.%s %s", name, ns,
                   update ? "not found" : "already exists (use PUT to update it)");
    return false;
}

/* An update when the function exists (fits() said it should), else a
 * new function. Takes dep. */
static void commit(struct httpd_req *req, struct gw *gw, json_t *dep)
{
    const char *name = gw_dep_str(dep, "service"), *ns = gw_dep_str(dep, "namespace");
    struct gw_fn *fn = gw_fn_find(gw, name, ns);
    bool update = fn != NULL;
    /* Saved first: what the client is told was done must survive a
     * restart, so a failed save changes nothing. */
    json_t *old_dep = fn ? fn->dep : NULL;
    int old_desired = fn ? fn->desired : 0;
    if (fn) {
        fn->dep = dep;
        fn->desired = fn->desired ? fn->desired : gw_fn_min_scale(fn);
    } else {
        fn = gw_fn_add(gw, name, ns, dep);
    }
    if (gw_store_save(gw, fn) < 0) {
        gw_reply_error(req, 500,
                       "cannot save function %s.%s in state_dir (see the gateway's log); "
                       "nothing changed",
                       name, ns);
        if (update) {
            fn->dep = old_dep;
            fn->desired = old_desired;
            json_decref(dep);
        } else {
            gw_fn_unlink(gw, fn);
            gw_fn_free(gw, fn);
        }
        return;
    }
    json_decref(old_dep);
    if (update)
        gw->driver->update(gw, fn);
    else
        gw->driver->apply(gw, fn);
    log_info("api", "%s function=%s.%s replicas=%d", update ? "updated" : "deployed", fn->name,
             fn->ns, fn->desired);
    httpd_respond(req, 202, "", 0);
}

/* A deploy waiting for the driver's prepare (an image pull). */
struct pending_deploy {
    struct gw *gw;
    struct httpd_req *req; /* NULL once the client has left */
    json_t *dep;
    bool update;
};

static void on_deploy_client_done(void *arg, bool completed)
{
    (void)completed;
    struct pending_deploy *p = arg;
    p->req = NULL;
}

static void on_prepared(void *arg, int status, const char *message)
{
    struct pending_deploy *p = arg;
    if (!p->req) {
        json_decref(p->dep); /* nobody to tell: nothing is kept */
    } else if (status) {
        httpd_req_on_done(p->req, NULL, NULL);
        gw_reply_error(p->req, status, "%s", message);
        json_decref(p->dep);
    } else {
        httpd_req_on_done(p->req, NULL, NULL);
        /* Checked again: another deploy may have come first meanwhile. */
        if (fits(p->req, p->gw, p->dep, p->update))
            commit(p->req, p->gw, p->dep);
        else
            json_decref(p->dep);
    }
    free(p);
}

static void deploy(struct httpd_req *req, struct gw *gw, bool update)
{
    size_t len;
    const char *body = httpd_req_body(req, &len);
    char err[512];
    json_t *dep = gw_deployment_parse(body, len, err, sizeof err);
    if (!dep) {
        gw_reply_error(req, 400, "%s", err);
        return;
    }
    if (!fits(req, gw, dep, update) || !runnable(req, gw, dep, gw_dep_str(dep, "namespace"))) {
        json_decref(dep);
        return;
    }
    if (!gw->driver->prepare) {
        commit(req, gw, dep);
        return;
    }
    struct pending_deploy *p = xcalloc(1, sizeof *p);
    *p = (struct pending_deploy){ gw, req, dep, update };
    httpd_req_on_done(req, on_deploy_client_done, p);
    gw->driver->prepare(gw, dep, on_prepared, p);
}

static void remove_fn(struct httpd_req *req, struct gw *gw)
{
    size_t len;
    const char *body = httpd_req_body(req, &len);
    char err[512], *name = NULL, *ns = NULL;
    if (gw_delete_parse(body, len, &name, &ns, err, sizeof err) < 0) {
        gw_reply_error(req, 400, "%s", err);
        return;
    }
    if (!ns)
        ns = gw_query_namespace(req);
    struct gw_fn *fn = ns ? gw_fn_find(gw, name, ns) : NULL;
    if (ns && !fn)
        gw_reply_error(req, 404, "function %s.%s not found", name, ns);
    if (fn) {
        gw_invoke_forget(gw, fn);
        gw_logs_forget(gw, fn);
        gw_fn_unlink(gw, fn);
        gw->driver->remove(gw, fn);
        gw_store_delete(gw, fn->name, fn->ns);
        log_info("api", "removed function=%s.%s", fn->name, fn->ns);
        gw_fn_drop(gw, fn);
        httpd_respond(req, 202, "", 0);
    }
    free(name);
    free(ns);
}

void gw_api_functions(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "GET|POST|PUT|DELETE"))
        return;
    const char *m = httpd_req_method(req);
    if (strcmp(m, "GET") == 0)
        list(req, gw);
    else if (strcmp(m, "DELETE") == 0)
        remove_fn(req, gw);
    else
        deploy(req, gw, strcmp(m, "PUT") == 0);
}

/* The function a /system/<route>/<name> path names; answers 400/404 and
 * returns NULL when there is none. */
static struct gw_fn *named_fn(struct httpd_req *req, struct gw *gw, size_t prefix_len,
                              const char *given)
{
    const char *full = given ? given : httpd_req_path(req) + prefix_len;
    char *hint = httpd_query_arg(req, "namespace");
    char err[256], *name = NULL, *ns = NULL;
    struct gw_fn *fn = NULL;
    if (gw_split_name(full, hint, &name, &ns, err, sizeof err) < 0)
        gw_reply_error(req, 400, "%s", err);
    else if (!(fn = gw_fn_find(gw, name, ns)))
        gw_reply_error(req, 404, "function %s.%s not found", name, ns);
    free(hint);
    free(name);
    free(ns);
    return fn;
}

void gw_api_function(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "GET"))
        return;
    struct gw_fn *fn = named_fn(req, gw, strlen("/system/function/"), NULL);
    if (!fn)
        return;
    json_t *st = gw_fn_status(gw, fn);
    /* One function's page only: the list stays as OpenFaaS encodes it. */
    if (gw->driver->replica_status) {
        json_t *replicas = json_array();
        gw->driver->replica_status(gw, fn, replicas);
        json_object_set_new(st, "replicaStatus", replicas);
    }
    gw_reply_json(req, 200, st);
}

void gw_api_scale(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "POST"))
        return;
    size_t len;
    const char *body = httpd_req_body(req, &len);
    char err[512], *service = NULL;
    int64_t replicas;
    if (gw_scale_parse(body, len, &service, &replicas, err, sizeof err) < 0) {
        gw_reply_error(req, 400, "%s", err);
        return;
    }
    const char *in_path = httpd_req_path(req) + strlen("/system/scale-function/");
    struct gw_fn *fn = named_fn(req, gw, 0, *in_path ? in_path : service);
    int before = fn ? fn->desired : 0;
    if (fn) {
        fn->desired = (int)replicas;
        if (gw_store_save(gw, fn) < 0) {
            fn->desired = before;
            gw_reply_error(req, 500, "cannot save the new scale in state_dir; nothing changed");
            fn = NULL;
        }
    }
    if (fn) {
        gw->driver->apply(gw, fn);
        gw_autoscale_manual(gw, fn, before, "set by /system/scale-function");
        log_info("api", "scaled function=%s.%s replicas=%d", fn->name, fn->ns, fn->desired);
        httpd_respond(req, 202, "", 0);
    }
    free(service);
}
