/* httpd.h -- HTTP/1.x serving, driven by a struct loop.
 *
 * DESIGN: the server (lib/httpd.c, lib/httpconn.c) runs its sockets on
 * the daemon's loop, so handlers run on the loop thread and never block. A handler may
 * answer at once or later (from any loop callback): a request with no
 * answer yet simply waits (its connection stops reading), which costs no
 * thread. An answer given while the body still arrives is sent once the
 * body has ended; one given from the head alone, before any body byte,
 * is sent at once and the connection then closes unread. Bodies
 * either arrive whole (HTTPD_BODY_BUFFER, capped by max_body: 413 above
 * it) or are handed over chunk by chunk (HTTPD_BODY_STREAM) to a sink that
 * may push back. Responses are either whole buffers or pulled from a
 * reader, so a body of any size streams through in bounded memory.
 *
 * Lifetime: a struct httpd_req lives from its handler call until its done
 * callback has returned (the response was sent, or the client left); the
 * owner of any work on its behalf must stop touching it there. */
#ifndef HTTPD_H
#define HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct httpd;
struct httpd_req;

enum httpd_body { HTTPD_BODY_BUFFER, HTTPD_BODY_STREAM };

struct httpd_opts {
    const char *name;         /* for log lines, e.g. "http" */
    const char *addr;         /* bind address; NULL: all interfaces */
    int port;                 /* 0: any free port (see httpd_port) */
    int listen_fd;            /* >= 0: serve this listening socket instead */
    size_t max_body;          /* buffered bodies above this get 413 */
    int64_t idle_timeout_ms;  /* a connection silent this long is closed */
    int64_t write_timeout_ms; /* ...while sending a response; 0: as idle */
    unsigned max_conns;       /* 0: a default below the open-files limit; more get 503 */
    size_t max_body_total;    /* buffered bodies together; above it 503. 0: a default */
    int64_t head_timeout_ms;  /* a request head must be whole this soon; 0: idle_timeout */
};

typedef void httpd_handler_fn(struct httpd_req *req, void *arg);
/* Decides from the head alone (before any body byte is read) whether the
 * request may go on; returns false after answering it. */
typedef bool httpd_guard_fn(struct httpd_req *req, void *arg);
/* Takes a chunk of a streamed body and returns how much it consumed; less
 * than len means "full": the connection pauses until httpd_wake(). Called
 * once more with eof set (and len 0) when the body has ended. */
typedef size_t httpd_body_fn(void *arg, const char *data, size_t len, bool eof);
/* Fills buf with up to max bytes of response body. Returns the count, 0 if
 * nothing is ready yet (the connection pauses until httpd_wake()), or
 * HTTPD_READ_EOF / HTTPD_READ_ERROR (the client sees a cut response). */
typedef ssize_t httpd_read_fn(void *arg, char *buf, size_t max);
/* The request is over; `completed` is false if the client left early. */
typedef void httpd_done_fn(void *arg, bool completed);

#define HTTPD_READ_EOF ((ssize_t)-1)
#define HTTPD_READ_ERROR ((ssize_t)-2)

/* Returns a running server, or NULL with a message in err. */
struct httpd *httpd_start(struct loop *lp, const struct httpd_opts *o, char *err, size_t errlen);
/* Serves the same routes on a Unix socket at path too (see
 * listenfd_bind_unix; "@name": abstract); the file is removed when the
 * server stops. Its
 * clients are named "unix:". Returns 0, or -1 with a message in err. */
int httpd_listen_unix(struct httpd *h, const char *path, char *err, size_t errlen);
/* Serves the same routes on a second listening socket, fd (taken: closed
 * with the server), such as one handed down (listenfd_take_pair). One at
 * most, with httpd_listen_unix's. Returns 0, or -1 with a message in err. */
int httpd_serve_fd(struct httpd *h, int fd, char *err, size_t errlen);
/* Stops accepting; connections in progress go on. */
void httpd_quiesce(struct httpd *h);
/* Closes everything and frees the server. */
void httpd_stop(struct httpd *h);
int httpd_port(const struct httpd *h);
/* Requests whose done callback has not run yet. */
unsigned httpd_active(const struct httpd *h);
/* Requests begun since the server started. */
uint64_t httpd_served(const struct httpd *h);

/* Routes a path to a handler. `path` is matched exactly, or as a prefix if
 * it ends in '*'; "*" alone matches everything. First match wins. */
void httpd_route(struct httpd *h, const char *path, enum httpd_body body, httpd_handler_fn *fn,
                 void *arg);
/* Sets the guard of the route added last: it runs on the head, so a
 * request it refuses (say, without credentials) costs no body memory; the
 * connection then closes instead of reading a body nobody wants. */
void httpd_route_guard(struct httpd *h, httpd_guard_fn *guard);

/* Request accessors; strings are borrowed until the done callback. */
const char *httpd_req_method(const struct httpd_req *req);
const char *httpd_req_path(const struct httpd_req *req);  /* raw, escaped */
const char *httpd_req_query(const struct httpd_req *req); /* raw, or NULL */
const char *httpd_req_version(const struct httpd_req *req);
const char *httpd_req_header(const struct httpd_req *req, const char *name);
const char *httpd_req_client(const struct httpd_req *req); /* "127.0.0.1" */
/* Calls fn for each request header in order; stops when fn returns false. */
void httpd_req_headers(const struct httpd_req *req,
                       bool (*fn)(void *arg, const char *name, const char *value), void *arg);
/* The request's header fields in order, with their lengths (h1head.h);
 * *n of them. */
struct h1field;
const struct h1field *httpd_req_fields(const struct httpd_req *req, size_t *n);
/* The value of query parameter `key`, percent-decoded ('+' is a space).
 * Returns a new string (caller frees), or NULL if absent. */
char *httpd_query_arg(const struct httpd_req *req, const char *key);

/* Content-Length, or -1 when absent (e.g. chunked). */
int64_t httpd_req_content_length(const struct httpd_req *req);
/* The whole body of an HTTPD_BODY_BUFFER request (NUL-terminated). */
const char *httpd_req_body(const struct httpd_req *req, size_t *len);
double httpd_req_start_s(const struct httpd_req *req);

void httpd_req_on_body(struct httpd_req *req, httpd_body_fn *fn, void *arg);
void httpd_req_on_done(struct httpd_req *req, httpd_done_fn *fn, void *arg);

/* Adds a response header; call before responding. Copies both strings. */
void httpd_add_header(struct httpd_req *req, const char *name, const char *value);
/* Answers with a copy of body. */
void httpd_respond(struct httpd_req *req, int status, const void *body, size_t len);
void httpd_respondf(struct httpd_req *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answers with a body pulled from fn; size is the Content-Length, or -1
 * for chunked transfer. */
void httpd_respond_stream(struct httpd_req *req, int status, int64_t size, httpd_read_fn *fn,
                          void *arg);
/* Serves size bytes from an open file; takes ownership of fd. */
void httpd_respond_fd(struct httpd_req *req, int status, int fd, int64_t size);
bool httpd_responded(const struct httpd_req *req);

/* Tells a paused request that its reader has data or its body sink room. */
void httpd_wake(struct httpd_req *req);

#endif
