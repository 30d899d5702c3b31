/* swarm.c -- the swarm driver: each function is a replicated Docker
 * Swarm service, so the orchestrator, not the gateway, keeps its
 * replicas alive and spreads them over the nodes.
 *
 * DESIGN: the swarm holds the truth. Every second (and at once after a
 * deploy, scale or removal) the driver lists the services labelled with
 * its instance name, then the tasks Swarm wants running (and, when tasks
 * are reached on published ports, their containers on this engine, for
 * the port each publishes on IPv4), and reconciles: a function without
 * a service gets one; a service whose deployment hash or replica count
 * differs from the function's is updated (Swarm rolls it, start-first);
 * a service of a removed function is removed. A restarted gateway finds its services by label and
 * adopts them. Calls go to the ready tasks (swarm_tasks.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../driver.h"
#include "../engine/docker_api.h"
#include "../functions.h"
#include "../gw.h"
#include "log.h"
#include "loop.h"
#include "swarm_int.h"
#include "swarm_spec.h"
#include "xalloc.h"

#define TICK_MS 1000
#define CALL_TIMEOUT_MS 30000

struct sw sw_state;
#define D sw_state

static void schedule(int64_t ms);

struct sw_fn *sw_fn_of(struct gw_fn *fn)
{
    if (!fn->drv) {
        struct sw_fn *f = xcalloc(1, sizeof *f);
        f->fn = fn;
        f->logs_since = D.started; /* an adopted service's older lines were seen */
        sw_spec_hash(fn->dep, f->spec);
        fn->drv = f;
    }
    return fn->drv;
}

static const char *label(const json_t *service, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(service, "Spec"), "Labels"), key));
}

/* --- service writes ------------------------------------------------------ */

static void on_written(void *arg, const struct dkr_result *r)
{
    struct sw_fn *f = arg;
    f->call = NULL;
    if (r->status >= 300) {
        char msg[512];
        log_error("swarm", "cannot %s the service of function=%s.%s: %s",
                  f->service[0] ? "update" : "create", f->fn->name, f->fn->ns,
                  dkr_error_text(r, msg, sizeof msg));
    } else {
        sw_sweep_wanted(); /* it may have let go of an older secret */
    }
    sw_kick(); /* the listing tells what the swarm made of it */
}

static json_t *service_body(struct sw_fn *f, const json_t *secrets)
{
    struct sw_spec_in in = {
        .dep = f->fn->dep,
        .name = f->fn->name,
        .ns = f->fn->ns,
        .instance = D.instance,
        .spec = f->spec,
        .replicas = f->fn->desired > 0 ? (unsigned)f->fn->desired : 0,
        .network = D.gw->cfg.swarm_network,
        .secrets = secrets,
    };
    return sw_spec_service(&in);
}

static void write_service(struct sw_fn *f, json_t *secrets)
{
    char path[192];
    if (f->service[0])
        snprintf(path, sizeof path, "/services/%s/update?version=%llu", f->service,
                 (unsigned long long)f->version);
    else
        snprintf(path, sizeof path, "/services/create");
    json_t *body = service_body(f, secrets);
    f->call = dkr_request(D.e, "POST", path, body, NULL, CALL_TIMEOUT_MS, 0, on_written, f);
    json_decref(body);
    if (f->call)
        log_info("swarm", "%s service function=%s.%s replicas=%d",
                 f->service[0] ? "updating" : "creating", f->fn->name, f->fn->ns, f->fn->desired);
}

static void on_deleted(void *arg, const struct dkr_result *r)
{
    char *id = arg;
    if (r->status >= 300 && r->status != 404) {
        char msg[256];
        log_warn("swarm", "cannot remove service %.12s: %s", id,
                 dkr_error_text(r, msg, sizeof msg));
    } else {
        sw_sweep_wanted();
    }
    free(id);
}

