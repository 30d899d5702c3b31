/* httpd.c -- libmicrohttpd in external-epoll mode on a struct loop.
 *
 * Rules of libmicrohttpd that shape this file:
 * - A response may only be queued from inside the access handler. So a
 *   response made later is parked in the request, the connection resumed,
 *   and queued by flush() on the next access-handler call.
 * - An access-handler call that neither queues, consumes the body, nor
 *   suspends is repeated at once: a request waiting on anything suspends.
 * - Suspended connections must all be resumed before MHD_stop_daemon().
 * - The URL handed to the access handler has its query cut off; the raw
 *   request target only reaches the URI-log callback, which is where a
 *   request begins here. */
#include "httpd.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "conntrack.h"
#include "framing.h"
#include "list.h"
#include "listenfd.h"
#include "log.h"
#include "loop.h"
#include "parse.h"
#include "xalloc.h"

struct route {
    char *path;
    size_t len;
    bool prefix;
    enum httpd_body body;
    httpd_handler_fn *fn;
    httpd_guard_fn *guard;
    void *arg;
};

struct header {
    char *name, *value;
    struct header *next;
};

struct httpd {
    struct loop *lp;
    struct MHD_Daemon *d;
    const char *name;
    int listen_fd;
    int port;
    size_t max_body;
    size_t max_body_total, body_held; /* over every buffered body */
    struct conntrack conns;
    struct route *routes;
    size_t nroutes;
    struct list live; /* every request not yet done (struct httpd_req) */
    bool resumed;           /* MHD_run() owed to a resumed connection */
    bool quiesced;          /* the listening socket is ours again */
    unsigned read_timeout_s, write_timeout_s;
    int64_t next_run_ms;    /* when libmicrohttpd's next timeout is due */
    unsigned active;
    uint64_t served;
};

struct httpd_req {
    struct httpd *h;
    struct list_node node; /* in h->live */
    struct MHD_Connection *conn;
    char *target; /* raw request target; path and query point into it */
    char *path, *query;
    const char *method, *version;
    const struct route *route;
    double start;
    char client[INET6_ADDRSTRLEN];
    bool started, in_body, body_done, suspended, woken, queued;
    struct buf body;
    size_t body_reserved; /* this body's part of h->body_held */
    httpd_body_fn *body_fn;
    void *body_arg;
    httpd_done_fn *done_fn;
    void *done_arg;
    struct header *headers, **htail;
    struct MHD_Response *resp;
    int status;
    httpd_read_fn *read_fn;
    void *read_arg;
};

/* --- request objects ---------------------------------------------------- */

static struct httpd_req *req_new(struct httpd *h, const char *target)
{
    struct httpd_req *req = xcalloc(1, sizeof *req);
    req->h = h;
    req->target = xstrdup(target);
    req->path = req->target;
    char *q = strchr(req->target, '?');
    if (q) {
        *q = '\0';
        req->query = q + 1;
    }
    req->start = loop_now_s();
    req->htail = &req->headers;
    buf_init(&req->body, h->max_body);
    list_push_front(&h->live, &req->node);
    h->active++;
    h->served++;
    return req;
}

static void req_free(struct httpd_req *req)
{
    struct httpd *h = req->h;
    list_remove(&h->live, &req->node);
    h->active--;
    h->body_held -= req->body_reserved;
    for (struct header *x = req->headers, *n; x; x = n) {
        n = x->next;
        free(x->name);
        free(x->value);
        free(x);
    }
    if (req->resp)
        MHD_destroy_response(req->resp);
    buf_cleanup(&req->body);
    free(req->target);
    free(req);
}

static void suspend(struct httpd_req *req)
{
    if (!req->suspended && req->conn) {
        MHD_suspend_connection(req->conn);
        req->suspended = true;
    }
}

void httpd_wake(struct httpd_req *req)
{
    req->woken = true;
    if (req->suspended) {
        req->suspended = false;
        req->h->resumed = true;
        MHD_resume_connection(req->conn);
    }
}

/* Queues a parked response if libmicrohttpd allows it now: before the
 * body (an early answer, which ends reading) or after all of it, never in
 * between; otherwise parks the connection until someone answers or wakes
 * it. */
static enum MHD_Result flush(struct httpd_req *req, bool waiting)
{
    bool can_queue = !req->in_body || req->body_done;
    if (req->resp && !req->queued && can_queue) {
        enum MHD_Result r = MHD_queue_response(req->conn, (unsigned)req->status, req->resp);
        if (req->h->write_timeout_s != req->h->read_timeout_s)
            MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                      req->h->write_timeout_s);
        MHD_destroy_response(req->resp);
        req->resp = NULL;
        req->queued = true;
        return r;
    }
    if (waiting && !req->queued && !req->woken)
        suspend(req);
    return MHD_YES;
}

