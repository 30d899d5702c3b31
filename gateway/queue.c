/* queue.c -- the gateway's side of the async queue: the NATS connection,
 * the stream, and storing a call (a blocking JetStream publish that
 * waits for the server's acknowledgement, run on offload threads). */
#include "queue.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "jsq.h"
#include "letter.h"
#include "log.h"
#include "metrics.h"
#include "offload.h"
#include "queue_int.h"
#include "xalloc.h"

/* The stream's message limit leaves room for the headers on top of the
 * largest body. */
#define HEADER_ALLOWANCE (64 * 1024)

static void ensure_stream(struct gw_queue *q, char *err, size_t errlen)
{
    const struct gw_config *cfg = &q->gw->cfg;
    struct jsq_stream st = {
        .name = cfg->nats_stream,
        .subject = cfg->nats_subject,
        .max_msg_size = cfg->queue_max_message + HEADER_ALLOWANCE,
        .dup_window_ms = cfg->queue_dedup_window_ms,
        .work_queue = true,
    };
    if (jsq_ensure_stream(&q->js, &st, err, errlen) == 0)
        atomic_store(&q->stream_ready, true);
}

static natsStatus publish(struct gw_queue *q, struct gw_enqueue *e, jsErrCode *jerr)
{
    jsPubOptions po;
    jsPubOptions_Init(&po);
    /* De-duplication is per function: a caller who knows (or guesses) the
     * call id of someone else's call to another function cannot make it a
     * silent duplicate. */
    char *msg_id = xasprintf("%s/%s", e->label, e->call_id);
    po.MsgId = msg_id;
    po.MaxWait = q->gw->cfg.queue_publish_timeout_ms;
    jsPubAck *ack = NULL;
    natsStatus s = js_PublishMsg(&ack, q->js.js, e->msg, &po, jerr);
    if (s == NATS_OK)
        e->duplicate = ack->Duplicate;
    jsPubAck_Destroy(ack);
    free(msg_id);
    return s;
}

/* On an offload thread: store the call, creating the stream first if it
 * is missing (first use, or a server that lost its state). */
static void store_work(void *arg)
{
    struct gw_enqueue *e = arg;
    struct gw_queue *q = e->gw->queue;
    char err[256] = "";
    if (!atomic_load(&q->stream_ready))
        ensure_stream(q, err, sizeof err);
    jsErrCode jerr = 0;
    natsStatus s = atomic_load(&q->stream_ready) ? publish(q, e, &jerr) : NATS_ERR;
    if (s == NATS_NO_RESPONDERS) { /* no stream takes the subject */
        atomic_store(&q->stream_ready, false);
        ensure_stream(q, err, sizeof err);
        s = atomic_load(&q->stream_ready) ? publish(q, e, &jerr) : NATS_ERR;
    }
    if (s == NATS_OK) {
        e->status = 202;
    } else {
        e->status = 503;
        if (!*err)
            jsq_error(err, sizeof err, "storing the call in JetStream", s, jerr);
        snprintf(e->error, sizeof e->error, "the async queue is unavailable: %s", err);
    }
}

void gw_queue_store(struct gw_enqueue *e, offload_fn *done)
{
    offload_run(e->gw->queue->ol, store_work, done, e);
}

bool gw_queue_ready(const struct gw_queue *q, char *why, size_t len)
{
    if (!q->enabled) {
        snprintf(why, len, "async calls are disabled (nats_url is empty)");
        return false;
    }
    if (!jsq_connected(&q->js)) {
        char nats[512];
        snprintf(why, len, "the async queue is unavailable: %s",
                 jsq_why(&q->js, nats, sizeof nats));
        return false;
    }
    return true;
}

/* The largest body we accept: ours, unless the server's is smaller. */
size_t gw_queue_max_body(const struct gw_queue *q)
{
    int64_t limit = q->gw->cfg.queue_max_message;
    int64_t server = jsq_max_payload(&q->js) - HEADER_ALLOWANCE;
    if (server > 0 && server < limit)
        limit = server;
    return (size_t)limit;
}

static void check_limits(void *arg)
{
    struct gw_queue *q = arg;
    int64_t server = jsq_max_payload(&q->js);
    if (server > 0 && server < q->gw->cfg.queue_max_message + HEADER_ALLOWANCE)
        log_warn("queue",
                 "nats-server's max_payload (%lld bytes) is below queue_max_message "
                 "plus headers (%lld): async bodies above %lld bytes get 413; raise max_payload",
                 (long long)server, (long long)(q->gw->cfg.queue_max_message + HEADER_ALLOWANCE),
                 (long long)(server - HEADER_ALLOWANCE));
}

int gw_queue_start(struct gw *gw, char *err, size_t errlen)
{
    struct gw_queue *q = xcalloc(1, sizeof *q);
    gw->queue = q;
    q->gw = gw;
    q->stored = metrics_counter(gw->metrics, "gateway_async_requests_total",
                                "Async calls by function and answer", "function_name,code");
    if (!gw->cfg.nats_url || !*gw->cfg.nats_url) {
        log_info("queue", "async calls disabled (nats_url is empty)");
        return 0;
    }
    q->ol = offload_new(gw->lp, (unsigned)gw->cfg.queue_publishers);
    q->inspect = offload_new(gw->lp, 1); /* one: it owns q->letters */
    q->letters = gw_letter_cache_new();
    if (!q->ol || !q->inspect ||
        jsq_open(&q->js, gw->cfg.nats_url, &gw->cfg.nats_auth, "faasbus-gateway", err, errlen) < 0)
        return -1;
    q->enabled = true;
    if (jsq_connected(&q->js))
        check_limits(q);
    return 0;
}

void gw_queue_stop(struct gw *gw)
{
    struct gw_queue *q = gw->queue;
    if (!q)
        return;
    offload_free(q->ol); /* stores in flight end, and answer */
    offload_free(q->inspect);
    gw_letter_cache_free(q->letters);
    jsq_close(&q->js);
    free(q);
    gw->queue = NULL;
}
