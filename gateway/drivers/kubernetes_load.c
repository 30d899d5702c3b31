/* kubernetes_load.c -- the load each gateway replica sees, shared, so
 * the one that makes the autoscaler's decisions (kubernetes_lease.c)
 * counts every call, not only the share its own Service endpoint got.
 *
 * DESIGN: one Lease object, "faasbus-autoscaler-load" in the gateway's
 * namespace, holds in an annotation each gateway's latest loads by
 * function with a counter it bumps at every write (every second while it
 * has load). Writes are read-modify-write with the resourceVersion read,
 * so two gateways never lose each other's entry (409: again next time).
 * An entry counts while its counter keeps moving as this gateway's own
 * clock measures: a gateway that stops or dies stops counting within
 * a few seconds, whatever the hosts' clocks say. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../functions.h"
#include "../gw.h"
#include "k8s_api.h"
#include "kubernetes_int.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define D kd_state
#define LOAD_LEASE "faasbus-autoscaler-load"
#define ANNOTATION "com.faasbus.load"
#define PERIOD_MS 1000
#define FRESH_S 3.0

static struct {
    json_t *mine; /* "name.ns" -> load now */
    json_t *seen; /* identity -> {"seq", "since" (loop s), "loads"} */
    uint64_t seq;
    bool listed; /* our entry is in the object */
    struct k8s_call *call;
    struct loop_timer *tick;
} S;

static void schedule(void);

static void key_of(const struct gw_fn *fn, char *out, size_t len)
{
    snprintf(out, len, "%s.%s", fn->name, fn->ns);
}

void kd_load_share(struct gw *gw, const struct gw_fn *fn, double load)
{
    (void)gw;
    char key[160];
    key_of(fn, key, sizeof key);
    if (load > 0)
        json_object_set_new(S.mine, key, json_real(load));
    else
        json_object_del(S.mine, key);
}

double kd_load_peers(struct gw *gw, const struct gw_fn *fn)
{
    (void)gw;
    char key[160];
    key_of(fn, key, sizeof key);
    double now = loop_now_s(), sum = 0;
    const char *who;
    json_t *e;
    json_object_foreach(S.seen, who, e) {
        double since = json_real_value(json_object_get(e, "since"));
        if (strcmp(who, D.identity) != 0 && now - since < FRESH_S)
            sum += json_number_value(json_object_get(json_object_get(e, "loads"), key));
    }
    return sum;
}

/* What the others wrote, noting when each one's counter moved. */
static void take_entries(const json_t *doc)
{
    double now = loop_now_s();
    json_t *next = json_object();
    const char *who;
    json_t *e;
    json_object_foreach((json_t *)doc, who, e) {
        json_t *old = json_object_get(S.seen, who);
        json_t *seq = json_object_get(e, "seq");
        bool moved = !old || !json_equal(json_object_get(old, "seq"), seq);
        double since = moved ? now : json_real_value(json_object_get(old, "since"));
        json_object_set_new(next, who,
                            json_pack("{s:O,s:f,s:O}", "seq", seq, "since", since, "loads",
                                      json_object_get(e, "loads")));
    }
    json_decref(S.seen);
    S.seen = next;
}

/* arg is non-NULL when the write carried our entry (NULL: it removed it). */
static void on_written(void *arg, const struct k8s_result *r)
{
    bool had = arg != NULL;
    S.call = NULL;
    if (r->status == 200 || r->status == 201)
        S.listed = had;
    schedule();
}

static void write_entries(json_t *doc, const char *rv)
{
    bool have = json_object_size(S.mine) > 0;
    if (have)
        json_object_set_new(doc, D.identity,
                            json_pack("{s:I,s:O}", "seq", (json_int_t)++S.seq, "loads", S.mine));
    else
        json_object_del(doc, D.identity);
    /* Entries whose writers stopped long ago go (their counters froze). */
    double now = loop_now_s();
    const char *who;
    json_t *e;
    void *tmp;
    json_object_foreach_safe(doc, tmp, who, e) {
        json_t *s = json_object_get(S.seen, who);
        if (strcmp(who, D.identity) != 0 && s &&
            now - json_real_value(json_object_get(s, "since")) > 60)
            json_object_del(doc, who);
    }
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *body = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{}}", "apiVersion",
                             "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
                             LOAD_LEASE, "namespace", D.home_ns, "annotations", ANNOTATION, text,
                             "spec");
    free(text);
    char path[256];
    if (rv) {
        json_object_set_new(json_object_get(body, "metadata"), "resourceVersion", json_string(rv));
        snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/" LOAD_LEASE,
                 D.home_ns);
    } else {
        snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", D.home_ns);
    }
    S.call = k8s_request(D.api, rv ? "PUT" : "POST", path, NULL, body, KD_CALL_TIMEOUT_MS,
                         on_written, have ? &S : NULL);
    json_decref(body);
    if (!S.call)
        schedule();
}

static void on_read(void *arg, const struct k8s_result *r)
{
    (void)arg;
    S.call = NULL;
    const json_t *md = json_object_get(r->body, "metadata");
    const char *text = json_string_value(
        json_object_get(json_object_get(md, "annotations"), ANNOTATION));
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_object();
    }
    if (r->status == 200)
        take_entries(doc);
    bool want = json_object_size(S.mine) > 0 || json_object_get(doc, D.identity);
    if (r->status == 200 && want)
        write_entries(doc, json_string_value(json_object_get(md, "resourceVersion")));
    else if (r->status == 404 && json_object_size(S.mine))
        write_entries(doc, NULL);
    else
        schedule();
    json_decref(doc);
}

static void on_tick(struct loop *lp, void *arg)
{
    (void)lp;
    (void)arg;
    S.tick = NULL;
    /* Only the decider needs the others' loads, only one with load
     * (or an entry to clear) needs to write. */
    if (!kd_lease_held(D.gw) && !json_object_size(S.mine) && !S.listed) {
        schedule();
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/" LOAD_LEASE,
             D.home_ns);
    S.call = k8s_request(D.api, "GET", path, NULL, NULL, KD_CALL_TIMEOUT_MS, on_read, NULL);
    if (!S.call)
        schedule();
}

static void schedule(void)
{
    if (!S.tick && !S.call)
        S.tick = loop_timer_add(D.gw->lp, PERIOD_MS, on_tick, NULL);
}

void kd_load_start(void)
{
    S.mine = json_object();
    S.seen = json_object();
    schedule();
}

void kd_load_stop(void)
{
    k8s_cancel(S.call);
    S.call = NULL;
    loop_timer_cancel(D.gw->lp, S.tick);
    S.tick = NULL;
    json_decref(S.mine);
    json_decref(S.seen);
    S.mine = S.seen = NULL;
}
