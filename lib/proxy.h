/* proxy.h -- the reverse-proxy engine: an HTTP/1.1 client of our own
 * driven by a struct loop, fed by suspended lib/httpd requests.
 *
 * DESIGN: no thread waits on an upstream. A proxied request's body flows
 * client -> buffer -> upstream socket, its response upstream socket ->
 * buffer -> the client's reader; each buffer is bounded, and a full one
 * pauses the side that fills it (the upstream socket is not read, or the
 * client connection is suspended), so a body of any size passes through
 * in bounded memory. Keep-alive connections to upstreams are pooled per
 * address (lib/uppool). Upstreams are http:// URLs (IP literals or names);
 * an https:// one is answered 502. */
#ifndef PROXY_H
#define PROXY_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct proxy;
struct httpd_req;

struct proxy_call {
    const char *url;            /* full upstream URL, path and query included */
    const char *unix_path;      /* non-empty: reach url's host:port through this socket */
    int64_t timeout_ms;         /* whole exchange; 0: none */
    int64_t connect_timeout_ms; /* 0: only timeout_ms bounds the connect */
    /* With buffered_body, the request's whole body (an HTTPD_BODY_BUFFER
     * route) is sent with a Content-Length instead of streamed. */
    bool buffered_body;
    /* Extra request headers as "Name: value", NULL-terminated; may be NULL. */
    const char *const *headers;
    /* Upstream response headers not to pass on (the caller sets its own),
     * NULL-terminated; may be NULL. Not copied: it must outlive the call
     * (a static array). */
    const char *const *drop_headers;
    /* Called just before the response is queued: add headers to `req` for
     * the client. `internal` is true when the status is ours (502 upstream
     * unreachable, reset or malformed, 504 timeout), not the upstream's.
     * May be NULL. */
    void (*on_response)(void *arg, struct httpd_req *req, int status, bool internal);
    /* Called once when the client request is over; status is what the
     * client was sent (0 if it left before an answer). May be NULL. */
    void (*on_done)(void *arg, int status);
    void *arg;
};

/* A proxy whose upstream connections run on lp (it must outlive the
 * proxy). */
struct proxy *proxy_new(struct loop *lp);
/* Frees the engine; call it once no call is in flight. */
void proxy_free(struct proxy *px);

/* Forwards req (from an HTTPD_BODY_STREAM route, or a buffered one with
 * call->buffered_body) upstream and streams the
 * answer back. Strings in `call` are copied. The proxy takes over req's
 * body sink and done callback. Returns 0, or -1 after answering 500. */
int proxy_forward(struct proxy *px, struct httpd_req *req, const struct proxy_call *call);

/* Calls in flight. */
unsigned proxy_active(const struct proxy *px);

#endif
