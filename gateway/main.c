/* main.c -- faasbus-gateway: the OpenFaaS REST API, function invocation,
 * and the orchestrator driver (process or docker) that runs each
 * function's replicas.
 *
 * DESIGN: one thread runs one event loop (lib/loop.h). The HTTP server
 * (lib/httpd), every upstream call (lib/proxy's own sockets for
 * invocations, lib/hprobe for health checks, libcurl multi for engine
 * APIs and callbacks, loaded on first use), the replicas'
 * exits (pidfds) and output pipes, and signals are all events on it, so
 * no call ties up a thread and the registry of functions needs no lock.
 * SIGTERM stops accepting, stops every replica, and exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "autoscale.h"
#include "cli.h"
#include "curlloop.h"
#include "driver.h"
#include "functions.h"
#include "gw.h"
#include "httpd.h"
#include "idletrim.h"
#include "invoke.h"
#include "jsq.h"
#include "listenfd.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "proxy.h"
#include "queue.h"
#include "secretfile.h"
#include "signals.h"
#include "store.h"
#include "xalloc.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: faasbus-gateway [-c FILE] [--print-config] [--version] [--help]\n\n"
                 "Serves the OpenFaaS REST API (/system/...) and invokes functions\n"
                 "(/function/<name>), running each function's replicas as faasbus-watchdog\n"
                 "processes on this host (driver=process), as containers on a Docker\n"
                 "engine (driver=docker), as Swarm services (driver=swarm) or as Kubernetes\n"
                 "Deployments (driver=kubernetes). Settings come from the environment (OpenFaaS's\n"
                 "names), else from FILE, else the defaults below.\n\n"
                 "Settings (file key / environment variable, default):\n");
    gw_config_help(out);
}

static void setup_metrics(struct gw *gw)
{
    struct metrics *m = metrics_new();
    gw->metrics = m;
    gw->invocations = metrics_counter(m, "gateway_function_invocation_total",
                                      "Function calls, by function and status code.",
                                      "function_name,code");
    gw->seconds = metrics_histogram(
        m, "gateway_functions_seconds", "Time to answer a function call, in seconds.",
        "function_name,code", metrics_default_buckets, metrics_default_nbuckets);
    gw->started = metrics_counter(m, "gateway_function_invocation_started",
                                  "Function calls forwarded to a replica.", "function_name");
    gw->inflight = metrics_gauge(m, "gateway_function_invocation_inflight",
                                 "Function calls in flight.", "function_name");
    gw->service_count = metrics_gauge(m, "gateway_service_count", "Functions deployed.", NULL);
    gw->restarts = metrics_counter(m, "gateway_replica_restarts_total",
                                   "Replicas restarted after they died.", "function_name");
}

/* Credentials from the config, else from the OpenFaaS secret files. */
static int load_auth(struct gw *gw, char *err, size_t errlen)
{
    if (!gw->cfg.basic_auth)
        return 0;
    gw->auth_user = gw->cfg.auth_user
                        ? xstrdup(gw->cfg.auth_user)
                        : secretfile_read(gw->cfg.secret_mount_path, "basic-auth-user");
    gw->auth_password = gw->cfg.auth_password
                            ? xstrdup(gw->cfg.auth_password)
                            : secretfile_read(gw->cfg.secret_mount_path, "basic-auth-password");
    if (gw->auth_user && *gw->auth_user && gw->auth_password && *gw->auth_password)
        return 0;
    snprintf(err, errlen,
             "basic_auth: no credentials: set auth_user and auth_password, or "
             "put basic-auth-user and basic-auth-password in %s",
             gw->cfg.secret_mount_path);
    return -1;
}

static void on_signal(struct loop *lp, int signo, void *arg)
{
    struct gw *gw = arg;
    if (gw->stopping)
        return;
    gw->stopping = true;
    log_info("main", "signal %d received: stopping replicas and exiting", signo);
    httpd_quiesce(gw->http);
    loop_stop(lp);
}

/* After a burst, glibc keeps the freed heap (2,000 calls in flight left
 * ~170 MB resident that malloc_trim gives back down to ~18 MB): once no
 * request is in flight, hand it back to the system. */
static struct idletrim heap_trim;

static bool idle(void *arg, uint64_t *work)
{
    struct gw *gw = arg;

    *work = httpd_served(gw->http);
    return httpd_active(gw->http) == 0;
}

