/* queue_view.c -- GET /system/queue: how much the async queue holds.
 *
 *   {"stream":   {"name", "exists", "messages", "bytes", "first_seq",
 *                 "last_seq", "oldest"},
 *    "consumer": {"name", "exists", "pending", "ack_pending",
 *                 "redelivered", "waiting"},
 *    "dead_letters": {the same as "stream", for dead_letter_stream}}
 *
 * "stream" is the calls stored and not yet finished (a work queue: a call
 * leaves it when a worker acknowledges it); the consumer's "pending" are
 * those no worker has taken yet, "ack_pending" those being run or waiting
 * for a retry. A stream or consumer not created yet (no worker ever ran)
 * is "exists": false. Also the runner every queue read of the API shares
 * (gw_inspect_run). */
#include <stdio.h>
#include <stdlib.h>

#include "api.h"
#include "gw.h"
#include "httpd.h"
#include "jsq.h"
#include "offload.h"
#include "queue_int.h"
#include "reply.h"
#include "xalloc.h"

/* --- the runner --------------------------------------------------------- */

static void inspect_free(struct gw_inspect *in)
{
    json_decref(in->body);
    free(in);
}

static void on_client_done(void *arg, bool completed)
{
    (void)completed;
    struct gw_inspect *in = arg;
    in->req = NULL;
    if (!in->working)
        inspect_free(in);
}

static void answer(struct httpd_req *req, struct gw_inspect *in)
{
    httpd_add_header(req, "Cache-Control", "no-store");
    if (in->body) {
        json_t *body = in->body;
        in->body = NULL;
        gw_reply_json(req, in->status, body);
    } else {
        gw_reply_error(req, in->status, "%s", in->error);
    }
}

/* Locality: loop thread. The answer may end the request, and with it in. */
static void on_inspected(void *arg)
{
    struct gw_inspect *in = arg;
    in->working = false;
    if (!in->req) {
        inspect_free(in);
        return;
    }
    answer(in->req, in);
}

static void inspect_work(void *arg)
{
    struct gw_inspect *in = arg;
    in->work(in);
}

void gw_inspect_run(struct gw_inspect *in)
{
    struct gw_queue *q = in->gw->queue;
    char why[600];
    if (!gw_queue_ready(q, why, sizeof why)) {
        gw_reply_error(in->req, 503, "%s", why);
        inspect_free(in);
        return;
    }
    in->working = true;
    httpd_req_on_done(in->req, on_client_done, in);
    offload_run(q->inspect, inspect_work, on_inspected, in);
}

/* --- /system/queue ------------------------------------------------------ */

static json_t *stream_json(struct jsq *js, const char *name, char *err, size_t errlen)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, js->js, name, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
        return json_pack("{s:s, s:b}", "name", name, "exists", 0);
    if (s != NATS_OK) {
        char what[160];
        snprintf(what, sizeof what, "stream %s", name);
        jsq_error(err, errlen, what, s, jerr);
        return NULL;
    }
    const jsStreamState *st = &si->State;
    json_t *o = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I}", "name", name, "exists", 1, "messages",
                          (json_int_t)st->Msgs, "bytes", (json_int_t)st->Bytes, "first_seq",
                          (json_int_t)st->FirstSeq, "last_seq", (json_int_t)st->LastSeq);
    if (st->Msgs > 0 && st->FirstTime > 0) {
        char when[40];
        gw_format_time(st->FirstTime / 1000000, when, sizeof when);
        json_object_set_new(o, "oldest", json_string(when));
    }
    jsStreamInfo_Destroy(si);
    return o;
}

static json_t *consumer_json(struct jsq *js, const char *stream, const char *name, char *err,
                             size_t errlen)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetConsumerInfo(&ci, js->js, stream, name, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr || jerr == JSStreamNotFoundErr)
        return json_pack("{s:s, s:b}", "name", name, "exists", 0);
    if (s != NATS_OK) {
        char what[160];
        snprintf(what, sizeof what, "consumer %s", name);
        jsq_error(err, errlen, what, s, jerr);
        return NULL;
    }
    json_t *o = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I}", "name", name, "exists", 1, "pending",
                          (json_int_t)ci->NumPending, "ack_pending", (json_int_t)ci->NumAckPending,
                          "redelivered", (json_int_t)ci->NumRedelivered, "waiting",
                          (json_int_t)ci->NumWaiting);
    jsConsumerInfo_Destroy(ci);
    return o;
}

/* Locality: offload thread. */
static void depth_work(struct gw_inspect *in)
{
    struct gw_queue *q = in->gw->queue;
    const struct gw_config *cfg = &in->gw->cfg;
    char err[400] = "";
    json_t *calls = stream_json(&q->js, cfg->nats_stream, err, sizeof err);
    json_t *consumer = calls ? consumer_json(&q->js, cfg->nats_stream, cfg->nats_durable, err,
                                             sizeof err)
                             : NULL;
    json_t *dead = consumer ? stream_json(&q->js, cfg->dead_letter_stream, err, sizeof err) : NULL;
    if (!dead) {
        json_decref(calls);
        json_decref(consumer);
        in->status = 503;
        snprintf(in->error, sizeof in->error, "the async queue is unavailable: %s", err);
        return;
    }
    in->status = 200;
    in->body = json_pack("{s:o, s:o, s:o}", "stream", calls, "consumer", consumer, "dead_letters",
                         dead);
}

void gw_api_queue(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "GET"))
        return;
    struct gw_inspect *in = xcalloc(1, sizeof *in);
    in->gw = gw;
    in->req = req;
    in->work = depth_work;
    gw_inspect_run(in);
}
