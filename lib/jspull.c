/* jspull.c -- a JetStream durable pull consumer on its own thread. */
#include "jspull.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jsq.h"
#include "log.h"

#define FETCH_WAIT_MS 1000 /* bounds how long a stop waits for the thread */
#define FETCH_BATCH 64
#define BIND_RETRY_MS 500
#define FETCH_ERROR_WAIT_MS 200

static void consumer_config(const struct jspull_spec *s, jsConsumerConfig *cc)
{
    jsConsumerConfig_Init(cc);
    cc->Durable = s->durable;
    cc->AckPolicy = js_AckExplicit;
    cc->AckWait = s->ack_wait_ms * 1000000;
    cc->MaxDeliver = -1; /* attempts are counted by the owner */
    cc->MaxAckPending = s->max_ack_pending;
    cc->FilterSubject = s->filter;
}

static int ensure_consumer(const struct jspull_spec *sp, char *err, size_t errlen)
{
    jsCtx *js = sp->js->js;
    jsConsumerConfig cc;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    consumer_config(sp, &cc);
    s = js_GetConsumerInfo(&ci, js, sp->stream, sp->durable, NULL, &jerr);
    if (jerr == JSStreamNotFoundErr) {
        snprintf(err, errlen, "stream %s does not exist%s", sp->stream,
                 sp->missing_stream ? sp->missing_stream : "");
        return -1;
    }
    if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
        jerr = 0;
        s = js_AddConsumer(&ci, js, sp->stream, &cc, NULL, &jerr);
        if (s == NATS_OK)
            log_info(sp->log_tag, "created durable consumer %s on stream %s%s%s", sp->durable,
                     sp->stream, sp->filter ? " for " : "", sp->filter ? sp->filter : "");
    } else if (s == NATS_OK && (ci->Config->AckWait != cc.AckWait ||
                                ci->Config->MaxAckPending != cc.MaxAckPending)) {
        jsConsumerInfo_Destroy(ci);
        ci = NULL;
        s = js_UpdateConsumer(&ci, js, sp->stream, &cc, NULL, &jerr);
        if (s == NATS_OK)
            log_info(sp->log_tag, "consumer %s: ack wait and max ack pending updated", sp->durable);
    }
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK)
        jsq_error(err, errlen, sp->durable, s, jerr);
    return s == NATS_OK ? 0 : -1;
}

static natsSubscription *bind(struct jspull *p, char *err, size_t errlen)
{
    const struct jspull_spec *sp = &p->spec;
    jsSubOptions so;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    if (!jsq_connected(sp->js)) {
        snprintf(err, errlen, "%s", sp->unreachable ? sp->unreachable : "not connected to NATS");
        return NULL;
    }
    if ((p->ops.prepare && p->ops.prepare(p->arg, err, errlen) < 0) ||
        ensure_consumer(sp, err, errlen) < 0)
        return NULL;
    jsSubOptions_Init(&so);
    so.Stream = sp->stream;
    so.Consumer = sp->durable;
    s = js_PullSubscribe(&sub, sp->js->js, sp->filter, sp->durable, NULL, &so, &jerr);
    if (s != NATS_OK) {
        jsq_error(err, errlen, "pull subscription", s, jerr);
        return NULL;
    }
    return sub;
}

static void set_state(struct jspull *p, bool bound, const char *error)
{
    if (p->ops.state)
        p->ops.state(p->arg, bound, error);
}

static natsSubscription *bind_until_done(struct jspull *p)
{
    char err[400], last[400] = "";

    while (!p->ops.stopping(p->arg)) {
        natsSubscription *sub = bind(p, err, sizeof err);
        if (sub) {
            set_state(p, true, "");
            log_info(p->spec.log_tag, "pulling from stream %s with durable consumer %s",
                     p->spec.stream, p->spec.durable);
            return sub;
        }
        set_state(p, false, err);
        if (strcmp(err, last) != 0) /* say it once, not every half second */
            log_warn(p->spec.log_tag, "consumer %s: not pulling yet: %s (retrying)",
                     p->spec.durable, err);
        snprintf(last, sizeof last, "%s", err);
        usleep(BIND_RETRY_MS * 1000);
    }
    return NULL;
}

static void *pull_thread(void *arg)
{
    struct jspull *p = arg;
    natsSubscription *sub = bind_until_done(p);
    int room;

    while (sub && (room = p->ops.take(p->arg, FETCH_BATCH)) > 0) {
        natsMsgList list = { 0 };
        natsStatus s = natsSubscription_Fetch(&list, sub, room, FETCH_WAIT_MS, NULL);
        int got = s == NATS_OK ? list.Count : 0;
        if (p->ops.give && room > got)
            p->ops.give(p->arg, room - got);
        for (int i = 0; i < got; i++) {
            p->ops.hand_over(p->arg, list.Msgs[i]);
            list.Msgs[i] = NULL; /* the owner's now */
        }
        natsMsgList_Destroy(&list);
        if (s != NATS_OK && s != NATS_TIMEOUT)
            usleep(FETCH_ERROR_WAIT_MS * 1000); /* disconnected: cnats reconnects meanwhile */
        if (p->ops.after_fetch)
            p->ops.after_fetch(p->arg);
    }
    set_state(p, false, NULL);
    /* Messages in the owner's hands still ack through the subscription:
     * it is destroyed after them, in jspull_close. */
    p->sub = sub;
    return NULL;
}

int jspull_start(struct jspull *p, const struct jspull_spec *spec, const struct jspull_ops *ops,
                 void *arg)
{
    *p = (struct jspull){ .spec = *spec, .ops = *ops, .arg = arg };
    if (pthread_create(&p->thread, NULL, pull_thread, p) != 0)
        return -1;
    p->started = true;
    return 0;
}

void jspull_join(struct jspull *p)
{
    if (p->started)
        pthread_join(p->thread, NULL);
    p->started = false;
}

void jspull_close(struct jspull *p)
{
    if (p->sub)
        natsSubscription_Destroy(p->sub);
    p->sub = NULL;
}
