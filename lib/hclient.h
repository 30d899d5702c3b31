/* hclient.h -- small HTTP requests from the loop: health checks, API
 * calls, callbacks. The whole response body is collected (up to a limit)
 * and handed to a callback; nothing blocks. */
#ifndef HCLIENT_H
#define HCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "curlloop.h"
#include <curl/curl.h>

struct curlloop;
struct hclient_call;

struct hclient_response {
    long status;      /* 0 if no answer came */
    const char *body; /* NUL-terminated; valid during the callback */
    size_t len;
    const char *error; /* NULL on success, else what went wrong */
};

typedef void hclient_fn(void *arg, const struct hclient_response *r);

struct hclient_request {
    const char *method; /* NULL: GET */
    const char *url;
    const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
    const void *body;           /* copied; may be NULL */
    size_t len;
    int64_t timeout_ms;       /* whole exchange; 0: none */
    size_t max_response;      /* larger answers fail; 0: 1 MiB */
    bool discard_body;        /* only the status matters: the body is read
                                  * and dropped, whatever its size */
    curlloop_guard_fn *guard; /* addresses it may connect to; NULL: any */
    void *guard_arg;
    const char *unix_socket; /* connect here instead of the URL's host;
                                  * NULL: as the URL says */
    /* https: client certificate and key (PEM) to present, the CA (PEM)
     * to check the server against; all may be NULL. insecure: do not
     * check the server at all. */
    const char *cert_file, *key_file, *ca_file;
    int insecure;
};

/* Starts a request; fn is called exactly once, unless the call is
 * cancelled first. Returns the call (valid until fn has run). */
struct hclient_call *hclient_start(struct curlloop *cl, const struct hclient_request *r,
                                   hclient_fn *fn, void *arg);
/* Abandons a call: fn will not be called. */
void hclient_cancel(struct hclient_call *call);

/* The TLS options of struct hclient_request on any easy handle (for
 * callers that drive their own transfer, e.g. a stream). */
void hclient_set_tls(CURL *easy, const char *cert_file, const char *key_file, const char *ca_file,
                     int insecure);

#endif
