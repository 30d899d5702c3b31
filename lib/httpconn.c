/* httpconn.c -- one HTTP/1.x connection: reading heads and bodies,
 * sending answers, keep-alive, deadlines.
 *
 * DESIGN: a connection is watched by the loop once, from accept to close,
 * and its interest changes only when what it waits for does: READ while
 * it may take bytes, WRITE only while a send could not finish. The socket
 * is read once per readiness (level-triggered: whatever is left is
 * reported again), so a request that comes in one segment costs one recv
 * and its answer, head and body together, one send.
 *
 * Everything happens in conn_run, the one entry point: the loop's events
 * and wakes (httpd_wake, an answer given from elsewhere) both end up
 * there, never re-entered, so a handler or a callback never sees its
 * connection change under it. A wake from inside conn_run makes it go
 * round once more; a wake from outside puts the connection on the
 * server's ready list, run before the loop next waits. */
#include "httpd_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

#define CHUNK_MAX (64 * 1024) /* body bytes pulled from a reader at once */
#define CHUNK_HEAD 8          /* "%06zx\r\n": a fixed-width chunk size */
#define LINGER_MS 2000        /* reading what a refused client still sends */
#define SENDFILE_MAX (1 << 20)
/* Pulls from a reader in one run: a fast client on a long stream yields
 * the loop to everything else after this many. */
#define PULLS_PER_RUN 16

static void on_event(struct loop *lp, int fd, unsigned events, void *arg);

struct hconn *conn_new(struct httpd *h, int fd, const struct sockaddr *sa)
{
    struct hconn *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, offsetof(struct hconn, fields));
    c->h = h;
    c->fd = fd;
    c->req.c = c;
    c->req.fd = -1;
    c->req.head.fields = c->fields;
    c->req.head.max_fields = MAX_FIELDS;
    c->over_limit = h->max_conns && h->nconns >= h->max_conns;
    c->since_ms = c->active_ms = loop_now_ms();
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, c->client,
                  sizeof c->client);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, c->client,
                  sizeof c->client);
    else if (sa->sa_family == AF_UNIX)
        snprintf(c->client, sizeof c->client, "unix:"); /* as nginx names such a client */
    if (loop_watch(h->lp, fd, LOOP_READ, on_event, c) < 0) {
        free(c);
        return NULL;
    }
    c->interest = LOOP_READ;
    list_push_back(&h->conns, &c->node);
    h->nconns++;
    return c;
}

static void conn_free(struct hconn *c)
{
    struct httpd *h = c->h;
    if (c->req.active)
        req_end(&c->req, false);
    if (c->on_ready)
        list_remove(&h->ready, &c->ready);
    list_remove(&h->conns, &c->node);
    h->nconns--;
    loop_unwatch(h->lp, c->fd);
    close(c->fd);
    obuf_free(&c->out);
    obuf_free(&c->held);
    obuf_free(&c->req.hdrs);
    buf_cleanup(&c->req.body);
    free(c);
}

void conn_close(struct hconn *c)
{
    if (c->running)
        c->dead = true;
    else
        conn_free(c);
}

void conn_kick(struct hconn *c)
{
    if (c->running) {
        c->rerun = true;
    } else if (!c->on_ready && !c->dead) {
        c->on_ready = true;
        list_push_back(&c->h->ready, &c->ready);
    }
}

/* --- reading ------------------------------------------------------------ */

/* Room to read into: in a body, consumed bytes behind the head are given
 * back first. */
static size_t read_room(struct hconn *c)
{
    if (c->state == C_BODY && c->pos > c->head_len && c->in_len == HEAD_MAX) {
        memmove(c->in + c->head_len, c->in + c->pos, c->in_len - c->pos);
        c->in_len -= c->pos - c->head_len;
        c->pos = c->head_len;
    }
    return HEAD_MAX - c->in_len;
}

static bool wants_read(struct hconn *c)
{
    switch (c->state) {
    case C_HEAD:
        return true;
    case C_BODY:
        return !c->req.sink_full && read_room(c) > 0;
    case C_WAIT:
    case C_SEND: /* a pipelined request, or the client leaving */
        return !c->peer_eof && read_room(c) > 0;
    default:
        return true;
    }
}

