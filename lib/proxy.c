/* proxy.c -- reverse proxy: lib/httpd requests forwarded over our own
 * HTTP/1.1 client (lib/uppool connections, lib/h1resp parsing).
 *
 * A call's life: the request head (and a small body) is written into the
 * connection's write buffer and sent at once; a streamed body follows as
 * it arrives. The response is read once per readiness into the
 * connection's read buffer, its head parsed, its body decoded into the
 * call's spool, which the client's reader drains. A small response with
 * a known length is answered whole, from the read buffer when it is all
 * there. Until the first response byte arrives, what was written stays in
 * the write buffer, so a reused connection that turns out closed can be
 * replayed on a fresh one. */
#include "proxy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "h1chunk.h"
#include "h1head.h"
#include "h1resp.h"
#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "spool.h"
#include "uppool.h"
#include "xalloc.h"

#define UP_MAX (256 * 1024)        /* client body waiting to go upstream */
#define DOWN_SOFT (256 * 1024)     /* response held before reading pauses */
#define DOWN_MEM (4 * 1024 * 1024) /* in memory, the rest in a file */
/* An answer that starts while the request body still arrives cannot be
 * sent yet (the client's connection answers only after the body), and
 * pausing the upstream then could stall it before it reads the rest of
 * the body: such an answer is spooled, up to this much, until the body
 * has ended. */
#define DOWN_EARLY_MAX (INT64_C(1) << 30)
/* Bodies up to this size travel whole: a small request goes upstream in
 * one write with its head, a small response to the client likewise. */
#define SMALL_BODY (64 * 1024)
#define CHUNK_FRAME 16 /* "%zx\r\n" and "\r\n" around a chunk */
#define READ_WANT (64 * 1024)

struct proxy {
    struct loop *lp;
    struct uppool *pool;
    unsigned active;
};

enum body_mode {
    BODY_NONE,    /* GET, HEAD: no body, no length */
    BODY_WHOLE,   /* from memory: buffered, or collected (BODY_COLLECT) */
    BODY_COLLECT, /* small, with a length: gathered in `up` first */
    BODY_LENGTH,  /* streamed with the client's Content-Length */
    BODY_CHUNKED, /* streamed, length unknown */
};

enum resp_body { RB_NONE, RB_LENGTH, RB_CHUNKED, RB_CLOSE };

struct pxcall {
    struct proxy *px;
    struct httpd_req *req;
    struct proxy_call call; /* url and headers cleared: used at the start only */
    char host[256], port[8];
    char unix_path[108]; /* "": TCP to host:port */
    struct upconn *conn;
    struct loop_timer *timer;
    int64_t deadline_ms, connect_deadline_ms; /* 0: none */
    unsigned depth;                           /* proxy callbacks on the stack: free only at 0 */
    /* request */
    enum body_mode mode;
    const char *whole; /* BODY_WHOLE: the body (borrowed) */
    size_t whole_len, whole_sent;
    size_t out_sent; /* bytes of conn->out written */
    struct buf up;
    bool up_eof, body_blocked, chunk_end_queued, request_sent, whole_in_out;
    bool replayable, retried, write_wait, write_failed;
    /* response */
    bool resp_started, headers_done, hold_response, down_paused, transfer_done, ok;
    bool head_request, must_close, req_done, answered;
    enum resp_body rbody;
    int64_t rleft;
    struct h1chunk chunk;
    struct spool down;
    int status;
    char errtext[512];
};

static void on_conn_event(struct upconn *conn, unsigned events, void *arg);
static void process_input(struct pxcall *c);
static void flush(struct pxcall *c);

/* --- lifetime -------------------------------------------------------------- */

static void drop_conn(struct pxcall *c)
{
    uppool_close(c->conn);
    c->conn = NULL;
}

static void call_free(struct pxcall *c)
{
    drop_conn(c);
    loop_timer_cancel(c->px->lp, c->timer);
    c->px->active--;
    buf_cleanup(&c->up);
    spool_cleanup(&c->down);
    free(c);
}

