/* nats_pull.c -- JetStream durable pull consumers: one fetch thread each
 * binds to its consumer (creating it if needed) and pulls while the
 * connector has free places among max_inflight.
 *
 * Everything here may block on NATS round trips, which is why it runs on
 * its own thread; it shares only n->mu's fields with the loop. Streams
 * are not created here: how long a stream keeps what, and where, is the
 * operator's choice, so a missing stream is reported (not ready) and
 * waited for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cn.h"
#include "log.h"
#include "nats_int.h"

#define FETCH_WAIT_MS 1000 /* bounds how long a stop waits for the thread */
#define FETCH_BATCH 64
#define BIND_RETRY_MS 500

static void set_state(struct pull *p, bool bound, const char *error)
{
    pthread_mutex_lock(&p->n->mu);
    p->bound = bound;
    snprintf(p->error, sizeof p->error, "%s", error);
    pthread_mutex_unlock(&p->n->mu);
}

static bool stopping(struct pull *p)
{
    pthread_mutex_lock(&p->n->mu);
    bool stop = p->n->stop;
    pthread_mutex_unlock(&p->n->mu);
    return stop;
}

static void consumer_config(const struct pull *p, jsConsumerConfig *cc)
{
    const struct cn_config *cfg = &p->n->cn->cfg;

    jsConsumerConfig_Init(cc);
    cc->Durable = p->durable;
    cc->AckPolicy = js_AckExplicit;
    cc->AckWait = cfg->nats_ack_wait_ms * 1000000;
    cc->MaxDeliver = -1;        /* attempts are counted per function, by us */
    cc->MaxAckPending = cfg->max_inflight;
    cc->FilterSubject = p->spec.filter;
}

static int ensure_consumer(struct pull *p, char *err, size_t errlen)
{
    jsCtx *js = p->n->js.js;
    jsConsumerConfig cc;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    consumer_config(p, &cc);
    s = js_GetConsumerInfo(&ci, js, p->spec.stream, p->durable, NULL, &jerr);
    if (jerr == JSStreamNotFoundErr) {
        snprintf(err, errlen, "stream %s does not exist (create it; the connector does not)",
                 p->spec.stream);
        return -1;
    }
    if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
        jerr = 0;
        s = js_AddConsumer(&ci, js, p->spec.stream, &cc, NULL, &jerr);
        if (s == NATS_OK)
            log_info("nats", "created durable consumer %s on stream %s%s%s", p->durable,
                     p->spec.stream, p->spec.filter ? " for " : "",
                     p->spec.filter ? p->spec.filter : "");
    } else if (s == NATS_OK && (ci->Config->AckWait != cc.AckWait ||
                                ci->Config->MaxAckPending != cc.MaxAckPending)) {
        jsConsumerInfo_Destroy(ci);
        ci = NULL;
        s = js_UpdateConsumer(&ci, js, p->spec.stream, &cc, NULL, &jerr);
        if (s == NATS_OK)
            log_info("nats", "consumer %s: ack_wait and max_inflight updated", p->durable);
    }
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK)
        jsq_error(err, errlen, p->durable, s, jerr);
    return s == NATS_OK ? 0 : -1;
}

static natsSubscription *bind(struct pull *p, char *err, size_t errlen)
{
    jsSubOptions so;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    if (!jsq_connected(&p->n->js)) {
        snprintf(err, errlen, "not connected to NATS");
        return NULL;
    }
    if (ensure_consumer(p, err, errlen) < 0)
        return NULL;
    jsSubOptions_Init(&so);
    so.Stream = p->spec.stream;
    so.Consumer = p->durable;
    s = js_PullSubscribe(&sub, p->n->js.js, p->spec.filter, p->durable, NULL, &so, &jerr);
    if (s != NATS_OK) {
        jsq_error(err, errlen, "pull subscription", s, jerr);
        return NULL;
    }
    return sub;
}

static natsSubscription *bind_until_done(struct pull *p)
{
    char err[400], last[400] = "";

    while (!stopping(p)) {
        natsSubscription *sub = bind(p, err, sizeof err);
        if (sub) {
            set_state(p, true, "");
            log_info("nats", "pulling from stream %s with durable consumer %s (at least once)",
                     p->spec.stream, p->durable);
            return sub;
        }
        set_state(p, false, err);
        if (strcmp(err, last) != 0) /* say it once, not every half second */
            log_warn("nats", "consumer %s: not pulling yet: %s (retrying)", p->durable, err);
        snprintf(last, sizeof last, "%s", err);
        usleep(BIND_RETRY_MS * 1000);
    }
    return NULL;
}

static void *fetch_thread(void *arg)
{
    struct pull *p = arg;
    natsSubscription *sub = bind_until_done(p);
    int room;

    while (sub && (room = cn_nats_take(p->n, FETCH_BATCH)) > 0) {
        natsMsgList list = { 0 };
        natsStatus s = natsSubscription_Fetch(&list, sub, room, FETCH_WAIT_MS, NULL);
        int got = s == NATS_OK ? list.Count : 0;
        cn_nats_give(p->n, room - got);
        for (int i = 0; i < got; i++) {
            cn_nats_hand_over(p->n, p, list.Msgs[i]);
            list.Msgs[i] = NULL; /* the loop owns it now */
        }
        natsMsgList_Destroy(&list);
        if (s != NATS_OK && s != NATS_TIMEOUT)
            usleep(200 * 1000); /* disconnected: cnats reconnects meanwhile */
    }
    /* Messages in the loop's hands still ack through the subscription: it
     * is destroyed after them, in cn_pull_close. */
    p->sub = sub;
    return NULL;
}

int cn_pull_start(struct pull *p)
{
    if (pthread_create(&p->thread, NULL, fetch_thread, p) != 0)
        return -1;
    p->started = true;
    return 0;
}

void cn_pull_join(struct pull *p)
{
    if (p->started)
        pthread_join(p->thread, NULL);
    p->started = false;
}

void cn_pull_close(struct pull *p)
{
    if (p->sub)
        natsSubscription_Destroy(p->sub);
    p->sub = NULL;
    free(p->spec.stream);
    free(p->spec.filter);
    free(p->durable);
}