/* --- the access handler ------------------------------------------------- */

static const struct route *find_route(const struct httpd *h, const char *path)
{
    for (size_t i = 0; i < h->nroutes; i++) {
        const struct route *r = &h->routes[i];
        if (r->prefix ? strncmp(path, r->path, r->len) == 0 : strcmp(path, r->path) == 0)
            return r;
    }
    return NULL;
}

static void note_client(struct httpd_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
                  req->client, sizeof req->client);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                  req->client, sizeof req->client);
}

static enum MHD_Result add_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    framing_add(cls, key, value ? value : "");
    return MHD_YES;
}

/* Refuses, from the head alone, a request whose body two parsers could
 * frame differently; the connection closes after the answer, so no byte
 * of its body is read as the next request. */
static bool refuse_ambiguous(struct httpd_req *req)
{
    struct framing f;
    framing_init(&f);
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_field, &f);
    const char *why;
    int status = framing_verdict(&f, &why);
    if (!status)
        return false;
    log_info(req->h->name, "refused %s %s from %s: %s", req->method, req->path, req->client,
             why);
    httpd_add_header(req, "Connection", "close");
    httpd_respondf(req, status, "malformed request: %s\n", why);
    return true;
}

static struct conn *tracked(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void head_arrived(struct MHD_Connection *conn)
{
    struct conn *c = tracked(conn);
    if (c)
        conntrack_head_done(c);
}

/* Takes room for `more` bytes of buffered body from the server's total;
 * false if the total would pass its bound. */
static bool reserve_body(struct httpd_req *req, size_t more)
{
    struct httpd *h = req->h;
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

static bool over_limit(struct MHD_Connection *conn)
{
    const struct conn *c = tracked(conn);
    return c && c->over_limit;
}

static void begin(struct httpd_req *req)
{
    note_client(req);
    if (refuse_ambiguous(req))
        return;
    if (over_limit(req->conn)) {
        refuse_busy(req, "too many connections");
        return;
    }
    req->route = find_route(req->h, req->path);
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
    int64_t cl = httpd_req_content_length(req);
    if (cl > (int64_t)req->h->max_body)
        httpd_respondf(req, 413, "request body of %lld bytes is above the limit of %zu bytes\n",
                       (long long)cl, req->h->max_body);
    else if (cl > 0 && !reserve_body(req, (size_t)cl))
        refuse_busy(req, "too many request bodies held");
}

/* Returns true if the connection must wait for the consumer. */
static bool feed(struct httpd_req *req, const char *data, size_t *size)
{
    if (!req->route) {
        *size = 0;
        return false;
    }
    if (req->route->body == HTTPD_BODY_BUFFER) {
        size_t beyond = req->body.len + *size > req->body_reserved
                            ? req->body.len + *size - req->body_reserved : 0;
        if (req->resp || req->queued)
            ; /* answered already: the rest of the body is moot */
        else if (beyond && !reserve_body(req, beyond))
            refuse_busy(req, "too many request bodies held");
        else if (buf_append(&req->body, data, *size) < 0)
            httpd_respondf(req, 413, "request body is above the limit of %zu bytes\n",
                           req->h->max_body);
        *size = 0;
        return false;
    }
    size_t n = req->body_fn ? req->body_fn(req->body_arg, data, *size, false) : *size;
    *size -= n;
    return *size > 0;
}

static void finish_body(struct httpd_req *req)
{
    req->body_done = true;
    if (!req->route)
        return;
    if (req->route->body == HTTPD_BODY_BUFFER) {
        if (req->resp || req->queued)
            return;
        buf_cstr(&req->body);
        req->route->fn(req, req->route->arg);
    } else if (req->body_fn) {
        req->body_fn(req->body_arg, NULL, 0, true);
    }
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    struct httpd_req *req = *con_cls;
    if (!req) {
        req = req_new(cls, url);
        *con_cls = req;
    }
    req->woken = false;
    if (!req->started) {
        req->started = true;
        req->conn = conn;
        head_arrived(conn);
        if (req->h->write_timeout_s != req->h->read_timeout_s) /* keep-alive: reading again */
            MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                      req->h->read_timeout_s);
        req->method = method;
        req->version = version;
        begin(req);
        enum MHD_Result r = flush(req, false);
        req->in_body = true;
        return r;
    }
    if (*upload_data_size)
        return flush(req, feed(req, upload_data, upload_data_size));
    if (!req->body_done)
        finish_body(req);
    return flush(req, true);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    return req_new(cls, uri);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    struct conn *c = tracked(conn);
    if (c) /* keep-alive: the next head's deadline starts now */
        conntrack_head_again(c);
    struct httpd_req *req = *con_cls;
    if (!req)
        return;
    *con_cls = NULL;
    if (req->done_fn)
        req->done_fn(req->done_arg, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    req_free(req);
}

/* Keeps the path as sent: proxies must pass it on unaltered, and handlers
 * that need it decoded do so themselves. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    const struct httpd *h = cls;
    if (log_threshold < LOGL_DEBUG)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug(h->name, "libmicrohttpd: %s", msg);
}

/* --- responses ---------------------------------------------------------- */

void httpd_add_header(struct httpd_req *req, const char *name, const char *value)
{
    struct header *x = xmalloc(sizeof *x);
    x->name = xstrdup(name);
    x->value = xstrdup(value);
    x->next = NULL;
    *req->htail = x;
    req->htail = &x->next;
}

static void park(struct httpd_req *req, int status, struct MHD_Response *resp)
{
    if (!resp) {
        log_error(req->h->name, "cannot create response for %s", req->path);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        status = 500;
    }
    if (req->resp || req->queued) {
        MHD_destroy_response(resp); /* a second answer loses */
        return;
    }
    for (const struct header *x = req->headers; x; x = x->next)
        if (MHD_add_response_header(resp, x->name, x->value) == MHD_NO)
            log_warn(req->h->name, "dropped response header %s", x->name);
    req->resp = resp;
    req->status = status;
    httpd_wake(req);
}

bool httpd_responded(const struct httpd_req *req)
{
    return req->resp || req->queued;
}

void httpd_respond(struct httpd_req *req, int status, const void *body, size_t len)
{
    park(req, status,
         MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY));
}

void httpd_respondf(struct httpd_req *req, int status, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0) {
        httpd_respond(req, status, "", 0);
        return;
    }
    park(req, status, MHD_create_response_from_buffer((size_t)n, text, MHD_RESPMEM_MUST_FREE));
}

