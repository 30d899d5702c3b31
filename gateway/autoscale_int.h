/* autoscale_int.h -- what the autoscaler keeps of each function
 * (fn->scaler), shared by its two files: autoscale_state.c counts the
 * load and keeps the last decision, autoscale.c decides. */
#ifndef GW_AUTOSCALE_INT_H
#define GW_AUTOSCALE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw_fn;

struct sample {
    double at;
    int n;
};

struct gw_scaler {
    unsigned inflight;       /* calls in the gateway now, waiting ones too */
    double area, area_since; /* inflight integrated over time since the check */
    uint64_t began;          /* calls since the last check */
    double last_check, last_call;
    struct sample *recent; /* recommendations within the window, oldest first */
    size_t nrecent, caprecent;
    bool manual;
    int manual_reco; /* the recommendation when set by hand */
    int reco;
    double load;
    double cpu_last; /* the driver's cpu_seconds at the last check */
    bool cpu_seen;
    /* The last decision, for the status. */
    int from, to;
    char direction[8], reason[160], at[32];
};

/* fn's record, made on first use. */
struct gw_scaler *gw_scaler_of(struct gw_fn *fn);
/* Adds the calls in flight since the last time to s->area. */
void gw_scaler_integrate(struct gw_scaler *s, double now);

#endif
