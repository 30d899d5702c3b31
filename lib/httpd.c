/* httpd.c -- the HTTP server: listening, routes, requests and answers.
 * One connection's state machine is lib/httpconn.c; the head parser
 * lib/h1head.c, the chunked-body decoder lib/h1chunk.c. */
#include "httpd_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decimal.h"
#include "framing.h"
#include "listenfd.h"
#include "log.h"
#include "loop.h"
#include "parse.h"
#include "xalloc.h"

#define ACCEPTS_PER_WAKE 16
#define ACCEPT_PAUSE_MS 100 /* out of descriptors: try again this soon */
#define SWEEP_MAX_MS 1000
#define OBUF_KEEP (256 * 1024) /* an output buffer kept between requests */

/* --- output buffers ----------------------------------------------------- */

char *obuf_room(struct obuf *o, size_t n)
{
    if (o->off && (o->off == o->len || o->len + n > o->cap)) {
        /* what was sent is given back before the buffer grows */
        memmove(o->data, o->data + o->off, o->len - o->off);
        o->len -= o->off;
        o->off = 0;
    }
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        while (cap < o->len + n)
            cap *= 2;
        o->data = xrealloc(o->data, cap);
        o->cap = cap;
    }
    return o->data + o->len;
}

void obuf_add(struct obuf *o, const void *p, size_t n)
{
    if (!n)
        return;
    memcpy(obuf_room(o, n), p, n);
    o->len += n;
}

