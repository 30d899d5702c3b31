/* docker.c -- the docker driver: each replica of a function is a
 * container on a Docker Engine, made from the function's image.
 *
 * DESIGN: the engine holds the truth. Every second (and at once after a
 * deploy, scale or removal) the driver lists the containers labelled
 * with its instance name and reconciles: containers it does not know yet
 * are adopted (a restarted gateway serves them without recreating
 * them), ones that vanished or stopped are replaced, functions get as
 * many containers of their current deployment (by hash) as they want,
 * older ones go once enough new ones are ready (a rolling update), and
 * containers of removed functions are removed. A replica is ready while
 * its /_/health answers (200; 404 from an image that has no watchdog but
 * serves HTTP) and, for an image with its own HEALTHCHECK, while the
 * engine calls it healthy. The gateway reaches it on the port the engine published
 * on 127.0.0.1, or on docker_network at its address when not publishing.
 * Containers outlive the gateway: at exit it lets go of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../driver.h"
#include "../engine/docker_api.h"
#include "../functions.h"
#include "../gw.h"
#include "../model.h"
#include "../store.h"
#include "docker_int.h"
#include "hclient.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "parse.h"
#include "xalloc.h"

#define TICK_MS 1000
#define FIRST_PROBE_MS 50
#define CREATE_RETRY_MS 2000
#define CALL_TIMEOUT_MS 30000

struct dk dk_state;
#define D dk_state

/* A container being stopped and removed. */
struct dk_gone {
    char id[80];
    struct dkr_call *call;
    bool deleting;
    struct dk_gone *next;
};

static void probe(struct loop *lp, void *arg);

/* --- removal ------------------------------------------------------------ */

static bool is_gone(const char *id)
{
    for (struct dk_gone *g = D.gone; g; g = g->next)
        if (strcmp(g->id, id) == 0)
            return true;
    return false;
}

static void gone_free(struct dk_gone *g)
{
    for (struct dk_gone **p = &D.gone; *p; p = &(*p)->next)
        if (*p == g) {
            *p = g->next;
            break;
        }
    free(g);
}

static void on_gone_step(void *arg, const struct dkr_result *r)
{
    struct dk_gone *g = arg;
    g->call = NULL;
    if (!g->deleting && r->status != 0) {
        char path[128];
        snprintf(path, sizeof path, "/containers/%s?force=1&v=1", g->id);
        g->deleting = true;
        g->call = dkr_request(D.e, "DELETE", path, NULL, NULL, CALL_TIMEOUT_MS, 0, on_gone_step, g);
        if (!g->call)
            gone_free(g);
        return;
    }
    if (r->status >= 300 && r->status != 404) {
        char msg[256];
        log_warn("docker", "cannot remove container %.12s: %s", g->id,
                 dkr_error_text(r, msg, sizeof msg));
    }
    gone_free(g);
}

/* Stops a container (the watchdog drains on SIGTERM; SIGKILL after
 * grace_s), then removes it. */
