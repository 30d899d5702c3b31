/* autoscale.c -- replicas follow load: each check interval, every
 * function's load (calls in flight, averaged over the interval, or calls
 * per second) gives a recommended count, ceil(load / (target *
 * target-proportion)) within [min, max].
 *
 * DESIGN: up at once, down slowly. A higher recommendation is applied at
 * the next check; a lower one only once every recommendation of the last
 * scale_down_window agrees (the window's highest is applied), which is
 * the hysteresis that keeps a steady load from flapping. Scale to zero
 * skips the window: it waits zero-duration with no call instead. A count
 * set by hand (scale API, alert) stands until the recommendation changes.
 * Decisions change fn->desired, which the store keeps, so they survive a
 * restart. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoscale.h"
#include "autoscale_int.h"
#include "driver.h"
#include "functions.h"
#include "gw.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "store.h"
#include "xalloc.h"

struct autoscaler {
    struct metric *desired, *available, *decisions, *load;
};

static struct autoscaler scaler_metrics; /* one gateway per process */

static void stamp(char *out, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Applies a new count: the driver makes it so, the store keeps it. */
static void decide(struct gw *gw, struct gw_fn *fn, int to, const char *reason)
{
    struct gw_scaler *s = gw_scaler_of(fn);
    s->from = fn->desired;
    s->to = to;
    snprintf(s->direction, sizeof s->direction, "%s", to > fn->desired ? "up" : "down");
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    stamp(s->at, sizeof s->at);
    log_info("autoscale", "function=%s.%s replicas %d -> %d: %s", fn->name, fn->ns, s->from, to,
             reason);
    char label[300];
    snprintf(label, sizeof label, "%s.%s", fn->name, fn->ns);
    metric_add(scaler_metrics.decisions, (const char *[]){ label, s->direction }, 1);
    fn->desired = to;
    gw->driver->apply(gw, fn);
    gw_store_save(gw, fn);
}

void gw_autoscale_manual(struct gw *gw, struct gw_fn *fn, int from, const char *why)
{
    struct gw_scaler *s = gw_scaler_of(fn);
    s->manual = true;
    s->manual_reco = -1;         /* the next check's recommendation */
    s->last_call = loop_now_s(); /* the idle clock starts again */
    s->nrecent = 0;
    s->from = from;
    s->to = fn->desired;
    snprintf(s->direction, sizeof s->direction, "manual");
    snprintf(s->reason, sizeof s->reason, "%s", why);
    stamp(s->at, sizeof s->at);
    gw_store_save(gw, fn); /* the hand-set count stands after a restart too */
}

/* Keeps the window's recommendations; returns the highest. */
static int window_max(struct gw *gw, struct gw_scaler *s, double now, int reco)
{
    double since = now - (double)gw->cfg.scale_down_window_ms / 1000.0;
    size_t keep = 0;
    for (size_t i = 0; i < s->nrecent; i++)
        if (s->recent[i].at >= since)
            s->recent[keep++] = s->recent[i];
    s->nrecent = keep;
    if (s->nrecent == s->caprecent) {
        s->caprecent = s->caprecent ? 2 * s->caprecent : 16;
        s->recent = xrealloc(s->recent, s->caprecent * sizeof *s->recent);
    }
    s->recent[s->nrecent++] = (struct sample){ now, reco };
    int max = reco;
    for (size_t i = 0; i < s->nrecent; i++)
        if (s->recent[i].n > max)
            max = s->recent[i].n;
    return max;
}

/* Millicores used since the last check. A replica that ended took its
 * CPU time with it: a fall is no use, so it only moves the baseline. */
static double cpu_millis(struct gw *gw, const struct gw_fn *fn, struct gw_scaler *s, double dt)
{
    if (!gw->driver->cpu_seconds)
        return 0;
    double used = gw->driver->cpu_seconds(fn);
    double delta = s->cpu_seen && used > s->cpu_last ? used - s->cpu_last : 0;
    s->cpu_last = used;
    s->cpu_seen = true;
    return delta / dt * 1000.0;
}

static int recommend(const struct gw_scale_policy *p, double load)
{
    double per = p->target * p->proportion;
    int n = (int)ceil(load / per - 1e-9);
    if (load > 0 && n < 1)
        n = 1;
    return n < p->min ? p->min : n > p->max ? p->max : n;
}

static void check_fn(struct gw *gw, struct gw_fn *fn, double now, bool lead)
{
    struct gw_scaler *s = gw_scaler_of(fn);
    gw_scaler_integrate(s, now);
    double dt = now - s->last_check;
    if (dt <= 0)
        return;
    struct gw_scale_policy p;
    char err[256];
    bool ok = gw_scale_policy_read(fn->dep, gw->cfg.scale_zero_duration_ms, &p, err, sizeof err) ==
              0;
    s->load = p.type == GW_SCALE_RPS   ? (double)s->began / dt
              : p.type == GW_SCALE_CPU ? cpu_millis(gw, fn, s, dt)
                                       : s->area / dt;
    s->area = 0;
    s->began = 0;
    s->last_check = now;
    /* Several gateways share the calls: each tells its share, and the
     * one that decides adds the others' to its own. */
    if (gw->driver->share_load)
        gw->driver->share_load(gw, fn, s->load);
    double others = lead && gw->driver->peer_load ? gw->driver->peer_load(gw, fn) : 0;
    if (others > 0) {
        s->load += others;
        s->last_call = now; /* calls elsewhere: not idle */
    }
    if (!ok || p.min == p.max || !lead) /* min == max: scaled by hand only */
        return;
    int reco = recommend(&p, s->load);
    s->reco = reco;
    /* Idle counts from when a call could have been served: a replica still
     * starting (a slow engine, a pull) is not a quiet function. */
    if (fn->desired > 0 && gw->driver->available(fn) == 0)
        s->last_call = now;
    bool idle = s->inflight == 0 && fn->waiting == NULL &&
                (now - s->last_call) * 1000.0 >= (double)p.zero_ms;
    if (s->manual && s->manual_reco < 0)
        s->manual_reco = reco;
    if (s->manual && reco == s->manual_reco && !(p.zero && idle))
        return; /* the hand-set count stands until the load changes */
    s->manual = false;
    char why[160];
    if (p.zero && idle && fn->desired > 0) {
        snprintf(why, sizeof why, "no call for %.0fs (zero-duration %llds)", now - s->last_call,
                 (long long)(p.zero_ms / 1000));
        decide(gw, fn, 0, why);
        return;
    }
    if (p.zero && (idle || (fn->desired == 0 && s->load == 0)))
        return; /* at zero only a call wakes it: not a restart's fresh idle clock */
    /* Only the idle rule above takes a function to zero (min 0 without
     * .zero means "start on the first call", not "stop when quiet"). */
    int stable = window_max(gw, s, now, reco > 0 ? reco : 1);
    const char *unit = p.type == GW_SCALE_RPS   ? "calls/s"
                       : p.type == GW_SCALE_CPU ? "millicores"
                                                : "calls in flight";
    if (reco > fn->desired) {
        snprintf(why, sizeof why, "load %.1f %s over target %.1f per replica", s->load, unit,
                 p.target * p.proportion);
        decide(gw, fn, reco, why);
    } else if (stable < fn->desired) {
        snprintf(why, sizeof why, "load %.1f %s, at most %d replicas needed for %llds", s->load,
                 unit, stable, (long long)(gw->cfg.scale_down_window_ms / 1000));
        decide(gw, fn, stable, why);
    }
}

static void on_check(struct loop *lp, void *arg)
{
    struct gw *gw = arg;
    double now = loop_now_s();
    /* With several gateways, one decides (the driver says which). */
    bool lead = !gw->driver->leads || gw->driver->leads(gw);
    for (struct gw_fn *fn = gw->fns; fn; fn = fn->next) {
        check_fn(gw, fn, now, lead);
        char label[300];
        snprintf(label, sizeof label, "%s.%s", fn->name, fn->ns);
        metric_set(scaler_metrics.desired, (const char *[]){ label }, fn->desired);
        metric_set(scaler_metrics.available, (const char *[]){ label }, gw->driver->available(fn));
        metric_set(scaler_metrics.load, (const char *[]){ label },
                   fn->scaler ? fn->scaler->load : 0);
    }
    loop_timer_add(lp, gw->cfg.autoscale_interval_ms, on_check, gw);
}

void gw_autoscale_start(struct gw *gw)
{
    scaler_metrics.desired = metrics_gauge(gw->metrics, "gateway_autoscaler_desired_replicas",
                                           "Replicas the autoscaler wants.", "function_name");
    scaler_metrics.available = metrics_gauge(gw->metrics, "gateway_autoscaler_available_replicas",
                                             "Replicas ready to serve.", "function_name");
    scaler_metrics.decisions = metrics_counter(gw->metrics, "gateway_autoscaler_decisions_total",
                                               "Scaling decisions, by direction.",
                                               "function_name,direction");
    scaler_metrics.load = metrics_gauge(gw->metrics, "gateway_autoscaler_load",
                                        "Load at the last check: calls in flight (capacity) "
                                        "or calls per second (rps).",
                                        "function_name");
    if (!gw->cfg.autoscale) {
        log_info("autoscale", "off (autoscale=false): replicas change only by hand");
        return;
    }
    loop_timer_add(gw->lp, gw->cfg.autoscale_interval_ms, on_check, gw);
}