__attribute__((format(printf, 2, 3))) static void obuf_printf(struct obuf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(obuf_room(o, 256), 256, fmt, ap);
    va_end(ap);
    if (n >= 256) {
        va_start(ap, fmt);
        vsnprintf(obuf_room(o, (size_t)n + 1), (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    if (n > 0)
        o->len += (size_t)n;
}

/* Keeps a small buffer for the next request; gives a big one back. */
void obuf_reset(struct obuf *o)
{
    o->off = o->len = 0;
    if (o->cap > OBUF_KEEP)
        obuf_free(o);
}

void obuf_free(struct obuf *o)
{
    free(o->data);
    *o = (struct obuf){ 0 };
}

/* --- beginning a request ------------------------------------------------ */

static const struct route *find_route(const struct httpd *h, const char *path)
{
    for (size_t i = 0; i < h->nroutes; i++) {
        const struct route *r = &h->routes[i];
        if (r->prefix ? strncmp(path, r->path, r->len) == 0 : strcmp(path, r->path) == 0)
            return r;
    }
    return NULL;
}

/* Takes room for `more` bytes of buffered body from the server's total;
 * false if the total would pass its bound. */
static bool reserve_body(struct httpd_req *req, size_t more)
{
    struct httpd *h = req->c->h;
    if (h->body_held + more > h->max_body_total)
        return false;
    h->body_held += more;
    req->body_reserved += more;
    return true;
}

static void refuse_busy(struct httpd_req *req, const char *why)
{
    httpd_add_header(req, "Connection", "close");
    httpd_add_header(req, "Retry-After", "1");
    httpd_respondf(req, 503, "server busy: %s\n", why);
}

/* Judges the framing (lib/framing.h) and sets the body's kind; false
 * after refusing a request whose body two parsers could frame
 * differently: the connection closes after the answer, so no byte of its
 * body is read as the next request. */
static bool frame_body(struct httpd_req *req)
{
    struct framing f;
    framing_init(&f);
    for (size_t i = 0; i < req->head.nfields; i++)
        framing_add(&f, req->head.fields[i].name, req->head.fields[i].value);
    const char *why;
    int status = framing_verdict(&f, &why);
    if (status) {
        log_info(req->c->h->name, "refused %s %s from %s: %s", req->head.method, req->path,
                 req->c->client, why);
        req_refuse(req, status, why);
        return false;
    }
    if (f.transfer_encodings) {
        req->body_kind = BODY_CHUNKED;
        h1chunk_init(&req->chunk);
    } else if (f.content_lengths && f.length) {
        req->body_kind = BODY_LENGTH;
        req->body_left = f.length;
    }
    return true;
}

static void split_target(struct httpd_req *req)
{
    req->path = (char *)req->head.target;
    char *q = strchr(req->path, '?');
    req->query = NULL;
    if (q) {
        *q = '\0';
        req->query = q + 1;
    }
}

static bool wants_keep_alive(const struct httpd_req *req)
{
    const char *conn = h1head_field(&req->head, "Connection");
    if (req->head.minor == 0)
        return conn && h1head_has_token(conn, "keep-alive");
    return !conn || !h1head_has_token(conn, "close");
}

static void maybe_continue(struct httpd_req *req)
{
    struct hconn *c = req->c;
    const char *expect = h1head_field(&req->head, "Expect");
    if (req->head.minor == 1 && expect && strcasecmp(expect, "100-continue") == 0 &&
        c->pos == c->in_len)
        obuf_add(&c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

static void run_route(struct httpd_req *req)
{
    struct httpd *h = req->c->h;
    req->route = find_route(h, req->path);
    if (!req->route) {
        httpd_respondf(req, 404, "no route for %s\n", req->path);
        return;
    }
    if (req->route->guard && !req->route->guard(req, req->route->arg))
        return;
    if (req->route->body == HTTPD_BODY_STREAM) {
        req->route->fn(req, req->route->arg);
        return;
    }
    int64_t cl = req->body_kind == BODY_LENGTH ? (int64_t)req->body_left : 0;
    if (cl > (int64_t)h->max_body)
        httpd_respondf(req, 413, "request body of %lld bytes is above the limit of %zu bytes\n",
                       (long long)cl, h->max_body);
    else if (cl > 0 && !reserve_body(req, (size_t)cl))
        refuse_busy(req, "too many request bodies held");
}

void req_begin(struct hconn *c)
{
    struct httpd_req *req = &c->req;
    struct httpd *h = c->h;
    req->active = req->counted = true;
    req->start = loop_now_s();
    h->active++;
    h->served++;
    split_target(req);
    buf_init(&req->body, h->max_body);
    c->keep_alive = wants_keep_alive(req);
    c->state = C_BODY;
    if (!frame_body(req))
        return;
    if (req->head.minor == 1 && !h1head_field(&req->head, "Host")) {
        req_refuse(req, 400, "an HTTP/1.1 request without Host");
        return;
    }
    if (c->over_limit) {
        refuse_busy(req, "too many connections");
        return;
    }
    run_route(req);
    if (req->body_kind != BODY_NONE && !req->answered)
        maybe_continue(req);
}

/* --- the body ----------------------------------------------------------- */

size_t req_body_feed(struct httpd_req *req, const char *data, size_t len)
{
    if (!req->route)
        return len;
    if (req->route->body == HTTPD_BODY_STREAM)
        return req->body_fn ? req->body_fn(req->body_arg, data, len, false) : len;
    if (req->answered)
        return len; /* the rest of the body is moot */
    size_t beyond = req->body.len + len > req->body_reserved
                        ? req->body.len + len - req->body_reserved
                        : 0;
    if (beyond && !reserve_body(req, beyond))
        refuse_busy(req, "too many request bodies held");
    else if (buf_append(&req->body, data, len) < 0)
        httpd_respondf(req, 413, "request body is above the limit of %zu bytes\n",
                       req->c->h->max_body);
    return len;
}

void req_body_end(struct httpd_req *req)
{
    if (!req->route)
        return;
    if (req->route->body == HTTPD_BODY_BUFFER) {
        if (req->answered)
            return;
        buf_cstr(&req->body);
        req->route->fn(req, req->route->arg);
    } else if (req->body_fn) {
        req->body_fn(req->body_arg, NULL, 0, true);
    }
}

/* --- answers ------------------------------------------------------------ */

static const char *reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}

/* "HTTP/1.1 NNN Reason\r\n" without printf: it is written for every
 * answer. A status outside 100-999 is one we never send. */
static void status_line(struct obuf *o, int status)
{
    if (status < 100 || status > 999) {
        obuf_printf(o, "HTTP/1.1 %d %s\r\n", status, reason(status));
        return;
    }
    char code[5] = { (char)('0' + status / 100), (char)('0' + status / 10 % 10),
                     (char)('0' + status % 10), ' ', 0 };
    const char *why = reason(status);
    obuf_add(o, "HTTP/1.1 ", 9);
    obuf_add(o, code, 4);
    obuf_add(o, why, strlen(why));
    obuf_add(o, "\r\n", 2);
}

static const char *date_line(struct httpd *h)
{
    time_t now = time(NULL);
    if (now != h->date_at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(h->date, sizeof h->date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        h->date_at = now;
    }
    return h->date;
}

static bool no_body_status(int status)
{
    return status < 200 || status == 204 || status == 304;
}

void req_write_head(struct httpd_req *req, struct obuf *o)
{
    struct hconn *c = req->c;
    if (req->user_close || req->early)
        c->keep_alive = false;
    if (req->size < 0 && !no_body_status(req->status)) {
        req->chunked = req->head.minor == 1;
        if (!req->chunked)
            c->keep_alive = false; /* the end of the body is the close */
    }
    status_line(o, req->status);
    const char *date = date_line(c->h);
    obuf_add(o, date, strlen(date));
    obuf_add(o, req->hdrs.data, req->hdrs.len);
    if (no_body_status(req->status))
        req->head_only = true;
    else if (req->chunked)
        obuf_add(o, "Transfer-Encoding: chunked\r\n", 28);
    else if (req->size >= 0) {
        char num[DECIMAL_I64_SIZE];
        size_t n = decimal_i64(num, req->size);
        obuf_add(o, "Content-Length: ", 16);
        obuf_add(o, num, n);
        obuf_add(o, "\r\n", 2);
    }
    if (!c->keep_alive && !req->user_close)
        obuf_add(o, "Connection: close\r\n", 19);
    else if (c->keep_alive && req->head.minor == 0)
        obuf_add(o, "Connection: keep-alive\r\n", 24);
    obuf_add(o, "\r\n", 2);
}

/* Common to every answer; false if the request has one already. */
static bool answer(struct httpd_req *req, int status, enum resp_kind kind, int64_t size)
{
    if (req->answered || !req->active)
        return false;
    struct hconn *c = req->c;
    req->answered = true;
    req->status = status;
    req->kind = kind;
    req->size = size;
    req->sent = 0;
    /* Before its body was begun: the body is never read. */
    req->early = req->early ||
                 (c->state == C_BODY && req->body_kind != BODY_NONE && !req->body_begun);
    req->head_only = strcmp(req->head.method, "HEAD") == 0;
    obuf_reset(&c->held);
    req_write_head(req, &c->held);
    if (req->head_only || no_body_status(status))
        req->head_only = true;
    conn_kick(c);
    return true;
}

void req_refuse(struct httpd_req *req, int status, const char *why)
{
    struct hconn *c = req->c;
    if (!req->active) { /* no request yet: only the head was bad */
        req->head.method = "";
        req->head.minor = 1;
        req->active = true;
        req->failed = true;
    }
    req->early = true;
    httpd_add_header(req, "Connection", "close");
    httpd_add_header(req, "Content-Type", "text/plain; charset=utf-8");
    httpd_respondf(req, status, "malformed request: %s\n", why);
    c->state = C_WAIT;
}

void req_end(struct httpd_req *req, bool completed)
{
    struct hconn *c = req->c;
    struct httpd *h = c->h;
    req->active = false;
    if (req->counted)
        h->active--;
    h->body_held -= req->body_reserved;
    if (req->done_fn)
        req->done_fn(req->done_arg, completed);
    if (req->fd >= 0)
        close(req->fd);
    buf_cleanup(&req->body);
    obuf_reset(&req->hdrs);
    struct obuf hdrs = req->hdrs;
    *req = (struct httpd_req){
        .c = c, .fd = -1, .hdrs = hdrs, .head = { .fields = c->fields, .max_fields = MAX_FIELDS }
    };
}

bool httpd_responded(const struct httpd_req *req)
{
    return req->answered;
}

static bool bad_header_text(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

void httpd_add_header(struct httpd_req *req, const char *name, const char *value)
{
    if (req->answered)
        return;
    if (bad_header_text(name) || bad_header_text(value) || !*name ||
        strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0) {
        log_warn(req->c->h->name, "dropped response header %s", name);
        return;
    }
    if (strcasecmp(name, "Connection") == 0 && h1head_has_token(value, "close"))
        req->user_close = true;
    size_t n = strlen(name), v = strlen(value);
    char *p = obuf_room(&req->hdrs, n + v + 4);
    /* Bytes for the wire, not a string: no NUL belongs in them. */
    /* NOLINTBEGIN(bugprone-not-null-terminated-result) */
    memcpy(p, name, n);
    memcpy(p + n, ": ", 2);
    memcpy(p + n + 2, value, v);
    memcpy(p + n + 2 + v, "\r\n", 2);
    /* NOLINTEND(bugprone-not-null-terminated-result) */
    req->hdrs.len += n + v + 4;
}

void httpd_respond(struct httpd_req *req, int status, const void *body, size_t len)
{
    if (!answer(req, status, RESP_BUF, (int64_t)len))
        return;
    if (!req->head_only)
        obuf_add(&req->c->held, body, len);
}

void httpd_respondf(struct httpd_req *req, int status, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof text) {
        httpd_respond(req, status, text, (size_t)n);
        return;
    }
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    httpd_respond(req, status, big, (size_t)n);
    free(big);
}

void httpd_respond_stream(struct httpd_req *req, int status, int64_t size, httpd_read_fn *fn,
                          void *arg)
{
    req->read_fn = fn;
    req->read_arg = arg;
    if (answer(req, status, RESP_STREAM, size < 0 ? -1 : size) && size == 0)
        req->src_done = true;
}

void httpd_respond_fd(struct httpd_req *req, int status, int fd, int64_t size)
{
    if (!answer(req, status, RESP_FD, size)) {
        close(fd);
        return;
    }
    req->fd = fd;
    if (size == 0)
        req->src_done = true;
}

void httpd_wake(struct httpd_req *req)
{
    req->woken = true;
    req->sink_full = false;
    req->reader_wait = false;
    conn_kick(req->c);
}

/* --- accessors ---------------------------------------------------------- */

const char *httpd_req_method(const struct httpd_req *req)
{
    return req->head.method;
}
const char *httpd_req_path(const struct httpd_req *req)
{
    return req->path;
}
const char *httpd_req_query(const struct httpd_req *req)
{
    return req->query;
}
const char *httpd_req_version(const struct httpd_req *req)
{
    return req->head.version;
}
const char *httpd_req_client(const struct httpd_req *req)
{
    return req->c->client;
}
double httpd_req_start_s(const struct httpd_req *req)
{
    return req->start;
}

const char *httpd_req_header(const struct httpd_req *req, const char *name)
{
    return h1head_field(&req->head, name);
}

void httpd_req_headers(const struct httpd_req *req,
                       bool (*fn)(void *arg, const char *name, const char *value), void *arg)
{
    for (size_t i = 0; i < req->head.nfields; i++)
        if (!fn(arg, req->head.fields[i].name, req->head.fields[i].value))
            return;
}

const struct h1field *httpd_req_fields(const struct httpd_req *req, size_t *n)
{
    *n = req->head.nfields;
    return req->head.fields;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *decode_arg(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 &&
            (lo = hex_digit(s[i + 2])) >= 0) {
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[n] = '\0';
    return out;
}

char *httpd_query_arg(const struct httpd_req *req, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = req->query; p && *p;) {
        size_t len = strcspn(p, "&");
        if (len >= klen && strncmp(p, key, klen) == 0 && (len == klen || p[klen] == '='))
            return len == klen ? xstrdup("") : decode_arg(p + klen + 1, len - klen - 1);
        p += len + (p[len] == '&');
    }
    return NULL;
}

int64_t httpd_req_content_length(const struct httpd_req *req)
{
    const char *v = httpd_req_header(req, "Content-Length");
    int64_t n;
    if (!v || parse_int64(v, &n) < 0 || n < 0)
        return -1;
    return n;
}

const char *httpd_req_body(const struct httpd_req *req, size_t *len)
{
    *len = req->body.len;
    return req->body.len ? buf_peek(&req->body) : "";
}

void httpd_req_on_body(struct httpd_req *req, httpd_body_fn *fn, void *arg)
{
    req->body_fn = fn;
    req->body_arg = arg;
}

void httpd_req_on_done(struct httpd_req *req, httpd_done_fn *fn, void *arg)
{
    req->done_fn = fn;
    req->done_arg = arg;
}

/* --- the server --------------------------------------------------------- */

static void watch_listener(struct httpd *h);

static void unwatch_listeners(struct httpd *h)
{
    loop_unwatch(h->lp, h->listen_fd);
    if (h->unix_fd >= 0)
        loop_unwatch(h->lp, h->unix_fd);
}

static void accept_again(struct loop *lp, void *arg)
{
    (void)lp;
    struct httpd *h = arg;
    h->accept_again = NULL;
    watch_listener(h);
}

static void sweep(struct loop *lp, void *arg);

static void arm_sweep(struct httpd *h, int64_t ms)
{
    if (!h->sweep)
        h->sweep = loop_timer_add(h->lp, ms, sweep, h);
}

/* Every connection past a deadline is closed; runs while any are open,
 * as often as the nearest deadline needs, at least once a second. */
static void sweep(struct loop *lp, void *arg)
{
    (void)lp;
    struct httpd *h = arg;
    h->sweep = NULL;
    int64_t now = loop_now_ms(), next = SWEEP_MAX_MS;
    for (struct list_node *it = h->conns.first, *nx; it; it = nx) {
        nx = it->next;
        int64_t left = conn_sweep(LIST_ENTRY(it, struct hconn, node), now);
        if (left >= 0 && left < next)
            next = left;
    }
    if (h->nconns)
        arm_sweep(h, next < 10 ? 10 : next);
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void on_listen(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)events;
    struct httpd *h = arg;
    for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
        struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
        socklen_t len = sizeof ss;
        int s = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (s < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_warn(h->name, "cannot accept a connection: %s", strerror(errno));
                unwatch_listeners(h);
                h->accept_again = loop_timer_add(lp, ACCEPT_PAUSE_MS, accept_again, h);
            }
            return;
        }
        /* Past the hard limit a client is not even told 503. */
        if (h->nconns >= h->hard_conns) {
            close(s);
            continue;
        }
        if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
            set_nodelay(s);
        if (!conn_new(h, s, (struct sockaddr *)&ss)) {
            close(s);
            continue;
        }
        arm_sweep(h, SWEEP_MAX_MS);
    }
}

static void watch_listener(struct httpd *h)
{
    if (!h->accepting || h->accept_again)
        return;
    loop_watch(h->lp, h->listen_fd, LOOP_READ, on_listen, h);
    if (h->unix_fd >= 0)
        loop_watch(h->lp, h->unix_fd, LOOP_READ, on_listen, h);
}

/* Runs before every wait of the loop: the connections woken since. One
 * that yields (a long stream) goes on the list again, and the loop then
 * only looks at its descriptors before coming back. */
static int64_t run_ready(struct loop *lp, void *arg)
{
    (void)lp;
    struct httpd *h = arg;
    struct list now = h->ready;
    h->ready = (struct list){ 0 };
    struct list_node *it;
    while ((it = list_pop_front(&now))) {
        struct hconn *c = LIST_ENTRY(it, struct hconn, ready);
        c->on_ready = false;
        conn_run(c, 0);
    }
    return list_empty(&h->ready) ? -1 : 0;
}

/* Room for a few bodies at their largest, and never less than 64 MiB. */
static size_t default_body_total(size_t max_body)
{
    size_t four = max_body > SIZE_MAX / 4 ? SIZE_MAX : 4 * max_body;
    return four > (64u << 20) ? four : (64u << 20);
}

static unsigned default_max_conns(void)
{
    long n = sysconf(_SC_OPEN_MAX);
    /* Each proxied request may hold a second socket upstream. */
    return n > 256 ? (unsigned)(n - 128) / 2 : 64;
}

struct httpd *httpd_start(struct loop *lp, const struct httpd_opts *o, char *err, size_t errlen)
{
    struct httpd *h = xcalloc(1, sizeof *h);
    h->lp = lp;
    h->unix_fd = -1;
    h->name = o->name ? o->name : "http";
    h->max_body = o->max_body;
    h->max_body_total = o->max_body_total ? o->max_body_total : default_body_total(o->max_body);
    h->idle_ms = o->idle_timeout_ms;
    h->write_ms = o->write_timeout_ms > 0 ? o->write_timeout_ms : o->idle_timeout_ms;
    h->head_ms = o->head_timeout_ms > 0 ? o->head_timeout_ms : o->idle_timeout_ms;
    h->max_conns = o->max_conns ? o->max_conns : default_max_conns();
    /* Connections past max_conns are still read, up to an eighth more, so
     * they can be told 503 instead of being closed without a word. */
    h->hard_conns = h->max_conns + h->max_conns / 8 + 8;
    h->listen_fd = o->listen_fd >= 0 ? o->listen_fd : listenfd_bind(o->addr, o->port, err, errlen);
    if (h->listen_fd < 0) {
        free(h);
        return NULL;
    }
    h->port = listenfd_port(h->listen_fd);
    int fl = fcntl(h->listen_fd, F_GETFL);
    h->accepting = true;
    if (fl < 0 || fcntl(h->listen_fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        loop_watch(lp, h->listen_fd, LOOP_READ, on_listen, h) < 0) {
        snprintf(err, errlen, "cannot serve HTTP on port %d: %s", h->port, strerror(errno));
        close(h->listen_fd);
        free(h);
        return NULL;
    }
    loop_add_prepare(lp, run_ready, h);
    return h;
}

int httpd_serve_fd(struct httpd *h, int fd, char *err, size_t errlen)
{
    int fl = fcntl(fd, F_GETFL);
    if (h->unix_fd >= 0 || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        (h->accepting && loop_watch(h->lp, fd, LOOP_READ, on_listen, h) < 0)) {
        snprintf(err, errlen, "cannot serve HTTP on a second socket: %s",
                 h->unix_fd >= 0 ? "one is served already" : strerror(errno));
        return -1;
    }
    h->unix_fd = fd;
    return 0;
}

int httpd_listen_unix(struct httpd *h, const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd = listenfd_bind_unix(path, err, errlen);
    if (fd < 0)
        return -1;
    if (path[0] == '@') { /* abstract: no file to remove at the stop */
        if (httpd_serve_fd(h, fd, err, errlen) < 0) {
            close(fd);
            return -1;
        }
        return 0;
    }
    if (stat(path, &st) < 0) {
        snprintf(err, errlen, "unix socket %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (httpd_serve_fd(h, fd, err, errlen) < 0) {
        close(fd);
        unlink(path);
        return -1;
    }
    h->unix_path = xstrdup(path);
    h->unix_dev = st.st_dev;
    h->unix_ino = st.st_ino;
    return 0;
}

/* The socket file goes with the server, unless another has taken the
 * path since. */
static void close_unix(struct httpd *h)
{
    struct stat st;
    if (h->unix_fd < 0)
        return;
    close(h->unix_fd);
    h->unix_fd = -1;
    if (!h->unix_path)
        return;
    if (stat(h->unix_path, &st) == 0 && st.st_dev == h->unix_dev && st.st_ino == h->unix_ino)
        unlink(h->unix_path);
    free(h->unix_path);
}

void httpd_quiesce(struct httpd *h)
{
    if (!h->accepting)
        return;
    h->accepting = false;
    unwatch_listeners(h);
    if (h->accept_again)
        loop_timer_cancel(h->lp, h->accept_again);
    h->accept_again = NULL;
}

void httpd_stop(struct httpd *h)
{
    if (!h)
        return;
    httpd_quiesce(h);
    close(h->listen_fd);
    close_unix(h);
    loop_remove_prepare(h->lp, run_ready, h);
    struct list_node *it;
    while ((it = h->conns.first))
        conn_close(LIST_ENTRY(it, struct hconn, node));
    if (h->sweep)
        loop_timer_cancel(h->lp, h->sweep);
    for (size_t i = 0; i < h->nroutes; i++)
        free(h->routes[i].path);
    free(h->routes);
    free(h);
}

int httpd_port(const struct httpd *h)
{
    return h->port;
}
unsigned httpd_active(const struct httpd *h)
{
    return h->active;
}
uint64_t httpd_served(const struct httpd *h)
{
    return h->served;
}

void httpd_route(struct httpd *h, const char *path, enum httpd_body body, httpd_handler_fn *fn,
                 void *arg)
{
    h->routes = xrealloc(h->routes, (h->nroutes + 1) * sizeof *h->routes);
    struct route *r = &h->routes[h->nroutes++];
    size_t len = strlen(path);
    r->prefix = len && path[len - 1] == '*';
    r->path = xstrndup(path, r->prefix ? len - 1 : len);
    r->len = strlen(r->path);
    r->body = body;
    r->fn = fn;
    r->guard = NULL;
    r->arg = arg;
}

void httpd_route_guard(struct httpd *h, httpd_guard_fn *guard)
{
    if (h->nroutes)
        h->routes[h->nroutes - 1].guard = guard;
}