static void remove_container(const char *id, int grace_s)
{
    if (is_gone(id))
        return;
    struct dk_gone *g = xcalloc(1, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", id);
    g->next = D.gone;
    D.gone = g;
    char path[128];
    snprintf(path, sizeof path, "/containers/%s/stop?t=%d", id, grace_s);
    g->call = dkr_request(D.e, "POST", path, NULL, NULL, (grace_s + 20) * 1000, 0, on_gone_step, g);
    if (!g->call)
        gone_free(g); /* the next listing tries again */
}

/* --- replicas ----------------------------------------------------------- */

static struct dk_replica *replica_add(struct dk_fn *f, unsigned instance, const char *spec)
{
    struct dk_replica *r = xcalloc(1, sizeof *r);
    r->f = f;
    r->instance = instance;
    r->serial = ++D.gw->replica_serial;
    snprintf(r->spec, sizeof r->spec, "%s", spec);
    f->r = xrealloc(f->r, (f->n + 1) * sizeof(struct dk_replica *));
    f->r[f->n++] = r;
    if (instance >= f->fn->next_id)
        f->fn->next_id = instance + 1;
    return r;
}

/* Out of rotation and forgotten; the container goes too when it exists. */
static void replica_drop(struct dk_replica *r, bool remove)
{
    struct dk_fn *f = r->f;
    for (unsigned i = 0; i < f->n; i++)
        if (f->r[i] == r) {
            f->r[i] = f->r[--f->n];
            break;
        }
    loop_timer_cancel(D.gw->lp, r->timer);
    hclient_cancel(r->probe);
    dkr_cancel(r->call);
    dk_logs_stop(r);
    if (remove && r->id[0])
        remove_container(r->id, dk_spec_stop_grace_s(f->fn->dep));
    free(r);
}

static void became_ready(struct dk_replica *r)
{
    log_info("replica", "replica ready function=%s.%s instance=%u container=%.12s port=%d",
             r->f->fn->name, r->f->fn->ns, r->instance, r->id, r->port);
    dk_kick(); /* an update may retire the old generation now */
    if (D.gw->on_replica_ready)
        D.gw->on_replica_ready(D.gw, r->f->fn);
}

static void on_probe(void *arg, const struct hclient_response *resp)
{
    struct dk_replica *r = arg;
    r->probe = NULL;
    bool was = r->ready;
    r->ready = r->running && !r->unhealthy && (resp->status == 200 || resp->status == 404);
    if (was && !r->ready)
        log_info("replica", "replica unready function=%s.%s instance=%u", r->f->fn->name,
                 r->f->fn->ns, r->instance);
    r->timer = loop_timer_add(D.gw->lp, r->ready ? D.gw->cfg.health_interval_ms : FIRST_PROBE_MS,
                              probe, r);
    if (r->ready && !was)
        became_ready(r); /* may hand calls out: r's state is final here */
}

static bool endpoint_url(const struct dk_replica *r, char *out, size_t len)
{
    if (r->port > 0)
        snprintf(out, len, "http://127.0.0.1:%d", r->port);
    else if (r->ip[0])
        snprintf(out, len, "http://%s:%d", r->ip, DK_FUNCTION_PORT);
    else
        return false;
    return true;
}

static void probe(struct loop *lp, void *arg)
{
    (void)lp;
    struct dk_replica *r = arg;
    r->timer = NULL;
    char base[128], url[160];
    if (!r->running || !endpoint_url(r, base, sizeof base)) {
        r->ready = false;
        r->timer = loop_timer_add(D.gw->lp, FIRST_PROBE_MS * 4, probe, r);
        return;
    }
    snprintf(url, sizeof url, "%s/_/health", base);
    struct hclient_request req = { .url = url, .timeout_ms = 2000, .max_response = 4096 };
    r->probe = hclient_start(D.gw->curl, &req, on_probe, r);
}

static void on_started(void *arg, const struct dkr_result *res)
{
    struct dk_replica *r = arg;
    r->call = NULL;
    r->starting = false;
    if (res->status != 204 && res->status != 304) {
        char msg[512];
        log_error("replica", "cannot start a container function=%s.%s image=%s: %s", r->f->fn->name,
                  r->f->fn->ns, gw_dep_str(r->f->fn->dep, "image"),
                  dkr_error_text(res, msg, sizeof msg));
        r->f->retry_at_ms = loop_now_ms() + CREATE_RETRY_MS;
        replica_drop(r, true);
        return;
    }
    /* A listing already under way was taken before it started: it must
     * not call it stopped or gone. */
    r->judged_from = D.lists_sent + 1;
    log_info("replica", "replica started function=%s.%s instance=%u container=%.12s",
             r->f->fn->name, r->f->fn->ns, r->instance, r->id);
    dk_logs_start(r, 0);
    dk_kick(); /* the listing tells its port */
}

static void on_created(void *arg, const struct dkr_result *res)
{
    struct dk_replica *r = arg;
    r->call = NULL;
    json_t *v = res->status == 201 ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    const char *id = json_string_value(json_object_get(v, "Id"));
    if (!id) {
        char msg[512];
        log_error("replica", "cannot create a container function=%s.%s image=%s: %s",
                  r->f->fn->name, r->f->fn->ns, gw_dep_str(r->f->fn->dep, "image"),
                  dkr_error_text(res, msg, sizeof msg));
        json_decref(v);
        r->f->retry_at_ms = loop_now_ms() + CREATE_RETRY_MS;
        replica_drop(r, false);
        return;
    }
    snprintf(r->id, sizeof r->id, "%s", id);
    json_decref(v);
    char path[128];
    snprintf(path, sizeof path, "/containers/%s/start", r->id);
    r->call = dkr_request(D.e, "POST", path, NULL, NULL, CALL_TIMEOUT_MS, 0, on_started, r);
    if (!r->call) {
        r->f->retry_at_ms = loop_now_ms() + CREATE_RETRY_MS;
        replica_drop(r, true);
    }
}

static void create_replica(struct dk_fn *f)
{
    struct gw_fn *fn = f->fn;
    struct dk_replica *r = replica_add(f, fn->next_id, f->spec);
    snprintf(r->image_id, sizeof r->image_id, "%s", f->image_id);
    r->starting = true;
    const json_t *secrets = json_object_get(fn->dep, "secrets");
    size_t nsec = json_array_size(secrets);
    char **paths = xcalloc(nsec + 1, sizeof *paths);
    for (size_t i = 0; i < nsec; i++)
        paths[i] = gw_secret_path(D.gw, json_string_value(json_array_get(secrets, i)), fn->ns);
    struct dk_spec_in in = {
        .dep = fn->dep,
        .name = fn->name,
        .ns = fn->ns,
        .instance = D.instance,
        .spec = f->spec,
        .replica = r->instance,
        .network = D.gw->cfg.docker_network,
        .publish = D.gw->cfg.docker_publish,
        .secret_paths = (const char *const *)paths,
    };
    json_t *body = dk_spec_container(&in);
    for (size_t i = 0; i < nsec; i++)
        free(paths[i]);
    free(paths);
    r->call = dkr_request(D.e, "POST", "/containers/create", body, NULL, CALL_TIMEOUT_MS, 0,
                          on_created, r);
    json_decref(body);
    if (!r->call) {
        log_error("replica", "cannot send a create to the engine function=%s.%s", fn->name, fn->ns);
        f->retry_at_ms = loop_now_ms() + CREATE_RETRY_MS;
        replica_drop(r, false);
    }
}

/* --- reconciliation ----------------------------------------------------- */

/* What makes a replica: the deployment, and the version of each secret
 * file it mounts (a secret is replaced by a rename, which a running
 * container's bind mount does not see). A new secret value is a new
 * spec, so the replicas roll onto it. */
static void compute_spec(struct gw_fn *fn, char out[17])
{
    json_t *what = json_pack("{s:O,s:[]}", "dep", fn->dep, "secrets");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(fn->dep, "secrets"), i, s) {
        char *path = gw_secret_path(D.gw, json_string_value(s), fn->ns);
        struct stat st;
        if (stat(path, &st) == 0)
            json_array_append_new(json_object_get(what, "secrets"),
                                  json_sprintf("%llu.%lld.%ld", (unsigned long long)st.st_ino,
                                               (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec));
        free(path);
    }
    dk_spec_hash(json_array_size(json_object_get(fn->dep, "secrets")) ? what : fn->dep, out);
    json_decref(what);
}

static struct dk_fn *dk_fn_of(struct gw_fn *fn)
{
    if (!fn->drv) {
        struct dk_fn *f = xcalloc(1, sizeof *f);
        f->fn = fn;
        compute_spec(fn, f->spec);
        fn->drv = f;
    }
    return fn->drv;
}

static struct dk_replica *find_replica(struct dk_fn *f, const char *id)
{
    for (unsigned i = 0; i < f->n; i++)
        if (strcmp(f->r[i]->id, id) == 0)
            return f->r[i];
    return NULL;
}

static const char *label(const json_t *c, const char *key)
{
    return json_string_value(json_object_get(json_object_get(c, "Labels"), key));
}

/* The listing's view of one container: port, address, state. */
static void observe(struct dk_replica *r, const json_t *c)
{
    const char *state = json_string_value(json_object_get(c, "State"));
    const char *image_id = json_string_value(json_object_get(c, "ImageID"));
    r->seen = true;
    r->running = state && strcmp(state, "running") == 0;
    if (image_id)
        snprintf(r->image_id, sizeof r->image_id, "%s", image_id);
    r->port = dkr_published_port(c, DK_FUNCTION_PORT);
    const char *net = D.gw->cfg.docker_network && *D.gw->cfg.docker_network
                          ? D.gw->cfg.docker_network
                          : "bridge";
    const char *ip = json_string_value(json_object_get(
        json_object_get(json_object_get(json_object_get(c, "NetworkSettings"), "Networks"), net),
        "IPAddress"));
    snprintf(r->ip, sizeof r->ip, "%s", ip ? ip : "");
    /* An image with its own HEALTHCHECK: the engine's verdict counts too. */
    const char *status = json_string_value(json_object_get(c, "Status"));
    r->unhealthy = status &&
                   (strstr(status, "(health: starting)") || strstr(status, "(unhealthy)"));
    if (!r->running || r->unhealthy)
        r->ready = false;
    if (r->running && !r->logs && r->logs_ended)
        dk_logs_start(r, r->logs_ended); /* the engine restarted it */
    if (r->running && !r->timer && !r->probe)
        r->timer = loop_timer_add(D.gw->lp, 0, probe, r);
}

/* A replica that died or vanished counts as a restart, as on the
 * process driver (gateway_replica_restarts_total). */
static void count_restart(struct gw_fn *fn)
{
    char label[256];
    snprintf(label, sizeof label, "%s.%s", fn->name, fn->ns);
    fn->restarts++;
    metric_add(D.gw->restarts, (const char *[]){ label }, 1);
}

/* A container the engine says is done: gone for good, so replaced. */
static bool finished(const json_t *c)
{
    const char *state = json_string_value(json_object_get(c, "State"));
    return state && (strcmp(state, "exited") == 0 || strcmp(state, "dead") == 0 ||
                     strcmp(state, "created") == 0);
}

static void take_container(const json_t *c)
{
    const char *id = json_string_value(json_object_get(c, "Id"));
    const char *name = label(c, DK_LABEL_FUNCTION), *ns = label(c, DK_LABEL_NAMESPACE);
    if (!id || is_gone(id))
        return;
    struct gw_fn *fn = name && ns ? gw_fn_find(D.gw, name, ns) : NULL;
    if (!fn) {
        log_info("docker", "removing container %.12s of a function that is gone (%s.%s)", id,
                 name ? name : "?", ns ? ns : "?");
        remove_container(id, DK_STOP_GRACE_MIN_S);
        return;
    }
    struct dk_fn *f = dk_fn_of(fn);
    struct dk_replica *r = find_replica(f, id);
    if (r && (r->starting || D.lists_sent < r->judged_from))
        return; /* ours, being started, or younger than this listing */
    if (finished(c)) {
        log_warn("replica", "container %.12s of function=%s.%s stopped: replacing it", id, fn->name,
                 fn->ns);
        count_restart(fn);
        if (r)
            replica_drop(r, true);
        else
            remove_container(id, DK_STOP_GRACE_MIN_S);
        return;
    }
    if (!r) {
        const char *inst = label(c, DK_LABEL_REPLICA), *spec = label(c, DK_LABEL_SPEC);
        int64_t n = 0;
        if (!inst || parse_int64(inst, &n) != 0 || n < 0 || n > 1000000)
            n = fn->next_id;
        r = replica_add(f, (unsigned)n, spec ? spec : "");
        snprintf(r->id, sizeof r->id, "%s", id);
        log_info("replica", "adopted container %.12s function=%s.%s instance=%u", id, fn->name,
                 fn->ns, r->instance);
        dk_logs_start(r, (int64_t)time(NULL));
    }
    observe(r, c);
}

/* Made from the function's deployment and, where both are known, from the
 * image the last deploy found under its name. */
static bool is_current(const struct dk_fn *f, const struct dk_replica *r)
{
    return strcmp(r->spec, f->spec) == 0 &&
           (!*f->image_id || !*r->image_id || strcmp(r->image_id, f->image_id) == 0);
}

static unsigned count(const struct dk_fn *f, bool current, bool ready)
{
    unsigned n = 0;
    for (unsigned i = 0; i < f->n; i++)
        if ((!current || is_current(f, f->r[i])) && (!ready || f->r[i]->ready))
            n++;
    return n;
}

/* Scale up or down to fn->desired, then retire what an update replaced. */
static void converge(struct dk_fn *f)
{
    unsigned want = f->fn->desired > 0 ? (unsigned)f->fn->desired : 0;
    while (count(f, true, false) < want && loop_now_ms() >= f->retry_at_ms)
        create_replica(f);
    while (count(f, true, false) > want) {
        struct dk_replica *newest = NULL;
        for (unsigned i = 0; i < f->n; i++)
            if (is_current(f, f->r[i]) && (!newest || f->r[i]->instance > newest->instance))
                newest = f->r[i];
        replica_drop(newest, true);
    }
    if (count(f, true, true) < want)
        return;
    for (unsigned i = f->n; i-- > 0;)
        if (!is_current(f, f->r[i]))
            replica_drop(f->r[i], true);
}

static void schedule(int64_t ms);

static void on_list(void *arg, const struct dkr_result *res)
{
    (void)arg;
    D.list = NULL;
    json_t *all = res->status == 200 ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    if (!json_is_array(all)) {
        char msg[256];
        if (D.up)
            log_error("docker", "cannot list containers: %s", dkr_error_text(res, msg, sizeof msg));
        D.up = false;
        json_decref(all);
        schedule(TICK_MS);
        return;
    }
    if (!D.up)
        log_info("docker", "engine reachable, API %s", dkr_engine_version(D.e));
    D.up = true;
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next)
        for (unsigned i = 0; i < dk_fn_of(fn)->n; i++)
            dk_fn_of(fn)->r[i]->seen = false;
    size_t i;
    json_t *c;
    json_array_foreach(all, i, c)
        take_container(c);
    json_decref(all);
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next) {
        struct dk_fn *f = dk_fn_of(fn);
        if (json_array_size(json_object_get(fn->dep, "secrets")))
            compute_spec(fn, f->spec); /* a secret may have changed */
        for (unsigned k = f->n; k-- > 0;) {
            struct dk_replica *r = f->r[k];
            if (r->seen || r->starting || D.lists_sent < r->judged_from)
                continue;
            log_warn("replica", "container %.12s of function=%s.%s is gone: replacing it", r->id,
                     fn->name, fn->ns);
            count_restart(fn);
            replica_drop(r, false);
        }
        converge(f);
    }
    schedule(D.again ? 0 : TICK_MS);
    D.again = false;
}

