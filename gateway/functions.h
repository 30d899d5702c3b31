/* functions.h -- a deployed function (struct gw_fn) and the registry of
 * them in gw->fns. Locality: loop thread. */
#ifndef GW_FUNCTIONS_H
#define GW_FUNCTIONS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct gw;
struct gw_replica;
struct gw_logline;
struct gw_waiter;
struct gw_logfollow;
struct gw_scaler;

struct gw_fn {
    char *name, *ns;
    json_t *dep;         /* the FunctionDeployment as validated */
    char created_at[40]; /* RFC 3339 */
    int64_t invocations;
    int desired;         /* replicas wanted */
    unsigned generation; /* bumped by each update: replicas roll */
    struct gw_replica **replicas;
    unsigned nreplicas;
    unsigned next_id;
    unsigned pick_from;      /* where a driver's pick starts: equals take
                                * turns, so one caller's calls spread */
    unsigned restarts;       /* all replicas, since deploy */
    struct gw_logline *logs; /* ring */
    size_t nlogs, logstart;
    uint64_t logseq;           /* lines ever written: follow readers use it */
    struct gw_waiter *waiting; /* calls waiting for a ready replica */
    struct gw_logfollow *followers;
    struct gw_scaler *scaler; /* the autoscaler's view of fn (autoscale.c) */
    void *drv;                /* the driver's own state of fn, when it keeps
                                * replicas elsewhere than in `replicas` */
    struct gw_fn *next;
};

struct gw_fn *gw_fn_find(struct gw *gw, const char *name, const char *ns);
/* Takes ownership of dep. */
struct gw_fn *gw_fn_add(struct gw *gw, const char *name, const char *ns, json_t *dep);
void gw_fn_free(struct gw *gw, struct gw_fn *fn);
void gw_fn_unlink(struct gw *gw, struct gw_fn *fn);
/* FunctionStatus: the deployment plus name, replicas, availableReplicas,
 * invocationCount, createdAt. New reference. */
json_t *gw_fn_status(const struct gw *gw, const struct gw_fn *fn);
/* com.openfaas.scale.min from the labels (default 1). */
int gw_fn_min_scale(const struct gw_fn *fn);

#endif