static void read_in(struct hconn *c)
{
    if (c->state == C_LINGER) {
        ssize_t n = recv(c->fd, c->in, HEAD_MAX, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            c->dead = true;
        return;
    }
    if (c->peer_eof || !wants_read(c))
        return;
    ssize_t n = recv(c->fd, c->in + c->in_len, HEAD_MAX - c->in_len, 0);
    if (n > 0) {
        c->in_len += (size_t)n;
        c->active_ms = loop_now_ms();
    } else if (n == 0) {
        c->peer_eof = true;
        /* A client that half-closes after a whole request still gets its
         * answer; one that leaves before that is gone. */
        if (c->state == C_HEAD || c->state == C_BODY)
            c->dead = true;
    } else if (errno != EAGAIN && errno != EINTR) {
        c->dead = true;
    }
}

/* --- request heads and bodies ------------------------------------------- */

static void refuse_head(struct hconn *c, int status, const char *why)
{
    log_info(c->h->name, "refused a request head from %s: %s", c->client, why);
    req_refuse(&c->req, status, why);
}

/* Returns true if the connection moved on from reading a head. */
static bool take_head(struct hconn *c)
{
    long end = h1head_end(c->in, c->in_len, &c->scanned);
    if (end < 0) {
        refuse_head(c, 400, "a line of the head does not end in CRLF");
        return true;
    }
    if (end == 0) {
        if (c->in_len == HEAD_MAX)
            refuse_head(c, 431, "the request head is too large");
        return c->in_len == HEAD_MAX;
    }
    const char *why;
    int status = h1head_parse(c->in, (size_t)end, &c->req.head, &why);
    c->head_len = c->pos = (size_t)end;
    if (status)
        refuse_head(c, status, why);
    else
        req_begin(c);
    return true;
}

static void body_error(struct hconn *c, const char *why)
{
    struct httpd_req *r = &c->req;
    log_info(c->h->name, "refused the body of %s %s from %s: %s", r->head.method, r->path,
             c->client, why);
    r->failed = true;
    r->answered = false; /* whatever the handler said, the client hears this */
    obuf_reset(&c->held);
    req_refuse(r, 400, why);
}

/* After bytes are consumed: all of them, so the buffer starts afresh. */
static void body_consumed(struct hconn *c)
{
    if (c->pos == c->in_len)
        c->in_len = c->pos = c->head_len;
}

/* Hands body bytes to the request; returns true if the body ended. */
static bool feed_body(struct hconn *c)
{
    struct httpd_req *r = &c->req;
    r->body_begun = true;
    while (!r->body_done) {
        if (r->sink_full)
            return false;
        size_t avail = c->in_len - c->pos;
        uint64_t want;
        if (r->body_kind == BODY_CHUNKED) {
            const char *why;
            long n = h1chunk_skip(&r->chunk, c->in + c->pos, avail, &why);
            if (n < 0) {
                body_error(c, why);
                return true;
            }
            c->pos += (size_t)n;
            avail -= (size_t)n;
            want = h1chunk_data(&r->chunk);
            if (h1chunk_done(&r->chunk))
                break;
        } else {
            want = r->body_left;
            if (!want)
                break;
        }
        size_t take = want < avail ? (size_t)want : avail;
        if (!take) {
            body_consumed(c);
            return false;
        }
        /* A sink may make room, and wake us, before it returns short (the
         * proxy moves what it took on upstream at once): that wake must
         * not be lost to the "full" below, or the body stalls for good. */
        r->woken = false;
        size_t k = req_body_feed(r, c->in + c->pos, take);
        c->pos += k;
        if (r->body_kind == BODY_CHUNKED)
            h1chunk_took(&r->chunk, k);
        else
            r->body_left -= k;
        body_consumed(c);
        if (k < take && !r->woken)
            r->sink_full = true;
    }
    body_consumed(c);
    r->body_done = true;
    req_body_end(r);
    return true;
}

/* Moves the answer, once there is one, to the output. */
static void start_sending(struct hconn *c)
{
    if (!obuf_pending(&c->out)) {
        struct obuf t = c->out;
        c->out = c->held;
        c->held = t;
    } else {
        obuf_add(&c->out, c->held.data + c->held.off, obuf_pending(&c->held));
    }
    obuf_reset(&c->held);
    c->state = C_SEND;
}

/* Parses, feeds and answers as far as the bytes at hand allow. */
static void progress(struct hconn *c)
{
    for (;;) {
        switch (c->state) {
        case C_HEAD:
            if (!take_head(c))
                return;
            break;
        case C_BODY:
            if (c->req.answered && c->req.early) {
                c->state = C_WAIT; /* nobody wants the body */
                break;
            }
            if (!feed_body(c))
                return;
            c->state = C_WAIT;
            break;
        case C_WAIT:
            if (!c->req.answered)
                return;
            start_sending(c);
            break;
        default:
            return;
        }
    }
}

/* --- writing ------------------------------------------------------------ */

/* Pulls body bytes from the reader into the output; false if none came. */
static bool pull(struct hconn *c)
{
    struct httpd_req *r = &c->req;
    size_t max = CHUNK_MAX;
    if (r->size >= 0 && (uint64_t)(r->size - r->sent) < max)
        max = (size_t)(r->size - r->sent);
    size_t pre = r->chunked ? CHUNK_HEAD : 0;
    char *p = obuf_room(&c->out, pre + max + 2 + 5);
    ssize_t n;
    do {
        r->woken = false;
        n = r->read_fn(r->read_arg, p + pre, max);
    } while (n == 0 && r->woken);
    if (n > 0) {
        if ((size_t)n > max)
            n = (ssize_t)max;
        if (r->chunked) {
            char size[CHUNK_HEAD + 1];
            snprintf(size, sizeof size, "%06zx\r\n", (size_t)n);
            memcpy(p, size, CHUNK_HEAD);
            // NOLINTNEXTLINE(bugprone-not-null-terminated-result): wire bytes
            memcpy(p + pre + n, "\r\n", 2);
        }
        c->out.len += pre + (size_t)n + (r->chunked ? 2 : 0);
        r->sent += n;
        if (r->size >= 0 && r->sent == r->size)
            r->src_done = true;
        return true;
    }
    if (n == 0) {
        r->reader_wait = true;
        return false;
    }
    r->src_done = true;
    if (n == HTTPD_READ_EOF && r->chunked) {
        obuf_add(&c->out, "0\r\n\r\n", 5);
    } else if (n == HTTPD_READ_EOF && r->size < 0) {
        c->keep_alive = false; /* no framing (HTTP/1.0): the close ends it */
    } else {
        /* an error, or the end before the promised length: the client
         * sees a cut answer */
        r->failed = true;
        c->keep_alive = false;
    }
    return true;
}

/* Sends the output; false if the socket is full or gone. */
static bool flush_out(struct hconn *c, bool more)
{
    while (obuf_pending(&c->out)) {
        ssize_t n = send(c->fd, c->out.data + c->out.off, obuf_pending(&c->out),
                         MSG_NOSIGNAL | (more ? MSG_MORE : 0));
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                c->write_blocked = errno == EAGAIN;
            else
                c->dead = true;
            return false;
        }
        c->out.off += (size_t)n;
        c->active_ms = loop_now_ms();
    }
    obuf_reset(&c->out);
    c->write_blocked = false;
    return true;
}

