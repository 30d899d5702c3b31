/* autoscale_policy.c -- the com.openfaas.scale.* labels, read strictly:
 * a value that is not what OpenFaaS documents is refused at deploy rather
 * than silently replaced by a default. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale.h"
#include "model.h"
#include "parse.h"

#define LABEL "com.openfaas.scale."

static const char *label(const json_t *dep, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, LABEL "%s", name);
    return gw_dep_map_get(dep, "labels", key);
}

static int read_int(const json_t *dep, const char *name, int64_t lo, int64_t hi, int *out,
                    char *err, size_t errlen)
{
    const char *v = label(dep, name);
    int64_t n;
    if (!v)
        return 0;
    if (parse_int64(v, &n) < 0 || n < lo || n > hi) {
        snprintf(err, errlen, "labels." LABEL "%s: \"%s\" is not an integer from %lld to %lld",
                 name, v, (long long)lo, (long long)hi);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* A decimal number in (lo, hi]. */
static int read_number(const json_t *dep, const char *name, double lo, double hi, double *out,
                       char *err, size_t errlen)
{
    const char *v = label(dep, name);
    if (!v)
        return 0;
    char *end;
    double d = strtod(v, &end);
    if (!*v || *end || !isfinite(d) || d <= lo || d > hi) {
        snprintf(err, errlen, "labels." LABEL "%s: \"%s\" is not a number above %g and at most %g",
                 name, v, lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

static int read_type(const json_t *dep, enum gw_scale_type *out, char *err, size_t errlen)
{
    const char *v = label(dep, "type");
    if (!v || strcmp(v, "capacity") == 0)
        *out = GW_SCALE_CAPACITY;
    else if (strcmp(v, "rps") == 0)
        *out = GW_SCALE_RPS;
    else if (strcmp(v, "cpu") == 0)
        *out = GW_SCALE_CPU; /* whether the driver measures it: api_functions.c */
    else {
        snprintf(err, errlen, "labels." LABEL "type: \"%s\" is not one of capacity, rps, cpu", v);
        return -1;
    }
    return 0;
}

static int read_zero(const json_t *dep, struct gw_scale_policy *p, char *err, size_t errlen)
{
    const char *z = label(dep, "zero"), *d = label(dep, "zero-duration");
    if (z && parse_bool(z, &p->zero) < 0) {
        snprintf(err, errlen, "labels." LABEL "zero: \"%s\" is not true or false", z);
        return -1;
    }
    if (d && (parse_duration_ms(d, &p->zero_ms) < 0 || p->zero_ms <= 0)) {
        snprintf(err, errlen,
                 "labels." LABEL "zero-duration: \"%s\" is not a duration above "
                 "zero (e.g. 15m, 30s)",
                 d);
        return -1;
    }
    return 0;
}

int gw_scale_policy_read(const json_t *dep, int64_t default_zero_ms, struct gw_scale_policy *p,
                         char *err, size_t errlen)
{
    *p = (struct gw_scale_policy){ .min = 1,
                                   .max = 20,
                                   .factor = 20,
                                   .target = 0,
                                   .type = GW_SCALE_CAPACITY,
                                   .proportion = 0.90,
                                   .zero_ms = default_zero_ms };
    if (read_int(dep, "min", 0, 1000, &p->min, err, errlen) < 0 ||
        read_int(dep, "max", 1, 1000, &p->max, err, errlen) < 0 ||
        read_int(dep, "factor", 0, 100, &p->factor, err, errlen) < 0 ||
        read_number(dep, "target", 0, 1e9, &p->target, err, errlen) < 0 ||
        read_number(dep, "target-proportion", 0, 1, &p->proportion, err, errlen) < 0 ||
        read_type(dep, &p->type, err, errlen) < 0 || read_zero(dep, p, err, errlen) < 0)
        return -1;
    /* Short calls keep few in flight at a time even under a heavy load
     * (50 callers of sha512sum hold about 5 to 12 here), so a capacity
     * target near the callers' count would never act. */
    if (p->target == 0)
        p->target = p->type == GW_SCALE_RPS ? 50 : p->type == GW_SCALE_CPU ? 500 : 5;
    if (p->min > p->max) {
        snprintf(err, errlen, "labels." LABEL "min: %d is above " LABEL "max (%d)", p->min, p->max);
        return -1;
    }
    return 0;
}
