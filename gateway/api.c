/* api.c -- routing, /system/info, /system/namespaces, /healthz, /metrics,
 * and the helpers every API handler shares. */
#include "api.h"
#include "autoscale.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "httpd.h"
#include "metrics.h"
#include "model.h"
#include "queue.h"
#include "ui.h"
#include "xalloc.h"

#ifndef FAASBUS_VERSION
#define FAASBUS_VERSION "0.1.0"
#endif

void gw_reply_json(struct httpd_req *req, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    httpd_add_header(req, "Content-Type", "application/json");
    httpd_respond(req, status, text ? text : "null", text ? strlen(text) : 4);
    free(text);
}

void gw_reply_error(struct httpd_req *req, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    httpd_add_header(req, "Content-Type", "text/plain; charset=utf-8");
    httpd_respondf(req, status, "%s\n", msg);
}

void gw_format_time(int64_t unix_ms, char *out, size_t len)
{
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, len - n, ".%03dZ", (int)(unix_ms % 1000));
}

char *gw_query_namespace(struct httpd_req *req)
{
    char *ns = httpd_query_arg(req, "namespace");
    if (!ns || !*ns) {
        free(ns);
        return xstrdup(GW_DEFAULT_NAMESPACE);
    }
    if (!gw_valid_name(ns)) {
        gw_reply_error(req, 400, "namespace: \"%.80s\" is not a valid name", ns);
        free(ns);
        return NULL;
    }
    return ns;
}

int gw_method_is(struct httpd_req *req, const char *methods)
{
    const char *m = httpd_req_method(req);
    size_t len = strlen(m);
    for (const char *p = methods; *p;) {
        size_t n = strcspn(p, "|");
        if (n == len && strncmp(p, m, n) == 0)
            return 1;
        p += n + (p[n] == '|');
    }
    char allow[64];
    snprintf(allow, sizeof allow, "%s", methods);
    for (char *c = allow; *c; c++)
        if (*c == '|')
            *c = ',';
    httpd_add_header(req, "Allow", allow);
    gw_reply_error(req, 405, "method %s not allowed here (allowed: %s)", m, allow);
    return 0;
}

/* --- answers a driver gives later ----------------------------------------- */

struct later {
    struct httpd_req *req; /* NULL once the client has left */
};

static void on_later_client_done(void *arg, bool completed)
{
    (void)completed;
    struct later *l = arg;
    l->req = NULL;
}

void *gw_later(struct httpd_req *req)
{
    struct later *l = xcalloc(1, sizeof *l);
    l->req = req;
    httpd_req_on_done(req, on_later_client_done, l);
    return l;
}

void gw_later_answer(void *arg, int status, json_t *body, const char *message)
{
    struct later *l = arg;
    if (!l->req) {
        json_decref(body);
    } else {
        httpd_req_on_done(l->req, NULL, NULL);
        if (status >= 300)
            gw_reply_error(l->req, status, "%s", message ? message : "failed");
        else if (body)
            gw_reply_json(l->req, status, body);
        else
            httpd_respond(l->req, status, "", 0);
        if (status >= 300)
            json_decref(body);
    }
    free(l);
}

static void on_info(struct httpd_req *req, struct gw *gw)
{
    if (!gw_method_is(req, "GET"))
        return;
    gw_reply_json(req, 200, json_pack("{s:{s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:s}, s:s}",
        "provider", "provider", "faasbus", "orchestration", gw->driver->name,
        "version", "release", FAASBUS_VERSION, "sha", "dev",
        "version", "release", FAASBUS_VERSION, "sha", "dev", "arch", "x86_64"));
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
