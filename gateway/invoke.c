/* invoke.c -- /function/<name>[/<path>]: load balancing over ready
 * replicas, headers, errors, and waiting for a replica (scale from zero).
 *
 * DESIGN: a call is forwarded by lib/proxy on the loop, so no thread
 * waits for a function. A call that finds no ready replica parks with its
 * body pushed back (the client connection suspended) until a replica
 * turns ready or scale_from_zero_timeout (at most upstream_timeout, the
 * longest any call may take) passes. A call holds no pointer
 * to its replica, which may be gone when the call ends; it finds it again
 * by function and instance id to give back its in-flight slot. */
#include "invoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "decimal.h"
#include "autoscale.h"
#include "driver.h"
#include "functions.h"
#include "gw.h"
#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "model.h"
#include "proxy.h"
#include "randpool.h"
#include "reply.h"
#include "store.h"
#include "xalloc.h"

struct gw_waiter {
    struct call *call;
    struct gw_waiter *next;
};

struct call {
    struct gw *gw;
    struct httpd_req *req;
    char *name, *ns, *rest; /* rest: the path after the function name */
    char *label;            /* "name.namespace", as OpenFaaS labels metrics */
    char *call_id;
    char start_ns[DECIMAL_I64_SIZE];
    double start;
    unsigned replica_id;
    uint64_t replica_serial;
    int replica_port;
    bool waiting, forwarded;
    bool counted; /* the autoscaler counts it as load until it ends */
    int status;   /* our own answer, when there is one */
    struct loop_timer *wait_timer;
    struct gw_waiter *waiter;
};

/* A version-4 UUID, written out by hand: snprintf of sixteen "%02x" was 4%
 * of the gateway's time per call. */
char *gw_new_call_id(void)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[16];
    rand_bytes(r, sizeof r);
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    char out[37], *at = out;
    for (size_t i = 0; i < sizeof r; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *at++ = '-';
        *at++ = hex[r[i] >> 4];
        *at++ = hex[r[i] & 15];
    }
    *at = '\0';
    return xstrdup(out);
}

static void call_free(struct call *c)
{
    struct gw_fn *fn = c->counted ? gw_fn_find(c->gw, c->name, c->ns) : NULL;
    if (fn)
        gw_autoscale_call_ended(c->gw, fn);
    free(c->call_id);
    free(c->label);
    free(c->name);
    free(c->ns);
    free(c->rest);
    free(c);
}

static void count(struct call *c, int status)
{
    char code[DECIMAL_I64_SIZE];
    decimal_i64(code, status);
    const char *labels[] = { c->label ? c->label : "-", code };
    metric_add(c->gw->invocations, labels, 1);
    metric_observe(c->gw->seconds, labels, loop_now_s() - c->start);
}

/* Our own answers (not the function's) say so, as OpenFaaS's do. */
/* An answer cannot leave before the request body has been read: our own
 * answers drop whatever body is still to come. */
static size_t drop_body(void *arg, const char *data, size_t len, bool eof)
{
    (void)arg;
    (void)data;
    (void)eof;
    return len;
}

static void fail(struct call *c, int status, const char *msg)
{
    c->status = status;
    httpd_req_on_body(c->req, drop_body, NULL);
    httpd_add_header(c->req, "X-OpenFaaS-Internal", "gateway");
    httpd_add_header(c->req, "X-Call-Id", c->call_id);
    gw_reply_error(c->req, status, "%s", msg);
}

/* --- forwarding --------------------------------------------------------- */

static void on_response(void *arg, struct httpd_req *req, int status, bool internal)
{
    struct call *c = arg;
    (void)status;
    char secs[DECIMAL_MICROS_SIZE], id[DECIMAL_I64_SIZE];
    decimal_micros(secs, (int64_t)((loop_now_s() - c->start) * 1e6 + 0.5)); /* never negative */
    decimal_i64(id, c->replica_id);
    char *served = xconcat(c->label, "-", id, NULL); /* "name.namespace-N" */
    if (internal)
        httpd_add_header(req, "X-OpenFaaS-Internal", "gateway");
    httpd_add_header(req, "X-Call-Id", c->call_id);
    httpd_add_header(req, "X-Start-Time", c->start_ns);
    httpd_add_header(req, "X-Duration-Seconds", secs);
    httpd_add_header(req, "X-Served-By", served);
    free(served);
}