static ssize_t mhd_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct httpd_req *req = cls;
    req->woken = false;
    ssize_t n = req->read_fn(req->read_arg, out, max);
    if (n == HTTPD_READ_EOF)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0 && !req->woken)
        suspend(req);
    return n;
}

void httpd_respond_stream(struct httpd_req *req, int status, int64_t size,
                          httpd_read_fn *fn, void *arg)
{
    req->read_fn = fn;
    req->read_arg = arg;
    uint64_t total = size < 0 ? MHD_SIZE_UNKNOWN : (uint64_t)size;
    /* libmicrohttpd allocates the whole block with every response: a small
     * answer must not pay for a large buffer. */
    size_t block = size >= 0 && size < 64 * 1024 ? (size_t)size : 64 * 1024;
    if (block < 1024)
        block = 1024;
    park(req, status, MHD_create_response_from_callback(total, block, mhd_reader, req, NULL));
}

void httpd_respond_fd(struct httpd_req *req, int status, int fd, int64_t size)
{
    struct MHD_Response *resp = MHD_create_response_from_fd64((uint64_t)size, fd);
    if (!resp)
        close(fd);
    park(req, status, resp);
}

/* --- accessors ---------------------------------------------------------- */

const char *httpd_req_method(const struct httpd_req *req) { return req->method; }
const char *httpd_req_path(const struct httpd_req *req) { return req->path; }
const char *httpd_req_query(const struct httpd_req *req) { return req->query; }
const char *httpd_req_version(const struct httpd_req *req) { return req->version; }
const char *httpd_req_client(const struct httpd_req *req) { return req->client; }
double httpd_req_start_s(const struct httpd_req *req) { return req->start; }

const char *httpd_req_header(const struct httpd_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct header_walk {
    bool (*fn)(void *arg, const char *name, const char *value);
    void *arg;
};

static enum MHD_Result walk_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    const struct header_walk *w = cls;
    return w->fn(w->arg, key, value ? value : "") ? MHD_YES : MHD_NO;
}

void httpd_req_headers(const struct httpd_req *req,
                       bool (*fn)(void *arg, const char *name, const char *value), void *arg)
{
    struct header_walk w = { fn, arg };
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, walk_header, &w);
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
        if (s[i] == '%' && i + 2 < len &&
            (hi = hex_digit(s[i + 1])) >= 0 && (lo = hex_digit(s[i + 2])) >= 0) {
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

static void on_mhd_ready(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)lp;
    (void)fd;
    (void)events;
    struct httpd *h = arg;
    MHD_run(h->d);
}

/* Runs before every wait of the loop. libmicrohttpd processes resumed
 * connections and its own timeouts only inside MHD_run(), and neither
 * makes its epoll descriptor readable here, so we call it when a
 * connection was resumed or its timeout has come. */
