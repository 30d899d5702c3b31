/* invoke.h -- one call of a function through the gateway for a record:
 * POST <gateway>/function/<name> with the record's value as the body and
 * its metadata as headers (X-Topic, X-Call-Id, X-Kafka-*), on shared
 * keep-alive connections (our own HTTP/1.1 client for an http://
 * gateway, the libcurl multi handle for an https:// one), so none blocks
 * the loop.
 *
 * Each record header travels as X-Kafka-<name>, base64-encoded with an
 * X-Kafka-<name>-Enc: b64 companion when HTTP cannot carry its bytes;
 * headers whose names HTTP cannot carry, or that would pass for ours
 * (key, key-enc, partition, offset, timestamp), are left out. A NATS
 * message has X-Nats-Stream, X-Nats-Sequence and X-Nats-Timestamp
 * (JetStream only) instead, and its headers travel as X-Nats-<name>. */
#ifndef CN_INVOKE_H
#define CN_INVOKE_H

#include <stddef.h>
#include <stdint.h>

struct curlloop;
struct loop;
struct uppool;
struct cn_record;
struct cn_call;
struct cn_invoke_pool;

enum cn_invoke_kind {
    CN_INVOKE_ANSWERED,    /* an HTTP status came back (any status) */
    CN_INVOKE_UNREACHABLE, /* no connection to the gateway at all */
    CN_INVOKE_BROKEN,      /* connected, then a timeout or a cut */
    CN_INVOKE_TOO_LARGE,   /* the response passed max_response */
};

/* Valid during the callback only. */
struct cn_invoke_result {
    enum cn_invoke_kind kind;
    long status; /* 0 unless ANSWERED */
    const unsigned char *body;
    size_t len;
    const char *content_type; /* response header, or NULL */
    const char *reply_topic;  /* X-Reply-Topic response header, or NULL */
    const char *retry_after;  /* Retry-After response header, or NULL */
    const char *error;        /* what went wrong, for logs and X-Error */
    double seconds;
};

typedef void cn_invoke_fn(void *arg, const struct cn_invoke_result *res);

struct cn_invoke_opts {
    struct loop *lp;
    const char *gateway_url;  /* without a trailing slash */
    const char *tls_ca;       /* https: the CA file to check it against, or NULL */
    const char *auth;         /* "user:password", or NULL */
    const char *content_type; /* when the record has none */
    int64_t timeout_ms;
    size_t max_response;
    struct cn_invoke_pool *pool; /* finished calls kept for reuse, or NULL */
    struct uppool *conns;        /* http:// connections; NULL: libcurl for all */
};

/* Keeps up to `keep` finished calls (and their buffers) for the next ones.
 * Every call started with the pool must have ended or been cancelled
 * before cn_invoke_pool_free(), which frees what is kept (NULL: no-op). */
struct cn_invoke_pool *cn_invoke_pool_new(size_t keep);
void cn_invoke_pool_free(struct cn_invoke_pool *p);

/* Starts the call for `target` ("fn" or "fn.ns"); fn runs exactly once,
 * later (never inside this call), unless cancelled. The record must live
 * until then: its value is sent without a copy. */
struct cn_call *cn_invoke_start(struct curlloop *cl, const struct cn_invoke_opts *o,
                                const char *target, const struct cn_record *rec, cn_invoke_fn *fn,
                                void *arg);
/* What makes a call async: it goes to /async-function/<target>, which
 * answers 202 once the call is queued; the queue worker posts the result
 * to callback_url later. Both strings are used while the request is built
 * (within the call), so they need not outlive it. */
struct cn_invoke_async {
    const char *call_id;      /* X-Call-Id: the queue keeps one call per id */
    const char *callback_url; /* X-Callback-Url */
};

/* As cn_invoke_start(), for an async call: fn gets the gateway's answer
 * to the submission (202, or why the call was not queued). */
struct cn_call *cn_invoke_start_async(struct curlloop *cl, const struct cn_invoke_opts *o,
                                      const char *target, const struct cn_record *rec,
                                      const struct cn_invoke_async *async, cn_invoke_fn *fn,
                                      void *arg);
/* Abandons a call: fn will not run. */
void cn_invoke_cancel(struct cn_call *c);

#endif
