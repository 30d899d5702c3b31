/* h1call.c -- one HTTP/1.1 exchange with its answer gathered whole.
 *
 * A call's life: the head (and a small body) goes into the connection's
 * write buffer and is written at once, a large body after it from the
 * caller's memory. What is written stays in the buffer until the first
 * byte of an answer arrives, so a reused connection that turns out
 * closed can be replayed on a fresh one. The answer is read into the
 * connection's read buffer, its head copied to the call's buffer and its
 * body decoded after it; once whole, the connection goes back to the
 * pool (unless the answer said close) before the callback runs. */
#include "h1call.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "decimal.h"
#include "loop.h"
#include "uppool.h"

#define SMALL_BODY (64 * 1024) /* a body this small goes in the head's write */
#define READ_WANT (64 * 1024)
#define RESP_MAX (SIZE_MAX / 2) /* max_response bounds it; buf wants room for a NUL */

static void on_conn_event(struct upconn *conn, unsigned events, void *arg);

void h1call_init(struct h1call *c)
{
    memset(c, 0, sizeof *c);
    buf_init(&c->resp, RESP_MAX);
}

void h1call_cleanup(struct h1call *c)
{
    h1call_cancel(c);
    buf_cleanup(&c->resp);
}

void h1call_trim(struct h1call *c, size_t keep)
{
    if (c->busy || c->resp.cap <= keep)
        return;
    buf_cleanup(&c->resp);
    buf_init(&c->resp, RESP_MAX);
}

/* --- the end ------------------------------------------------------------- */

static void stop_timers(struct h1call *c)
{
    loop_timer_cancel(c->lp, c->timer);
    loop_timer_cancel(c->lp, c->later);
    c->timer = c->later = NULL;
}

static void drop_conn(struct h1call *c)
{
    uppool_close(c->conn);
    c->conn = NULL;
}

/* Reports and lets go: the callback may reuse or free the struct. */
static void report(struct h1call *c, enum h1call_kind kind)
{
    struct h1call_result r = { .kind = kind };
    struct h1resp head;

    c->busy = false;
    stop_timers(c);
    if (kind == H1CALL_ANSWERED && h1resp_parse(&head, buf_peek(&c->resp), c->head_len) > 0) {
        r.status = head.status;
        r.head = &head;
        r.body = buf_peek(&c->resp) + c->head_len;
        r.len = c->resp.len - c->head_len;
    } else {
        r.kind = kind == H1CALL_ANSWERED ? H1CALL_BROKEN : kind;
        r.error = c->errtext[0] ? c->errtext : "the answer's head did not parse again";
    }
    c->fn(c->arg, &r);
}

static void fail(struct h1call *c, enum h1call_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct h1call *c, enum h1call_kind kind, const char *fmt, ...)
{
    char why[sizeof c->errtext]; /* an argument may be c->errtext itself */
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    memcpy(c->errtext, why, sizeof why);
    drop_conn(c);
    report(c, kind);
}

static void complete(struct h1call *c)
{
    struct upconn *conn = c->conn;

    c->conn = NULL;
    if (!c->must_close && c->request_sent && conn->in.len == 0)
        uppool_put(conn);
    else
        uppool_close(conn);
    c->errtext[0] = '\0';
    report(c, H1CALL_ANSWERED);
}

/* A reused connection the server had closed: before any byte of an
 * answer it goes again, once, on a fresh connection. */
static bool retry(struct h1call *c)
{
    struct upconn *old = c->conn;

    if (!old || !old->reused || c->started || c->retried)
        return false;
    c->retried = true;
    c->conn = uppool_get(c->pool, c->host, c->port, true, on_conn_event, c);
    buf_append(&c->conn->out, buf_peek(&old->out), old->out.len);
    uppool_close(old);
    c->out_sent = 0;
    c->body_sent = c->body_len <= SMALL_BODY ? c->body_len : 0; /* a small one is in out */
    c->request_sent = false;
    if (c->conn->error)
        fail(c, H1CALL_UNREACHABLE, "%s", c->conn->errtext);
    return true;
}

static void lost(struct h1call *c, const char *why)
{
    if (!retry(c))
        fail(c, H1CALL_BROKEN, "%s", why);
}

/* --- the request ---------------------------------------------------------- */

static void want(struct h1call *c, bool write)
{
    upconn_want(c->conn, LOOP_READ | (write ? LOOP_WRITE : 0u));
}