static void enter(struct pxcall *c)
{
    c->depth++;
}

/* Returns true if the call is gone. */
static bool leave(struct pxcall *c)
{
    if (--c->depth == 0 && c->req_done) {
        call_free(c);
        return true;
    }
    return false;
}

static void update_want(struct pxcall *c)
{
    if (!c->conn)
        return;
    unsigned ev = c->down_paused ? 0u : LOOP_READ;
    if (c->conn->connecting || c->write_wait)
        ev |= LOOP_WRITE;
    upconn_want(c->conn, ev);
}

/* --- the answer ------------------------------------------------------------ */

/* Ours to set (or drop) on each hop, never passed through. Every header
 * of every proxied call is checked against these: with literal names,
 * h1_name_is tells most apart by length alone. */
static bool is_hop_by_hop(const char *name, size_t len)
{
    return h1_name_is(name, len, "Connection") || h1_name_is(name, len, "Keep-Alive") ||
           h1_name_is(name, len, "Proxy-Connection") ||
           h1_name_is(name, len, "Transfer-Encoding") || h1_name_is(name, len, "TE") ||
           h1_name_is(name, len, "Trailer") || h1_name_is(name, len, "Upgrade") ||
           h1_name_is(name, len, "Content-Length") || h1_name_is(name, len, "Date");
}

static bool in_list(const char *const *list, const char *name, size_t len)
{
    for (const char *const *h = list; h && *h; h++)
        if (h1_name_is(name, len, *h))
            return true;
    return false;
}

/* The upstream's headers, less hop-by-hop and dropped ones, to the client.
 * The head is in the connection's read buffer, which is ours to write:
 * names and values are NUL-terminated in place. */
static void pass_headers(struct pxcall *c, const struct h1resp *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct h1_header *h = &r->headers[i];
        if (is_hop_by_hop(h->name, h->name_len) ||
            in_list(c->call.drop_headers, h->name, h->name_len))
            continue;
        ((char *)h->name)[h->name_len] = '\0';
        ((char *)h->value)[h->value_len] = '\0';
        httpd_add_header(c->req, h->name, h->value);
    }
}

static ssize_t on_client_read(void *arg, char *out, size_t max);

static void respond_error(struct pxcall *c, int status)
{
    c->status = status;
    if (c->call.on_response)
        c->call.on_response(c->call.arg, c->req, status, true);
    if (status == 504)
        httpd_respondf(c->req, 504, "upstream %s\n", c->errtext);
    else
        httpd_respondf(c->req, 502, "upstream unreachable: %s\n", c->errtext);
}

/* A held answer, complete in the spool's memory: one piece. */
static void respond_held(struct pxcall *c)
{
    size_t len = (size_t)spool_len(&c->down), got = 0;
    char *body = xmalloc(len + 1);
    ssize_t n;
    while (got < len && (n = spool_read(&c->down, body + got, len - got)) > 0)
        got += (size_t)n;
    httpd_respond(c->req, c->status, body, got);
    free(body);
}

/* The exchange is over, well (ok) or not; the client may still be reading
 * what is spooled. */
static void transfer_finished(struct pxcall *c, bool ok, int error_status)
{
    if (c->transfer_done)
        return;
    c->transfer_done = true;
    c->ok = ok;
    loop_timer_cancel(c->px->lp, c->timer);
    c->timer = NULL;
    if (!ok)
        log_debug("proxy", "upstream call failed host=%s port=%s error=\"%s\"", c->host, c->port,
                  c->errtext);
    if (c->req_done || c->answered)
        return;
    if (!c->headers_done || (c->hold_response && !ok)) {
        respond_error(c, error_status);
    } else if (c->hold_response) {
        if (c->call.on_response)
            c->call.on_response(c->call.arg, c->req, c->status, false);
        respond_held(c);
    } else {
        httpd_wake(c->req);
    }
}

