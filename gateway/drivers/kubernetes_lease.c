/* kubernetes_lease.c -- which of several gateways makes the autoscaler's
 * decisions: the holder of the coordination.k8s.io Lease
 * "faasbus-autoscaler" in the gateway's namespace.
 *
 * DESIGN: as client-go's leader election does. Every third of the lease
 * duration each gateway reads the Lease: its holder renews it (PUT with
 * the resourceVersion read, so of two writers one gets 409 Conflict and
 * loses); another gateway takes it over only when the record has not
 * changed for a whole lease duration as this gateway's own clock
 * measures (no trust in other hosts' clocks). A holder that cannot renew
 * stops deciding when its last renewal is a duration old, before anyone
 * may take over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../gw.h"
#include "k8s_api.h"
#include "kubernetes_int.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define D kd_state
#define LEASE "faasbus-autoscaler"

static struct {
    struct k8s_call *call;
    struct loop_timer *tick;
    double renewed_at; /* loop time of our last successful write */
    char seen[256];    /* holder + renewTime last read */
    double seen_since; /* loop time it was first read so */
    bool held, said;
} L;

static double duration_s(void)
{
    return (double)D.gw->cfg.kubernetes_lease_duration_ms / 1000.0;
}

static void schedule(double s);

static void now_micro(char *out, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, len - n, ".%06ldZ", ts.tv_nsec / 1000);
}

static void set_held(bool held)
{
    if (held != L.held || !L.said)
        log_info("kubernetes", "%s the autoscaler lease %s/" LEASE " (%s)",
                 held ? "holding" : "not holding", D.home_ns, D.identity);
    L.said = true;
    L.held = held;
}

static void on_written(void *arg, const struct k8s_result *r)
{
    (void)arg;
    L.call = NULL;
    if (r->status == 200 || r->status == 201) {
        L.renewed_at = loop_now_s();
        set_held(true);
    } else if (r->status == 409) {
        set_held(false); /* another gateway wrote first */
    } else {
        char msg[512];
        log_warn("kubernetes", "cannot write lease " LEASE ": %s",
                 k8s_error_text(D.api, r, msg, sizeof msg));
    }
    schedule(duration_s() / 3);
}

static json_t *lease_body(const char *rv, int transitions, const char *acquired)
{
    char now[40];
    now_micro(now, sizeof now);
    json_t *b = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:i,s:s,s:s,s:i}}", "apiVersion",
                          "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name", LEASE,
                          "namespace", D.home_ns, "spec", "holderIdentity", D.identity,
                          "leaseDurationSeconds", (int)(duration_s() + 0.5), "acquireTime",
                          acquired ? acquired : now, "renewTime", now, "leaseTransitions",
                          transitions);
    if (rv)
        json_object_set_new(json_object_get(b, "metadata"), "resourceVersion", json_string(rv));
    return b;
}

static void write_lease(const char *method, json_t *body)
{
    char path[256];
    if (strcmp(method, "POST") == 0)
        snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", D.home_ns);
    else
        snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/" LEASE,
                 D.home_ns);
    L.call = k8s_request(D.api, method, path, NULL, body, KD_CALL_TIMEOUT_MS, on_written, NULL);
    json_decref(body);
    if (!L.call)
        schedule(duration_s() / 3);
}

static void on_read(void *arg, const struct k8s_result *r)
{
    (void)arg;
    L.call = NULL;
    if (r->status == 404) {
        write_lease("POST", lease_body(NULL, 0, NULL));
        return;
    }
    if (r->status != 200) {
        char msg[512];
        log_warn("kubernetes", "cannot read lease " LEASE ": %s",
                 k8s_error_text(D.api, r, msg, sizeof msg));
        schedule(duration_s() / 3);
        return;
    }
    const json_t *spec = json_object_get(r->body, "spec");
    const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
    const char *renewed = json_string_value(json_object_get(spec, "renewTime"));
    const char *acquired = json_string_value(json_object_get(spec, "acquireTime"));
    const char *rv = json_string_value(
        json_object_get(json_object_get(r->body, "metadata"), "resourceVersion"));
    int transitions = (int)json_integer_value(json_object_get(spec, "leaseTransitions"));
    char seen[256];
    snprintf(seen, sizeof seen, "%s|%s", holder ? holder : "", renewed ? renewed : "");
    double now = loop_now_s();
    if (strcmp(seen, L.seen) != 0) {
        snprintf(L.seen, sizeof L.seen, "%s", seen);
        L.seen_since = now;
    }
    bool mine = holder && strcmp(holder, D.identity) == 0;
    bool stale = !holder || !*holder || now - L.seen_since >= duration_s();
    if (mine)
        write_lease("PUT", lease_body(rv, transitions, acquired));
    else if (stale)
        write_lease("PUT", lease_body(rv, transitions + 1, NULL));
    else {
        set_held(false);
        schedule(duration_s() / 3);
    }
}

static void on_tick(struct loop *lp, void *arg)
{
    (void)lp;
    (void)arg;
    L.tick = NULL;
    char path[256];
    snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/" LEASE,
             D.home_ns);
    L.call = k8s_request(D.api, "GET", path, NULL, NULL, KD_CALL_TIMEOUT_MS, on_read, NULL);
    if (!L.call)
        schedule(duration_s() / 3);
}

static void schedule(double s)
{
    if (!L.tick && !L.call)
        L.tick = loop_timer_add(D.gw->lp, (int64_t)(s * 1000), on_tick, NULL);
}

void kd_lease_start(void)
{
    memset(&L, 0, sizeof L);
    L.seen_since = loop_now_s();
    schedule(0);
}

void kd_lease_stop(void)
{
    k8s_cancel(L.call);
    L.call = NULL;
    loop_timer_cancel(D.gw->lp, L.tick);
    L.tick = NULL;
}

bool kd_lease_held(struct gw *gw)
{
    (void)gw;
    return L.held && loop_now_s() - L.renewed_at < duration_s();
}
