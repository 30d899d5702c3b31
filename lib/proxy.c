/* proxy.c -- reverse proxy over libcurl multi and lib/httpd.
 *
 * Rules of libcurl that shape this file:
 * - A write callback that returns CURL_WRITEFUNC_PAUSE gets the same chunk
 *   again, whole, when unpaused; so the response buffer pauses at a soft
 *   limit and keeps a hard limit well above it to take that chunk.
 * - curl_easy_pause() takes the complete pause state, not a change, and
 *   may call the write callback before it returns.
 * - An easy handle is used by one thread at a time: all of this runs on
 *   the loop thread. */
#include "proxy.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define UP_MAX (256 * 1024)         /* client body waiting to go upstream */
#define DOWN_SOFT (256 * 1024)      /* response held before pausing curl */
#define DOWN_HARD (4 * 1024 * 1024) /* room for a chunk curl re-delivers */

struct proxy {
    struct loop *lp;
    CURLM *multi;
    struct loop_timer *timer;
    unsigned active;
};

struct pxcall {
    struct proxy *px;
    struct httpd_req *req;
    CURL *easy;
    struct curl_slist *hdrs;
    struct proxy_call call;
    char *url;
    char errbuf[CURL_ERROR_SIZE];
    struct buf up, down;
    const char *fixed; /* a buffered body, borrowed from req */
    size_t fixed_len, fixed_off;
    bool up_eof, up_paused, body_blocked, down_paused;
    bool headers_done, transfer_done, req_done;
    CURLcode result;
    int status;
    struct curl_slist *resp_hdrs;
};

static void call_free(struct pxcall *c)
{
    if (c->easy) {
        curl_multi_remove_handle(c->px->multi, c->easy);
        curl_easy_cleanup(c->easy);
        c->px->active--;
    }
    curl_slist_free_all(c->hdrs);
    curl_slist_free_all(c->resp_hdrs);
    buf_cleanup(&c->up);
    buf_cleanup(&c->down);
    free(c->url);
    free(c);
}

static void set_pause(struct pxcall *c)
{
    int mask = (c->up_paused ? CURLPAUSE_SEND : 0) | (c->down_paused ? CURLPAUSE_RECV : 0);
    if (c->easy && !c->transfer_done)
        curl_easy_pause(c->easy, mask);
}

/* --- client body -> upstream -------------------------------------------- */

static size_t on_client_body(void *arg, const char *data, size_t len, bool eof)
{
    struct pxcall *c = arg;
    if (c->transfer_done)
        return len; /* upstream already answered: drop the rest */
    if (eof) {
        c->up_eof = true;
    } else {
        size_t room = buf_space(&c->up);
        if (len > room) {
            len = room;
            c->body_blocked = true;
        }
        buf_append(&c->up, data, len);
    }
    if (c->up_paused && (c->up.len || c->up_eof)) {
        c->up_paused = false;
        set_pause(c);
    }
    return len;
}

static size_t on_curl_read(char *out, size_t size, size_t n, void *arg)
{
    struct pxcall *c = arg;
    if (c->fixed) {
        size_t k = c->fixed_len - c->fixed_off < size * n ? c->fixed_len - c->fixed_off : size * n;
        memcpy(out, c->fixed + c->fixed_off, k);
        c->fixed_off += k;
        return k;
    }
    if (c->up.len == 0) {
        if (c->up_eof)
            return 0;
        c->up_paused = true;
        return CURL_READFUNC_PAUSE;
    }
    size_t k = buf_take(&c->up, out, size * n);
    if (c->body_blocked && !c->req_done) {
        c->body_blocked = false;
        httpd_wake(c->req);
    }
    return k;
}

/* --- upstream response -> client ---------------------------------------- */

static const char *const hop_by_hop[] = {
    "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE",
    "Trailer", "Upgrade", "Content-Length", "Date", NULL,
};

static bool is_hop_by_hop(const char *name, size_t len)
{
    for (const char *const *h = hop_by_hop; *h; h++)
        if (strlen(*h) == len && strncasecmp(name, *h, len) == 0)
            return true;
    return false;
}

static ssize_t on_client_read(void *arg, char *out, size_t max)
{
    struct pxcall *c = arg;
    if (c->down.len) {
        size_t n = buf_take(&c->down, out, max);
        if (c->down_paused && c->down.len < DOWN_SOFT / 2) {
            c->down_paused = false;
            set_pause(c);
        }
        return (ssize_t)n;
    }
    if (c->transfer_done)
        return c->result == CURLE_OK ? HTTPD_READ_EOF : HTTPD_READ_ERROR;
    return 0;
}

/* Copies the upstream's headers (less hop-by-hop ones) to the client. */
static void pass_headers(struct pxcall *c)
{
    for (const struct curl_slist *h = c->resp_hdrs; h; h = h->next) {
        const char *colon = strchr(h->data, ':');
        if (!colon || is_hop_by_hop(h->data, (size_t)(colon - h->data)))
            continue;
        char *name = xstrndup(h->data, (size_t)(colon - h->data));
        const char *value = colon + 1 + strspn(colon + 1, " \t");
        httpd_add_header(c->req, name, value);
        free(name);
    }
}