/* Ends the exchange with our own status; the reason is in c->errtext. */
static void fail_now(struct pxcall *c, int status)
{
    drop_conn(c);
    transfer_finished(c, false, status);
}

static void fail(struct pxcall *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct pxcall *c, int status, const char *fmt, ...)
{
    char why[sizeof c->errtext];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    memcpy(c->errtext, why, sizeof why);
    fail_now(c, status);
}

/* --- connections that fail, and the one retry -------------------------------- */

/* A reused connection the upstream had closed: before any byte of an
 * answer, with the request still whole in memory, it goes again once on
 * a fresh connection. */
static bool retry(struct pxcall *c)
{
    if (!c->conn || !c->conn->reused || c->resp_started || c->retried || !c->replayable)
        return false;
    struct upconn *old = c->conn;
    c->retried = true;
    c->conn = uppool_get_at(c->px->pool, c->host, c->port, c->unix_path, true, on_conn_event, c);
    buf_append(&c->conn->out, buf_peek(&old->out), old->out.len);
    uppool_close(old);
    c->out_sent = 0;
    c->whole_sent = c->whole_in_out ? c->whole_len : 0;
    c->write_wait = false;
    c->write_failed = false;
    if (c->conn->error) {
        fail(c, 502, "%s", c->conn->errtext);
        return true;
    }
    update_want(c);
    return true;
}

static void conn_lost(struct pxcall *c, const char *why)
{
    if (retry(c))
        return;
    fail(c, 502, "%s", why);
}

/* --- request --------------------------------------------------------------- */

