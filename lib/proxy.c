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
#include "spool.h"
#include "curlloop.h"
#include "httpd.h"
#include "log.h"
#include "xalloc.h"

#define UP_MAX (256 * 1024)         /* client body waiting to go upstream */
#define DOWN_SOFT (256 * 1024)      /* response held before pausing curl */
#define DOWN_MEM (4 * 1024 * 1024)  /* in memory; room for a re-delivered chunk */
/* An answer that starts while the request body still arrives cannot be
 * sent yet (libmicrohttpd answers only after the body), and pausing the
 * upstream then could stall it before it reads the rest of the body: such
 * an answer is spooled, up to this much, until the body has ended. */
#define DOWN_EARLY_MAX (INT64_C(1) << 30)
/* Bodies up to this size travel whole: a small request goes upstream in
 * one write with its headers, a small response to the client likewise,
 * instead of headers and body in separate packets. */
#define SMALL_BODY (64 * 1024)

struct proxy {
    struct curlloop *cl;
    unsigned active;
};

struct pxcall {
    struct proxy *px;
    struct httpd_req *req;
    CURL *easy;
    struct curlloop_job job;
    struct curl_slist *hdrs;
    struct proxy_call call;
    char *url;
    char errbuf[CURL_ERROR_SIZE];
    struct buf up;
    struct spool down;
    bool whole_body;     /* the body is sent from memory, in one piece */
    bool start_at_eof;   /* ...once the client has sent all of it */
    bool hold_response;  /* small response: answer once it is complete */
    bool up_eof, up_paused, body_blocked, down_paused;
    bool headers_done, transfer_done, req_done;
    CURLcode result;
    int status;
    struct curl_slist *resp_hdrs;
};

static void call_free(struct pxcall *c)
{
    if (c->easy) { /* also right for a handle never added (start_at_eof) */
        curlloop_release(c->px->cl, c->easy);
        c->px->active--;
    }
    curl_slist_free_all(c->hdrs);
    curl_slist_free_all(c->resp_hdrs);
    buf_cleanup(&c->up);
    spool_cleanup(&c->down);
    free(c->url);
    free(c);
}

static void set_pause(struct pxcall *c)
{
    int mask = (c->up_paused ? CURLPAUSE_SEND : 0) | (c->down_paused ? CURLPAUSE_RECV : 0);
    if (c->easy && !c->transfer_done)
        curl_easy_pause(c->easy, mask);
}

static void start_transfer(struct pxcall *c);

/* --- client body -> upstream -------------------------------------------- */