static void on_forwarded_done(void *arg, int status)
{
    struct call *c = arg;
    c->gw->driver->release(c->gw, c->name, c->ns, c->replica_serial);
    struct gw_fn *fn = gw_fn_find(c->gw, c->name, c->ns);
    if (fn)
        fn->invocations++;
    metric_add(c->gw->inflight, (const char *[]){ c->label }, -1);
    count(c, status);
    call_free(c);
}

/* The gateway's own timing replaces the replica's. */
static const char *const own_headers[] = { "X-Duration-Seconds", "X-Start-Time", "X-Served-By",
                                           "X-Call-Id", NULL };

static void forward(struct call *c, const struct gw_endpoint *ep)
{
    struct gw *gw = c->gw;
    c->forwarded = true;
    c->replica_id = ep->id;
    c->replica_serial = ep->serial;
    metric_add(gw->started, (const char *[]){ c->label }, 1);
    metric_add(gw->inflight, (const char *[]){ c->label }, 1);
    const char *query = httpd_req_query(c->req);
    char *url = xconcat(ep->base_url, *c->rest ? c->rest : "/", query ? "?" : "",
                        query ? query : "", NULL);
    /* The caller's own X-Call-Id is passed on by the proxy as it is. */
    bool has_id = httpd_req_header(c->req, "X-Call-Id") != NULL;
    char *id_header = xconcat("X-Call-Id: ", c->call_id, NULL);
    char *start_header = xconcat("X-Start-Time: ", c->start_ns, NULL);
    const char *headers[] = { start_header, has_id ? NULL : id_header, NULL };
    struct proxy_call pc = {
        .url = url,
        .unix_path = ep->unix_path,
        .timeout_ms = gw->cfg.upstream_timeout_ms,
        .connect_timeout_ms = 2000,
        .headers = headers,
        .drop_headers = own_headers,
        .on_response = on_response,
        .on_done = on_forwarded_done,
        .arg = c,
    };
    if (proxy_forward(gw->proxy, c->req, &pc) < 0) { /* answered 500 */
        c->forwarded = false;
        c->status = 500;
        gw->driver->release(gw, c->name, c->ns, c->replica_serial);
        metric_add(gw->inflight, (const char *[]){ c->label }, -1);
    }
    free(url);
    free(id_header);
    free(start_header);
}

/* --- waiting for a replica ---------------------------------------------- */

/* fn: the call's function if the caller has it (NULL: look it up). */
static void unpark(struct gw *gw, struct gw_fn *fn, struct call *c)
{
    if (!fn)
        fn = gw_fn_find(gw, c->name, c->ns);
    for (struct gw_waiter **w = fn ? &fn->waiting : NULL; w && *w; w = &(*w)->next)
        if ((*w)->call == c) {
            struct gw_waiter *gone = *w;
            *w = gone->next;
            free(gone);
            break;
        }
    loop_timer_cancel(gw->lp, c->wait_timer);
    c->wait_timer = NULL;
    c->waiting = false;
}

static void on_wait_timeout(struct loop *lp, void *arg)
{
    (void)lp;
    struct call *c = arg;
    c->wait_timer = NULL;
    unpark(c->gw, NULL, c);
    fail(c, 503, "no replica of the function became ready in time");
    httpd_wake(c->req);
}

/* While parked, the body waits in the client connection. */
static size_t hold_body(void *arg, const char *data, size_t len, bool eof)
{
    (void)arg;
    (void)data;
    (void)len;
    (void)eof;
    return 0;
}

/* The client left (or we answered) before a forward: clean up. */
static void on_unforwarded_done(void *arg, bool completed)
{
    (void)completed;
    struct call *c = arg;
    if (c->forwarded)
        return; /* the proxy owns the call now */
    if (c->waiting)
        unpark(c->gw, NULL, c);
    count(c, httpd_responded(c->req) ? c->status : 0);
    call_free(c);
}

