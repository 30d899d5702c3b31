/* reply.c -- the answers and request checks every API handler shares. */
#include "reply.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpd.h"
#include "model.h"
#include "xalloc.h"

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
