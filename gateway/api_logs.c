/* api_logs.c -- GET /system/logs?name=&namespace=&tail=&since=&follow=
 *
 * Answers NDJSON, one {"name","namespace","instance","timestamp","text"}
 * per line. With follow=true the response stays open and new lines are
 * sent as replicas write them, until the client leaves or the function
 * is removed. This file reads the query and streams the logs a driver's
 * engine keeps; the lines the gateway keeps itself are logs_follow.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "buf.h"
#include "driver.h"
#include "functions.h"
#include "gw.h"
#include "httpd.h"
#include "logs_follow.h"
#include "loop.h"
#include "model.h"
#include "parse.h"
#include "reply.h"
#include "xalloc.h"

/* --- read through the driver (its engine keeps the logs) ----------------- */

struct drvlogs {
    struct gw *gw;
    struct httpd_req *req;
    char *name, *ns;
    void *handle; /* the driver's, until logs_stop */
    struct loop_timer *expiry;
    struct buf out;
    bool begun, ended;
};

static ssize_t read_drv(void *arg, char *out, size_t max)
{
    struct drvlogs *d = arg;
    if (d->out.len)
        return (ssize_t)buf_take(&d->out, out, max);
    return d->ended ? HTTPD_READ_EOF : 0;
}

static void on_drv_begin(void *arg)
{
    struct drvlogs *d = arg;
    d->begun = true;
    httpd_add_header(d->req, "Content-Type", "application/x-ndjson");
    httpd_respond_stream(d->req, 200, -1, read_drv, d);
}

static void on_drv_line(void *arg, const char *instance, int64_t unix_ms, const char *text,
                        size_t len)
{
    struct drvlogs *d = arg;
    char *copy = xstrndup(text, len);
    gw_logs_ndjson(&d->out, d->name, d->ns, instance, unix_ms, copy);
    free(copy);
    httpd_wake(d->req);
}

static void on_drv_end(void *arg, int status, const char *message)
{
    struct drvlogs *d = arg;
    d->ended = true;
    if (!d->begun)
        gw_reply_error(d->req, status ? status : 502, "%s", message ? message : "no logs");
    else
        httpd_wake(d->req);
}

static void on_drv_expiry(struct loop *lp, void *arg)
{
    (void)lp;
    struct drvlogs *d = arg;
    d->expiry = NULL;
    d->ended = true;
    httpd_wake(d->req);
}

static void on_drv_done(void *arg, bool completed)
{
    (void)completed;
    struct drvlogs *d = arg;
    loop_timer_cancel(d->gw->lp, d->expiry);
    d->gw->driver->logs_stop(d->handle);
    buf_cleanup(&d->out);
    free(d->name);
    free(d->ns);
    free(d);
}

static void logs_of_driver(struct gw *gw, struct httpd_req *req, struct gw_fn *fn,
                           const struct gw_log_query *q)
{
    struct drvlogs *d = xcalloc(1, sizeof *d);
    d->gw = gw;
    d->req = req;
    d->name = xstrdup(fn->name);
    d->ns = xstrdup(fn->ns);
    buf_init(&d->out, 16 * 1024 * 1024);
    httpd_req_on_done(req, on_drv_done, d);
    if (q->follow)
        d->expiry = loop_timer_add(gw->lp, gw->cfg.log_follow_max_ms, on_drv_expiry, d);
    struct gw_log_sink sink = { on_drv_begin, on_drv_line, on_drv_end, d };
    d->handle = gw->driver->logs(gw, fn, q, &sink);
}

/* --- the route ---------------------------------------------------------- */

/* Reads an optional ".fraction" then "Z" or "+hh:mm"/"-hh:mm"; adds the
 * fraction and subtracts the offset. Returns false if malformed. */
static bool zone_and_fraction(const char *p, int64_t *ms)
{
    if (*p == '.') {
        int64_t scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            *ms += (*p - '0') * scale;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return true;
    if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':')
        return false;
    for (int i = 1; i < 6; i++)
        if (i != 3 && (p[i] < '0' || p[i] > '9'))
            return false;
    int64_t minutes = ((p[1] - '0') * 10 + (p[2] - '0')) * 60 + (p[4] - '0') * 10 + (p[5] - '0');
    *ms -= (*p == '+' ? 1 : -1) * minutes * 60000;
    return true;
}

/* ?since= as RFC 3339 (2026-01-02T15:04:05.123+01:00); 0 if absent. */
static int parse_since(const char *s, int64_t *ms)
{
    *ms = 0;
    if (!s || !*s)
        return 0;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return -1;
    *ms = (int64_t)timegm(&tm) * 1000;
    return zone_and_fraction(end, ms) ? 0 : -1;
}

void gw_api_logs(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "GET"))
        return;
    char *name = httpd_query_arg(req, "name"), *hint = httpd_query_arg(req, "namespace");
    char *tail_s = httpd_query_arg(req, "tail"), *since_s = httpd_query_arg(req, "since");
    char *follow_s = httpd_query_arg(req, "follow");
    char err[256], *fname = NULL, *ns = NULL;
    int64_t tail = -1, since_ms = 0;
    struct gw_fn *fn = NULL;
    if (!name || gw_split_name(name, hint, &fname, &ns, err, sizeof err) < 0)
        gw_reply_error(req, 400, "%s", name ? err : "name: required (?name=<function>)");
    else if (tail_s && *tail_s && parse_int64(tail_s, &tail) < 0)
        gw_reply_error(req, 400, "tail: expected a number of lines, got \"%.40s\"", tail_s);
    else if (parse_since(since_s, &since_ms) < 0)
        gw_reply_error(req, 400, "since: expected an RFC 3339 time such as 2026-01-02T15:04:05Z");
    else if (!(fn = gw_fn_find(gw, fname, ns)))
        gw_reply_error(req, 404, "function %s.%s not found", fname, ns);
    bool follow = follow_s && (strcmp(follow_s, "true") == 0 || strcmp(follow_s, "1") == 0);
    if (fn && gw->driver->logs) {
        struct gw_log_query q = { tail, since_ms, follow };
        logs_of_driver(gw, req, fn, &q);
        fn = NULL;
    }
    if (fn)
        gw_logs_stream(gw, req, fn, tail, since_ms, follow);
    free(name);
    free(hint);
    free(tail_s);
    free(since_s);
    free(follow_s);
    free(fname);
    free(ns);
}
