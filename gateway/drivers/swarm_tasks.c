/* swarm_tasks.c -- the tasks of each function's service: which run,
 * which answer their health check, and which a call goes to.
 *
 * DESIGN: Swarm keeps the tasks alive; the gateway only watches. A task
 * is routable while Swarm wants it running, it runs, and its /_/health
 * answers on the port its container publishes on 127.0.0.1 (host mode,
 * so a call reaches the task picked, not whichever the routing mesh
 * would). A task
 * Swarm stops (scale down, a roll, a failure) leaves the listing of
 * desired-running tasks and so leaves rotation at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../driver.h"
#include "../engine/docker_api.h"
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

static void on_probe(void *arg, const struct hclient_response *resp)
{
    struct sw_task *t = arg;
    t->probe = NULL;
    bool was = t->ready;
    t->ready = t->running && (resp->status == 200 || resp->status == 404);
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

/* The task's container on this engine, if it is one of ours. */
static struct sw_task *task_of_container(const json_t *c)
{
    const json_t *labels = json_object_get(c, "Labels");
    struct sw_fn *f = fn_of_service(
        json_string_value(json_object_get(labels, "com.docker.swarm.service.id")));
    const char *id = json_string_value(json_object_get(labels, "com.docker.swarm.task.id"));
    return f && id ? find_task(f, id) : NULL;
}

/* Each task's port from its container's IPv4 binding: the task listing
 * gives the ports without their address family, and an engine may
 * publish a task's IPv6 side on a port that on IPv4 is another
 * container's. A task with no container here is on another node, where
 * 127.0.0.1 cannot reach it. */
static void take_ports(const json_t *containers)
{
    size_t i;
    json_t *c;
    json_array_foreach(containers, i, c) {
        struct sw_task *t = task_of_container(c);
        if (t) {
            t->port = dkr_published_port(c, SW_FUNCTION_PORT);
            t->placed = true;
        }
    }
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next) {
        struct sw_fn *f = sw_fn_of(fn);
        for (unsigned k = 0; k < f->n; k++) {
            struct sw_task *t = f->t[k];
            if (t->placed)
                continue;
            if (t->running && !t->said_elsewhere)
                log_info("swarm",
                         "task %.12s of %s.%s has no container on this engine: it is on "
                         "another node, which 127.0.0.1 cannot reach (swarm_publish=false "
                         "reaches it on swarm_network)",
                         t->id, fn->name, fn->ns);
            t->said_elsewhere = t->said_elsewhere || t->running;
            t->port = 0;
            t->ready = false;
        }
    }
}

void sw_tasks_take(const json_t *tasks, const json_t *containers)
{
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next) {
        struct sw_fn *f = sw_fn_of(fn);
        for (unsigned i = 0; i < f->n; i++)
            f->t[i]->seen = f->t[i]->placed = false;
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
    if (containers)
        take_ports(containers);
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
