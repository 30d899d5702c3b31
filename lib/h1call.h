/* h1call.h -- one HTTP/1.1 request and its whole answer, from the loop,
 * on a keep-alive connection of a lib/uppool.
 *
 * DESIGN: the client for calls whose answer is wanted whole (the
 * connector's function calls): the request head goes out with a small
 * body in one write, a large body follows from the caller's memory
 * without a copy, and the answer's head and body are gathered into the
 * call's own buffer, which the caller may keep from call to call. The
 * caller owns the struct (it can sit inside the caller's own call
 * record), so a call allocates nothing once its buffer has grown. A
 * reused connection the server had closed before any byte of an answer
 * is tried again once on a fresh one. http:// only.
 *
 * Locality: loop thread only. */
#ifndef H1CALL_H
#define H1CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "h1chunk.h"
#include "h1resp.h"

struct loop;
struct loop_timer;
struct uppool;
struct upconn;

enum h1call_kind {
    H1CALL_ANSWERED,    /* a status came back (any status) */
    H1CALL_UNREACHABLE, /* no connection: refused, no such name, connect timed out */
    H1CALL_BROKEN,      /* connected, then a timeout, a cut or a malformed answer */
    H1CALL_TOO_LARGE,   /* the body passed max_response */
};

/* Valid during the callback only. */
struct h1call_result {
    enum h1call_kind kind;
    int status;                /* 0 unless ANSWERED */
    const struct h1resp *head; /* the answer's head, or NULL */
    const char *body;
    size_t len;
    const char *error; /* NULL when ANSWERED, else what went wrong */
};

/* The call has ended; the struct may be reused or freed from here on. */
typedef void h1call_fn(void *arg, const struct h1call_result *r);

struct h1call_request {
    const char *method; /* not HEAD: its answer would be waited for */
    const char *url;    /* http://host[:port]/path?query */
    /* Extra head lines, each "Name: value\r\n" (Host and Content-Length
     * are added); may be NULL. */
    const char *lines;
    size_t lines_len;
    const void *body; /* borrowed: it must live until fn has run */
    size_t len;
    int64_t timeout_ms;         /* whole exchange; 0: none */
    int64_t connect_timeout_ms; /* 0: only timeout_ms bounds the connect */
    size_t max_response;        /* of the body; 0: no limit */
};

enum h1call_body { H1B_NONE, H1B_LENGTH, H1B_CHUNKED, H1B_CLOSE };

/* The fields are the call's own; the caller only places it. */
struct h1call {
    struct uppool *pool;
    struct loop *lp;
    struct upconn *conn;
    struct loop_timer *timer;
    struct loop_timer *later; /* a result known at the start, reported from the loop */
    char host[256], port[8];
    const char *body;
    size_t body_len, body_sent, out_sent, head_len, max_response;
    int64_t deadline_ms, connect_deadline_ms, timeout_ms;
    bool started, retried, request_sent, head_done, must_close, busy;
    enum h1call_body rbody;
    int64_t rleft;
    struct h1chunk chunk;
    struct buf resp; /* the answer's head, then its body, decoded */
    enum h1call_kind fail_kind;
    char errtext[400];
    h1call_fn *fn;
    void *arg;
};

/* An idle call with an empty buffer; h1call_cleanup() frees the buffer. */
void h1call_init(struct h1call *c);
void h1call_cleanup(struct h1call *c);
/* Lets the buffer of an idle call go if it grew past `keep` bytes (one
 * large answer should not pin its memory in a call kept for reuse). */
void h1call_trim(struct h1call *c, size_t keep);

/* Starts the request; fn runs exactly once, later (never inside this
 * call), unless the call is cancelled first. The strings of r are used
 * within this call only; the body must live until fn. */
void h1call_start(struct h1call *c, struct uppool *pool, struct loop *lp,
                  const struct h1call_request *r, h1call_fn *fn, void *arg);
/* Abandons a started call (its connection is closed): fn will not run.
 * A no-op on a call that is not running. */
void h1call_cancel(struct h1call *c);

/* The first header of the answer named `name` (without case) as a
 * NUL-terminated copy in out (cut to outlen), or false if none. */
bool h1call_header(const struct h1call_result *r, const char *name, char *out, size_t outlen);

#endif