static void list_containers(void)
{
    D.lists_sent++;
    D.list = dkr_list(D.e, "/containers/json?all=1",
                      dkr_label_filter(DK_LABEL_INSTANCE, D.instance), on_list, NULL);
    if (!D.list)
        schedule(TICK_MS);
}

static void on_network(void *arg, const struct dkr_result *res)
{
    (void)arg;
    D.list = NULL;
    char msg[256];
    if (res->status == 201 || res->status == 409 ||
        (res->status == 500 && strstr(dkr_error_text(res, msg, sizeof msg), "already exists"))) {
        D.network_ready = true;
        list_containers();
        return;
    }
    log_error("docker", "cannot create network %s: %s", D.gw->cfg.docker_network,
              dkr_error_text(res, msg, sizeof msg));
    schedule(TICK_MS);
}

static void on_version(void *arg, const struct dkr_result *res)
{
    (void)arg;
    D.list = NULL;
    if (!dkr_engine_version(D.e)) {
        char msg[256];
        if (D.up || !D.tick) /* say it once */
            log_error("docker", "engine not answering at %s: %s", D.gw->cfg.docker_host,
                      dkr_error_text(res, msg, sizeof msg));
        D.up = false;
        schedule(TICK_MS);
        return;
    }
    if (!D.network_ready) {
        json_t *body = json_pack("{s:s,s:b}", "Name", D.gw->cfg.docker_network, "CheckDuplicate",
                                 1);
        D.list = dkr_request(D.e, "POST", "/networks/create", body, NULL, 10000, 0, on_network,
                             NULL);
        json_decref(body);
        if (!D.list)
            schedule(TICK_MS);
        return;
    }
    list_containers();
}

