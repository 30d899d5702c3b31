/* rkqloop.h -- a librdkafka queue served on lib/loop.
 *
 * librdkafka writes a byte into a pipe when the queue turns non-empty
 * (rd_kafka_queue_io_event_enable); the loop watches the pipe and calls
 * the owner's serve function, which serves up to a budget of events. A
 * queue left non-empty gives no new wake-up, so a serve that used its
 * whole budget is called again on the next turn of the loop rather than
 * starving everything else. Locality: loop thread. */
#ifndef RKQLOOP_H
#define RKQLOOP_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

struct loop;
struct loop_timer;

/* Serves what is queued, up to a budget; returns true if the budget ran
 * out (more may be queued). */
typedef bool rkqloop_serve_fn(void *arg);

struct rkqloop {
    struct loop *lp;
    rd_kafka_queue_t *q;      /* the owner's; not destroyed here */
    int wake[2];              /* librdkafka writes to [1] */
    struct loop_timer *again; /* a serve due on the next turn */
    rkqloop_serve_fn *serve;
    void *arg;
};

/* Watches q. Whatever was queued before the wake-up was armed gives no
 * wake-up, so a first serve runs on the next turn. Returns 0, or -1 with
 * err filled (nothing is left to stop). */
int rkqloop_start(struct rkqloop *w, struct loop *lp, rd_kafka_queue_t *q, rkqloop_serve_fn *serve,
                  void *arg, char *err, size_t errlen);
/* Asks for a serve on the next turn: for an owner that left events queued
 * (it had no room for them), since those give no new wake-up. */
void rkqloop_kick(struct rkqloop *w);
/* Stops watching and cancels a serve due; the queue stays the owner's.
 * Safe on a zeroed or stopped struct, and after a failed start. */
void rkqloop_stop(struct rkqloop *w);

#endif
