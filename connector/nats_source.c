/* nats_source.c -- the NATS connection, core subscriptions, the messages
 * the loop holds, and the drain. JetStream fetching is nats_pull.c's, the
 * places among max_inflight nats_places.c's. */
#include "nats_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cn.h"
#include "dispatch.h"
#include "log.h"
#include "loop.h"
#include "nats_int.h"
#include "nats_publish.h"
#include "nats_record.h"
#include "natsmsg.h"
#include "offload.h"
#include "xalloc.h"

#define PUBLISH_THREADS 4 /* replies and dead letters waiting for their ack */
#define UNSUBSCRIBE_WAIT_MS 2000

/* --- held messages (loop thread) ----------------------------------------- */

static void release(struct nmsg *nm)
{
    struct cn_nats *n = nm->n;

    list_remove(&n->held_msgs, &nm->node);
    if (nm->progress)
        loop_timer_cancel(n->cn->lp, nm->progress);
    natsmsg_free(nm->msg);
    cn_record_free(nm->rec);
    free(nm);
    cn_nats_give(n, 1);
}

static bool may_start(const struct cn_record *rec)
{
    const struct nmsg *nm = rec->owner;

    return !nm->n->stopping;
}

static void finished(struct cn_record *rec)
{
    struct nmsg *nm = rec->owner;
    natsStatus s;

    /* The final outcome is published: only now may JetStream forget it.
     * A lost ack means a redelivery after ack_wait: at least once. */
    if (nm->msg && (s = natsMsg_Ack(nm->msg, NULL)) != NATS_OK)
        log_warn("nats", "%s: ack failed: %s (it will be delivered again)", rec->call_id,
                 natsStatus_GetText(s));
    release(nm);
}

/* A retry of a JetStream message waits in the stream: nak with delay. */
static void redeliver(struct cn_record *rec, int64_t delay_ms)
{
    struct nmsg *nm = rec->owner;
    natsStatus s = natsMsg_NakWithDelay(nm->msg, delay_ms, NULL);

    if (s != NATS_OK) /* then ack_wait brings it back: at least once all the same */
        log_warn("nats", "%s: nak failed: %s", rec->call_id, natsStatus_GetText(s));
    release(nm);
}

static void drain_poke(struct cn_nats *n);

/* A drain waits for this: the last call or publish of the message ended. */
static void quiet(struct cn_record *rec)
{
    struct nmsg *nm = rec->owner;

    if (nm->n->stopping)
        drain_poke(nm->n);
}

static const struct cn_origin core_origin = {
    .may_start = may_start,
    .finished = finished,
    .quiet = quiet,
};
static const struct cn_origin jetstream_origin = {
    .may_start = may_start,
    .finished = finished,
    .redeliver = redeliver,
    .quiet = quiet,
};

/* Calls and retry waits may outlast ack_wait: tell JetStream the message
 * is being worked on, well before the lease runs out. */
static void keep_lease(struct loop *lp, void *arg)
{
    struct nmsg *nm = arg;

    natsMsg_InProgress(nm->msg, NULL);
    nm->progress = loop_timer_add(lp, nm->n->cn->cfg.nats_ack_wait_ms / 3, keep_lease, nm);
}

struct arrival {
    struct cn_nats *n;
    struct pull *pull;
    natsMsg *msg;
};

/* Posted by a callback or fetch thread; runs on the loop. */
static void arrive(void *arg)
{
    struct arrival *a = arg;
    struct cn_nats *n = a->n;
    struct cn *cn = n->cn;

    if (n->stopping) {
        /* Fetched as we stopped: back to JetStream for another connector. */
        if (a->pull)
            natsMsg_Nak(a->msg, NULL);
        natsmsg_free(a->msg);
        cn_nats_give(n, 1);
        free(a);
        return;
    }
    struct nmsg *nm = xcalloc(1, sizeof *nm);
    nm->n = n;
    nm->pull = a->pull;
    nm->rec = cn_nats_record(a->msg, a->pull ? a->pull->spec.stream : NULL, cn->cfg.nats_key_header,
                             n->boot_id, ++n->core_seq);
    if (a->pull) {
        nm->msg = a->msg;
        nm->progress = loop_timer_add(cn->lp, cn->cfg.nats_ack_wait_ms / 3, keep_lease, nm);
    } else {
        natsmsg_free(a->msg); /* a core message is all in the record */
    }
    free(a);
    nm->rec->origin = nm->msg ? &jetstream_origin : &core_origin;
    nm->rec->owner = nm;
    list_push_front(&n->held_msgs, &nm->node);
    /* May finish (and free) the record at once: no route matched. */
    cn_dispatch_submit(cn->dispatch, nm->rec);
}

void cn_nats_hand_over(struct cn_nats *n, struct pull *pull, natsMsg *msg)
{
    struct arrival *a = xmalloc(sizeof *a);

    a->n = n;
    a->pull = pull;
    a->msg = msg;
    offload_post(n->ol, arrive, a);
}

