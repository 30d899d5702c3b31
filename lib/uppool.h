/* uppool.h -- connections to HTTP/1.1 upstreams for the reverse proxy:
 * "http://host:port/path" split up, connects that never block the loop,
 * and a keep-alive pool of idle connections per upstream address.
 *
 * DESIGN: a connection is registered with the loop once, when it opens,
 * and stays registered while it is pooled (for reads: an idle connection
 * the upstream closes is seen and dropped at once). Its epoll interest is
 * changed only when it really changes (upconn_want), so a call on a
 * reused connection whose writes do not block costs no epoll_ctl at all.
 * Each connection owns its read and write buffers for its whole life.
 * Host names (IP literals need none) are resolved on a helper thread,
 * created the first time one is needed.
 *
 * Locality: loop thread only. */
#ifndef UPPOOL_H
#define UPPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "list.h"

struct loop;
struct uppool;
struct upconn;
struct upaddr;

/* Called with LOOP_READ/LOOP_WRITE as they fired. When a connect fails
 * (or the name does not resolve), called with both and upconn_error()
 * set. */
typedef void upconn_fn(struct upconn *c, unsigned events, void *arg);

struct upconn {
    int fd;             /* -1 while the name resolves */
    bool connecting;    /* the connect is in progress */
    bool reused;        /* it served a call before this one */
    struct buf in, out; /* bytes read not yet parsed; bytes not yet written */
    /* The pool's own fields. */
    struct uppool *pool;
    struct upaddr *addr;
    struct list_node node; /* in the address's idle or waiting list */
    bool in_waiting;       /* in the waiting list (the name resolves) */
    unsigned events;
    int64_t idle_since;
    int error; /* errno of a failed connect or resolution */
    char errtext[400];
    upconn_fn *fn;
    void *arg;
};

/* Splits an upstream URL. host gets the name or address (an IPv6 literal
 * without its brackets), port the port ("80" if none), *path points at
 * the path and query in url ("/" if none: then *path is a static "/").
 * Returns 0, or -1 with a reason in err (not http://, too long, no host,
 * a bad port). */
int up_split_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
                 const char **path, char *err, size_t errlen);

struct uppool *uppool_new(struct loop *lp);
/* Closes the idle connections and frees the pool; call it once no
 * connection is in use. */
void uppool_free(struct uppool *p);

/* From now on, connections to host:port (as a URL names them) go to the
 * Unix socket at path instead, as curl's --unix-socket: the request still
 * names host:port in its Host line. Call it before the first connection
 * to host:port. Returns 0, or -1 if a string is too long or path empty. */
int uppool_via_unix(struct uppool *p, const char *host, const char *port, const char *path);

/* A connection to host:port for one exchange: an idle one from the pool
 * (reused set) unless fresh is true, or a new one, whose connect (or name
 * resolution) may still be in progress: fn hears when it is writable. */
struct upconn *uppool_get(struct uppool *p, const char *host, const char *port, bool fresh,
                          upconn_fn *fn, void *arg);
/* The same, through the Unix socket unix_path (NULL or "": as
 * uppool_get), for requests that name host:port: connections to it are
 * pooled apart from those to host:port itself. */
struct upconn *uppool_get_at(struct uppool *p, const char *host, const char *port,
                             const char *unix_path, bool fresh, upconn_fn *fn, void *arg);
/* Changes what the connection waits for (LOOP_READ/LOOP_WRITE); a no-op,
 * and no syscall, when that is what it waits for already. */
void upconn_want(struct upconn *c, unsigned events);
/* Writes the write buffer from offset `sent` on, then `len` bytes of
 * `more` (a body from the caller's memory; may be NULL with len 0), in
 * one sendmsg. Returns the bytes written, 0 when there was nothing to
 * write, or -1 with errno (EAGAIN: the socket is full; EINTR is retried
 * here). Nothing is consumed from the buffer. */
ssize_t upconn_send(struct upconn *c, size_t sent, const char *more, size_t len);
/* Gives a connection back after a complete exchange, for reuse. */
void uppool_put(struct upconn *c);
/* Closes a connection (in use, or never opened) and frees it. */
void uppool_close(struct upconn *c);

/* Checks a connect that was in progress; returns 0 when it succeeded,
 * else -1 with the reason in c->errtext. */
int upconn_finish_connect(struct upconn *c);

/* Connections open (idle or in use). */
unsigned uppool_open(const struct uppool *p);

#endif
