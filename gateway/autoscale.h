/* autoscale.h -- the built-in autoscaler: replicas follow each function's
 * load, within the com.openfaas.scale.* labels, on every driver.
 *
 * It reads load from the gateway's own calls and acts only by setting
 * fn->desired and calling driver->apply, so it knows nothing of how a
 * driver runs replicas. Locality: loop thread. */
#ifndef GW_AUTOSCALE_H
#define GW_AUTOSCALE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw;
struct gw_fn;

enum gw_scale_type { GW_SCALE_CAPACITY, GW_SCALE_RPS, GW_SCALE_CPU };

/* A function's scaling labels, read and checked. */
struct gw_scale_policy {
    int min, max;            /* .min (1), .max (20); min == max: no autoscaling */
    int factor;              /* .factor (20): percent of max an alert adds */
    double target;           /* .target: load per replica (capacity 5, rps 50,
                             * cpu 500 millicores) */
    enum gw_scale_type type; /* .type (capacity) */
    double proportion;       /* .target-proportion (0.90): of target, to aim at */
    bool zero;               /* .zero (false): scale to zero when idle */
    int64_t zero_ms;         /* .zero-duration (the gateway's scale_zero_duration) */
};

/* Reads the labels of a validated deployment. Returns 0, or -1 with a
 * message naming the label and what it expects in err (answered 400). */
int gw_scale_policy_read(const json_t *dep, int64_t default_zero_ms, struct gw_scale_policy *p,
                         char *err, size_t errlen);

/* --- the load and last decision kept of each function (autoscale_state.c) */
/* A call to fn arrived / ended (whether or not it reached a replica). */
void gw_autoscale_call_began(struct gw *gw, struct gw_fn *fn);
void gw_autoscale_call_ended(struct gw *gw, struct gw_fn *fn);
/* Adds the "autoscaler" object to a FunctionStatus. */
void gw_autoscale_status(const struct gw *gw, const struct gw_fn *fn, json_t *st);
/* What the store keeps of the autoscaler's state of fn (new reference),
 * and puts back at start (doc may be NULL or from an older version). */
json_t *gw_autoscale_save(const struct gw_fn *fn);
void gw_autoscale_restore(struct gw_fn *fn, const json_t *doc);
/* fn is being freed. */
void gw_autoscale_forget(struct gw_fn *fn);

/* --- the decisions (autoscale.c) ------------------------------------------ */
/* Starts the periodic check (when the `autoscale` setting is on). */
void gw_autoscale_start(struct gw *gw);
/* fn->desired was just set by hand (scale API, alert): kept until the
 * load calls for another count. `why` goes to the log and the status. */
void gw_autoscale_manual(struct gw *gw, struct gw_fn *fn, int from, const char *why);

#endif