static bool send_file(struct hconn *c)
{
    struct httpd_req *r = &c->req;
    off_t off = (off_t)r->sent;
    int64_t left = r->size - r->sent;
    ssize_t n = sendfile(c->fd, r->fd, &off, left < SENDFILE_MAX ? (size_t)left : SENDFILE_MAX);
    if (n > 0) {
        r->sent += n;
        c->active_ms = loop_now_ms();
        c->write_blocked = false;
        if (r->sent == r->size)
            r->src_done = true;
        return true;
    }
    if (n < 0 && errno == EAGAIN) {
        c->write_blocked = true;
        return false;
    }
    if (n < 0 && errno == EINTR)
        return false;
    r->failed = true; /* the file is shorter than it was, or the socket went */
    r->src_done = true;
    c->keep_alive = false;
    c->dead = n < 0;
    return false;
}

/* The answer is out: the next request, or the end of the connection. */
static void finish(struct hconn *c)
{
    struct httpd_req *r = &c->req;
    bool linger = r->early || r->failed || !r->active;
    bool completed = !r->failed;
    if (r->active)
        req_end(r, completed);
    if (!c->keep_alive || c->peer_eof) {
        if (linger && !c->peer_eof) {
            shutdown(c->fd, SHUT_WR);
            c->state = C_LINGER;
            c->since_ms = loop_now_ms();
        } else {
            c->dead = true;
        }
        return;
    }
    size_t rest = c->in_len - c->pos;
    memmove(c->in, c->in + c->pos, rest);
    c->in_len = rest;
    c->pos = c->head_len = c->scanned = 0;
    c->state = C_HEAD;
    c->since_ms = loop_now_ms();
    c->rerun = rest > 0;
}