static void respond_upstream(struct pxcall *c)
{
    long status = 0;
    curl_off_t size = -1;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &size);
    c->status = (int)status;
    if (status == 204 || status == 304)
        size = 0;
    if (c->call.on_response)
        c->call.on_response(c->call.arg, c->req, c->status, false);
    pass_headers(c);
    httpd_respond_stream(c->req, c->status, size, on_client_read, c);
}

static size_t on_curl_header(char *line, size_t size, size_t n, void *arg)
{
    struct pxcall *c = arg;
    size_t len = size * n;
    if (c->req_done)
        return 0;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        curl_slist_free_all(c->resp_hdrs); /* a new status line: 1xx before */
        c->resp_hdrs = NULL;
        return len;
    }
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len == 0) {
        long status = 0;
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && !c->headers_done) {
            c->headers_done = true;
            respond_upstream(c);
        }
        return size * n;
    }
    char *copy = xstrndup(line, len);
    c->resp_hdrs = curl_slist_append(c->resp_hdrs, copy);
    free(copy);
    return size * n;
}

static size_t on_curl_write(char *data, size_t size, size_t n, void *arg)
{
    struct pxcall *c = arg;
    size_t len = size * n;
    if (c->req_done)
        return 0;
    if (c->down.len >= DOWN_SOFT || buf_space(&c->down) < len) {
        c->down_paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    buf_append(&c->down, data, len);
    httpd_wake(c->req);
    return len;
}

/* --- the end of a call -------------------------------------------------- */

static void respond_error(struct pxcall *c)
{
    bool timeout = c->result == CURLE_OPERATION_TIMEDOUT;
    c->status = timeout ? 504 : 502;
    if (c->call.on_response)
        c->call.on_response(c->call.arg, c->req, c->status, true);
    if (timeout)
        httpd_respondf(c->req, 504, "upstream timed out after %lld ms\n",
                       (long long)c->call.timeout_ms);
    else
        httpd_respondf(c->req, 502, "upstream unreachable: %s\n",
                       c->errbuf[0] ? c->errbuf : curl_easy_strerror(c->result));
}

/* libcurl finished the exchange (well or not); the client may still be
 * reading what is buffered. */
static void transfer_finished(struct pxcall *c, CURLcode result)
{
    c->transfer_done = true;
    c->result = result;
    if (result != CURLE_OK)
        log_debug("proxy", "upstream call failed url=%s error=\"%s\"", c->url,
                  c->errbuf[0] ? c->errbuf : curl_easy_strerror(result));
    if (c->req_done) {
        call_free(c);
        return;
    }
    if (!c->headers_done)
        respond_error(c);
    else
        httpd_wake(c->req);
}

static void on_request_done(void *arg, bool completed)
{
    struct pxcall *c = arg;
    (void)completed;
    c->req_done = true;
    if (c->call.on_done)
        c->call.on_done(c->call.arg, httpd_responded(c->req) ? c->status : 0);
    call_free(c); /* if the client left early, this aborts the exchange */
}

static void check_finished(struct proxy *px)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(px->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct pxcall *c = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        transfer_finished(c, msg->data.result);
    }
}

/* --- libcurl multi on the loop ------------------------------------------ */

static void on_socket_ready(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)lp;
    struct proxy *px = arg;
    int running;
    int mask = ((events & LOOP_READ) ? CURL_CSELECT_IN : 0) |
               ((events & LOOP_WRITE) ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(px->multi, fd, mask, &running);
    check_finished(px);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    (void)easy;
    (void)sockp;
    struct proxy *px = arg;
    if (what == CURL_POLL_REMOVE) {
        loop_unwatch(px->lp, fd);
        return 0;
    }
    unsigned events = ((what & CURL_POLL_IN) ? LOOP_READ : 0u) |
                      ((what & CURL_POLL_OUT) ? LOOP_WRITE : 0u);
    return loop_watch(px->lp, fd, events, on_socket_ready, px);
}

