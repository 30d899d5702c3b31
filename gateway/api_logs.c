/* api_logs.c -- GET /system/logs?name=&namespace=&tail=&since=&follow=
 *
 * Answers NDJSON, one {"name","namespace","instance","timestamp","text"}
 * per line. With follow=true the response stays open and new lines are
 * sent as replicas write them, until the client leaves or the function
 * is removed. */
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
#include "logs.h"
#include "loop.h"
#include "model.h"
#include "parse.h"
#include "reply.h"
#include "xalloc.h"

struct gw_logfollow {
    struct gw *gw;
    struct loop_timer *expiry;
    struct gw_fn *fn; /* NULL once the function is gone */
    struct httpd_req *req;
    uint64_t next_seq;
    struct buf out;
    struct gw_logfollow *next;
};

static void append_json(struct buf *b, const char *name, const char *ns, const char *instance,
                        int64_t unix_ms, const char *text)
{
    char when[40];
    gw_format_time(unix_ms, when, sizeof when);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "name", name, "namespace", ns,
                          "instance", instance, "timestamp", when, "text", text);
    if (!json_object_get(o, "text")) /* not UTF-8: keep the line, say so */
        json_object_set_new(o, "text", json_string("(line is not valid UTF-8)"));
    char *out = json_dumps(o, JSON_COMPACT);
    if (out && buf_space(b) > strlen(out) + 1) {
        buf_append(b, out, strlen(out));
        buf_append(b, "\n", 1);
    }
    free(out);
    json_decref(o);
}

static void append_line(struct buf *b, const struct gw_fn *fn, const struct gw_logline *l)
{
    char instance[96];
    snprintf(instance, sizeof instance, "%s.%s-%u", fn->name, fn->ns, l->instance);
    append_json(b, fn->name, fn->ns, instance, l->unix_ms, l->text);
}

static const struct gw_logline *line_at(const struct gw *gw, const struct gw_fn *fn,
                                        uint64_t seq)
{
    uint64_t first = fn->logseq - fn->nlogs;
    if (seq < first || seq >= fn->logseq)
        return NULL;
    return &fn->logs[(fn->logstart + (size_t)(seq - first)) % (size_t)gw->cfg.log_lines];
}

/* Lines from seq on, newer than since_ms, into b. Returns the next seq. */
static uint64_t collect(const struct gw *gw, const struct gw_fn *fn, uint64_t seq,
                        int64_t since_ms, struct buf *b)
{
    const struct gw_logline *l;
    for (; (l = line_at(gw, fn, seq)); seq++)
        if (l->unix_ms >= since_ms)
            append_line(b, fn, l);
    return seq;
}

/* --- following ---------------------------------------------------------- */

static ssize_t read_follow(void *arg, char *out, size_t max)
{
    struct gw_logfollow *f = arg;
    if (f->out.len)
        return (ssize_t)buf_take(&f->out, out, max);
    return f->fn ? 0 : HTTPD_READ_EOF;
}

static void unlink_follower(struct gw_logfollow *f)
{
    if (!f->fn)
        return;
    for (struct gw_logfollow **p = &f->fn->followers; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    f->fn = NULL;
}

static void on_follow_done(void *arg, bool completed)
{
    (void)completed;
    struct gw_logfollow *f = arg;
    loop_timer_cancel(f->gw->lp, f->expiry);
    unlink_follower(f);
    buf_cleanup(&f->out);
    free(f);
}

void gw_logs_notify(struct gw *gw, struct gw_fn *fn)
{
    for (struct gw_logfollow *f = fn->followers; f; f = f->next) {
        f->next_seq = collect(gw, fn, f->next_seq, 0, &f->out);
        httpd_wake(f->req);
    }
}

void gw_logs_forget(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    while (fn->followers) {
        struct gw_logfollow *f = fn->followers;
        unlink_follower(f);
        httpd_wake(f->req); /* the reader sees the end */
    }
}

/* A follower whose client left is not noticed while nothing is written
 * (its connection is suspended): every stream ends after log_follow_max,
 * and the client follows again if it wants more. */
static void on_follow_expiry(struct loop *lp, void *arg)
{
    (void)lp;
    struct gw_logfollow *f = arg;
    f->expiry = NULL;
    unlink_follower(f);
    httpd_wake(f->req);
}

/* --- read through the driver (its engine keeps the logs) ----------------- */

struct drvlogs {
    struct gw *gw;
    struct httpd_req *req;
    char *name, *ns;
    void *handle;             /* the driver's, until logs_stop */
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
    append_json(&d->out, d->name, d->ns, instance, unix_ms, copy);
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
    if (fn) {
        uint64_t from = fn->logseq - fn->nlogs;
        if (tail > 0 && (uint64_t)tail < fn->nlogs) /* <= 0: all of them */
            from = fn->logseq - (uint64_t)tail;
        struct gw_logfollow *f = xcalloc(1, sizeof *f);
        buf_init(&f->out, 16 * 1024 * 1024);
        f->gw = gw;
        f->req = req;
        f->next_seq = collect(gw, fn, from, since_ms, &f->out);
        httpd_add_header(req, "Content-Type", "application/x-ndjson");
        httpd_req_on_done(req, on_follow_done, f);
        if (follow) {
            f->fn = fn;
            f->next = fn->followers;
            fn->followers = f;
            f->expiry = loop_timer_add(gw->lp, gw->cfg.log_follow_max_ms, on_follow_expiry, f);
        }
        httpd_respond_stream(req, 200, -1, read_follow, f);
    }
    free(name);
    free(hint);
    free(tail_s);
    free(since_s);
    free(follow_s);
    free(fname);
    free(ns);
}
