/* autoscale_alert.c -- POST /system/alert: Prometheus AlertManager's
 * webhook, for users who keep OpenFaaS CE's alert rules. A firing alert
 * for a function adds ceil(max * factor / 100) replicas (up to max); a
 * resolved one returns it to min. The count then stands like one set by
 * hand. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "autoscale.h"
#include "driver.h"
#include "functions.h"
#include "gw.h"
#include "httpd.h"
#include "log.h"
#include "model.h"
#include "reply.h"

static int alert_replicas(const struct gw_scale_policy *p, bool firing, int current)
{
    if (!firing)
        return p->min;
    int step = (int)ceil(p->max * p->factor / 100.0);
    int to = current + step;
    return to > p->max ? p->max : to;
}

/* One alert: 0, or -1 with the reason in err. */
static int apply_alert(struct gw *gw, const json_t *alert, const char *group_status, char *err,
                       size_t errlen)
{
    const char *full = json_string_value(
        json_object_get(json_object_get(alert, "labels"), "function_name"));
    const char *status = json_string_value(json_object_get(alert, "status"));
    status = status ? status : group_status;
    if (!full || !status || (strcmp(status, "firing") != 0 && strcmp(status, "resolved") != 0)) {
        snprintf(err, errlen,
                 "alerts[]: each needs labels.function_name and a status of "
                 "firing or resolved");
        return -1;
    }
    char *name, *ns;
    if (gw_split_name(full, NULL, &name, &ns, err, errlen) < 0)
        return -1;
    struct gw_fn *fn = gw_fn_find(gw, name, ns);
    struct gw_scale_policy p;
    int rc = -1;
    if (!fn)
        snprintf(err, errlen, "function %s.%s not found", name, ns);
    else if (gw_scale_policy_read(fn->dep, gw->cfg.scale_zero_duration_ms, &p, err, errlen) == 0)
        rc = 0;
    if (rc == 0 && p.min != p.max && p.factor > 0) {
        int from = fn->desired, to = alert_replicas(&p, strcmp(status, "firing") == 0, from);
        if (to != from) {
            fn->desired = to;
            gw->driver->apply(gw, fn);
            log_info("autoscale", "function=%s.%s replicas %d -> %d: alert %s", name, ns, from, to,
                     status);
            gw_autoscale_manual(gw, fn, from,
                                strcmp(status, "firing") == 0 ? "alert firing" : "alert resolved");
        }
    }
    free(name);
    free(ns);
    return rc;
}

void gw_api_alert(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "POST"))
        return;
    size_t len;
    const char *body = httpd_req_body(req, &len);
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *alerts = json_object_get(doc, "alerts");
    if (!json_is_array(alerts)) {
        gw_reply_error(req, 400,
                       "expected AlertManager's webhook JSON: an object with an "
                       "\"alerts\" array%s%s",
                       doc ? "" : ": ", doc ? "" : jerr.text);
        json_decref(doc);
        return;
    }
    const char *group = json_string_value(json_object_get(doc, "status"));
    char err[400] = "";
    int failed = 0;
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a) {
        char one[300];
        if (apply_alert(gw, a, group, one, sizeof one) < 0 && failed++ == 0)
            snprintf(err, sizeof err, "alerts[%zu]: %s", i, one);
    }
    if (failed)
        gw_reply_error(req, strstr(err, "not found") ? 404 : 400, "%s", err);
    else
        httpd_respond(req, 200, "", 0);
    json_decref(doc);
}
