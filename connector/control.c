/* control.c -- the daemon's top: the routing table swap, giving freed heap
 * back, and the graceful stop. It calls the sources (Kafka, NATS) and the
 * refresh; they never call it (main.c hands them callbacks into here). */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>

#include "bus.h"
#include "cn.h"
#include "consumer.h"
#include "idletrim.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "nats_source.h"
#include "refresh.h"
#include "routes.h"

#define TRIM_INTERVAL_MS 5000

static void log_change(void *arg, const char *what, const struct cn_route *r)
{
    char *desc = cn_route_describe(r);
    (void)arg;

    log_info("routes", "route %s: %s", what, desc);
    free(desc);
}

bool cn_set_table(struct cn *cn, struct cn_table *t)
{
    bool first = !cn->table_loaded;
    char *topics;

    if (!first && cn_table_equal(cn->table, t)) {
        cn_table_unref(t);
        return false;
    }
    cn_table_diff(cn->table, t, log_change, NULL);
    topics = cn_bus_kafka_topics(t);
    log_info("routes", "routing table %s: %zu route(s); Kafka topics %s",
             first ? "loaded" : "changed", t->n, *topics ? topics : "(none)");
    cn_table_unref(cn->table);
    cn->table = t;
    cn->table_loaded = true;
    metric_set(cn->m.routes, NULL, (double)t->n);
    cn_consumer_subscribe(cn->consumer, *cn->cfg.topics ? cn->cfg.topics : topics);
    if (first && cn->nats)
        cn_nats_open(cn->nats);
    free(topics);
    return true;
}

static bool idle(void *arg, uint64_t *work)
{
    struct cn *cn = arg;

    *work = cn_consumer_received(cn->consumer);
    return cn_consumer_idle(cn->consumer);
}

void cn_trim_start(struct cn *cn)
{
    idletrim_start(&cn->trim, cn->lp, TRIM_INTERVAL_MS, idle, cn);
}

/* Each source (Kafka, NATS) drains on its own; the last one stops. */
static void on_drained(void *arg)
{
    struct cn *cn = arg;

    if (--cn->drains_left > 0)
        return;
    log_info("main", "drained and committed: leaving");
    loop_stop(cn->lp);
}

void cn_stop(struct cn *cn, int exit_code)
{
    if (cn->stopping) {
        return;
    }
    cn->stopping = true;
    cn->exit_code = exit_code;
    cn_refresh_free(cn->refresh);
    cn->refresh = NULL;
    cn->drains_left = (cn->consumer != NULL) + (cn->nats != NULL);
    if (cn->nats)
        cn_nats_drain(cn->nats, on_drained, cn);
    if (cn->consumer)
        cn_consumer_drain(cn->consumer, on_drained, cn);
}
