/* docker_api.h -- a Docker Engine HTTP API client on the daemon's loop.
 *
 * DESIGN: every call is a libcurl transfer on the shared curlloop (over
 * the engine's unix socket, or TCP), so nothing waits for the engine.
 * The API version is negotiated once from GET /version (the lower of the
 * engine's and ours) and prefixes every path afterwards. Knows nothing of
 * functions: a driver (docker, swarm) builds the bodies.
 *
 * Locality: loop thread. */
#ifndef DOCKER_API_H
#define DOCKER_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct curlloop;
struct dkr_engine;
struct dkr_call;
struct dkr_stream;

/* The outcome of one call. status is 0 when the engine did not answer
 * (error says why); body is the engine's answer (NUL-terminated, valid
 * during the callback). */
struct dkr_result {
    long status;
    const char *body;
    size_t len;
    const char *error;
};
typedef void dkr_done_fn(void *arg, const struct dkr_result *r);

/* host: "unix:///var/run/docker.sock" or "tcp://HOST:PORT". With
 * cert_path (may be NULL or ""), TCP is TLS with the files the Docker CLI
 * names there: cert.pem and key.pem presented, and with verify the
 * server checked against ca.pem (without, not checked, as the CLI does).
 * Returns: the engine, or NULL with a message in err. */
struct dkr_engine *dkr_engine_new(struct curlloop *cl, const char *host, const char *cert_path,
                                  bool verify, char *err, size_t errlen);
void dkr_engine_free(struct dkr_engine *e);
/* The negotiated API version ("1.41"), or NULL before negotiation. */
const char *dkr_engine_version(const struct dkr_engine *e);

/* GET /version: negotiates the API version. fn sees the raw answer.
 * Like dkr_request, NULL if it cannot start. */
struct dkr_call *dkr_negotiate(struct dkr_engine *e, dkr_done_fn *fn, void *arg);

/* One request; path starts with '/' and is relative to the API version
 * ("/containers/json?all=1"); body (may be NULL) is sent as JSON (not
 * stolen); extra_header one "Name: value" or NULL; timeout_ms 0: none.
 * Returns: the call, and fn runs exactly once later unless cancelled; or
 * NULL if the request could not even start (fn never runs). */
struct dkr_call *dkr_request(struct dkr_engine *e, const char *method, const char *path,
                             const json_t *body, const char *extra_header, int64_t timeout_ms,
                             size_t max_response, dkr_done_fn *fn, void *arg);
/* GET of a listing ("/tasks", "/containers/json?all=1") with filters, a
 * JSON object ({"label": ["k=v"]}: stolen), escaped onto the query;
 * answers of up to 16 MB within 10 s. Like dkr_request otherwise. */
struct dkr_call *dkr_list(struct dkr_engine *e, const char *path, json_t *filters, dkr_done_fn *fn,
                          void *arg);
/* {"label": ["<name>=<value>"]}, for dkr_list. New object. */
json_t *dkr_label_filter(const char *name, const char *value);
/* Abandons a call: its fn will not run. NULL is fine. */
void dkr_cancel(struct dkr_call *c);

/* The engine's error text for an answer ({"message": ...}), else the
 * transport error, else the body itself; into out. Returns out. */
const char *dkr_error_text(const struct dkr_result *r, char *out, size_t outlen);

/* The port an entry of GET /containers/json publishes private_port on
 * where 127.0.0.1 reaches it (a binding on 0.0.0.0 or 127.0.0.1), or 0.
 * Only the IPv4 side counts: an engine may publish the IPv6 side on
 * another port, one that on IPv4 can be another container's. */
int dkr_published_port(const json_t *container, int private_port);

/* A long-lived GET whose body is handed over as it arrives (logs with
 * follow, events). data gets each chunk; end runs once when the stream
 * ends for any reason (not after dkr_stream_stop). */
typedef void dkr_data_fn(void *arg, const char *data, size_t len);
typedef void dkr_end_fn(void *arg);
struct dkr_stream *dkr_stream_start(struct dkr_engine *e, const char *path, dkr_data_fn *data,
                                    dkr_end_fn *end, void *arg);
void dkr_stream_stop(struct dkr_stream *s);

/* The engine's multiplexed stdout/stderr framing (a container without a
 * TTY): 8-byte headers {stream, 0, 0, 0, big-endian length}. Feed raw
 * bytes in; out gets each payload piece with its stream (1 stdout, 2
 * stderr), possibly split across calls. */
struct dkr_demux {
    unsigned char hdr[8];
    size_t have; /* header bytes collected */
    size_t left; /* payload bytes still to come in this frame */
    int stream;
};
typedef void dkr_demux_fn(void *arg, int stream, const char *data, size_t len);
void dkr_demux_feed(struct dkr_demux *d, const char *data, size_t len, dkr_demux_fn *out,
                    void *arg);

#endif
