/* fetch.c -- the fetch thread (lib/jspull.h): set up the streams, bind to
 * the shared durable consumer, then pull messages while this worker has
 * free slots and hand each to the loop. It also reads the consumer's
 * backlog for /metrics.
 *
 * Everything here may block (NATS round trips), which is why it is not on
 * the loop; it touches the worker only under w->mu. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "offload.h"
#include "qw.h"
#include "xalloc.h"

#define PENDING_EVERY_MS 2000
#define PENDING_WAIT_MS 500

/* Before each try to bind: the calls' stream and the dead letters'. */
static int prepare(void *arg, char *err, size_t errlen)
{
    struct qw *w = arg;
    struct jsq_stream calls = { .name = w->cfg.nats_stream,
                                .subject = w->cfg.nats_subject,
                                .work_queue = true };
    struct jsq_stream dead = { .name = w->cfg.dead_letter_stream,
                               .subject = w->cfg.dead_letter_subject };

    if (jsq_ensure_stream(&w->js, &calls, err, errlen) < 0 ||
        jsq_ensure_stream(&w->js, &dead, err, errlen) < 0)
        return -1;
    return 0;
}

/* jspull's take: the worker's free slots (slots.c). */
static int wait_for_room(void *arg, int max)
{
    return qw_slots_wait(arg, max);
}

static bool stopping(void *arg)
{
    struct qw *w = arg;

    pthread_mutex_lock(&w->mu);
    bool stop = w->stop_fetching;
    pthread_mutex_unlock(&w->mu);
    return stop;
}

static void set_pending(struct qw *w, int64_t pending)
{
    pthread_mutex_lock(&w->mu);
    w->pending = pending;
    pthread_mutex_unlock(&w->mu);
}

/* The request is bounded by PENDING_WAIT_MS, not cnats' 5 s default: it
 * runs on the fetch thread, and a worker stopping while NATS is gone (the
 * server went down with the same Ctrl-C) would otherwise wait that long
 * before it could join the thread. */
static void read_pending(struct qw *w)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    int64_t pending = -1;
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = PENDING_WAIT_MS;
    natsStatus s = js_GetConsumerInfo(&ci, w->js.js, w->cfg.nats_stream, w->cfg.nats_durable, &o,
                                      &jerr);
    if (s == NATS_OK)
        pending = (int64_t)ci->NumPending;
    else
        log_debug("fetch", "consumer info: %s", natsStatus_GetText(s));
    jsConsumerInfo_Destroy(ci);
    set_pending(w, pending);
}

/* The consumer's backlog, for /metrics, every PENDING_EVERY_MS; unknown
 * while NATS is away, and not asked when the worker is stopping. */
static void after_fetch(void *arg)
{
    struct qw *w = arg;

    if (stopping(w))
        return;
    if (loop_now_ms() - w->pending_at >= PENDING_EVERY_MS) {
        if (jsq_connected(&w->js))
            read_pending(w);
        else
            set_pending(w, -1);
        w->pending_at = loop_now_ms();
    }
}

static void hand_over(void *arg, natsMsg *msg)
{
    struct qw *w = arg;
    struct qw_arrival *a = xmalloc(sizeof *a);

    qw_slot_take(w);
    a->w = w;
    a->msg = msg;
    offload_post(w->ol, qw_job_start, a);
}

static void set_subscribed(void *arg, bool on, const char *error)
{
    struct qw *w = arg;
    (void)error;

    pthread_mutex_lock(&w->mu);
    w->subscribed = on;
    pthread_mutex_unlock(&w->mu);
}

int qw_fetch_start(struct qw *w)
{
    static const struct jspull_ops ops = {
        .prepare = prepare,
        .stopping = stopping,
        .take = wait_for_room,
        .hand_over = hand_over,
        .state = set_subscribed,
        .after_fetch = after_fetch,
    };
    struct jspull_spec spec = {
        .js = &w->js,
        .stream = w->cfg.nats_stream,
        .durable = w->cfg.nats_durable,
        .filter = w->cfg.nats_subject,
        .ack_wait_ms = w->cfg.ack_wait_ms,
        .max_ack_pending = 20000, /* the workers' max_inflight is the real bound */
        .log_tag = "fetch",
        .unreachable = w->unreachable,
    };

    snprintf(w->unreachable, sizeof w->unreachable, "NATS at %s is unreachable", w->cfg.nats_url);
    w->pending_at = 0;
    return jspull_start(&w->pull, &spec, &ops, w);
}

void qw_fetch_stop(struct qw *w)
{
    pthread_mutex_lock(&w->mu);
    w->stop_fetching = true;
    pthread_cond_broadcast(&w->room);
    pthread_mutex_unlock(&w->mu);
}

void qw_fetch_join(struct qw *w)
{
    jspull_join(&w->pull);
}

void qw_fetch_close(struct qw *w)
{
    jspull_close(&w->pull); /* the durable consumer stays */
}