static void delete_service(const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/services/%s", id);
    char *arg = xstrdup(id);
    if (!dkr_request(D.e, "DELETE", path, NULL, NULL, CALL_TIMEOUT_MS, 0, on_deleted, arg))
        free(arg); /* the next listing tries again */
}

/* --- reconciliation ----------------------------------------------------- */

static void take_service(const json_t *s)
{
    const char *id = json_string_value(json_object_get(s, "ID"));
    const char *name = label(s, SW_LABEL_FUNCTION), *ns = label(s, SW_LABEL_NAMESPACE);
    if (!id)
        return;
    struct gw_fn *fn = name && ns ? gw_fn_find(D.gw, name, ns) : NULL;
    if (!fn) {
        log_info("swarm", "removing service %.12s of a function that is gone (%s.%s)", id,
                 name ? name : "?", ns ? ns : "?");
        delete_service(id);
        return;
    }
    struct sw_fn *f = sw_fn_of(fn);
    if (!f->service[0])
        log_info("swarm", "found service %.12s function=%s.%s", id, fn->name, fn->ns);
    if (f->service[0] && strcmp(f->service, id) != 0)
        sw_logs_stop(f); /* a new service of the function */
    snprintf(f->service, sizeof f->service, "%s", id);
    sw_logs_start(f);
    f->version = (uint64_t)json_integer_value(
        json_object_get(json_object_get(s, "Version"), "Index"));
    const char *spec = label(s, SW_LABEL_SPEC);
    snprintf(f->service_spec, sizeof f->service_spec, "%s", spec ? spec : "");
    f->service_replicas = (unsigned)json_integer_value(json_object_get(
        json_object_get(json_object_get(json_object_get(s, "Spec"), "Mode"), "Replicated"),
        "Replicas"));
    f->listed = true;
}

static void on_secrets(struct sw_fn *f, json_t *refs)
{
    if (refs)
        write_service(f, refs); /* else the next listing tries again */
}

/* What makes a task: the deployment and the Swarm secrets (by value
 * hash) it mounts, so a rotated secret rolls the service. */
static void compute_spec(struct sw_fn *f, const json_t *secrets)
{
    json_t *names = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(secrets, i, s)
        json_array_append(names, json_object_get(s, "Name"));
    json_t *what = json_pack("{s:O,s:o}", "dep", f->fn->dep, "secrets", names);
    sw_spec_hash(json_array_size(secrets) ? what : f->fn->dep, f->spec);
    json_decref(what);
}

static void converge(struct sw_fn *f)
{
    if (f->call || f->secret_job)
        return;
    if (!f->listed)
        f->service[0] = '\0'; /* gone (or never made): make it */
    json_t *secrets = sw_secrets_wanted(f);
    if (!secrets) {
        if (!f->secret_missing)
            log_error("swarm", "a secret of function=%s.%s cannot be read: its service waits",
                      f->fn->name, f->fn->ns);
        f->secret_missing = true;
        return;
    }
    f->secret_missing = false;
    compute_spec(f, secrets);
    unsigned want = f->fn->desired > 0 ? (unsigned)f->fn->desired : 0;
    if (!f->service[0] || strcmp(f->service_spec, f->spec) != 0 || f->service_replicas != want) {
        if (json_array_size(secrets))
            sw_secrets_ensure(f, secrets, on_secrets);
        else
            write_service(f, NULL);
    }
    json_decref(secrets);
}

static void tasks_taken(const json_t *containers)
{
    if (json_is_array(D.tasks))
        sw_tasks_take(D.tasks, containers);
    json_decref(D.tasks);
    D.tasks = NULL;
    sw_sweep_run();
    schedule(D.again ? 0 : TICK_MS);
    D.again = false;
}

static void on_containers(void *arg, const struct dkr_result *res)
{
    (void)arg;
    D.list = NULL;
    json_t *all = res->status == 200 ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    tasks_taken(json_is_array(all) ? all : NULL);
    json_decref(all);
}