static void put(struct buf *b, const char *s, size_t len)
{
    buf_append(b, s, len); /* the head is bounded by the client's */
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_header(struct buf *b, const char *name, const char *value)
{
    puts_(b, name);
    put(b, ": ", 2);
    puts_(b, value);
    put(b, "\r\n", 2);
}

static void put_number(struct buf *b, uint64_t n, int base)
{
    char digits[24];
    int i = (int)sizeof digits;
    do {
        digits[--i] = "0123456789abcdef"[n % (unsigned)base];
        n /= (unsigned)base;
    } while (n);
    put(b, digits + i, sizeof digits - (size_t)i);
}

struct head_ctx {
    struct pxcall *c;
    struct buf *out;
    bool forwarded_for;
};

static void add_request_header(struct head_ctx *hc, const struct h1field *f)
{
    size_t len = f->name_len;
    if (is_hop_by_hop(f->name, len) || h1_name_is(f->name, len, "Host") ||
        h1_name_is(f->name, len, "Expect"))
        return;
    put(hc->out, f->name, len);
    put(hc->out, ": ", 2);
    put(hc->out, f->value, f->value_len);
    if (h1_name_is(f->name, len, "X-Forwarded-For")) {
        hc->forwarded_for = true; /* the client's address joins the list */
        put(hc->out, ", ", 2);
        puts_(hc->out, httpd_req_client(hc->c->req));
    }
    put(hc->out, "\r\n", 2);
}

static void build_head(struct pxcall *c, struct buf *out, const char *target,
                       const char *const *extra)
{
    puts_(out, httpd_req_method(c->req));
    put(out, " ", 1);
    puts_(out, target);
    put(out, " HTTP/1.1\r\nHost: ", 17);
    bool v6 = strchr(c->host, ':') != NULL;
    if (v6)
        put(out, "[", 1);
    puts_(out, c->host);
    if (v6)
        put(out, "]", 1);
    if (strcmp(c->port, "80") != 0) {
        put(out, ":", 1);
        puts_(out, c->port);
    }
    put(out, "\r\n", 2);
    struct head_ctx hc = { c, out, false };
    size_t nfields;
    const struct h1field *fields = httpd_req_fields(c->req, &nfields);
    for (size_t i = 0; i < nfields; i++)
        add_request_header(&hc, &fields[i]);
    if (!hc.forwarded_for)
        put_header(out, "X-Forwarded-For", httpd_req_client(c->req));
    const char *host = httpd_req_header(c->req, "Host");
    if (host && !httpd_req_header(c->req, "X-Forwarded-Host"))
        put_header(out, "X-Forwarded-Host", host);
    for (const char *const *h = extra; h && *h; h++) {
        puts_(out, *h);
        put(out, "\r\n", 2);
    }
    if (c->mode == BODY_CHUNKED) {
        puts_(out, "Transfer-Encoding: chunked\r\n");
    } else if (c->mode != BODY_NONE) {
        int64_t len = c->mode == BODY_WHOLE ? (int64_t)c->whole_len
                                            : httpd_req_content_length(c->req);
        puts_(out, "Content-Length: ");
        put_number(out, (uint64_t)len, 10);
        put(out, "\r\n", 2);
    }
    put(out, "\r\n", 2);
}

/* Moves the client's body from `up` into the write buffer, framed as the
 * mode says. */
static void pump_body(struct pxcall *c)
{
    struct buf *out = &c->conn->out;
    if (c->mode != BODY_LENGTH && c->mode != BODY_CHUNKED)
        return;
    size_t room = buf_space(out);
    if (room < c->up.len + CHUNK_FRAME && c->out_sent) {
        /* No room while keeping what was sent for a replay: let it go. */
        buf_consume(out, c->out_sent);
        c->out_sent = 0;
        c->replayable = false;
        room = buf_space(out);
    }
    size_t n = c->up.len;
    if (n + CHUNK_FRAME > room)
        n = room > CHUNK_FRAME ? room - CHUNK_FRAME : 0;
    if (n) {
        if (c->mode == BODY_CHUNKED) {
            put_number(out, n, 16);
            put(out, "\r\n", 2);
        }
        put(out, buf_peek(&c->up), n);
        if (c->mode == BODY_CHUNKED)
            put(out, "\r\n", 2);
        buf_consume(&c->up, n);
        if (c->body_blocked && !c->req_done) {
            c->body_blocked = false;
            httpd_wake(c->req);
        }
    }
    if (c->up_eof && c->up.len == 0 && c->mode == BODY_CHUNKED && !c->chunk_end_queued &&
        buf_space(out) >= 5) {
        put(out, "0\r\n\r\n", 5);
        c->chunk_end_queued = true;
    }
}

static bool body_all_queued(const struct pxcall *c)
{
    switch (c->mode) {
    case BODY_LENGTH:
        return c->up_eof && c->up.len == 0;
    case BODY_CHUNKED:
        return c->chunk_end_queued;
    case BODY_WHOLE:
        return c->whole_sent == c->whole_len;
    default:
        return true;
    }
}

/* Writes what is pending; with nothing left, the request is sent. */
static void flush(struct pxcall *c)
{
    while (c->conn && c->conn->fd >= 0 && !c->conn->connecting && !c->write_failed &&
           c->mode != BODY_COLLECT) {
        struct upconn *conn = c->conn;
        pump_body(c);
        bool whole = c->mode == BODY_WHOLE && c->whole_sent < c->whole_len;
        ssize_t n = upconn_send(conn, c->out_sent, whole ? c->whole + c->whole_sent : NULL,
                                whole ? c->whole_len - c->whole_sent : 0);
        if (n == 0) {
            if (body_all_queued(c))
                c->request_sent = true;
            break;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->write_wait = true;
            update_want(c);
            return;
        }
        if (n < 0) {
            /* The upstream may have answered and closed: its answer, if
             * any, is read; if none comes, the read sees the end. */
            c->write_failed = true;
            snprintf(c->errtext, sizeof c->errtext, "send to %s:%s: %s", c->host, c->port,
                     strerror(errno));
            break;
        }
        size_t sent = (size_t)n, head_part = conn->out.len - c->out_sent;
        if (sent <= head_part) {
            c->out_sent += sent;
        } else {
            c->out_sent = conn->out.len;
            c->whole_sent += sent - head_part;
        }
        if (c->resp_started || !c->replayable) {
            buf_consume(&conn->out, c->out_sent);
            c->out_sent = 0;
        }
    }
    if (c->write_wait) {
        c->write_wait = false;
        update_want(c);
    }
}

/* --- response -------------------------------------------------------------- */

static bool down_full(const struct pxcall *c)
{
    int64_t limit = c->up_eof || c->request_sent ? DOWN_SOFT : DOWN_EARLY_MAX;
    return spool_len(&c->down) >= limit;
}

/* Body bytes for the client: spooled (and the reader woken). */
static int deliver(struct pxcall *c, const char *data, size_t len)
{
    if (len == 0)
        return 0;
    if (spool_write(&c->down, data, len) < 0) {
        snprintf(c->errtext, sizeof c->errtext, "response body of %s:%s: spool full or failed",
                 c->host, c->port);
        return -1;
    }
    if (!c->hold_response && !c->req_done)
        httpd_wake(c->req);
    return 0;
}

/* The answer is whole: the connection goes back to the pool if it can. */
static void response_complete(struct pxcall *c)
{
    struct upconn *conn = c->conn;
    bool reuse = !c->must_close && c->request_sent && !c->write_failed && conn->in.len == 0;
    c->conn = NULL;
    if (reuse)
        uppool_put(conn);
    else
        uppool_close(conn);
    transfer_finished(c, true, 0);
}

/* A whole head is at the start of conn->in: the answer begins. Returns
 * false if the call failed. */
static bool on_head(struct pxcall *c, struct h1resp *r, size_t head_len)
{
    struct upconn *conn = c->conn;
    c->headers_done = true;
    c->status = r->status;
    c->must_close = r->close;
    int64_t size = -1;
    if (c->head_request || r->status == 204 || r->status == 304) {
        c->rbody = RB_NONE;
        size = c->head_request ? r->content_length : 0;
    } else if (r->chunked) {
        c->rbody = RB_CHUNKED;
        h1chunk_init(&c->chunk);
    } else if (r->content_length >= 0) {
        c->rbody = r->content_length ? RB_LENGTH : RB_NONE;
        c->rleft = size = r->content_length;
    } else {
        c->rbody = RB_CLOSE;
        c->must_close = true;
    }
    c->hold_response = !c->head_request && size >= 0 && size <= SMALL_BODY;
    if (c->req_done)
        return true;
    pass_headers(c, r);
    if (!c->hold_response) {
        if (c->call.on_response)
            c->call.on_response(c->call.arg, c->req, c->status, false);
        httpd_respond_stream(c->req, c->status, size, on_client_read, c);
    } else if ((int64_t)(conn->in.len - head_len) >= size && c->request_sent) {
        /* All of it is here: answered from the read buffer at once. */
        if (c->call.on_response)
            c->call.on_response(c->call.arg, c->req, c->status, false);
        httpd_respond(c->req, c->status, buf_peek(&conn->in) + head_len, (size_t)size);
        c->answered = true;
        buf_consume(&conn->in, head_len + (size_t)size);
        c->rbody = RB_NONE;
        c->rleft = 0;
        return true;
    }
    buf_consume(&conn->in, head_len);
    return true;
}

/* Parses heads and moves body bytes out of conn->in while it can. */
static void process_input(struct pxcall *c)
{
    while (c->conn && !c->transfer_done) {
        struct upconn *conn = c->conn;
        if (!c->headers_done) {
            struct h1resp r;
            ssize_t n = h1resp_parse(&r, buf_peek(&conn->in), conn->in.len);
            if (n == 0 && buf_space(&conn->in) == 0) {
                fail(c, 502, "%s", "response head too large");
                return;
            }
            if (n == 0)
                return;
            if (n < 0 || r.status == 101) {
                fail(c, 502, "malformed response head from %s", c->host);
                return;
            }
            if (r.status < 200) { /* 100 Continue and the like: skipped */
                buf_consume(&conn->in, (size_t)n);
                continue;
            }
            if (!on_head(c, &r, (size_t)n))
                return;
            continue;
        }
        if (c->rbody == RB_NONE) {
            response_complete(c);
            return;
        }
        c->down_paused = down_full(c);
        if (conn->in.len == 0 || c->down_paused) {
            update_want(c);
            return;
        }
        const char *data = buf_peek(&conn->in);
        size_t avail = conn->in.len;
        if (c->rbody == RB_LENGTH || c->rbody == RB_CLOSE) {
            size_t n = avail;
            if (c->rbody == RB_LENGTH && (int64_t)n > c->rleft)
                n = (size_t)c->rleft;
            if (deliver(c, data, n) < 0) {
                fail_now(c, 502);
                return;
            }
            buf_consume(&conn->in, n);
            if (c->rbody == RB_LENGTH && (c->rleft -= (int64_t)n) == 0)
                c->rbody = RB_NONE;
            continue;
        }
        if (h1chunk_data(&c->chunk) == 0) { /* framing: sizes, CRLFs, trailers */
            const char *why;
            long took = h1chunk_skip(&c->chunk, data, avail, &why);
            if (took < 0) {
                fail(c, 502, "malformed chunked body from %s: %s", c->host, why);
                return;
            }
            buf_consume(&conn->in, (size_t)took);
            if (h1chunk_done(&c->chunk))
                c->rbody = RB_NONE;
            else if (h1chunk_data(&c->chunk) == 0)
                return; /* the rest of the framing is still to come */
            continue;
        }
        size_t n = avail;
        if (n > h1chunk_data(&c->chunk))
            n = (size_t)h1chunk_data(&c->chunk);
        if (deliver(c, data, n) < 0) {
            fail_now(c, 502);
            return;
        }
        h1chunk_took(&c->chunk, n);
        buf_consume(&conn->in, n);
    }
}

/* The upstream closed (or reset) the connection. */
static void on_upstream_end(struct pxcall *c, const char *why)
{
    if (c->headers_done && c->rbody == RB_CLOSE) {
        c->must_close = true;
        c->rbody = RB_NONE;
        response_complete(c);
        return;
    }
    if (!c->resp_started) {
        conn_lost(c, why);
        return;
    }
    fail(c, 502, "%s", why);
}

static void on_readable(struct pxcall *c)
{
    struct upconn *conn = c->conn;
    size_t room;
    char *tail = buf_tail(&conn->in, READ_WANT, &room);
    if (room == 0) {
        process_input(c); /* paused with a full buffer: nothing to read into */
        return;
    }
    ssize_t n = recv(conn->fd, tail, room, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        char why[400];
        if (n == 0)
            snprintf(why, sizeof why, "%s:%s closed the connection%s", c->host, c->port,
                     c->resp_started ? " mid-response" : " without an answer");
        else
            snprintf(why, sizeof why, "receive from %s:%s: %s", c->host, c->port, strerror(errno));
        process_input(c);
        if (c->conn == conn && !c->transfer_done)
            on_upstream_end(c, why);
        return;
    }
    buf_commit(&conn->in, (size_t)n);
    if (!c->resp_started) {
        c->resp_started = true;
        buf_consume(&conn->out, c->out_sent); /* no replay from here on */
        c->out_sent = 0;
    }
    process_input(c);
}

static void on_conn_event(struct upconn *conn, unsigned events, void *arg)
{
    struct pxcall *c = arg;
    enter(c);
    if (conn->error) {
        conn_lost(c, conn->errtext);
    } else if (conn->connecting) {
        if (upconn_finish_connect(conn) < 0) {
            fail(c, 502, "%s", conn->errtext);
        } else {
            update_want(c);
            flush(c);
        }
    } else {
        if ((events & LOOP_WRITE) && c->conn == conn)
            flush(c);
        if ((events & LOOP_READ) && c->conn == conn && !c->transfer_done)
            on_readable(c);
    }
    leave(c);
}

/* --- the client's side ------------------------------------------------------ */

static ssize_t on_client_read(void *arg, char *out, size_t max)
{
    struct pxcall *c = arg;
    if (spool_len(&c->down)) {
        ssize_t got = spool_read(&c->down, out, max);
        if (got < 0)
            return HTTPD_READ_ERROR;
        if (c->down_paused && spool_len(&c->down) < DOWN_SOFT / 2 && c->conn) {
            enter(c);
            c->down_paused = false;
            process_input(c);
            update_want(c);
            leave(c); /* the request is not done while its reader runs */
        }
        return got;
    }
    if (c->transfer_done)
        return c->ok ? HTTPD_READ_EOF : HTTPD_READ_ERROR;
    return 0;
}

static void send_collected(struct pxcall *c);

static size_t on_client_body(void *arg, const char *data, size_t len, bool eof)
{
    struct pxcall *c = arg;
    if (c->transfer_done) { /* the upstream answered already: the rest goes */
        if (eof)
            c->up_eof = true;
        return len;
    }
    enter(c);
    if (eof) {
        c->up_eof = true;
        if (c->mode == BODY_COLLECT)
            send_collected(c);
    } else {
        size_t room = buf_space(&c->up);
        if (len > room) {
            len = room;
            c->body_blocked = true;
        }
        buf_append(&c->up, data, len);
    }
    if (c->conn)
        flush(c);
    leave(c);
    return len;
}

static void on_request_done(void *arg, bool completed)
{
    struct pxcall *c = arg;
    (void)completed;
    c->req_done = true;
    if (!c->transfer_done)
        drop_conn(c); /* the client left: this connection is never reused */
    if (c->call.on_done)
        c->call.on_done(c->call.arg, httpd_responded(c->req) ? c->status : 0);
    if (c->depth == 0)
        call_free(c);
}

static void on_timer(struct loop *lp, void *arg)
{
    (void)lp;
    struct pxcall *c = arg;
    c->timer = NULL;
    enter(c);
    int64_t now = loop_now_ms();
    if (c->deadline_ms && now >= c->deadline_ms) {
        snprintf(c->errtext, sizeof c->errtext, "timed out after %lld ms",
                 (long long)c->call.timeout_ms);
        drop_conn(c);
        transfer_finished(c, false, 504);
    } else if (c->conn && c->conn->connecting && c->connect_deadline_ms &&
               now >= c->connect_deadline_ms) {
        snprintf(c->errtext, sizeof c->errtext, "connect to %s:%s timed out after %lld ms", c->host,
                 c->port, (long long)c->call.connect_timeout_ms);
        drop_conn(c);
        transfer_finished(c, false, 504);
    } else if (c->deadline_ms) {
        c->timer = loop_timer_add(c->px->lp, c->deadline_ms - now, on_timer, c);
    }
    leave(c);
}

/* --- starting a call ----------------------------------------------------------- */

/* A small body with a length, collected: it follows the head, which
 * waited for it in the write buffer, in the same write. */
static void send_collected(struct pxcall *c)
{
    c->mode = BODY_WHOLE;
    c->whole = buf_peek(&c->up);
    c->whole_len = c->up.len;
    if (c->conn) {
        buf_append(&c->conn->out, c->whole, c->whole_len);
        c->whole_sent = c->whole_len;
        c->whole_in_out = true;
    }
}

/* Takes a connection and queues the head: the URL and extra headers are
 * only used here, before proxy_forward returns. */
static void start_exchange(struct pxcall *c, const char *target, const char *const *extra)
{
    c->conn = uppool_get_at(c->px->pool, c->host, c->port, c->unix_path, false, on_conn_event, c);
    build_head(c, &c->conn->out, target, extra);
    if (c->mode == BODY_WHOLE && c->whole_len <= SMALL_BODY) { /* one write with the head */
        buf_append(&c->conn->out, c->whole, c->whole_len);
        c->whole_sent = c->whole_len;
        c->whole_in_out = true;
    }
    if (c->conn->error) {
        fail(c, 502, "%s", c->conn->errtext);
        return;
    }
    if (!c->conn->connecting && c->conn->fd >= 0)
        flush(c);
}

static void choose_body(struct pxcall *c)
{
    const char *method = httpd_req_method(c->req);
    int64_t length = httpd_req_content_length(c->req);
    bool chunked = httpd_req_header(c->req, "Transfer-Encoding") != NULL;
    c->head_request = strcmp(method, "HEAD") == 0;
    if (c->call.buffered_body) {
        c->whole = httpd_req_body(c->req, &c->whole_len);
        length = (int64_t)c->whole_len;
        chunked = false;
    }
    if ((strcmp(method, "GET") == 0 && length <= 0 && !chunked) || c->head_request)
        c->mode = BODY_NONE;
    else if (c->call.buffered_body || (!chunked && length <= 0))
        c->mode = BODY_WHOLE; /* "" when no body: Content-Length: 0 */
    else if (!chunked && length <= SMALL_BODY)
        c->mode = BODY_COLLECT;
    else
        c->mode = chunked ? BODY_CHUNKED : BODY_LENGTH;
    if (c->mode == BODY_WHOLE && !c->whole)
        c->whole = "";
    c->up_eof = c->mode == BODY_NONE || c->mode == BODY_WHOLE;
}

struct proxy *proxy_new(struct loop *lp)
{
    struct proxy *px = xcalloc(1, sizeof *px);
    px->lp = lp;
    px->pool = uppool_new(lp);
    return px;
}

void proxy_free(struct proxy *px)
{
    if (!px)
        return;
    uppool_free(px->pool);
    free(px);
}

unsigned proxy_active(const struct proxy *px)
{
    return px->active;
}

int proxy_forward(struct proxy *px, struct httpd_req *req, const struct proxy_call *call)
{
    struct pxcall *c = xcalloc(1, sizeof *c);
    c->px = px;
    c->req = req;
    c->call = *call;
    c->replayable = true;
    buf_init(&c->up, UP_MAX);
    spool_init(&c->down, DOWN_MEM, DOWN_EARLY_MAX);
    px->active++;
    int64_t now = loop_now_ms();
    if (call->timeout_ms > 0)
        c->deadline_ms = now + call->timeout_ms;
    if (call->connect_timeout_ms > 0)
        c->connect_deadline_ms = now + call->connect_timeout_ms;
    int64_t first = c->connect_deadline_ms ? c->connect_deadline_ms : c->deadline_ms;
    if (c->deadline_ms && c->deadline_ms < first)
        first = c->deadline_ms;
    if (first)
        c->timer = loop_timer_add(px->lp, first - now, on_timer, c);
    httpd_req_on_done(req, on_request_done, c);
    const char *path;
    if (up_split_url(call->url, c->host, sizeof c->host, c->port, sizeof c->port, &path, c->errtext,
                     sizeof c->errtext) < 0) {
        transfer_finished(c, false, 502);
        return 0;
    }
    if (call->unix_path) { /* cut to fit, as the caller's sizes match */
        size_t n = strnlen(call->unix_path, sizeof c->unix_path - 1);
        memcpy(c->unix_path, call->unix_path, n);
        c->unix_path[n] = '\0';
    }
    c->call.url = NULL;
    c->call.unix_path = NULL;
    c->call.headers = NULL;
    choose_body(c);
    if (!call->buffered_body)
        httpd_req_on_body(req, on_client_body, c);
    start_exchange(c, path, call->headers);
    return 0;
}