/* Writes what is pending: the buffered head (with a small body), then a
 * large body from the caller's memory. */
static void flush(struct h1call *c)
{
    struct upconn *conn = c->conn;

    while (!c->request_sent) {
        size_t left = c->body_len - c->body_sent;
        ssize_t n = upconn_send(conn, c->out_sent, left ? c->body + c->body_sent : NULL, left);
        if (n == 0) {
            c->request_sent = true;
            break;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            want(c, true);
            return;
        }
        if (n < 0) {
            /* An answer may be waiting (a server that refused the body and
             * closed): the read finds it, or the end. */
            snprintf(c->errtext, sizeof c->errtext, "send to %s:%s: %s", c->host, c->port,
                     strerror(errno));
            c->request_sent = true;
            c->must_close = true;
            break;
        }
        size_t head_left = conn->out.len - c->out_sent;
        if ((size_t)n <= head_left) {
            c->out_sent += (size_t)n;
        } else {
            c->out_sent = conn->out.len;
            c->body_sent += (size_t)n - head_left;
        }
    }
    want(c, false);
}

static void put(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

/* The head, and a small body after it, in the connection's write
 * buffer. Returns -1 if it does not fit there. */
static int queue_request(struct h1call *c, const struct h1call_request *r, const char *target)
{
    struct buf *out = &c->conn->out;
    char len[DECIMAL_I64_SIZE];
    bool v6 = strchr(c->host, ':') != NULL;

    put(out, r->method);
    put(out, " ");
    put(out, target);
    put(out, " HTTP/1.1\r\nHost: ");
    put(out, v6 ? "[" : "");
    put(out, c->host);
    put(out, v6 ? "]" : "");
    if (strcmp(c->port, "80") != 0) {
        put(out, ":");
        put(out, c->port);
    }
    put(out, "\r\n");
    if (r->len || (strcmp(r->method, "GET") != 0 && strcmp(r->method, "DELETE") != 0)) {
        decimal_i64(len, (int64_t)r->len);
        put(out, "Content-Length: ");
        put(out, len);
        put(out, "\r\n");
    }
    if (r->lines_len)
        buf_append(out, r->lines, r->lines_len);
    if (buf_append(out, "\r\n", 2) < 0)
        return -1;
    if (c->body_len && c->body_len <= SMALL_BODY && buf_append(out, c->body, c->body_len) < 0)
        return -1;
    if (c->body_len <= SMALL_BODY)
        c->body_sent = c->body_len;
    return 0;
}

/* --- the answer ----------------------------------------------------------- */

/* Body bytes, decoded, after the head in the call's buffer. */
static bool gather(struct h1call *c, const char *data, size_t n)
{
    if (c->max_response && c->resp.len - c->head_len + n > c->max_response) {
        fail(c, H1CALL_TOO_LARGE, "the answer's body is larger than %zu bytes", c->max_response);
        return false;
    }
    buf_append(&c->resp, data, n);
    return true;
}

/* A whole head at the start of conn->in: where its body ends. */
static void on_head(struct h1call *c, const struct h1resp *r, size_t head_len)
{
    buf_append(&c->resp, buf_peek(&c->conn->in), head_len);
    buf_consume(&c->conn->in, head_len);
    c->head_len = head_len;
    c->head_done = true;
    c->must_close = c->must_close || r->close;
    if (r->status == 204 || r->status == 304) {
        c->rbody = H1B_NONE;
    } else if (r->chunked) {
        c->rbody = H1B_CHUNKED;
        h1chunk_init(&c->chunk);
    } else if (r->content_length >= 0) {
        c->rbody = r->content_length ? H1B_LENGTH : H1B_NONE;
        c->rleft = r->content_length;
    } else {
        c->rbody = H1B_CLOSE;
        c->must_close = true;
    }
}

/* What a step of reading did. */
enum step { STEP_MORE, STEP_GO, STEP_ENDED };

/* Parses the head. */
static enum step read_head(struct h1call *c)
{
    struct upconn *conn = c->conn;
    struct h1resp r;
    ssize_t n = h1resp_parse(&r, buf_peek(&conn->in), conn->in.len);

    if (n == 0 && buf_space(&conn->in) > 0)
        return STEP_MORE;
    if (n == 0) {
        fail(c, H1CALL_BROKEN, "the answer's head from %s:%s is too large", c->host, c->port);
        return STEP_ENDED;
    }
    if (n < 0 || r.status == 101) {
        fail(c, H1CALL_BROKEN, "malformed answer from %s:%s", c->host, c->port);
        return STEP_ENDED;
    }
    if (r.status < 200) /* 100 Continue and the like */
        buf_consume(&conn->in, (size_t)n);
    else
        on_head(c, &r, (size_t)n);
    return STEP_GO;
}

/* Chunked framing, or the data of a chunk. */
static enum step read_chunked(struct h1call *c)
{
    struct buf *in = &c->conn->in;
    const char *why;

    if (h1chunk_data(&c->chunk) == 0) {
        long took = h1chunk_skip(&c->chunk, buf_peek(in), in->len, &why);
        if (took < 0) {
            fail(c, H1CALL_BROKEN, "malformed chunked answer from %s:%s: %s", c->host, c->port,
                 why);
            return STEP_ENDED;
        }
        buf_consume(in, (size_t)took);
        if (h1chunk_done(&c->chunk))
            c->rbody = H1B_NONE;
        return c->rbody == H1B_NONE || h1chunk_data(&c->chunk) > 0 ? STEP_GO : STEP_MORE;
    }
    size_t n = in->len;
    if (n > h1chunk_data(&c->chunk))
        n = (size_t)h1chunk_data(&c->chunk);
    if (!gather(c, buf_peek(in), n))
        return STEP_ENDED;
    h1chunk_took(&c->chunk, n);
    buf_consume(in, n);
    return STEP_GO;
}

/* Body bytes up to the length, or to the close. */
static enum step read_plain(struct h1call *c)
{
    struct buf *in = &c->conn->in;
    size_t n = in->len;

    if (c->rbody == H1B_LENGTH && (int64_t)n > c->rleft)
        n = (size_t)c->rleft;
    if (!gather(c, buf_peek(in), n))
        return STEP_ENDED;
    buf_consume(in, n);
    if (c->rbody == H1B_LENGTH && (c->rleft -= (int64_t)n) == 0)
        c->rbody = H1B_NONE;
    return STEP_GO;
}

/* Moves what has arrived into the answer while it can. Once the call
 * has ended (and reported) the struct is the caller's again: nothing
 * here looks at it after that. */
static void process_input(struct h1call *c)
{
    enum step st = STEP_GO;

    while (st == STEP_GO) {
        if (!c->head_done)
            st = read_head(c);
        else if (c->rbody == H1B_NONE) {
            complete(c);
            return;
        } else if (c->conn->in.len == 0)
            st = STEP_MORE;
        else if (c->rbody == H1B_CHUNKED)
            st = read_chunked(c);
        else
            st = read_plain(c);
    }
}

static void on_end(struct h1call *c, const char *why)
{
    if (c->head_done && c->rbody == H1B_CLOSE) {
        c->rbody = H1B_NONE;
        complete(c);
    } else if (c->started) {
        fail(c, H1CALL_BROKEN, "%s", why);
    } else {
        lost(c, c->errtext[0] ? c->errtext : why);
    }
}

static void on_readable(struct h1call *c)
{
    struct upconn *conn = c->conn;
    size_t room;
    char *tail = buf_tail(&conn->in, READ_WANT, &room);
    ssize_t n = recv(conn->fd, tail, room, 0);
    char why[400];

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        if (n == 0)
            snprintf(why, sizeof why, "%s:%s closed the connection %s", c->host, c->port,
                     c->started ? "in the middle of the answer" : "without an answer");
        else
            snprintf(why, sizeof why, "receive from %s:%s: %s", c->host, c->port, strerror(errno));
        on_end(c, why);
        return;
    }
    buf_commit(&conn->in, (size_t)n);
    if (!c->started) {
        c->started = true;
        buf_consume(&conn->out, conn->out.len); /* no replay from here on */
        c->out_sent = 0;
    }
    process_input(c);
}