static size_t on_client_body(void *arg, const char *data, size_t len, bool eof)
{
    struct pxcall *c = arg;
    if (c->transfer_done)
        return len; /* upstream already answered: drop the rest */
    if (eof) {
        c->up_eof = true;
        if (c->start_at_eof)
            start_transfer(c);
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
    if (spool_len(&c->down)) {
        ssize_t got = spool_read(&c->down, out, max);
        if (got < 0)
            return HTTPD_READ_ERROR;
        size_t n = (size_t)got;
        if (c->down_paused && spool_len(&c->down) < DOWN_SOFT / 2) {
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
static bool dropped(const struct pxcall *c, const char *name, size_t len)
{
    for (const char *const *d = c->call.drop_headers; d && *d; d++)
        if (strlen(*d) == len && strncasecmp(name, *d, len) == 0)
            return true;
    return false;
}

static void pass_headers(struct pxcall *c)
{
    for (const struct curl_slist *h = c->resp_hdrs; h; h = h->next) {
        const char *colon = strchr(h->data, ':');
        if (!colon || is_hop_by_hop(h->data, (size_t)(colon - h->data)) ||
            dropped(c, h->data, (size_t)(colon - h->data)))
            continue;
        char *name = xstrndup(h->data, (size_t)(colon - h->data));
        const char *value = colon + 1 + strspn(colon + 1, " \t");
        httpd_add_header(c->req, name, value);
        free(name);
    }
}

/* A small answer, complete: one piece (it is all in the spool's memory). */
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

/* Answers the client with the upstream's status and headers: the body
 * either streams (on_client_read) or, when held, goes whole. */
static void respond_upstream(struct pxcall *c, int64_t size)
{
    if (c->call.on_response)
        c->call.on_response(c->call.arg, c->req, c->status, false);
    pass_headers(c);
    if (c->hold_response)
        respond_held(c);
    else
        httpd_respond_stream(c->req, c->status, size, on_client_read, c);
}

static void headers_done(struct pxcall *c)
{
    long status = 0;
    curl_off_t size = -1;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &size);
    c->status = (int)status;
    if (status == 204 || status == 304)
        size = 0;
    bool head = strcmp(httpd_req_method(c->req), "HEAD") == 0;
    c->hold_response = !head && size >= 0 && size <= SMALL_BODY;
    if (!c->hold_response)
        respond_upstream(c, size);
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
            headers_done(c);
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
    int64_t limit = c->up_eof ? DOWN_SOFT : DOWN_EARLY_MAX;
    if (spool_len(&c->down) >= limit || spool_space(&c->down) < (int64_t)len) {
        c->down_paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (spool_write(&c->down, data, len) < 0) {
        c->down_paused = true; /* the temporary file failed: wait for the reader */
        return CURL_WRITEFUNC_PAUSE;
    }
    if (!c->hold_response)
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
    if (!c->headers_done || (c->hold_response && result != CURLE_OK))
        respond_error(c);
    else if (c->hold_response)
        respond_upstream(c, spool_len(&c->down));
    else
        httpd_wake(c->req);
}

static void on_transfer_done(void *arg, CURL *easy, CURLcode result)
{
    (void)easy;
    transfer_finished(arg, result);
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

struct proxy *proxy_new(struct curlloop *cl)
{
    struct proxy *px = xcalloc(1, sizeof *px);
    px->cl = cl;
    return px;
}

void proxy_free(struct proxy *px)
{
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
    if (c->whole_body && !httpd_req_header(c->req, "Content-Type"))
        c->hdrs = curl_slist_append(c->hdrs, "Content-Type:"); /* no form default */
    for (const char *const *h = c->call.headers; h && *h; h++)
        c->hdrs = curl_slist_append(c->hdrs, *h);
    c->hdrs = curl_slist_append(c->hdrs, "Expect:"); /* no 100-continue wait */
}

/* The whole body from memory: curl sends a small one in the same write
 * as the request headers. `body` must live until the call ends. */
static void send_whole_body(struct pxcall *c, const char *body, size_t len)
{
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, len ? body : "");
    c->up_eof = true;
}

static void set_method(struct pxcall *c)
{
    const char *method = httpd_req_method(c->req);
    int64_t length = httpd_req_content_length(c->req);
    bool chunked = httpd_req_header(c->req, "Transfer-Encoding") != NULL;
    size_t buffered_len = 0;
    const char *buffered = NULL;
    if (c->call.buffered_body) {
        buffered = httpd_req_body(c->req, &buffered_len);
        length = (int64_t)buffered_len;
        chunked = false;
    }
    if ((strcmp(method, "GET") == 0 && length <= 0 && !chunked) ||
        strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c->easy, method[0] == 'G' ? CURLOPT_HTTPGET : CURLOPT_NOBODY, 1L);
        c->up_eof = true;
        return;
    }
    curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method);
    if (buffered || (!chunked && length <= SMALL_BODY)) {
        c->whole_body = true;
        if (buffered)
            send_whole_body(c, buffered, buffered_len);
        else if (length > 0)
            c->start_at_eof = true; /* collect it first: see on_client_body */
        else
            send_whole_body(c, "", 0);
        return;
    }
    curl_easy_setopt(c->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(chunked ? -1 : length));
    curl_easy_setopt(c->easy, CURLOPT_READFUNCTION, on_curl_read);
    curl_easy_setopt(c->easy, CURLOPT_READDATA, c);
}

static void set_options(struct pxcall *c)
{
    CURL *e = c->easy;
    curl_easy_setopt(e, CURLOPT_URL, c->url);
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

static void start_transfer(struct pxcall *c)
{
    if (c->start_at_eof) {
        c->start_at_eof = false;
        send_whole_body(c, buf_peek(&c->up), c->up.len);
    }
    if (curlloop_add(c->px->cl, c->easy, &c->job) < 0) {
        c->transfer_done = true;
        c->result = CURLE_FAILED_INIT;
        respond_error(c);
    }
}

int proxy_forward(struct proxy *px, struct httpd_req *req, const struct proxy_call *call)
{
    struct pxcall *c = xcalloc(1, sizeof *c);
    c->px = px;
    c->req = req;
    c->call = *call;
    c->url = xstrdup(call->url);
    c->job = (struct curlloop_job){ .done = on_transfer_done, .arg = c };
    buf_init(&c->up, UP_MAX);
    spool_init(&c->down, DOWN_MEM, DOWN_EARLY_MAX);
    c->easy = curlloop_easy(px->cl);
    if (!c->easy) {
        c->call.headers = NULL;
        call_free(c);
        httpd_respondf(req, 500, "cannot start an upstream call\n");
        return -1;
    }
    px->active++;
    set_method(c);
    build_request_headers(c);
    c->call.headers = NULL; /* not copied: only used just above */
    set_options(c);
    if (!call->buffered_body)
        httpd_req_on_body(req, on_client_body, c);
    httpd_req_on_done(req, on_request_done, c);
    if (!c->start_at_eof)
        start_transfer(c);
    return 0;
}
