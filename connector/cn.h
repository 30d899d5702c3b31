/* cn.h -- the connector daemon's shared state.
 *
 * One struct cn per process, owned by main.c and handed to each module:
 * everything in it lives on the loop thread (lib/loop.h), so nothing here
 * needs a lock. */
#ifndef CN_H
#define CN_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "idletrim.h"
#include "routes.h"

struct loop;
struct curlloop;
struct uppool;
struct httpd;
struct metrics;
struct metric;
struct cn_dispatch;
struct cn_consumer;
struct cn_producer;
struct cn_refresh;
struct cn_nats;
struct cn_nats_out;
struct cn_async;

/* The metric families every module updates. */
struct cn_metrics {
    struct metrics *reg;
    struct metric *messages;         /* topic */
    struct metric *unrouted;         /* topic */
    struct metric *invocations;      /* function, code */
    struct metric *seconds;          /* function */
    struct metric *retries;          /* function */
    struct metric *replies;          /* function */
    struct metric *dead_letters;     /* function, reason */
    struct metric *dead_letters_cut; /* function: too large whole, published cut */
    struct metric *unhandled;        /* function, reason: failures with no error topic */
    struct metric *inflight;         /* calls in flight */
    struct metric *records;          /* state: in flight (called or awaiting commit), queued */
    struct metric *paused;           /* 1 while max_queued holds records back */
    struct metric *lag;              /* topic, partition */
    struct metric *oldest;           /* topic, partition */
    struct metric *commits;          /* result */
    struct metric *publish_errors;   /* kind */
    struct metric *routes;           /* routes in the table */
    struct metric *refreshes;        /* result */
};

struct cn {
    struct cn_config cfg;
    const char *conf_file; /* -c FILE (argv), or NULL: read again on SIGHUP */
    struct loop *lp;
    struct curlloop *curl;
    struct uppool *conns; /* to the gateway, for calls of functions */
    struct httpd *http;
    struct cn_metrics m;
    struct cn_table *table; /* the current routing table (never NULL) */
    bool table_loaded;      /* the gateway answered at least once */
    bool gateway_ok;        /* ...and its last answer was good */
    struct cn_dispatch *dispatch;
    struct cn_consumer *consumer;
    struct cn_producer *producer;
    struct cn_refresh *refresh;
    struct cn_nats *nats;         /* NULL without nats_url */
    struct cn_nats_out *nats_out; /* replies and dead letters to nats: subjects */
    int drains_left;              /* sources still draining at a stop */
    struct cn_async *async;       /* invoke=async calls awaiting callbacks */
    struct idletrim trim;         /* freed heap given back when idle */
    bool stopping;
    int exit_code;
};

/* Sets up the metric families in cn->m. */
void cn_metrics_init(struct cn *cn);

#endif