/* --- core subscriptions --------------------------------------------------- */

/* On the subscription's cnats thread: waits for a place, so a busy
 * connector leaves messages in cnats' bounded buffer. */
static void on_core_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
    struct cn_nats *n = arg;
    (void)nc;
    (void)sub;

    if (cn_nats_take(n, 1) == 0) {
        natsmsg_free(msg); /* stopping: at most once, said in the docs */
        return;
    }
    cn_nats_hand_over(n, NULL, msg);
}

static int subscribe_core(struct cn_nats *n, char *err, size_t errlen)
{
    const struct cn_config *cfg = &n->cn->cfg;

    for (const char *p = cfg->subjects; *p;) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (len == 0)
            break;
        char *subject = xstrndup(p, len);
        natsSubscription *sub = NULL;
        natsStatus s = natsConnection_QueueSubscribe(&sub, n->js.nc, subject, cfg->group,
                                                     on_core_msg, n);
        if (s == NATS_OK)
            s = natsSubscription_SetPendingLimits(sub, (int)cfg->max_queued,
                                                  (int)cfg->max_queued_bytes);
        if (s != NATS_OK) {
            jsq_error(err, errlen, subject, s, 0);
            natsSubscription_Destroy(sub);
            free(subject);
            return -1;
        }
        n->subs = xrealloc(n->subs, (n->nsubs + 1) * sizeof(natsSubscription *));
        n->subs[n->nsubs++] = sub;
        log_info("nats", "subscribed to %s in queue group %s (core NATS: at most once)", subject,
                 cfg->group);
        free(subject);
        p += len;
    }
    return 0;
}

/* Stops deliveries; callbacks already running end on their own (stop is
 * set, so none waits for a place). */
static void unsubscribe_core(struct cn_nats *n)
{
    for (size_t i = 0; i < n->nsubs; i++) {
        if (natsSubscription_IsValid(n->subs[i]))
            natsSubscription_Drain(n->subs[i]);
    }
}

/* --- start and stop ------------------------------------------------------- */

static int start_pulls(struct cn_nats *n, char *err, size_t errlen)
{
    const struct cn_config *cfg = &n->cn->cfg;
    struct cn_stream_spec *specs;
    char why[400];
    int count = cn_streams_parse(cfg->streams, &specs, why, sizeof why);

    if (count < 0) {
        snprintf(err, errlen, "streams: %s", why);
        return -1;
    }
    n->pulls = xcalloc((size_t)count + 1, sizeof *n->pulls);
    for (int i = 0; i < count; i++) {
        struct pull *p = &n->pulls[i];
        p->n = n;
        p->spec = specs[i]; /* takes the strings */
        p->durable = cn_stream_durable(cfg->group, &p->spec);
        snprintf(p->error, sizeof p->error, "not bound yet");
        n->npulls++;
        if (cn_pull_start(p, cn_nats_hand_over) < 0) {
            snprintf(err, errlen, "cannot start a fetch thread");
            free(specs);
            return -1;
        }
    }
    free(specs);
    return 0;
}

struct cn_nats *cn_nats_new(struct cn *cn, char *err, size_t errlen)
{
    struct cn_nats *n = xcalloc(1, sizeof *n);

    n->cn = cn;
    n->max = (unsigned)cn->cfg.max_inflight;
    pthread_mutex_init(&n->mu, NULL);
    pthread_cond_init(&n->room, NULL);
    snprintf(n->boot_id, sizeof n->boot_id, "%x%llx", (unsigned)getpid(),
             (unsigned long long)loop_now_ms());
    n->ol = offload_new(cn->lp, PUBLISH_THREADS);
    if (!n->ol) {
        snprintf(err, errlen, "cannot start NATS helper threads");
        free(n);
        return NULL;
    }
    if (jsq_open(&n->js, cn->cfg.nats_url, &cn->cfg.nats_auth, "faasbus-connector", err, errlen) <
        0) {
        cn_nats_free(n);
        return NULL;
    }
    n->out = cn_nats_out_new(&n->js, n->ol, cn->cfg.nats_key_header, err, errlen);
    cn->nats_out = n->out;
    if (!n->out || subscribe_core(n, err, errlen) < 0 || start_pulls(n, err, errlen) < 0) {
        cn_nats_free(n);
        return NULL;
    }
    return n;
}

/* Lets go of every held message without an outcome: JetStream gets it
 * back at once (nak) for another connector. */
static void let_go_all(struct cn_nats *n)
{
    for (struct list_node *it = n->held_msgs.first, *next_it; it; it = next_it) {
        struct nmsg *nm = LIST_ENTRY(it, struct nmsg, node);
        next_it = it->next;
        cn_dispatch_abandon(n->cn->dispatch, nm->rec);
        if (nm->msg)
            natsMsg_Nak(nm->msg, NULL);
        release(nm);
    }
}

