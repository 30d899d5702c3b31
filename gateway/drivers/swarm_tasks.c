/* swarm_tasks.c -- the tasks of each function's service: which run,
 * which answer their health check, and which a call goes to.
 *
 * DESIGN: Swarm keeps the tasks alive; the gateway only watches. A task
 * is routable while Swarm wants it running, it runs, and its /_/health
 * answers on the port its node published for it (host mode, so a call
 * reaches the task picked, not whichever the routing mesh would). A task
 * Swarm stops (scale down, a roll, a failure) leaves the listing of
 * desired-running tasks and so leaves rotation at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../driver.h"
#include "../functions.h"
#include "../gw.h"
#include "hclient.h"
#include "log.h"
#include "loop.h"
#include "swarm_int.h"
#include "swarm_spec.h"
#include "xalloc.h"

#define FIRST_PROBE_MS 50
#define D sw_state

static void probe(struct loop *lp, void *arg);

/* On a manager host the task's published port; as a service on the
 * functions network, its address there. */
static bool endpoint_url(const struct sw_task *t, char *out, size_t len)
{
    if (D.gw->cfg.swarm_publish && t->port > 0)
        snprintf(out, len, "http://127.0.0.1:%d", t->port);
    else if (!D.gw->cfg.swarm_publish && t->ip[0])
        snprintf(out, len, "http://%s:%d", t->ip, SW_FUNCTION_PORT);
    else
        return false;
    return true;
}

static struct sw_task *task_add(struct sw_fn *f, const char *id)
{
    struct sw_task *t = xcalloc(1, sizeof *t);
    t->f = f;
    t->serial = ++D.gw->replica_serial;
    snprintf(t->id, sizeof t->id, "%s", id);
    f->t = xrealloc(f->t, (f->n + 1) * sizeof(struct sw_task *));
    f->t[f->n++] = t;
    return t;
}

static void task_drop(struct sw_task *t)
{
    struct sw_fn *f = t->f;
    for (unsigned i = 0; i < f->n; i++)
        if (f->t[i] == t) {
            f->t[i] = f->t[--f->n];
            break;
        }
    if (t->ready)
        log_info("replica", "task left function=%s.%s instance=%u task=%.12s", f->fn->name,
                 f->fn->ns, t->slot, t->id);
    loop_timer_cancel(D.gw->lp, t->timer);
    hclient_cancel(t->probe);
    free(t);
}

void sw_tasks_forget(struct sw_fn *f)
{
    while (f->n)
        task_drop(f->t[f->n - 1]);
    free(f->t);
    f->t = NULL;
}

/* The ports the task's 8080 is published on; the one in use stays while
 * it is still listed. */
static void take_ports(struct sw_task *t, const json_t *ports)
{
    bool kept = false;
    size_t i;
    json_t *p;
    t->nports = 0;
    json_array_foreach(ports, i, p) {
        int port = (int)json_integer_value(json_object_get(p, "PublishedPort"));
        if (json_integer_value(json_object_get(p, "TargetPort")) != SW_FUNCTION_PORT || port <= 0 ||
            t->nports == sizeof t->ports / sizeof t->ports[0])
            continue;
        t->ports[t->nports++] = port;
        kept = kept || port == t->port;
    }
    if (!kept)
        t->port = t->nports ? t->ports[0] : 0;
}

/* A probe that failed tries the next published port: only one of them
 * may reach the task over 127.0.0.1. */
static void next_port(struct sw_task *t)
{
    for (unsigned i = 0; i + 1 < t->nports; i++)
        if (t->ports[i] == t->port) {
            t->port = t->ports[i + 1];
            return;
        }
    t->port = t->nports ? t->ports[0] : 0;
}

static void on_probe(void *arg, const struct hclient_response *resp)
{
    struct sw_task *t = arg;
    t->probe = NULL;
    bool was = t->ready;
    t->ready = t->running && (resp->status == 200 || resp->status == 404);
    if (resp->status == 0 && D.gw->cfg.swarm_publish)
        next_port(t);
    if (was && !t->ready)
        log_info("replica", "task unready function=%s.%s instance=%u", t->f->fn->name, t->f->fn->ns,
                 t->slot);
    t->timer = loop_timer_add(D.gw->lp, t->ready ? D.gw->cfg.health_interval_ms : FIRST_PROBE_MS,
                              probe, t);
    if (t->ready && !was) {
        log_info("replica", "replica ready function=%s.%s instance=%u task=%.12s port=%d",
                 t->f->fn->name, t->f->fn->ns, t->slot, t->id, t->port);
        if (D.gw->on_replica_ready)
            D.gw->on_replica_ready(D.gw, t->f->fn); /* may hand calls out */
    }
}

