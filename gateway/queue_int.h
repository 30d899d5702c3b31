/* queue_int.h -- shared by queue.c (storing) and async.c (the route). */
#ifndef GW_QUEUE_INT_H
#define GW_QUEUE_INT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "jsq.h"
#include "offload.h"

struct gw;
struct metric;
struct gw_letter_cache;

struct gw_queue {
    struct gw *gw;
    struct jsq js;
    struct offload *ol;
    struct offload *inspect;         /* reads for the API: never delay a store */
    struct gw_letter_cache *letters; /* Locality: the inspect thread (one) */
    bool enabled;
    atomic_bool stream_ready; /* set by offload threads */
    struct metric *stored;
};

/* One async call, from its request to its answer. */
struct gw_enqueue {
    struct gw *gw;
    struct httpd_req *req; /* NULL once the client has left */
    char *name, *ns, *rest, *label, *call_id;
    struct buf body;
    natsMsg *msg;
    bool storing; /* an offload thread has it */
    /* Set by the offload thread: */
    int status;
    bool duplicate;
    char error[320];
};

bool gw_queue_ready(const struct gw_queue *q, char *why, size_t len);
size_t gw_queue_max_body(const struct gw_queue *q);
/* Stores e->msg; done(e) runs on the loop with e->status set. */
void gw_queue_store(struct gw_enqueue *e, offload_fn *done);

/* A read of the queue's state for the API (queue_view.c, deadletters.c).
 * work runs on an offload thread (the cnats calls block) and sets status
 * and body (an answer), or status and error; the loop then answers. */
struct gw_inspect {
    struct gw *gw;
    struct httpd_req *req; /* NULL once the client has left */
    bool working;
    void (*work)(struct gw_inspect *in);
    uint64_t seq;  /* the letter asked for */
    int64_t limit; /* how many letters */
    int status;
    json_t *body;
    char error[512];
};

/* Takes in (allocated by the caller, work and arguments set) and answers
 * in->req with its outcome: 503 at once when NATS cannot be reached. */
void gw_inspect_run(struct gw_inspect *in);

#endif