static void on_conn_event(struct upconn *conn, unsigned events, void *arg)
{
    struct h1call *c = arg;

    if (conn->error) {
        if (!retry(c))
            fail(c, H1CALL_UNREACHABLE, "%s", conn->errtext);
    } else if (conn->connecting) {
        if (upconn_finish_connect(conn) < 0)
            fail(c, H1CALL_UNREACHABLE, "%s", conn->errtext);
        else
            flush(c);
    } else {
        if ((events & LOOP_WRITE) && !c->request_sent)
            flush(c);
        if ((events & LOOP_READ) && c->conn == conn)
            on_readable(c);
    }
}

/* --- timers and the start ------------------------------------------------- */

static void on_timer(struct loop *lp, void *arg)
{
    struct h1call *c = arg;
    int64_t now = loop_now_ms();

    c->timer = NULL;
    if (c->deadline_ms && now >= c->deadline_ms)
        fail(c, c->conn && c->conn->connecting ? H1CALL_UNREACHABLE : H1CALL_BROKEN,
             "no answer from %s:%s within %lld ms", c->host, c->port, (long long)c->timeout_ms);
    else if (c->conn && c->conn->connecting && now >= c->connect_deadline_ms)
        fail(c, H1CALL_UNREACHABLE, "connect to %s:%s timed out", c->host, c->port);
    else if (c->deadline_ms)
        c->timer = loop_timer_add(lp, c->deadline_ms - now, on_timer, c);
}

