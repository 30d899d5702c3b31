/* nats_pull.c -- JetStream durable pull consumers: one fetch thread each
 * (lib/jspull.h) binds to its consumer (creating it if needed) and pulls
 * while the connector has free places among max_inflight.
 *
 * The callbacks here run on that thread and share only n->mu's fields
 * with the loop. Streams
 * are not created here: how long a stream keeps what, and where, is the
 * operator's choice, so a missing stream is reported (not ready) and
 * waited for. */
#include <stdio.h>
#include <stdlib.h>

#include "cn.h"
#include "jspull.h"
#include "nats_int.h"

static bool stopping(void *arg)
{
    struct pull *p = arg;

    return cn_nats_stopped(p->n);
}

static int take(void *arg, int max)
{
    struct pull *p = arg;

    return cn_nats_take(p->n, max);
}

static void give(void *arg, int unused)
{
    struct pull *p = arg;

    cn_nats_give(p->n, unused);
}

static void hand_over(void *arg, natsMsg *msg)
{
    struct pull *p = arg;

    p->hand_over(p->n, p, msg);
}

/* What /readyz says of the consumer. */
static void set_state(void *arg, bool bound, const char *error)
{
    struct pull *p = arg;

    if (!error)
        return; /* the thread ended: the connector stops */
    pthread_mutex_lock(&p->n->mu);
    p->bound = bound;
    snprintf(p->error, sizeof p->error, "%s", error);
    pthread_mutex_unlock(&p->n->mu);
}

int cn_pull_start(struct pull *p, void (*to_loop)(struct cn_nats *n, struct pull *p, natsMsg *msg))
{
    static const struct jspull_ops ops = {
        .stopping = stopping,
        .take = take,
        .give = give,
        .hand_over = hand_over,
        .state = set_state,
    };
    const struct cn_config *cfg = &p->n->cn->cfg;
    struct jspull_spec spec = {
        .js = &p->n->js,
        .stream = p->spec.stream,
        .durable = p->durable,
        .filter = p->spec.filter,
        .ack_wait_ms = cfg->nats_ack_wait_ms,
        .max_ack_pending = cfg->max_inflight,
        .log_tag = "nats",
        .missing_stream = " (create it; the connector does not)",
    };

    p->hand_over = to_loop;
    return jspull_start(&p->pull, &spec, &ops, p);
}

void cn_pull_join(struct pull *p)
{
    jspull_join(&p->pull);
}

void cn_pull_close(struct pull *p)
{
    jspull_close(&p->pull);
    free(p->spec.stream);
    free(p->spec.filter);
    free(p->durable);
}
