/* hprobe.c -- one GET on a pooled connection; its status; the connection
 * back to the pool when the answer was whole. */
#include "hprobe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "h1resp.h"
#include "loop.h"
#include "uppool.h"
#include "xalloc.h"

/* A health answer is a word or two: a body longer than this is not read
 * through to keep the connection; it is closed instead. */
#define BODY_KEEP_MAX 4096
#define READ_WANT 4096

struct hprobe {
    struct loop *lp;
    struct uppool *pool;
    struct upconn *conn;
    struct loop_timer *timer;
    hprobe_fn *fn;
    void *arg;
    int64_t timeout_ms;
    char host[256], port[8];
    char unix_path[108]; /* "": TCP */
    char *request;       /* whole, for the one retry on a fresh connection */
    size_t request_len;
    bool answered; /* a byte of the answer came: no retry from here */
    bool retried;
    int64_t whole; /* head + body bytes of the answer; -1 until the head */
    int status;
    char error[480];
};

static void on_conn(struct upconn *c, unsigned events, void *arg);

static void probe_free(struct hprobe *p)
{
    loop_timer_cancel(p->lp, p->timer);
    free(p->request);
    free(p);
}

/* The end, well or not: the connection is kept only after a whole answer
 * that allows it; then fn hears the status. */
static void finish(struct hprobe *p, bool keep)
{
    if (keep)
        uppool_put(p->conn);
    else
        uppool_close(p->conn);
    p->conn = NULL;
    p->fn(p->arg, p->status, p->status ? NULL : p->error);
    probe_free(p);
}

static void fail(struct hprobe *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error, sizeof p->error, fmt, ap);
    va_end(ap);
    p->status = 0;
    finish(p, false);
}

/* Takes a connection (fresh, or an idle one unless fresh) and queues the
 * request on it. Returns false with p->error set if it failed at once. */
static bool open_conn(struct hprobe *p, bool fresh)
{
    p->conn = uppool_get_at(p->pool, p->host, p->port, p->unix_path, fresh, on_conn, p);
    if (p->conn->error) {
        snprintf(p->error, sizeof p->error, "%s", p->conn->errtext);
        return false;
    }
    buf_append(&p->conn->out, p->request, p->request_len);
    upconn_want(p->conn, LOOP_READ | LOOP_WRITE);
    return true;
}

/* An idle connection the upstream had closed fails before any answer:
 * the request goes again, once, on a fresh one. */
static void conn_lost(struct hprobe *p, const char *why)
{
    if (!p->conn->reused || p->answered || p->retried) {
        fail(p, "%s", why);
        return;
    }
    p->retried = true;
    uppool_close(p->conn);
    if (!open_conn(p, true))
        finish(p, false);
}

/* Reads what came; the status is known at the end of the head, and the
 * probe ends there unless a short body can be read through for reuse. */
static void on_readable(struct hprobe *p)
{
    struct upconn *c = p->conn;
    size_t room;
    char *tail = buf_tail(&c->in, READ_WANT, &room);
    if (room == 0) {
        fail(p, "%s:%s: the answer's head is too large", p->host, p->port);
        return;
    }
    ssize_t n = recv(c->fd, tail, room, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        char why[400];
        if (n == 0)
            snprintf(why, sizeof why, "%s:%s closed the connection without an answer", p->host,
                     p->port);
        else
            snprintf(why, sizeof why, "receive from %s:%s: %s", p->host, p->port, strerror(errno));
        conn_lost(p, why);
        return;
    }
    buf_commit(&c->in, (size_t)n);
    p->answered = true;
    if (p->whole < 0) {
        struct h1resp r;
        ssize_t head = h1resp_parse(&r, buf_peek(&c->in), c->in.len);
        if (head == 0)
            return;
        if (head < 0) {
            fail(p, "%s:%s sent a malformed answer", p->host, p->port);
            return;
        }
        p->status = r.status;
        bool keepable = r.status >= 200 && r.minor >= 1 && !r.close && !r.chunked &&
                        !r.until_close && r.content_length >= 0 &&
                        r.content_length <= BODY_KEEP_MAX;
        if (!keepable) {
            finish(p, false);
            return;
        }
        p->whole = head + r.content_length;
    }
    if ((int64_t)c->in.len < p->whole)
        return;
    /* More than one answer to one request: the connection is out of step. */
    bool extra = (int64_t)c->in.len > p->whole;
    buf_consume(&c->in, (size_t)p->whole);
    finish(p, !extra);
}

/* Returns false if the send failed: then the probe went on elsewhere or
 * ended (p may be gone). */
static bool on_writable(struct hprobe *p)
{
    struct upconn *c = p->conn;
    ssize_t n = send(c->fd, buf_peek(&c->out), c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return true;
        char why[400];
        snprintf(why, sizeof why, "send to %s:%s: %s", p->host, p->port, strerror(errno));
        conn_lost(p, why);
        return false;
    }
    buf_consume(&c->out, (size_t)n);
    if (c->out.len == 0)
        upconn_want(c, LOOP_READ);
    return true;
}

static void on_conn(struct upconn *c, unsigned events, void *arg)
{
    struct hprobe *p = arg;
    if (c->error || (c->connecting && upconn_finish_connect(c) < 0)) {
        char why[sizeof c->errtext];
        snprintf(why, sizeof why, "%s", c->errtext);
        conn_lost(p, why);
        return;
    }
    if (c->connecting)
        return;
    if ((events & LOOP_WRITE) && c->out.len && !on_writable(p))
        return;
    if (events & LOOP_READ)
        on_readable(p);
}

/* The deadline; or, armed at 0 ms, a failure at the start reported from
 * the loop rather than inside hprobe_start. */
static void on_timer(struct loop *lp, void *arg)
{
    (void)lp;
    struct hprobe *p = arg;
    p->timer = NULL;
    if (p->error[0])
        finish(p, false);
    else
        fail(p, "%s:%s: no answer within %lld ms", p->host, p->port, (long long)p->timeout_ms);
}

struct hprobe *hprobe_start(struct loop *lp, struct uppool *pool, const char *url,
                            const char *unix_path, int64_t timeout_ms, hprobe_fn *fn, void *arg)
{
    struct hprobe *p = xcalloc(1, sizeof *p);
    if (unix_path)
        snprintf(p->unix_path, sizeof p->unix_path, "%s", unix_path);
    p->lp = lp;
    p->pool = pool;
    p->fn = fn;
    p->arg = arg;
    p->timeout_ms = timeout_ms;
    p->whole = -1;
    const char *path;
    if (up_split_url(url, p->host, sizeof p->host, p->port, sizeof p->port, &path, p->error,
                     sizeof p->error) == 0) {
        bool v6 = strchr(p->host, ':') != NULL;
        p->request = xasprintf("GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: faasbus\r\n\r\n",
                               path, v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
        p->request_len = strlen(p->request);
        open_conn(p, false);
    }
    p->timer = loop_timer_add(lp, p->error[0] ? 0 : timeout_ms, on_timer, p);
    return p;
}

void hprobe_cancel(struct hprobe *p)
{
    if (!p)
        return;
    uppool_close(p->conn);
    probe_free(p);
}