static void on_later(struct loop *lp, void *arg)
{
    struct h1call *c = arg;

    (void)lp;
    c->later = NULL;
    drop_conn(c);
    report(c, c->fail_kind);
}

/* A call that cannot start reports from the loop, not inside start. */
static void fail_later(struct h1call *c, enum h1call_kind kind)
{
    c->fail_kind = kind;
    c->later = loop_timer_add(c->lp, 0, on_later, c);
}

static void arm(struct h1call *c, const struct h1call_request *r)
{
    int64_t now = loop_now_ms(), first;

    c->timeout_ms = r->timeout_ms;
    c->deadline_ms = r->timeout_ms > 0 ? now + r->timeout_ms : 0;
    c->connect_deadline_ms = r->connect_timeout_ms > 0 ? now + r->connect_timeout_ms : 0;
    first = c->connect_deadline_ms ? c->connect_deadline_ms : c->deadline_ms;
    if (c->deadline_ms && c->deadline_ms < first)
        first = c->deadline_ms;
    if (first)
        c->timer = loop_timer_add(c->lp, first - now, on_timer, c);
}

void h1call_start(struct h1call *c, struct uppool *pool, struct loop *lp,
                  const struct h1call_request *r, h1call_fn *fn, void *arg)
{
    const char *target;

    c->pool = pool;
    c->lp = lp;
    c->fn = fn;
    c->arg = arg;
    c->conn = NULL;
    c->timer = c->later = NULL;
    c->body = r->body;
    c->body_len = r->len;
    c->body_sent = c->out_sent = c->head_len = 0;
    c->max_response = r->max_response;
    c->started = c->retried = c->request_sent = c->head_done = c->must_close = false;
    c->busy = true;
    c->errtext[0] = '\0';
    buf_consume(&c->resp, c->resp.len);
    if (up_split_url(r->url, c->host, sizeof c->host, c->port, sizeof c->port, &target, c->errtext,
                     sizeof c->errtext) < 0) {
        fail_later(c, H1CALL_UNREACHABLE);
        return;
    }
    arm(c, r);
    c->conn = uppool_get(pool, c->host, c->port, false, on_conn_event, c);
    if (queue_request(c, r, target) < 0) {
        snprintf(c->errtext, sizeof c->errtext, "the request's head is too large");
        fail_later(c, H1CALL_BROKEN);
    } else if (c->conn->error) {
        snprintf(c->errtext, sizeof c->errtext, "%s", c->conn->errtext);
        fail_later(c, H1CALL_UNREACHABLE);
    } else if (c->conn->fd >= 0 && !c->conn->connecting) {
        flush(c);
    }
}

void h1call_cancel(struct h1call *c)
{
    if (!c->busy)
        return;
    c->busy = false;
    stop_timers(c);
    drop_conn(c);
}

bool h1call_header(const struct h1call_result *r, const char *name, char *out, size_t outlen)
{
    if (!r->head)
        return false;
    for (size_t i = 0; i < r->head->nheaders; i++) {
        const struct h1_header *h = &r->head->headers[i];
        if (!h1_name_is(h->name, h->name_len, name))
            continue;
        size_t n = h->value_len < outlen ? h->value_len : outlen - 1;
        memcpy(out, h->value, n);
        out[n] = '\0';
        return true;
    }
    return false;
}
