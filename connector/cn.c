/* cn.c -- what the daemon's modules share: its metric families. */
#include "cn.h"

#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"

void cn_metrics_init(struct cn *cn)
{
    struct cn_metrics *m = &cn->m;
    struct metrics *r = metrics_new();

    m->reg = r;
    m->messages = metrics_counter(r, "connector_messages_total", "Records received, by topic.",
                                  "topic");
    m->unrouted = metrics_counter(r, "connector_messages_unrouted_total",
                                  "Records no route matched (committed, not passed on).", "topic");
    m->invocations = metrics_counter(r, "connector_invocations_total",
                                     "Function calls, by function and HTTP status (or "
                                     "unreachable, error, too_large).",
                                     "function,code");
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
                                          "cut down (X-Dead-Letter-Cut).",
                                          "function");
    m->unhandled = metrics_counter(r, "connector_failures_unhandled_total",
                                   "Final failures of routes without an error-topic "
                                   "(logged only).",
                                   "function,reason");
    m->inflight = metrics_gauge(r, "connector_invocations_inflight", "Function calls in flight.",
                                NULL);
    m->records = metrics_gauge(r, "connector_records",
                               "Records held: inflight (called, or done and not yet "
                               "committed; at most max_inflight) and queued (fetched, "
                               "waiting for a place).",
                               "state");
    m->paused = metrics_gauge(r, "connector_fetch_paused",
                              "1 while no more records are taken because max_queued is reached.",
                              NULL);
    m->lag = metrics_gauge(r, "connector_consumer_lag",
                           "Records in the partition after our committed offset.",
                           "topic,partition");
    m->oldest = metrics_gauge(r, "connector_oldest_unfinished_seconds",
                              "Age of the oldest record of the partition not yet final.",
                              "topic,partition");
    m->commits = metrics_counter(r, "connector_commits_total", "Offset commits, by result.",
                                 "result");
    m->publish_errors = metrics_counter(r, "connector_publish_errors_total",
                                        "Replies or dead letters the broker refused.", "kind");
    m->routes = metrics_gauge(r, "connector_routes", "Routes in the routing table.", NULL);
    m->refreshes = metrics_counter(r, "connector_route_refreshes_total",
                                   "Routing table refreshes from the gateway, by result.",
                                   "result");
}