/* Our tasks' containers on this engine, for the ports they publish. */
static void list_containers(void)
{
    json_t *filters = dkr_label_filter(SW_LABEL_INSTANCE, D.instance);
    json_array_append_new(json_object_get(filters, "label"),
                          json_string("com.docker.swarm.task.id"));
    D.list = dkr_list(D.e, "/containers/json", filters, on_containers, NULL);
    if (!D.list)
        tasks_taken(NULL);
}

static void on_tasks(void *arg, const struct dkr_result *res)
{
    (void)arg;
    D.list = NULL;
    D.tasks = res->status == 200 ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    if (json_is_array(D.tasks) && D.gw->cfg.swarm_publish)
        list_containers();
    else
        tasks_taken(NULL);
}

static void list_tasks(void)
{
    D.list = dkr_list(D.e, "/tasks", json_pack("{s:[s]}", "desired-state", "running"), on_tasks,
                      NULL);
    if (!D.list)
        schedule(TICK_MS);
}

static void on_services(void *arg, const struct dkr_result *res)
{
    (void)arg;
    D.list = NULL;
    json_t *all = res->status == 200 ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    if (!json_is_array(all)) {
        char msg[256];
        if (D.up)
            log_error("swarm", "cannot list services (is this engine a swarm manager?): %s",
                      dkr_error_text(res, msg, sizeof msg));
        D.up = false;
        json_decref(all);
        schedule(TICK_MS);
        return;
    }
    if (!D.up)
        log_info("swarm", "swarm reachable, API %s", dkr_engine_version(D.e));
    D.up = true;
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next)
        sw_fn_of(fn)->listed = false;
    size_t i;
    json_t *s;
    json_array_foreach(all, i, s)
        take_service(s);
    json_decref(all);
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next)
        converge(sw_fn_of(fn));
    list_tasks();
}

static void list_services(void)
{
    D.list = dkr_list(D.e, "/services", dkr_label_filter(SW_LABEL_INSTANCE, D.instance),
                      on_services, NULL);
    if (!D.list)
        schedule(TICK_MS);
}

static void on_network(void *arg, const struct dkr_result *res)
{
    (void)arg;
    D.list = NULL;
    char msg[256];
    if (res->status == 201 || res->status == 409 ||
        strstr(dkr_error_text(res, msg, sizeof msg), "already exists")) {
        D.network_ready = true;
        list_services();
        return;
    }
    log_error("swarm", "cannot create network %s: %s", D.gw->cfg.swarm_network, msg);
    schedule(TICK_MS);
}

/* An attachable overlay: the gateway's own container can join it too. */
static void create_network(void)
{
    json_t *body = json_pack("{s:s,s:s,s:b,s:b}", "Name", D.gw->cfg.swarm_network, "Driver",
                             "overlay", "Attachable", 1, "CheckDuplicate", 1);
    D.list = dkr_request(D.e, "POST", "/networks/create", body, NULL, 10000, 0, on_network, NULL);
    json_decref(body);
    if (!D.list)
        schedule(TICK_MS);
}

static void on_version(void *arg, const struct dkr_result *res)
{
    (void)arg;
    D.list = NULL;
    if (!dkr_engine_version(D.e)) {
        char msg[256];
        if (D.up)
            log_error("swarm", "engine not answering at %s: %s", D.gw->cfg.docker_host,
                      dkr_error_text(res, msg, sizeof msg));
        D.up = false;
        schedule(TICK_MS);
        return;
    }
    if (!D.network_ready)
        create_network();
    else
        list_services();
}

static void on_tick(struct loop *lp, void *arg)
{
    (void)lp;
    (void)arg;
    D.tick = NULL;
    if (dkr_engine_version(D.e) && D.network_ready) {
        list_services();
        return;
    }
    if (dkr_engine_version(D.e)) {
        create_network();
        return;
    }
    D.list = dkr_negotiate(D.e, on_version, NULL);
    if (!D.list)
        schedule(TICK_MS);
}

