/* producer.c -- librdkafka producer driven by the loop. */
#include "producer.h"

#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kconf.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define SERVE_BUDGET 10000 /* events served per wake-up before yielding */

struct cn_producer {
    struct loop *lp;
    rd_kafka_t *rk;
    rd_kafka_queue_t *mainq;
    int wake[2]; /* librdkafka writes to [1] when the queue turns non-empty */
    struct loop_timer *again;
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

static void serve(struct loop *lp, void *arg);

/* Serves what is queued; if the budget runs out the queue is not empty,
 * so no wake-up will come: continue on the next loop turn. */
static void serve(struct loop *lp, void *arg)
{
    struct cn_producer *p = arg;
    int served = 0;

    p->again = NULL;
    while (served < SERVE_BUDGET) {
        int n = rd_kafka_poll(p->rk, 0);
        if (n <= 0)
            break;
        served += n;
    }
    if (served >= SERVE_BUDGET)
        p->again = loop_timer_add(lp, 0, serve, p);
}

static void on_wake(struct loop *lp, int fd, unsigned events, void *arg)
{
    char drain[64];
    (void)events;

    while (read(fd, drain, sizeof drain) > 0)
        ;
    struct cn_producer *p = arg;
    if (!p->again)
        serve(lp, p);
}

static int watch_queue(struct cn_producer *p, char *err, size_t errlen)
{
    if (pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
        snprintf(err, errlen, "producer: pipe: %s", strerror(errno));
        return -1;
    }
    p->mainq = rd_kafka_queue_get_main(p->rk);
    rd_kafka_set_log_queue(p->rk, p->mainq);
    rd_kafka_queue_io_event_enable(p->mainq, p->wake[1], "1", 1);
    return loop_watch(p->lp, p->wake[0], LOOP_READ, on_wake, p);
}

struct cn_producer *cn_producer_new(struct loop *lp, const struct cn_config *cfg, char *err,
                                    size_t errlen)
{
    struct cn_producer *p = xcalloc(1, sizeof *p);
    rd_kafka_conf_t *conf = cn_kconf_new(cfg, CN_KAFKA_PRODUCER, err, errlen);

    p->lp = lp;
    p->wake[0] = p->wake[1] = -1;
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
    /* The wake-up comes only when the queue turns non-empty: whatever was
     * queued before is served once by hand. */
    p->again = loop_timer_add(lp, 0, serve, p);
    return p;
}

void cn_producer_free(struct cn_producer *p, int timeout_ms)
{
    if (!p)
        return;
    if (p->again)
        loop_timer_cancel(p->lp, p->again);
    if (p->pending && timeout_ms > 0)
        rd_kafka_flush(p->rk, timeout_ms);
    if (p->wake[0] >= 0)
        loop_unwatch(p->lp, p->wake[0]);
    if (p->mainq) {
        rd_kafka_queue_io_event_enable(p->mainq, -1, NULL, 0);
        rd_kafka_queue_destroy(p->mainq);
    }
    /* Reports still queued are served by rd_kafka_destroy's purge; their
     * waiters are gone by now, so they are detached first by the caller. */
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(p->rk, 0);
    rd_kafka_destroy(p->rk);
    for (int i = 0; i < 2; i++) {
        if (p->wake[i] >= 0)
            close(p->wake[i]);
    }
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