static int64_t mhd_prepare(struct loop *lp, void *arg)
{
    (void)lp;
    struct httpd *h = arg;
    if (!h->d)
        return -1;
    if (h->resumed || (h->next_run_ms >= 0 && loop_now_ms() >= h->next_run_ms)) {
        h->resumed = false;
        MHD_run(h->d);
    }
    MHD_UNSIGNED_LONG_LONG ms;
    if (h->resumed)
        return 0;
    if (MHD_get_timeout(h->d, &ms) != MHD_YES) {
        h->next_run_ms = -1;
        return -1;
    }
    h->next_run_ms = loop_now_ms() + (int64_t)ms;
    return (int64_t)ms;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct httpd *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? conntrack_open(&h->conns, ci->connect_fd) : NULL;
    } else if (*socket_context) {
        conntrack_close(&h->conns, *socket_context);
        *socket_context = NULL;
    }
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

/* Connections past max_conns are still read, up to an eighth more, so
 * they can be told 503 instead of being closed without a word; each costs
 * at most its 32 KiB memory pool. */
static struct MHD_Daemon *start_mhd(struct httpd *h, unsigned max_conns)
{
    unsigned timeout_s = h->read_timeout_s;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, h,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->listen_fd,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, max_conns + max_conns / 8 + 8,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, h,
        MHD_OPTION_END);
}

struct httpd *httpd_start(struct loop *lp, const struct httpd_opts *o, char *err, size_t errlen)
{
    struct httpd *h = xcalloc(1, sizeof *h);
    h->lp = lp;
    h->name = o->name ? o->name : "http";
    h->next_run_ms = -1;
    h->max_body = o->max_body;
    h->max_body_total = o->max_body_total ? o->max_body_total : default_body_total(o->max_body);
    /* libmicrohttpd counts whole seconds; round up so 500ms is not "never". */
    h->read_timeout_s = (unsigned)((o->idle_timeout_ms + 999) / 1000);
    h->write_timeout_s = o->write_timeout_ms > 0 ? (unsigned)((o->write_timeout_ms + 999) / 1000)
                                                 : h->read_timeout_s;
    h->listen_fd = o->listen_fd >= 0 ? o->listen_fd : listenfd_bind(o->addr, o->port, err, errlen);
    if (h->listen_fd < 0)
        goto fail;
    h->port = listenfd_port(h->listen_fd);
    unsigned max_conns = o->max_conns ? o->max_conns : default_max_conns();
    conntrack_init(&h->conns, lp, max_conns,
                   o->head_timeout_ms > 0 ? o->head_timeout_ms : o->idle_timeout_ms);
    h->d = start_mhd(h, max_conns);
    if (!h->d) {
        snprintf(err, errlen, "cannot start the HTTP server on port %d", h->port);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!di || loop_watch(lp, di->epoll_fd, LOOP_READ, on_mhd_ready, h) < 0) {
        snprintf(err, errlen, "cannot watch the HTTP server's epoll descriptor");
        goto fail;
    }
    loop_add_prepare(lp, mhd_prepare, h);
    return h;
fail: /* a daemon that started owns the socket and closes it */
    conntrack_cleanup(&h->conns);
    if (h->d)
        MHD_stop_daemon(h->d);
    else if (h->listen_fd >= 0 && o->listen_fd < 0)
        close(h->listen_fd);
    free(h);
    return NULL;
}

/* libmicrohttpd closes a socket given with MHD_OPTION_LISTEN_SOCKET when
 * it stops, unless it was quiesced first: then the socket is ours again. */
void httpd_quiesce(struct httpd *h)
{
    if (h->d && !h->quiesced) {
        MHD_quiesce_daemon(h->d);
        h->quiesced = true;
    }
}

void httpd_stop(struct httpd *h)
{
    if (!h)
        return;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (di)
        loop_unwatch(h->lp, di->epoll_fd);
    loop_remove_prepare(h->lp, mhd_prepare, h);
    for (struct list_node *it = h->live.first; it; it = it->next) {
        struct httpd_req *req = LIST_ENTRY(it, struct httpd_req, node);
        if (req->suspended) {
            req->suspended = false;
            MHD_resume_connection(req->conn);
        }
    }
    bool ours = h->quiesced;
    MHD_stop_daemon(h->d);
    h->d = NULL;
    conntrack_cleanup(&h->conns);
    if (ours)
        close(h->listen_fd);
    for (size_t i = 0; i < h->nroutes; i++)
        free(h->routes[i].path);
    free(h->routes);
    free(h);
}

int httpd_port(const struct httpd *h) { return h->port; }
unsigned httpd_active(const struct httpd *h) { return h->active; }
uint64_t httpd_served(const struct httpd *h) { return h->served; }

void httpd_route(struct httpd *h, const char *path, enum httpd_body body,
                 httpd_handler_fn *fn, void *arg)
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
