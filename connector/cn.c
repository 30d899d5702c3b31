/* cn.c -- what the daemon's modules share: its metrics, the routing table
 * swap, and the graceful stop. */
#include "cn.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus.h"
#include "consumer.h"
#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "nats_source.h"
#include "refresh.h"
#include "routes.h"
#include "xalloc.h"

#define TRIM_INTERVAL_MS 5000

void cn_metrics_init(struct cn *cn)
{
    struct cn_metrics *m = &cn->m;
    struct metrics *r = metrics_new();

    m->reg = r;
    m->messages = metrics_counter(r, "connector_messages_total",
                                  "Records received, by topic.", "topic");
    m->unrouted = metrics_counter(r, "connector_messages_unrouted_total",
                                  "Records no route matched (committed, not passed on).", "topic");
    m->invocations = metrics_counter(r, "connector_invocations_total",
                                     "Function calls, by function and HTTP status (or "
                                     "unreachable, error, too_large).", "function,code");
    m->seconds = metrics_histogram(r, "connector_invocation_seconds",
                                   "Time a function call took, in seconds.", "function",
                                   metrics_default_buckets, metrics_default_nbuckets);
    m->retries = metrics_counter(r, "connector_retries_total",
                                 "Calls tried again after a retryable failure.", "function");
    m->replies = metrics_counter(r, "connector_replies_total",
                                 "Replies published and acknowledged.", "function");
    m->dead_letters = metrics_counter(r, "connector_dead_letters_total",
                                      "Dead letters published and acknowledged, by reason.",
                                      "function,reason");
    m->dead_letters_cut = metrics_counter(r, "connector_dead_letters_cut_total",
                                          "Dead letters too large for their topic, published "
                                          "cut down (X-Dead-Letter-Cut).", "function");
    m->unhandled = metrics_counter(r, "connector_failures_unhandled_total",
                                   "Final failures of routes without an error-topic "
                                   "(logged only).", "function,reason");
    m->inflight = metrics_gauge(r, "connector_invocations_inflight",
                                "Function calls in flight.", NULL);
    m->records = metrics_gauge(r, "connector_records",
                               "Records held: inflight (called, or done and not yet "
                               "committed; at most max_inflight) and queued (fetched, "
                               "waiting for a place).", "state");
    m->paused = metrics_gauge(r, "connector_fetch_paused",
                              "1 while fetching is paused because max_queued is reached.", NULL);
    m->lag = metrics_gauge(r, "connector_consumer_lag",
                           "Records in the partition after our committed offset.",
                           "topic,partition");
    m->oldest = metrics_gauge(r, "connector_oldest_unfinished_seconds",
                              "Age of the oldest record of the partition not yet final.",
                              "topic,partition");
    m->commits = metrics_counter(r, "connector_commits_total",
                                 "Offset commits, by result.", "result");
    m->publish_errors = metrics_counter(r, "connector_publish_errors_total",
                                        "Replies or dead letters the broker refused.", "kind");
    m->routes = metrics_gauge(r, "connector_routes", "Routes in the routing table.", NULL);
    m->refreshes = metrics_counter(r, "connector_route_refreshes_total",
                                   "Routing table refreshes from the gateway, by result.",
                                   "result");
}

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

/* After a burst glibc keeps the freed heap (librdkafka's threads add
 * arenas of their own): once nothing is held, give it back. */
static void trim_when_idle(struct loop *lp, void *arg)
{
    struct cn *cn = arg;
    static uint64_t trimmed_at;
    uint64_t received = cn_consumer_received(cn->consumer);

    if (cn_consumer_idle(cn->consumer) && received != trimmed_at) {
        malloc_trim(0);
        trimmed_at = received;
    }
    loop_timer_add(lp, TRIM_INTERVAL_MS, trim_when_idle, cn);
}

void cn_trim_start(struct cn *cn)
{
    loop_timer_add(cn->lp, TRIM_INTERVAL_MS, trim_when_idle, cn);
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
