/* autoscale_state.c -- what the autoscaler keeps of each function: the
 * load its calls make, and the last decision, which the status shows and
 * the store keeps. It decides nothing (autoscale.c does), so the registry
 * and the store reach it without reaching the decisions. */
#include <stdio.h>
#include <stdlib.h>

#include "autoscale.h"
#include "autoscale_int.h"
#include "functions.h"
#include "gw.h"
#include "loop.h"
#include "xalloc.h"

struct gw_scaler *gw_scaler_of(struct gw_fn *fn)
{
    if (!fn->scaler) {
        fn->scaler = xcalloc(1, sizeof *fn->scaler);
        fn->scaler->last_call = fn->scaler->last_check = fn->scaler->area_since = loop_now_s();
        fn->scaler->reco = -1;
        fn->scaler->manual_reco = -1;
    }
    return fn->scaler;
}

void gw_autoscale_forget(struct gw_fn *fn)
{
    if (fn->scaler)
        free(fn->scaler->recent);
    free(fn->scaler);
    fn->scaler = NULL;
}

void gw_scaler_integrate(struct gw_scaler *s, double now)
{
    s->area += s->inflight * (now - s->area_since);
    s->area_since = now;
}

void gw_autoscale_call_began(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    struct gw_scaler *s = gw_scaler_of(fn);
    double now = loop_now_s();
    gw_scaler_integrate(s, now);
    s->inflight++;
    s->began++;
    s->last_call = now;
}

void gw_autoscale_call_ended(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    struct gw_scaler *s = gw_scaler_of(fn);
    double now = loop_now_s();
    gw_scaler_integrate(s, now);
    if (s->inflight)
        s->inflight--;
    s->last_call = now;
}

static json_t *last_decision(const struct gw_scaler *s)
{
    return json_pack("{s:i, s:i, s:s, s:s, s:s}", "from", s->from, "to", s->to, "direction",
                     s->direction, "reason", s->reason, "at", s->at);
}

json_t *gw_autoscale_save(const struct gw_fn *fn)
{
    const struct gw_scaler *s = fn->scaler;
    json_t *doc = json_pack("{s:b}", "manual", s && s->manual);
    if (s && s->at[0])
        json_object_set_new(doc, "lastDecision", last_decision(s));
    return doc;
}

void gw_autoscale_restore(struct gw_fn *fn, const json_t *doc)
{
    struct gw_scaler *s = gw_scaler_of(fn);
    s->manual = json_is_true(json_object_get(doc, "manual"));
    const json_t *d = json_object_get(doc, "lastDecision");
    const char *dir = json_string_value(json_object_get(d, "direction"));
    const char *reason = json_string_value(json_object_get(d, "reason"));
    const char *at = json_string_value(json_object_get(d, "at"));
    if (!dir || !reason || !at)
        return;
    s->from = (int)json_integer_value(json_object_get(d, "from"));
    s->to = (int)json_integer_value(json_object_get(d, "to"));
    snprintf(s->direction, sizeof s->direction, "%s", dir);
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    snprintf(s->at, sizeof s->at, "%s", at);
}

void gw_autoscale_status(const struct gw *gw, const struct gw_fn *fn, json_t *st)
{
    struct gw_scale_policy p;
    char err[256];
    bool ok = gw_scale_policy_read(fn->dep, gw->cfg.scale_zero_duration_ms, &p, err, sizeof err) ==
              0;
    json_t *a = json_pack("{s:b}", "enabled", gw->cfg.autoscale && ok && p.min != p.max);
    const struct gw_scaler *s = fn->scaler;
    if (s && s->at[0])
        json_object_set_new(a, "lastDecision", last_decision(s));
    json_object_set_new(st, "autoscaler", a);
}