static void park(struct gw *gw, struct gw_fn *fn, struct call *c)
{
    struct gw_waiter *w = xcalloc(1, sizeof *w);
    w->call = c;
    w->next = fn->waiting;
    fn->waiting = w;
    c->waiting = true;
    int64_t wait_ms = gw->cfg.scale_from_zero_timeout_ms;
    if (wait_ms > gw->cfg.upstream_timeout_ms)
        wait_ms = gw->cfg.upstream_timeout_ms;
    c->wait_timer = loop_timer_add(gw->lp, wait_ms, on_wait_timeout, c);
    httpd_req_on_body(c->req, hold_body, c);
    if (fn->desired == 0) {
        log_info("invoke", "scaling from zero function=%s.%s", fn->name, fn->ns);
        fn->desired = 1;
        gw->driver->apply(gw, fn);
        gw_store_save(gw, fn);
    }
}

/* A replica turned ready: every parked call of fn goes. */
static void on_replica_ready(struct gw *gw, struct gw_fn *fn)
{
    struct gw_endpoint ep = { 0 }; /* a driver fills what it has */
    while (fn->waiting && gw->driver->pick(gw, fn, &ep)) {
        struct call *c = fn->waiting->call;
        unpark(gw, fn, c);
        forward(c, &ep);
        httpd_wake(c->req); /* its body may flow now */
    }
}

/* Called when fn is removed: its parked calls cannot be served. */
void gw_invoke_forget(struct gw *gw, struct gw_fn *fn)
{
    while (fn->waiting) {
        struct call *c = fn->waiting->call;
        unpark(gw, fn, c);
        fail(c, 404, "the function was removed");
        httpd_wake(c->req);
    }
}

/* --- the route ---------------------------------------------------------- */

/* Splits "/function/<name>[/<rest>]" into the call. */
static int parse_target(struct call *c, const char *path, char *err, size_t errlen)
{
    const char *p = path + strlen("/function/");
    size_t len = strcspn(p, "/");
    char *full = xstrndup(p, len);
    c->rest = xstrdup(p + len);
    int rc = gw_split_name(full, NULL, &c->name, &c->ns, err, errlen);
    free(full);
    if (rc == 0)
        c->label = xconcat(c->name, ".", c->ns, NULL);
    return rc;
}

static struct call *call_new(struct gw *gw, struct httpd_req *req)
{
    struct call *c = xcalloc(1, sizeof *c);
    c->gw = gw;
    c->req = req;
    c->start = loop_now_s();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    decimal_i64(c->start_ns, (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    const char *given = httpd_req_header(req, "X-Call-Id");
    c->call_id = given && *given ? xstrdup(given) : gw_new_call_id();
    return c;
}

void gw_invoke(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (gw->cfg.auth_functions && !gw_auth_check(gw, req))
        return;
    struct call *c = call_new(gw, req);
    httpd_req_on_done(req, on_unforwarded_done, c);
    char err[256];
    if (parse_target(c, httpd_req_path(req), err, sizeof err) < 0) {
        /* No function can have that name, so none is found (OpenFaaS
         * answers 404 too); the body says why. */
        char msg[400];
        const char *p = httpd_req_path(req) + strlen("/function/");
        int n = (int)strcspn(p, "/");
        if (n == 0)
            snprintf(msg, sizeof msg,
                     "function not found: no function name in the path "
                     "(expected /function/<name>[.<namespace>])");
        else
            snprintf(msg, sizeof msg, "function %.*s not found: %s", n > 128 ? 128 : n, p, err);
        c->name = c->name ? c->name : xstrdup("-");
        fail(c, 404, msg);
        return;
    }
    struct gw_fn *fn = gw_fn_find(gw, c->name, c->ns);
    if (!fn) {
        char msg[300];
        snprintf(msg, sizeof msg, "function %s.%s not found", c->name, c->ns);
        fail(c, 404, msg);
        return;
    }
    gw_autoscale_call_began(gw, fn);
    c->counted = true;
    struct gw_endpoint ep = { 0 };
    if (gw->driver->pick(gw, fn, &ep))
        forward(c, &ep);
    else
        park(gw, fn, c);
}

void gw_invoke_init(struct gw *gw)
{
    gw->on_replica_ready = on_replica_ready;
}
