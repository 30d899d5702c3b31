/* jspull.h -- a JetStream durable pull consumer on a thread of its own.
 *
 * The thread binds to the durable consumer (creating it, or updating its
 * ack wait and max ack pending when they differ), retrying every half
 * second until it can or is told to stop, then fetches while its owner
 * has room and hands each message over. Everything here may block on NATS
 * round trips, which is why it is not on the loop: the owner's callbacks
 * run on this thread and must take the owner's own lock. Used by the
 * queue worker and the connector's JetStream source. */
#ifndef JSPULL_H
#define JSPULL_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsq;

struct jspull_spec {
    struct jsq *js;
    const char *stream;
    const char *durable;
    const char *filter; /* the consumer's filter subject, or NULL */
    int64_t ack_wait_ms;
    int64_t max_ack_pending;
    const char *log_tag;        /* the log component: "nats", "fetch" */
    const char *missing_stream; /* appended to "stream X does not exist", or NULL */
    const char *unreachable;    /* why while NATS is not connected, or NULL */
};

/* The owner's side. Locality: the pull thread. */
struct jspull_ops {
    /* Optional, before each try to bind: e.g. creates the streams. Returns
     * 0, or -1 with err filled. */
    int (*prepare)(void *arg, char *err, size_t errlen);
    /* True once the thread should stop trying to bind. */
    bool (*stopping)(void *arg);
    /* Waits for room; returns how many messages may be fetched now, at
     * most `max`, or 0 to end the thread. */
    int (*take)(void *arg, int max);
    /* Optional: `unused` of those take() allowed were not fetched. */
    void (*give)(void *arg, int unused);
    /* A fetched message: the owner has it now. */
    void (*hand_over)(void *arg, natsMsg *msg);
    /* Optional: bound or not, and why not; error NULL: the thread ended. */
    void (*state)(void *arg, bool bound, const char *error);
    /* Optional: after each fetch. */
    void (*after_fetch)(void *arg);
};

struct jspull {
    struct jspull_spec spec; /* its strings are the owner's, alive until jspull_close */
    struct jspull_ops ops;
    void *arg;
    pthread_t thread;
    bool started;
    natsSubscription *sub; /* set by the thread as it ends */
};

/* Starts the thread. Returns 0, or -1 if no thread could be made. */
int jspull_start(struct jspull *p, const struct jspull_spec *spec, const struct jspull_ops *ops,
                 void *arg);
/* Waits for the thread, which ends once take() returns 0 (within a fetch
 * timeout, 1 s) or stopping() turns true while it binds. */
void jspull_join(struct jspull *p);
/* Destroys the subscription (the durable consumer stays). Messages acked
 * through it must all be done. Safe on a zeroed struct. */
void jspull_close(struct jspull *p);

#endif