void cn_nats_free(struct cn_nats *n)
{
    if (!n)
        return;
    n->closing = n->stopping = true;
    if (n->drain_timer)
        loop_timer_cancel(n->cn->lp, n->drain_timer);
    if (n->drain_poke)
        loop_timer_cancel(n->cn->lp, n->drain_poke);
    n->drain_timer = n->drain_poke = NULL;
    cn_nats_stop_handing_over(n);
    unsubscribe_core(n);
    for (size_t i = 0; i < n->nsubs; i++) {
        natsSubscription_WaitForDrainCompletion(n->subs[i], UNSUBSCRIBE_WAIT_MS);
        natsSubscription_Destroy(n->subs[i]);
    }
    free(n->subs);
    for (int i = 0; i < n->npulls; i++)
        cn_pull_join(&n->pulls[i]);
    let_go_all(n);
    /* Arrivals still queued are nak'ed by arrive() (stopping is set);
     * publishes in flight end, their waiters detached by now. */
    cn_nats_out_close(n->out);
    offload_free(n->ol);
    for (int i = 0; i < n->npulls; i++)
        cn_pull_close(&n->pulls[i]);
    free(n->pulls);
    cn_nats_out_stop(n->out);
    jsq_close(&n->js);
    if (n->cn->nats_out == n->out)
        n->cn->nats_out = NULL;
    struct cn_nats_out *out = n->out;
    pthread_cond_destroy(&n->room);
    pthread_mutex_destroy(&n->mu);
    free(n);
    jsq_shutdown();        /* the only connection: cnats' own threads end with it */
    cn_nats_out_free(out); /* after them: their answer handler holds it */
}

/* --- drain and readiness --------------------------------------------------- */

/* The drain ends once no held message is busy (looked at after each one
 * goes quiet), or when its deadline (`overdue`) passes; nothing polls. */
static void drain_check(struct cn_nats *n, bool overdue)
{
    size_t busy = 0, held = 0;

    if (!n->done)
        return; /* over already */
    for (const struct list_node *it = n->held_msgs.first; it; it = it->next) {
        const struct nmsg *nm = LIST_ENTRY(it, const struct nmsg, node);
        held++;
        busy += cn_dispatch_busy(nm->rec);
    }
    if (busy && !overdue)
        return;
    if (n->drain_timer)
        loop_timer_cancel(n->cn->lp, n->drain_timer);
    if (n->drain_poke)
        loop_timer_cancel(n->cn->lp, n->drain_poke);
    n->drain_timer = n->drain_poke = NULL;
    if (busy)
        log_warn("nats",
                 "drain_timeout passed with %zu message(s) still in a call or "
                 "publish",
                 busy);
    if (held)
        log_info("nats",
                 "letting go of %zu unfinished message(s): JetStream ones go back "
                 "to the stream (nak), core NATS ones are dropped",
                 held);
    /* Over before the messages go: their calls going quiet as they are
     * abandoned must not ask for another look. */
    void (*done)(void *) = n->done;
    n->done = NULL;
    let_go_all(n);
    if (done)
        done(n->done_arg);
}

static void on_drain_deadline(struct loop *lp, void *arg)
{
    struct cn_nats *n = arg;
    (void)lp;

    n->drain_timer = NULL;
    drain_check(n, true);
}

static void on_drain_poked(struct loop *lp, void *arg)
{
    struct cn_nats *n = arg;
    (void)lp;

    n->drain_poke = NULL;
    drain_check(n, false);
}

/* quiet() runs inside the dispatcher, where messages must not be let go:
 * the look is the loop's next turn. */
static void drain_poke(struct cn_nats *n)
{
    if (!n->done || n->drain_poke)
        return;
    n->drain_poke = loop_timer_add(n->cn->lp, 0, on_drain_poked, n);
}

void cn_nats_drain(struct cn_nats *n, void (*done)(void *arg), void *arg)
{
    n->stopping = true;
    n->done = done;
    n->done_arg = arg;
    cn_nats_stop_handing_over(n);
    unsubscribe_core(n);
    n->drain_timer = loop_timer_add(n->cn->lp, n->cn->cfg.drain_timeout_ms, on_drain_deadline, n);
    drain_poke(n);
}

bool cn_nats_ready(const struct cn_nats *n, char *why, size_t len)
{
    struct cn_nats *m = (struct cn_nats *)n; /* the lock only */
    bool ok = true;

    if (!jsq_connected(&n->js)) {
        snprintf(why, len, "not connected to NATS at %s", n->cn->cfg.nats_url);
        return false;
    }
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < n->npulls && ok; i++) {
        if (!n->pulls[i].bound) {
            snprintf(why, len, "JetStream consumer %s on stream %s: %s", n->pulls[i].durable,
                     n->pulls[i].spec.stream, n->pulls[i].error);
            ok = false;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return ok;
}
