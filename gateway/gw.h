/* gw.h -- the gateway: the state one gateway process keeps, reached by
 * every module as `gw`. Owned by the loop thread; no locks. What each
 * part does with it is in that part's header. */
#ifndef GW_H
#define GW_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct loop;
struct httpd;
struct curlloop;
struct proxy;
struct metrics;
struct metric;
struct gw_driver;
struct gw_fn;
struct gw_replica;
struct gw_queue;

struct gw {
    struct gw_config cfg;
    struct loop *lp;
    struct httpd *http;
    struct curlloop *curl;
    struct proxy *proxy;
    struct metrics *metrics;
    struct metric *invocations, *seconds, *started, *service_count, *inflight, *restarts;
    const struct gw_driver *driver;
    uint64_t replica_serial;
    void (*on_replica_ready)(struct gw *gw, struct gw_fn *fn); /* set by invoke.c */
    struct gw_fn *fns;
    struct gw_replica **dying; /* replicas asked to stop, not yet gone */
    unsigned ndying;
    char *auth_user, *auth_password; /* when basic_auth */
    struct gw_queue *queue;          /* async calls (queue.c) */
    bool stopping;
};

#endif