static void on_timer(struct loop *lp, void *arg)
{
    (void)lp;
    struct proxy *px = arg;
    int running;
    px->timer = NULL;
    curl_multi_socket_action(px->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_finished(px);
}

static int on_curl_timer(CURLM *multi, long ms, void *arg)
{
    (void)multi;
    struct proxy *px = arg;
    loop_timer_cancel(px->lp, px->timer);
    px->timer = ms >= 0 ? loop_timer_add(px->lp, ms, on_timer, px) : NULL;
    return 0;
}

struct proxy *proxy_new(struct loop *lp)
{
    struct proxy *px = xcalloc(1, sizeof *px);
    px->lp = lp;
    px->multi = curl_multi_init();
    curl_multi_setopt(px->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(px->multi, CURLMOPT_SOCKETDATA, px);
    curl_multi_setopt(px->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(px->multi, CURLMOPT_TIMERDATA, px);
    curl_multi_setopt(px->multi, CURLMOPT_MAXCONNECTS, 512L);
    return px;
}

void proxy_free(struct proxy *px)
{
    if (!px)
        return;
    loop_timer_cancel(px->lp, px->timer);
    curl_multi_cleanup(px->multi);
    free(px);
}

unsigned proxy_active(const struct proxy *px)
{
    return px->active;
}

/* --- starting a call ---------------------------------------------------- */

struct header_ctx {
    struct pxcall *c;
    bool forwarded_for;
};

static bool add_request_header(void *arg, const char *name, const char *value)
{
    struct header_ctx *hc = arg;
    size_t len = strlen(name);
    if (is_hop_by_hop(name, len) || strcasecmp(name, "Host") == 0 ||
        strcasecmp(name, "Expect") == 0)
        return true;
    char *line;
    if (strcasecmp(name, "X-Forwarded-For") == 0) {
        hc->forwarded_for = true;
        line = xasprintf("%s: %s, %s", name, value, httpd_req_client(hc->c->req));
    } else {
        line = xasprintf("%s: %s", name, value);
    }
    hc->c->hdrs = curl_slist_append(hc->c->hdrs, line);
    free(line);
    return true;
}

static void build_request_headers(struct pxcall *c)
{
    struct header_ctx hc = { c, false };
    httpd_req_headers(c->req, add_request_header, &hc);
    if (!hc.forwarded_for) {
        char *line = xasprintf("X-Forwarded-For: %s", httpd_req_client(c->req));
        c->hdrs = curl_slist_append(c->hdrs, line);
        free(line);
    }
    const char *host = httpd_req_header(c->req, "Host");
    if (host && !httpd_req_header(c->req, "X-Forwarded-Host")) {
        char *line = xasprintf("X-Forwarded-Host: %s", host);
        c->hdrs = curl_slist_append(c->hdrs, line);
        free(line);
    }
    for (const char *const *h = c->call.headers; h && *h; h++)
        c->hdrs = curl_slist_append(c->hdrs, *h);
    c->hdrs = curl_slist_append(c->hdrs, "Expect:"); /* no 100-continue wait */
}

static void set_method(struct pxcall *c)
{
    const char *method = httpd_req_method(c->req);
    int64_t length = httpd_req_content_length(c->req);
    bool chunked = httpd_req_header(c->req, "Transfer-Encoding") != NULL;
    if (c->call.buffered_body) {
        c->fixed = httpd_req_body(c->req, &c->fixed_len);
        length = (int64_t)c->fixed_len;
        chunked = false;
        c->up_eof = true;
    }
    bool has_body = length > 0 || chunked;
    if (strcmp(method, "GET") == 0 && !has_body) {
        curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
        c->up_eof = true;
        return;
    }
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c->easy, CURLOPT_NOBODY, 1L);
        c->up_eof = true;
        return;
    }
    curl_easy_setopt(c->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->easy, CURLOPT_INFILESIZE_LARGE,
                     (curl_off_t)(chunked ? -1 : (length > 0 ? length : 0)));
    curl_easy_setopt(c->easy, CURLOPT_READFUNCTION, on_curl_read);
    curl_easy_setopt(c->easy, CURLOPT_READDATA, c);
}

static void set_options(struct pxcall *c)
{
    CURL *e = c->easy;
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, c);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_curl_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_curl_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 64L * 1024);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 64L * 1024);
    if (c->call.timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->call.timeout_ms);
    if (c->call.connect_timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->call.connect_timeout_ms);
}

int proxy_forward(struct proxy *px, struct httpd_req *req, const struct proxy_call *call)
{
    struct pxcall *c = xcalloc(1, sizeof *c);
    c->px = px;
    c->req = req;
    c->call = *call;
    c->call.headers = NULL;
    c->url = xstrdup(call->url);
    buf_init(&c->up, UP_MAX);
    buf_init(&c->down, DOWN_HARD);
    c->easy = curl_easy_init();
    if (!c->easy) {
        call_free(c);
        httpd_respondf(req, 500, "cannot start an upstream call\n");
        return -1;
    }
    px->active++;
    c->call.headers = call->headers;
    build_request_headers(c);
    c->call.headers = NULL;
    set_method(c);
    set_options(c);
    if (!call->buffered_body)
        httpd_req_on_body(req, on_client_body, c);
    httpd_req_on_done(req, on_request_done, c);
    if (curl_multi_add_handle(px->multi, c->easy) != CURLM_OK) {
        curl_easy_cleanup(c->easy);
        c->easy = NULL;
        px->active--;
        c->transfer_done = true;
        c->result = CURLE_FAILED_INIT;
        respond_error(c);
    }
    return 0;
}
