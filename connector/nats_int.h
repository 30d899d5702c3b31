/* nats_int.h -- the NATS source's state, shared by nats_source.c (the
 * connection, core subscriptions, held messages, the drain) and
 * nats_pull.c (JetStream consumers and their fetch threads). */
#ifndef CN_NATS_INT_H
#define CN_NATS_INT_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "jspull.h"
#include "jsq.h"
#include "list.h"
#include "nats_config.h"
#include "nats_source.h"
#include "record.h"

struct loop_timer;
struct offload;
struct cn_nats_out;

/* One JetStream durable pull consumer and its fetch thread. */
struct pull {
    struct cn_nats *n;
    struct cn_stream_spec spec;
    char *durable;
    struct jspull pull; /* the fetch thread; its subscription outlives every message */
    void (*hand_over)(struct cn_nats *n, struct pull *p, natsMsg *msg);
    bool bound;      /* under n->mu */
    char error[400]; /* under n->mu: why it is not bound */
};

/* A message the loop holds: its record, and for JetStream the message
 * itself, since acks go through it. */
struct nmsg {
    struct cn_nats *n;
    struct pull *pull; /* NULL: core NATS */
    natsMsg *msg;      /* JetStream only */
    struct cn_record *rec;
    struct loop_timer *progress;
    struct list_node node; /* in n->held_msgs */
};

struct cn_nats {
    struct cn *cn;
    struct jsq js;
    struct offload *ol;
    struct cn_nats_out *out;
    pthread_mutex_t mu;
    pthread_cond_t room;
    unsigned held, max; /* places taken / max_inflight (under mu) */
    bool stop;          /* under mu: hand nothing more over */
    bool open;          /* under mu: the routing table is loaded: take messages */
    natsSubscription **subs;
    size_t nsubs;
    struct pull *pulls;
    int npulls;
    /* loop thread only */
    struct list held_msgs; /* struct nmsg, the loop's */
    uint64_t core_seq;
    char boot_id[40];
    bool stopping, closing;
    struct loop_timer *drain_timer; /* the drain's deadline */
    struct loop_timer *drain_poke;  /* a message went quiet: look, next turn */
    void (*done)(void *arg);
    void *done_arg;
};

/* nats_places.c */
/* Waits for at least one free place (or a stop) and takes up to `want`.
 * Returns how many (0: stopping). Any thread. */
int cn_nats_take(struct cn_nats *n, int want);
/* Gives back places that were taken but not used. Any thread. */
void cn_nats_give(struct cn_nats *n, int count);
/* Nothing more is taken: waiters get 0. Any thread. */
void cn_nats_stop_handing_over(struct cn_nats *n);
/* ...and whether that was said. Any thread. */
bool cn_nats_stopped(struct cn_nats *n);

/* nats_source.c */
/* Hands a message (its place already taken) to the loop. Any thread. */
void cn_nats_hand_over(struct cn_nats *n, struct pull *pull, natsMsg *msg);

/* nats_pull.c: starts p's fetch thread; each message fetched goes to
 * to_loop (nats_source.c's cn_nats_hand_over). */
int cn_pull_start(struct pull *p, void (*to_loop)(struct cn_nats *n, struct pull *p, natsMsg *msg));
void cn_pull_join(struct pull *p);
/* After every message of it is gone: the durable consumer stays. */
void cn_pull_close(struct pull *p);

#endif