static int start(struct gw *gw, char *err, size_t errlen)
{
    gw->driver = strcmp(gw->cfg.driver, "docker") == 0       ? &gw_docker_driver
                 : strcmp(gw->cfg.driver, "swarm") == 0      ? &gw_swarm_driver
                 : strcmp(gw->cfg.driver, "kubernetes") == 0 ? &gw_kubernetes_driver
                                                             : &gw_process_driver;
    if (load_auth(gw, err, errlen) < 0 || gw_store_load(gw, err, errlen) < 0)
        return 2;
    if (gw->driver->check && gw->driver->check(gw, err, errlen) < 0)
        return 2;
    gw->lp = loop_new();
    gw->curl = curlloop_new(gw->lp);
    gw->proxy = proxy_new(gw->lp);
    setup_metrics(gw);
    struct httpd_opts o = {
        .name = "http",
        .addr = gw->cfg.bind_address,
        .port = (int)gw->cfg.port,
        .listen_fd = listenfd_take(),
        .max_body = (size_t)gw->cfg.max_body_size,
        .max_body_total = (size_t)gw->cfg.max_body_total,
        .max_conns = (unsigned)gw->cfg.max_connections,
        .idle_timeout_ms = gw->cfg.read_timeout_ms,
        .write_timeout_ms = gw->cfg.write_timeout_ms,
    };
    if (signals_watch(gw->lp, on_signal, gw) < 0 ||
        !(gw->http = httpd_start(gw->lp, &o, err, errlen)))
        return 1;
    if (*gw->cfg.unix_socket && httpd_listen_unix(gw->http, gw->cfg.unix_socket, err, errlen) < 0)
        return 1;
    if (gw_queue_start(gw, err, errlen) < 0)
        return 2;
    gw_api_routes(gw, gw->http);
    gw_invoke_init(gw);
    gw->driver->start(gw);
    for (struct gw_fn *fn = gw->fns; fn; fn = fn->next)
        gw->driver->apply(gw, fn);
    gw_autoscale_start(gw);
    idletrim_start(&heap_trim, gw->lp, 2000, idle, gw);
    log_info("main", "faasbus-gateway %s listening on port %d%s%s provider=%s state_dir=%s",
             FAASBUS_VERSION, httpd_port(gw->http), *gw->cfg.unix_socket ? " and unix socket " : "",
             gw->cfg.unix_socket, gw->driver->name, gw->cfg.state_dir);
    return 0;
}

static void cleanup(struct gw *gw)
{
    idletrim_stop(&heap_trim);
    if (gw->lp)
        gw->driver->shutdown(gw);
    /* Connections end first: their done callbacks still look functions up. */
    httpd_stop(gw->http);
    gw->http = NULL;
    gw_queue_stop(gw); /* stores still in flight finish: their clients left */
    while (gw->fns) {
        struct gw_fn *fn = gw->fns;
        gw->fns = fn->next;
        gw_fn_free(gw, fn);
    }
    proxy_free(gw->proxy);
    curlloop_free(gw->curl);
    metrics_free(gw->metrics);
    loop_free(gw->lp);
    free(gw->auth_user);
    free(gw->auth_password);
    gw_config_free(&gw->cfg);
}

int main(int argc, char **argv)
{
    struct cli args;
    int done = cli_parse(argc, argv, "faasbus-gateway", usage, &args);
    if (done >= 0)
        return done;
    static struct gw gw;
    char err[512];
    log_init("gateway", LOGL_INFO);
    if (gw_config_load(&gw.cfg, args.file, argv[0], err, sizeof err) < 0) {
        fprintf(stderr, "faasbus-gateway: %s\n", err);
        gw_config_free(&gw.cfg);
        return 2;
    }
    if (args.print_config) {
        gw_config_print(&gw.cfg, stdout);
        gw_config_free(&gw.cfg);
        return 0;
    }
    enum log_level level;
    if (log_level_parse(gw.cfg.log_level, &level) == 0)
        log_threshold = level;
    jsq_init(); /* libcurl is loaded, and initialised, on first use */
    int rc = start(&gw, err, sizeof err);
    if (rc)
        log_error("main", "%s", err);
    else
        loop_run(gw.lp);
    cleanup(&gw);
    curl_global_cleanup();
    jsq_shutdown();
    return rc;
}
