/* conntrack.h -- the open connections of an HTTP server: how many, and a
 * deadline for each request head.
 *
 * Why: libmicrohttpd's timeout is for silence, so a client that sends one
 * header byte just before each timeout holds its connection for ever
 * (slowloris), and its connection limit closes the surplus without a word.
 * Here a head must be whole within head_timeout of the moment it may begin
 * (the connection opened, or its previous request ended), or the socket is
 * shut down; and the connections past `limit` are marked so the server can
 * answer them 503. */
#ifndef CONNTRACK_H
#define CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "list.h"

struct loop;
struct loop_timer;

struct conn {
    struct list_node node; /* in t->open */
    int fd;
    int64_t head_since_ms; /* -1 while not reading a head */
    bool over_limit;       /* opened while `limit` others were open */
};

struct conntrack {
    struct loop *lp;
    struct list open; /* struct conn */
    unsigned count, limit;
    int64_t head_timeout_ms;
    struct loop_timer *sweep;
    uint64_t heads_cut;
};

void conntrack_init(struct conntrack *t, struct loop *lp, unsigned limit, int64_t head_timeout_ms);
/* Stops the sweep; connections still listed are forgotten, not closed. */
void conntrack_cleanup(struct conntrack *t);

/* A new connection on fd: its first head begins now. */
struct conn *conntrack_open(struct conntrack *t, int fd);
void conntrack_close(struct conntrack *t, struct conn *c);

/* The head has arrived whole: no deadline while the request runs. */
void conntrack_head_done(struct conn *c);
/* The request is over: the next head (keep-alive) begins now. */
void conntrack_head_again(struct conn *c);

#endif