static void probe(struct loop *lp, void *arg)
{
    (void)lp;
    struct sw_task *t = arg;
    t->timer = NULL;
    char base[128], url[160];
    if (!t->running || !endpoint_url(t, base, sizeof base)) {
        t->ready = false;
        t->timer = loop_timer_add(D.gw->lp, FIRST_PROBE_MS * 4, probe, t);
        return;
    }
    snprintf(url, sizeof url, "%s/_/health", base);
    struct hclient_request req = { .url = url, .timeout_ms = 2000, .max_response = 4096 };
    t->probe = hclient_start(D.gw->curl, &req, on_probe, t);
}

static struct sw_fn *fn_of_service(const char *service)
{
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next) {
        struct sw_fn *f = sw_fn_of(fn);
        if (service && f->service[0] && strcmp(f->service, service) == 0)
            return f;
    }
    return NULL;
}

static struct sw_task *find_task(struct sw_fn *f, const char *id)
{
    for (unsigned i = 0; i < f->n; i++)
        if (strcmp(f->t[i]->id, id) == 0)
            return f->t[i];
    return NULL;
}

static void observe(struct sw_task *t, const json_t *task)
{
    const json_t *status = json_object_get(task, "Status");
    const char *state = json_string_value(json_object_get(status, "State"));
    t->seen = true;
    t->running = state && strcmp(state, "running") == 0;
    t->slot = (unsigned)json_integer_value(json_object_get(task, "Slot"));
    const char *spec = json_string_value(json_object_get(
        json_object_get(json_object_get(json_object_get(task, "Spec"), "ContainerSpec"), "Labels"),
        SW_LABEL_SPEC));
    snprintf(t->spec, sizeof t->spec, "%s", spec ? spec : "");
    take_ports(t, json_object_get(json_object_get(status, "PortStatus"), "Ports"));
    size_t i;
    json_t *p;
    t->ip[0] = '\0';
    json_array_foreach(json_object_get(task, "NetworksAttachments"), i, p) {
        const char *net = json_string_value(
            json_object_get(json_object_get(json_object_get(p, "Network"), "Spec"), "Name"));
        const char *addr = json_string_value(json_array_get(json_object_get(p, "Addresses"), 0));
        if (net && addr && D.gw->cfg.swarm_network && strcmp(net, D.gw->cfg.swarm_network) == 0)
            snprintf(t->ip, sizeof t->ip, "%.*s", (int)strcspn(addr, "/"), addr);
    }
    if (!t->running)
        t->ready = false;
    if (t->running && !t->timer && !t->probe)
        t->timer = loop_timer_add(D.gw->lp, 0, probe, t);
}

void sw_tasks_take(const json_t *tasks)
{
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next) {
        struct sw_fn *f = sw_fn_of(fn);
        for (unsigned i = 0; i < f->n; i++)
            f->t[i]->seen = false;
    }
    size_t i;
    json_t *task;
    json_array_foreach(tasks, i, task) {
        const char *id = json_string_value(json_object_get(task, "ID"));
        struct sw_fn *f = fn_of_service(json_string_value(json_object_get(task, "ServiceID")));
        if (!id || !f)
            continue;
        struct sw_task *t = find_task(f, id);
        if (!t)
            t = task_add(f, id);
        observe(t, task);
    }
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next) {
        struct sw_fn *f = sw_fn_of(fn);
        for (unsigned k = f->n; k-- > 0;)
            if (!f->t[k]->seen)
                task_drop(f->t[k]);
    }
}

unsigned sw_tasks_ready(const struct sw_fn *f)
{
    unsigned n = 0;
    for (unsigned i = 0; f && i < f->n; i++)
        n += f->t[i]->ready;
    return n;
}

/* A roll's new tasks take every call they can; else the fewest calls in
 * flight, equals in turn. */
bool sw_tasks_pick(struct sw_fn *f, struct gw_endpoint *ep)
{
    struct sw_task *best = NULL;
    unsigned at = 0;
    for (unsigned k = 0; f && k < f->n; k++) {
        unsigned i = (f->fn->pick_from + k) % f->n;
        struct sw_task *t = f->t[i];
        if (!t->ready)
            continue;
        bool cur = strcmp(t->spec, f->spec) == 0;
        bool best_cur = best && strcmp(best->spec, f->spec) == 0;
        if (!best || (cur && !best_cur) || (cur == best_cur && t->inflight < best->inflight)) {
            best = t;
            at = i;
        }
    }
    if (!best || !endpoint_url(best, ep->base_url, sizeof ep->base_url))
        return false;
    f->fn->pick_from = at + 1;
    best->inflight++;
    ep->id = best->slot;
    ep->serial = best->serial;
    snprintf(ep->instance, sizeof ep->instance, "%u", best->slot);
    return true;
}

void sw_tasks_release(struct sw_fn *f, uint64_t serial)
{
    for (unsigned i = 0; f && i < f->n; i++)
        if (f->t[i]->serial == serial && f->t[i]->inflight)
            f->t[i]->inflight--;
}
