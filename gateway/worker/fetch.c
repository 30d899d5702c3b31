/* fetch.c -- the fetch thread: set up the streams and the shared durable
 * consumer, then pull messages while this worker has free slots and hand
 * each to the loop. It also reads the consumer's backlog for /metrics.
 *
 * Everything here may block (NATS round trips), which is why it is not on
 * the loop; it touches the worker only under w->mu. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "offload.h"
#include "qw.h"
#include "xalloc.h"

#define FETCH_WAIT_MS 1000 /* bounds how long a stop waits for the thread */
#define FETCH_BATCH 64
#define PENDING_EVERY_MS 2000

static int ensure_consumer(struct qw *w, char *err, size_t errlen)
{
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = w->cfg.nats_durable;
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = w->cfg.ack_wait_ms * 1000000;
    cc.MaxDeliver = -1;        /* attempts are counted by us, per function */
    cc.MaxAckPending = 20000;  /* the workers' max_inflight is the real bound */
    cc.FilterSubject = w->cfg.nats_subject;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetConsumerInfo(&ci, w->js.js, w->cfg.nats_stream, w->cfg.nats_durable,
                                      NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
        jerr = 0;
        s = js_AddConsumer(&ci, w->js.js, w->cfg.nats_stream, &cc, NULL, &jerr);
        if (s == NATS_OK)
            log_info("fetch", "created consumer %s on stream %s", cc.Durable,
                     w->cfg.nats_stream);
    } else if (s == NATS_OK && ci->Config->AckWait != cc.AckWait) {
        jsConsumerInfo_Destroy(ci);
        ci = NULL;
        s = js_UpdateConsumer(&ci, w->js.js, w->cfg.nats_stream, &cc, NULL, &jerr);
        if (s == NATS_OK)
            log_info("fetch", "consumer %s: ack_wait set to %lld ms", cc.Durable,
                     (long long)w->cfg.ack_wait_ms);
    }
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK)
        jsq_error(err, errlen, "consumer", s, jerr);
    return s == NATS_OK ? 0 : -1;
}

static natsSubscription *subscribe(struct qw *w, char *err, size_t errlen)
{
    struct jsq_stream calls = { .name = w->cfg.nats_stream, .subject = w->cfg.nats_subject,
                                .work_queue = true };
    struct jsq_stream dead = { .name = w->cfg.dead_letter_stream,
                               .subject = w->cfg.dead_letter_subject };
    if (!jsq_connected(&w->js)) {
        snprintf(err, errlen, "NATS at %s is unreachable", w->cfg.nats_url);
        return NULL;
    }
    if (jsq_ensure_stream(&w->js, &calls, err, errlen) < 0 ||
        jsq_ensure_stream(&w->js, &dead, err, errlen) < 0 || ensure_consumer(w, err, errlen) < 0)
        return NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = w->cfg.nats_stream;
    so.Consumer = w->cfg.nats_durable;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_PullSubscribe(&sub, w->js.js, w->cfg.nats_subject, w->cfg.nats_durable,
                                    NULL, &so, &jerr);
    if (s != NATS_OK) {
        jsq_error(err, errlen, "pull subscription", s, jerr);
        return NULL;
    }
    return sub;
}

/* Waits for free slots; returns how many, or 0 when stopping. */
static int wait_for_room(struct qw *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->stop_fetching && w->slots_used >= (unsigned)w->cfg.max_inflight)
        pthread_cond_wait(&w->room, &w->mu);
    int room = w->stop_fetching ? 0 : (int)(w->cfg.max_inflight - w->slots_used);
    pthread_mutex_unlock(&w->mu);
    return room > FETCH_BATCH ? FETCH_BATCH : room;
}

static void read_pending(struct qw *w)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    int64_t pending = -1;
    natsStatus s = js_GetConsumerInfo(&ci, w->js.js, w->cfg.nats_stream, w->cfg.nats_durable,
                                      NULL, &jerr);
    if (s == NATS_OK)
        pending = (int64_t)ci->NumPending;
    else
        log_debug("fetch", "consumer info: %s", natsStatus_GetText(s));
    jsConsumerInfo_Destroy(ci);
    pthread_mutex_lock(&w->mu);
    w->pending = pending;
    pthread_mutex_unlock(&w->mu);
}

static void hand_over(struct qw *w, natsMsgList *list)
{
    pthread_mutex_lock(&w->mu);
    w->slots_used += (unsigned)list->Count;
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < list->Count; i++) {
        struct qw_arrival *a = xmalloc(sizeof *a);
        a->w = w;
        a->msg = list->Msgs[i];
        offload_post(w->ol, qw_job_start, a);
        list->Msgs[i] = NULL; /* the loop owns it now */
    }
}

static bool stopping(struct qw *w)
{
    pthread_mutex_lock(&w->mu);
    bool stop = w->stop_fetching;
    pthread_mutex_unlock(&w->mu);
    return stop;
}

static void set_subscribed(struct qw *w, bool on)
{
    pthread_mutex_lock(&w->mu);
    w->subscribed = on;
    pthread_mutex_unlock(&w->mu);
}

static natsSubscription *subscribe_until_done(struct qw *w)
{
    char err[320], last[320] = "";
    while (!stopping(w)) {
        natsSubscription *sub = subscribe(w, err, sizeof err);
        if (sub) {
            log_info("fetch", "pulling from %s/%s, up to %lld calls at once",
                     w->cfg.nats_stream, w->cfg.nats_durable, (long long)w->cfg.max_inflight);
            return sub;
        }
        if (strcmp(err, last) != 0) /* say it once, not every half second */
            log_warn("fetch", "not pulling yet: %s (retrying)", err);
        snprintf(last, sizeof last, "%s", err);
        usleep(500 * 1000);
    }
    return NULL;
}

static void *fetch_thread(void *arg)
{
    struct qw *w = arg;
    natsSubscription *sub = subscribe_until_done(w);
    set_subscribed(w, sub != NULL);
    int64_t pending_at = 0;
    int room;
    while (sub && (room = wait_for_room(w)) > 0) {
        natsMsgList list = { 0 };
        natsStatus s = natsSubscription_Fetch(&list, sub, room, FETCH_WAIT_MS, NULL);
        if (s == NATS_OK)
            hand_over(w, &list);
        else if (s != NATS_TIMEOUT)
            usleep(200 * 1000); /* disconnected: cnats reconnects meanwhile */
        natsMsgList_Destroy(&list);
        if (loop_now_ms() - pending_at >= PENDING_EVERY_MS) {
            read_pending(w);
            pending_at = loop_now_ms();
        }
    }
    set_subscribed(w, false);
    /* Messages in progress still point at the subscription (acks go
     * through it): it is destroyed after them, in qw_fetch_join. */
    w->sub = sub;
    return NULL;
}

int qw_fetch_start(struct qw *w)
{
    if (pthread_create(&w->fetcher, NULL, fetch_thread, w) != 0)
        return -1;
    w->fetcher_started = true;
    return 0;
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
    if (w->fetcher_started)
        pthread_join(w->fetcher, NULL);
    w->fetcher_started = false;
}

void qw_fetch_close(struct qw *w)
{
    if (w->sub)
        natsSubscription_Destroy(w->sub); /* the durable consumer stays */
    w->sub = NULL;
}

void qw_slot_free(struct qw *w)
{
    pthread_mutex_lock(&w->mu);
    w->slots_used--;
    pthread_cond_signal(&w->room);
    pthread_mutex_unlock(&w->mu);
}