static void on_tick(struct loop *lp, void *arg)
{
    (void)lp;
    (void)arg;
    D.tick = NULL;
    if (dkr_engine_version(D.e) && D.network_ready) {
        list_containers();
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

void dk_kick(void)
{
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
 * own state never share containers. */
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
        log_error("docker", "%s", err);
        return;
    }
    D.network_ready = !gw->cfg.docker_network || !*gw->cfg.docker_network;
    D.up = true;
    name_instance(gw);
    log_info("docker", "docker driver: engine %s, instance %s", gw->cfg.docker_host, D.instance);
    schedule(0);
}

static void apply(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    dk_fn_of(fn);
    if (D.e)
        dk_kick();
}

static void update(struct gw *gw, struct gw_fn *fn)
{
    struct dk_fn *f = dk_fn_of(fn);
    compute_spec(fn, f->spec);
    snprintf(f->image_id, sizeof f->image_id, "%s", dk_image_id(gw_dep_str(fn->dep, "image")));
    f->retry_at_ms = 0;
    apply(gw, fn);
}

static void forget_fn(struct gw_fn *fn, bool remove)
{
    struct dk_fn *f = fn->drv;
    if (!f)
        return;
    while (f->n)
        replica_drop(f->r[f->n - 1], remove);
    free(f->r);
    free(f);
    fn->drv = NULL;
}

static void remove_fn(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    forget_fn(fn, true);
}

static unsigned available(const struct gw_fn *fn)
{
    return fn->drv ? count(fn->drv, false, true) : 0;
}

static bool pick(struct gw *gw, struct gw_fn *fn, struct gw_endpoint *ep)
{
    (void)gw;
    struct dk_fn *f = fn->drv;
    struct dk_replica *best = NULL;
    unsigned at = 0;
    for (unsigned k = 0; f && k < f->n; k++) {
        unsigned i = (fn->pick_from + k) % f->n;
        struct dk_replica *r = f->r[i];
        if (!r->ready)
            continue;
        /* An update's new replicas take every call they can. */
        bool cur = is_current(f, r);
        bool best_cur = best && is_current(f, best);
        if (!best || (cur && !best_cur) || (cur == best_cur && r->inflight < best->inflight)) {
            best = r;
            at = i;
        }
    }
    if (!best || !endpoint_url(best, ep->base_url, sizeof ep->base_url))
        return false;
    fn->pick_from = at + 1;
    best->inflight++;
    ep->id = best->instance;
    ep->serial = best->serial;
    snprintf(ep->instance, sizeof ep->instance, "%u", best->instance);
    return true;
}

static void release_call(struct gw *gw, const char *name, const char *ns, uint64_t serial)
{
    struct gw_fn *fn = gw_fn_find(gw, name, ns);
    struct dk_fn *f = fn ? fn->drv : NULL;
    for (unsigned i = 0; f && i < f->n; i++)
        if (f->r[i]->serial == serial && f->r[i]->inflight)
            f->r[i]->inflight--;
}

/* Containers keep running for the next gateway to adopt; removals under
 * way are abandoned (the next gateway finds them by label). */
static void shutdown_all(struct gw *gw)
{
    dk_image_cancel_all();
    for (struct gw_fn *fn = gw->fns; fn; fn = fn->next)
        forget_fn(fn, false);
    while (D.gone) {
        dkr_cancel(D.gone->call);
        gone_free(D.gone);
    }
    dkr_cancel(D.list);
    D.list = NULL;
    loop_timer_cancel(gw->lp, D.tick);
    D.tick = NULL;
    dkr_engine_free(D.e);
    D.e = NULL;
}

const struct gw_driver gw_docker_driver = {
    .name = "docker",
    .start = start,
    .apply = apply,
    .update = update,
    .remove = remove_fn,
    .available = available,
    .pick = pick,
    .release = release_call,
    .shutdown = shutdown_all,
    .prepare = dk_image_prepare,
    .command_optional = true,
};
