/* httpd_int.h -- what lib/httpd.c (the server, requests and answers) and
 * lib/httpconn.c (one connection's state machine) share. Nothing else
 * includes it.
 *
 * A connection owns one buffer of HEAD_MAX bytes for what it reads: the
 * request head is parsed in place there (so the request's strings point
 * into it), body bytes pass through the rest of it, and bytes of a
 * pipelined next request wait behind them. Each connection carries one
 * struct httpd_req, reused by its requests in turn, and two output
 * buffers (what may be sent now, and an answer waiting for the body to
 * end), so a request on a warm connection allocates nothing. */
#ifndef HTTPD_INT_H
#define HTTPD_INT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "h1chunk.h"
#include "h1head.h"
#include "httpd.h"
#include "list.h"

#define HEAD_MAX (32 * 1024) /* bytes of a request head, and the read buffer */
#define MAX_FIELDS 100       /* header fields of a request */

struct route {
    char *path;
    size_t len;
    bool prefix;
    enum httpd_body body;
    httpd_handler_fn *fn;
    httpd_guard_fn *guard;
    void *arg;
};

struct httpd {
    struct loop *lp;
    const char *name;
    int listen_fd;
    int unix_fd;     /* a second listener (httpd_serve_fd), or -1 */
    char *unix_path; /* httpd_listen_unix's: removed at the stop if still ours */
    dev_t unix_dev;
    ino_t unix_ino;
    int port;
    bool accepting;
    size_t max_body;
    size_t max_body_total, body_held; /* over every buffered body */
    unsigned max_conns, hard_conns, nconns;
    int64_t idle_ms, write_ms, head_ms;
    struct route *routes;
    size_t nroutes;
    struct list conns; /* struct hconn, every open connection */
    struct list ready; /* struct hconn woken since the loop last waited */
    struct loop_timer *sweep, *accept_again;
    unsigned active;
    uint64_t served;
    time_t date_at;
    char date[40]; /* "Date: ...\r\n" for date_at */
};

/* Bytes to send: data[off..len). */
struct obuf {
    char *data;
    size_t off, len, cap;
};

enum resp_kind { RESP_NONE, RESP_BUF, RESP_STREAM, RESP_FD };
enum body_kind { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };

struct httpd_req {
    struct hconn *c;
    bool active;  /* begun, and its done callback has not run */
    bool counted; /* ...and counted in httpd_active (a bad head is not) */
    struct h1head head;
    char *path, *query;
    const struct route *route;
    double start;
    /* the request body */
    enum body_kind body_kind;
    uint64_t body_left; /* BODY_LENGTH: bytes still to come */
    struct h1chunk chunk;
    bool body_begun, body_done, sink_full, failed;
    struct buf body;
    size_t body_reserved; /* this body's part of h->body_held */
    httpd_body_fn *body_fn;
    void *body_arg;
    httpd_done_fn *done_fn;
    void *done_arg;
    /* the answer */
    struct obuf hdrs; /* "Name: value\r\n" lines from httpd_add_header */
    bool user_close;  /* ...one of them was "Connection: close" */
    bool answered, early, head_only, src_done, reader_wait, woken;
    enum resp_kind kind;
    int status;
    int64_t size, sent; /* of the body; size -1: chunked */
    bool chunked;
    httpd_read_fn *read_fn;
    void *read_arg;
    int fd;
};

enum conn_state {
    C_HEAD,   /* reading a request head */
    C_BODY,   /* reading its body */
    C_WAIT,   /* read whole; waiting for the answer */
    C_SEND,   /* sending the answer */
    C_LINGER, /* answered and shut for writing: reading what is left */
};

struct hconn {
    struct list_node node;  /* in h->conns */
    struct list_node ready; /* in h->ready while on_ready */
    struct httpd *h;
    int fd;
    enum conn_state state;
    unsigned interest; /* LOOP_READ/LOOP_WRITE as watched now */
    bool on_ready, running, rerun, yield, dead;
    bool keep_alive, peer_eof, write_blocked, over_limit;
    int64_t since_ms;  /* the head, or the lingering, began */
    int64_t active_ms; /* last byte in or out */
    char client[INET6_ADDRSTRLEN];
    struct obuf out;  /* may go now */
    struct obuf held; /* the answer, once it may go */
    struct httpd_req req;
    size_t in_len;   /* bytes in `in` */
    size_t head_len; /* the current request's head, at in[0] */
    size_t pos;      /* next unconsumed byte */
    size_t scanned;  /* h1head_end's progress */
    struct h1field fields[MAX_FIELDS];
    char in[HEAD_MAX];
};

/* --- httpconn.c --------------------------------------------------------- */
struct hconn *conn_new(struct httpd *h, int fd, const struct sockaddr *sa);
/* Runs a connection after its socket's events, or after a wake. */
void conn_run(struct hconn *c, unsigned events);
/* Schedules conn_run before the loop next waits. */
void conn_kick(struct hconn *c);
/* Ends a connection now (its request, if any, not completed). */
void conn_close(struct hconn *c);
/* Closes connections past their deadline; returns the soonest deadline
 * left, in ms from now, or -1 if none. */
int64_t conn_sweep(struct hconn *c, int64_t now);

/* --- httpd.c (for httpconn.c) ------------------------------------------- */
/* Begins the request whose head is parsed into c->req.head. */
void req_begin(struct hconn *c);
/* The body has ended: the handler of a buffered route runs. */
void req_body_end(struct httpd_req *req);
/* Takes body bytes; returns how many (fewer: the sink is full). */
size_t req_body_feed(struct httpd_req *req, const char *data, size_t len);
/* Answers with an error of the server's own, closing the connection. */
void req_refuse(struct httpd_req *req, int status, const char *why);
/* Writes the status line and the headers of the answer into o. */
void req_write_head(struct httpd_req *req, struct obuf *o);
/* The done callback, then the request is reset for the next one. */
void req_end(struct httpd_req *req, bool completed);

char *obuf_room(struct obuf *o, size_t n);
void obuf_add(struct obuf *o, const void *p, size_t n);
static inline size_t obuf_pending(const struct obuf *o)
{
    return o->len - o->off;
}
void obuf_reset(struct obuf *o);
void obuf_free(struct obuf *o);

#endif
