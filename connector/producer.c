/* producer.c -- librdkafka producer driven by the loop. */
#include "producer.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kconf.h"
#include "log.h"
#include "rkqloop.h"
#include "loop.h"
#include "xalloc.h"

#define SERVE_BUDGET 10000 /* events served per wake-up before yielding */

struct cn_producer {
    struct loop *lp;
    rd_kafka_t *rk;
    rd_kafka_queue_t *mainq;
    struct rkqloop wakeq; /* mainq served on the loop */
    size_t pending;
    char fatal[512];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct cn_producer *p = opaque;
    struct cn_delivery *d = m->_private;
    (void)rk;

    p->pending--;
    if (d->fn)
        d->fn(d->arg, m->err ? rd_kafka_err2str(m->err) : NULL);
    free(d);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct cn_producer *p = opaque;

    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, p->fatal, sizeof p->fatal);
        log_error("kafka", "producer: fatal error: %s", p->fatal);
        return;
    }
    log_warn("kafka", "producer: %s: %s", rd_kafka_err2name(err), reason);
}

/* Serves delivery reports and logs; true if the budget ran out. */
static bool serve(void *arg)
{
    struct cn_producer *p = arg;
    int served = 0;

    while (served < SERVE_BUDGET) {
        int n = rd_kafka_poll(p->rk, 0);
        if (n <= 0)
            break;
        served += n;
    }
    return served >= SERVE_BUDGET;
}

/* The first serve (what was queued before) comes on the loop's first turn. */
static int watch_queue(struct cn_producer *p, char *err, size_t errlen)
{
    char why[256];

    p->mainq = rd_kafka_queue_get_main(p->rk);
    rd_kafka_set_log_queue(p->rk, p->mainq);
    if (rkqloop_start(&p->wakeq, p->lp, p->mainq, serve, p, why, sizeof why) < 0) {
        snprintf(err, errlen, "producer: %s", why);
        return -1;
    }
    return 0;
}

struct cn_producer *cn_producer_new(struct loop *lp, const struct cn_config *cfg, char *err,
                                    size_t errlen)
{
    struct cn_producer *p = xcalloc(1, sizeof *p);
    rd_kafka_conf_t *conf = cn_kconf_new(cfg, CN_KAFKA_PRODUCER, err, errlen);

    p->lp = lp;
    if (!conf) {
        free(p);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
    }
    if (watch_queue(p, err, errlen) < 0) {
        cn_producer_free(p, 0);
        return NULL;
    }
    return p;
}

void cn_producer_free(struct cn_producer *p, int timeout_ms)
{
    if (!p)
        return;
    rkqloop_stop(&p->wakeq);
    if (p->pending && timeout_ms > 0)
        rd_kafka_flush(p->rk, timeout_ms);
    if (p->mainq)
        rd_kafka_queue_destroy(p->mainq);
    /* Reports still queued are served by rd_kafka_destroy's purge; their
     * waiters are gone by now, so they are detached first by the caller. */
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(p->rk, 0);
    rd_kafka_destroy(p->rk);
    free(p);
}

static rd_kafka_headers_t *to_kafka_headers(const struct cn_outgoing *m)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(m->nheaders);

    for (size_t i = 0; i < m->nheaders; i++) {
        const struct cn_header *x = &m->headers[i];
        rd_kafka_header_add(h, x->name, -1, x->value, x->value ? (ssize_t)x->len : 0);
    }
    return h;
}

int cn_producer_send(struct cn_producer *p, const struct cn_outgoing *m, cn_delivered_fn *fn,
                     void *arg, struct cn_delivery **out, char *err, size_t errlen)
{
    struct cn_delivery *d = xcalloc(1, sizeof *d);
    rd_kafka_headers_t *h = to_kafka_headers(m);
    rd_kafka_resp_err_t e;

    d->fn = fn;
    d->arg = arg;
    e = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(m->topic),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_KEY(m->key, m->key ? m->key_len : 0),
                          RD_KAFKA_V_VALUE((void *)m->value, m->value ? m->len : 0),
                          RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
    if (e) {
        /* Headers pass to librdkafka only on success. */
        rd_kafka_headers_destroy(h);
        free(d);
        snprintf(err, errlen, "%s", rd_kafka_err2str(e));
        return -1;
    }
    p->pending++;
    *out = d;
    return 0;
}

void cn_delivery_detach(struct cn_delivery *d)
{
    if (d)
        d->fn = NULL;
}

size_t cn_producer_pending(const struct cn_producer *p)
{
    return p->pending;
}

const char *cn_producer_fatal(const struct cn_producer *p)
{
    return p->fatal[0] ? p->fatal : NULL;
}