static void schedule(int64_t ms)
{
    if (D.tick || D.list)
        return;
    D.tick = loop_timer_add(D.gw->lp, ms, on_tick, NULL);
}

void sw_kick(void)
{
    if (!D.e)
        return;
    if (D.list) {
        D.again = true;
        return;
    }
    loop_timer_cancel(D.gw->lp, D.tick);
    D.tick = NULL;
    schedule(0);
}

/* --- the driver --------------------------------------------------------- */

/* Without a name, one derived from state_dir: two gateways with their
 * own state never share services. */
static void name_instance(struct gw *gw)
{
    if (gw->cfg.docker_instance && *gw->cfg.docker_instance) {
        snprintf(D.instance, sizeof D.instance, "%s", gw->cfg.docker_instance);
        return;
    }
    uint64_t h = UINT64_C(1469598103934665603);
    for (const char *p = gw->cfg.state_dir; *p; p++) {
        h ^= (unsigned char)*p;
        h *= UINT64_C(1099511628211);
    }
    snprintf(D.instance, sizeof D.instance, "gw-%016llx", (unsigned long long)h);
}

static void start(struct gw *gw)
{
    char err[256];
    D.gw = gw;
    D.e = dkr_engine_new(gw->curl, gw->cfg.docker_host, gw->cfg.docker_cert_path,
                         gw->cfg.docker_tls_verify, err, sizeof err);
    if (!D.e) {
        log_error("swarm", "%s", err);
        return;
    }
    D.up = true;
    D.started = (int64_t)time(NULL);
    D.network_ready = !gw->cfg.swarm_network || !*gw->cfg.swarm_network;
    name_instance(gw);
    sw_sweep_wanted(); /* what a stopped gateway left behind */
    log_info("swarm", "swarm driver: engine %s, instance %s", gw->cfg.docker_host, D.instance);
    schedule(0);
}

static void apply(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    sw_fn_of(fn);
    sw_kick();
}

static void update(struct gw *gw, struct gw_fn *fn)
{
    apply(gw, fn); /* the listing sees the new hash */
}

static void forget_fn(struct gw_fn *fn)
{
    struct sw_fn *f = fn->drv;
    if (!f)
        return;
    dkr_cancel(f->call);
    sw_secrets_cancel(f);
    sw_logs_stop(f);
    sw_tasks_forget(f);
    free(f);
    fn->drv = NULL;
}

static void remove_fn(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    struct sw_fn *f = fn->drv;
    if (f && f->service[0] && D.e)
        delete_service(f->service);
    forget_fn(fn);
}

static unsigned available(const struct gw_fn *fn)
{
    return sw_tasks_ready(fn->drv);
}

static bool pick(struct gw *gw, struct gw_fn *fn, struct gw_endpoint *ep)
{
    (void)gw;
    return sw_tasks_pick(fn->drv, ep);
}

static void release_call(struct gw *gw, const char *name, const char *ns, uint64_t serial)
{
    struct gw_fn *fn = gw_fn_find(gw, name, ns);
    sw_tasks_release(fn ? fn->drv : NULL, serial);
}

/* Services keep running for the next gateway to adopt. */
static void shutdown_all(struct gw *gw)
{
    for (struct gw_fn *fn = gw->fns; fn; fn = fn->next)
        forget_fn(fn);
    sw_sweep_cancel();
    dkr_cancel(D.list);
    D.list = NULL;
    json_decref(D.tasks);
    D.tasks = NULL;
    loop_timer_cancel(gw->lp, D.tick);
    D.tick = NULL;
    dkr_engine_free(D.e);
    D.e = NULL;
}

const struct gw_driver gw_swarm_driver = {
    .name = "swarm",
    .start = start,
    .apply = apply,
    .update = update,
    .remove = remove_fn,
    .available = available,
    .pick = pick,
    .release = release_call,
    .shutdown = shutdown_all,
    .command_optional = true,
};
