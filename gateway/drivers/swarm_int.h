/* swarm_int.h -- the swarm driver's state, shared by its files
 * (swarm.c: services and reconciliation; swarm_tasks.c: tasks, health
 * and routing). Nothing outside drivers/swarm*.c includes it.
 *
 * Locality: loop thread. */
#ifndef GW_SWARM_INT_H
#define GW_SWARM_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct gw;
struct gw_fn;
struct loop_timer;
struct hclient_call;
struct dkr_call;
struct dkr_engine;
struct sw_fn;
struct gw_endpoint;

/* One task of a function's service, as the engine last listed it. */
struct sw_task {
    struct sw_fn *f;
    char id[80];
    unsigned slot;   /* Swarm's replica slot: our instance number */
    char spec[17];   /* deployment hash it was made from */
    uint64_t serial; /* the release token of its calls */
    int port;        /* its container's on 127.0.0.1, 0 if none (yet) */
    char ip[48];     /* on swarm_network, "" if not on it */
    bool running, ready, seen;
    bool placed;         /* its container is on this engine */
    bool said_elsewhere; /* logged that it is not */
    unsigned inflight;
    struct loop_timer *timer; /* next health check */
    struct hclient_call *probe;
};

/* fn->drv of a function on this driver. */
struct sw_fn {
    struct gw_fn *fn;
    char spec[17];         /* hash of fn->dep */
    char service[80];      /* the service's id, "" when none listed */
    uint64_t version;      /* its Version.Index: updates must name it */
    char service_spec[17]; /* the hash the service was made from */
    unsigned service_replicas;
    bool listed;                      /* seen in the last listing */
    bool secret_missing;              /* said once */
    struct dkr_call *call;            /* create, update or delete in flight */
    struct sw_secret_job *secret_job; /* secrets being made */
    struct sw_logs *logs;             /* the service's output, followed */
    int64_t logs_since;               /* unix s: where a new stream starts */
    struct sw_task **t;
    unsigned n;
};

struct sw {
    struct gw *gw;
    struct dkr_engine *e;
    char instance[64];
    struct loop_timer *tick;
    struct dkr_call *list; /* a listing in flight */
    bool again;            /* reconcile once more when it ends */
    bool up;               /* the last listing succeeded */
    bool network_ready;    /* swarm_network exists (or none is set) */
    json_t *tasks;         /* listed, while their containers are */
    int64_t started;       /* unix s the driver started */
};

extern struct sw sw_state;

void sw_kick(void);
struct sw_fn *sw_fn_of(struct gw_fn *fn);

/* swarm_tasks.c: the GET /tasks answer folded into each function's
 * tasks (new ones probed, vanished ones dropped), with their ports from
 * the GET /containers/json answer (NULL: ports as they were). */
void sw_tasks_take(const json_t *tasks, const json_t *containers);
void sw_tasks_forget(struct sw_fn *f);
unsigned sw_tasks_ready(const struct sw_fn *f);
/* The ready task for a call (counted in flight until released). */
bool sw_tasks_pick(struct sw_fn *f, struct gw_endpoint *ep);
void sw_tasks_release(struct sw_fn *f, uint64_t serial);

/* swarm_secrets.c: fn's secrets as [{target, Name, Data}] (Name: the
 * Swarm secret's, with a hash of the value), or NULL when one cannot be
 * read. New array. */
json_t *sw_secrets_wanted(struct sw_fn *f);
/* Makes the wanted Swarm secrets (those that exist are kept) and calls
 * done with the service's secret references, or NULL on failure. */
typedef void sw_secrets_done_fn(struct sw_fn *f, json_t *refs);
void sw_secrets_ensure(struct sw_fn *f, json_t *want, sw_secrets_done_fn *done);
void sw_secrets_cancel(struct sw_fn *f);

/* swarm_sweep.c: Swarm secrets of this instance that no service mounts
 * are removed by the next sweep_run after a sweep was wanted (a service
 * was written or removed, or the driver started). */
void sw_sweep_wanted(void);
void sw_sweep_run(void);
void sw_sweep_cancel(void);

/* swarm_logs.c: follows the service's output into fn's log lines (a
 * no-op while it is followed or before the service is known). */
void sw_logs_start(struct sw_fn *f);
void sw_logs_stop(struct sw_fn *f);

#endif
