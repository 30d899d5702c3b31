/* api.c -- routing, /system/info, /system/namespaces, /healthz, /metrics,
 * and which handler answers each route. */
#include "api.h"
#include "autoscale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "driver.h"
#include "functions.h"
#include "gw.h"
#include "httpd.h"
#include "invoke.h"
#include "metrics.h"
#include "model.h"
#include "queue.h"
#include "reply.h"
#include "ui.h"
#include "xalloc.h"

#ifndef FAASBUS_VERSION
#define FAASBUS_VERSION "0.1.0"
#endif

static void on_info(struct httpd_req *req, struct gw *gw)
{
    if (!gw_method_is(req, "GET"))
        return;
    gw_reply_json(req, 200,
                  json_pack("{s:{s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:s}, s:s}", "provider",
                            "provider", "faasbus", "orchestration", gw->driver->name, "version",
                            "release", FAASBUS_VERSION, "sha", "dev", "version", "release",
                            FAASBUS_VERSION, "sha", "dev", "arch", "x86_64"));
}

static void on_namespaces(struct httpd_req *req, struct gw *gw)
{
    if (!gw_method_is(req, "GET"))
        return;
    if (gw->driver->namespaces) {
        gw->driver->namespaces(gw, gw_later_answer, gw_later(req));
        return;
    }
    json_t *list = json_array();
    json_array_append_new(list, json_string(GW_DEFAULT_NAMESPACE));
    for (const struct gw_fn *fn = gw->fns; fn; fn = fn->next) {
        bool seen = false;
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
            seen = seen || strcmp(json_string_value(v), fn->ns) == 0;
        if (!seen)
            json_array_append_new(list, json_string(fn->ns));
    }
    gw_reply_json(req, 200, list);
}

/* Credentials are checked on the head: an unauthenticated client must not
 * make the gateway hold a body of up to max_body_size for it. */
static bool system_guard(struct httpd_req *req, void *arg)
{
    return gw_auth_check(arg, req) != 0;
}

static void on_system(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    const char *path = httpd_req_path(req);
    if (strcmp(path, "/system/functions") == 0)
        gw_api_functions(req, gw);
    else if (strncmp(path, "/system/function/", 17) == 0)
        gw_api_function(req, gw);
    else if (strncmp(path, "/system/scale-function/", 23) == 0)
        gw_api_scale(req, gw);
    else if (strcmp(path, "/system/secrets") == 0)
        gw_api_secrets(req, gw);
    else if (strcmp(path, "/system/logs") == 0)
        gw_api_logs(req, gw);
    else if (strcmp(path, "/system/connectors") == 0)
        gw_api_connectors(req, gw);
    else if (strcmp(path, "/system/queue") == 0)
        gw_api_queue(req, gw);
    else if (strcmp(path, "/system/dead-letters") == 0)
        gw_api_dead_letters(req, gw);
    else if (strncmp(path, "/system/dead-letter/", 20) == 0)
        gw_api_dead_letter(req, gw);
    else if (strcmp(path, "/system/alert") == 0)
        gw_api_alert(req, gw);
    else if (strcmp(path, "/system/info") == 0)
        on_info(req, gw);
    else if (strcmp(path, "/system/namespaces") == 0)
        on_namespaces(req, gw);
    else
        gw_reply_error(req, 404, "no such API route: %s", path);
}

static void on_healthz(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond(req, 200, "OK", 2);
}

static void on_metrics(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    size_t len;
    metric_set(gw->service_count, NULL, 0);
    for (const struct gw_fn *fn = gw->fns; fn; fn = fn->next)
        metric_add(gw->service_count, NULL, 1);
    char *text = metrics_render(gw->metrics, &len);
    httpd_add_header(req, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    httpd_respond(req, 200, text, len);
    free(text);
}

static void on_unknown(struct httpd_req *req, void *arg)
{
    (void)arg;
    gw_reply_error(req, 404, "not found: %s", httpd_req_path(req));
}

void gw_api_routes(struct gw *gw, struct httpd *h)
{
    httpd_route(h, "/healthz", HTTPD_BODY_BUFFER, on_healthz, gw);
    httpd_route(h, "/metrics", HTTPD_BODY_BUFFER, on_metrics, gw);
    httpd_route(h, "/system/*", HTTPD_BODY_BUFFER, on_system, gw);
    httpd_route_guard(h, system_guard);
    httpd_route(h, "/function/*", HTTPD_BODY_STREAM, gw_invoke, gw);
    httpd_route(h, "/async-function/*", HTTPD_BODY_STREAM, gw_async_invoke, gw);
    gw_ui_routes(gw, h);
    httpd_route(h, "*", HTTPD_BODY_BUFFER, on_unknown, gw);
}