/* Sends as much of the answer as the socket takes. */
static void write_out(struct hconn *c)
{
    struct httpd_req *r = &c->req;
    int pulls = 0;
    while (c->state == C_SEND && !c->dead) {
        bool streaming = r->kind == RESP_STREAM && !r->head_only && !r->src_done;
        if (streaming && !r->reader_wait && obuf_pending(&c->out) < CHUNK_MAX) {
            if (pulls++ == PULLS_PER_RUN) {
                c->yield = true;
                return;
            }
            pull(c);
        }
        bool file_next = r->kind == RESP_FD && !r->src_done && !r->head_only;
        if (!flush_out(c, file_next))
            return;
        if (file_next) {
            if (!send_file(c))
                return;
        } else if (!streaming || r->src_done) {
            finish(c);
        } else if (r->reader_wait) {
            return;
        }
    }
    if (!c->dead && obuf_pending(&c->out)) /* a 100 Continue */
        flush_out(c, false);
}

/* --- the driver --------------------------------------------------------- */

static void watch(struct hconn *c)
{
    unsigned want = 0;
    if (c->state == C_LINGER || (!c->peer_eof && wants_read(c)))
        want |= LOOP_READ;
    if (c->write_blocked)
        want |= LOOP_WRITE;
    if (want != c->interest && loop_watch(c->h->lp, c->fd, want, on_event, c) == 0)
        c->interest = want;
}

void conn_run(struct hconn *c, unsigned events)
{
    c->running = true;
    /* epoll reports a hang-up or an error whatever we asked for */
    if (events & ~c->interest)
        c->dead = true;
    else if (events & LOOP_READ)
        read_in(c);
    if (events & LOOP_WRITE)
        c->write_blocked = false;
    do {
        c->rerun = false;
        if (!c->dead)
            progress(c);
        if (!c->dead)
            write_out(c);
    } while (c->rerun && !c->dead);
    c->running = false;
    if (c->dead) {
        conn_free(c);
        return;
    }
    watch(c);
    if (c->yield) {
        c->yield = false;
        conn_kick(c);
    }
}

static void on_event(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)lp;
    (void)fd;
    conn_run(arg, events);
}

/* --- deadlines ---------------------------------------------------------- */

static int64_t due_in(int64_t since, int64_t limit, int64_t now)
{
    return limit > 0 ? since + limit - now : INT64_MAX;
}

int64_t conn_sweep(struct hconn *c, int64_t now)
{
    const struct httpd *h = c->h;
    int64_t left = INT64_MAX;
    switch (c->state) {
    case C_HEAD: {
        int64_t head = due_in(c->since_ms, h->head_ms, now);
        if (head <= 0 && c->in_len) {
            log_info("http", "closing a connection whose request head took over %lldms",
                     (long long)h->head_ms);
            conn_close(c);
            return -1;
        }
        int64_t idle = due_in(c->active_ms, h->idle_ms, now);
        left = head < idle ? head : idle;
        break;
    }
    case C_BODY:
        if (!c->req.sink_full)
            left = due_in(c->active_ms, h->idle_ms, now);
        break;
    case C_SEND:
        if (c->write_blocked)
            left = due_in(c->active_ms, h->write_ms, now);
        break;
    case C_LINGER:
        left = due_in(c->since_ms, LINGER_MS, now);
        break;
    default:
        break;
    }
    if (left <= 0) {
        log_debug(h->name, "closing a connection from %s: timed out", c->client);
        conn_close(c);
        return -1;
    }
    return left == INT64_MAX ? -1 : left;
}
