/* serve.c -- the watchdog's life: its servers, its mode, the loop, and
 * the drain on SIGTERM.
 *
 * DESIGN: one thread runs one event loop (lib/loop.h). HTTP connections
 * (lib/httpd), the reverse proxy's upstream sockets (http mode), the function processes'
 * pipes and pidfds, and signals (a signalfd) are all its events, so no
 * request ties up a thread and no state needs a lock (processes start on
 * a spawner thread: spawner.h). On SIGTERM the lock file goes and health
 * turns 503 at once; after healthcheck_interval the listener closes,
 * requests in flight finish, and we exit 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "httpd.h"
#include "listenfd.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "proc.h"
#include "signals.h"
#include "spawner.h"
#include "wd.h"

extern char **environ;

static void setup_metrics(struct wd *wd)
{
    wd->metrics = metrics_new();
    wd->requests_total = metrics_counter(wd->metrics, "http_requests_total",
                                         "Requests served, by status code and method.",
                                         "code,method");
    wd->request_seconds = metrics_histogram(wd->metrics, "http_request_duration_seconds",
                                            "Time to serve a request, in seconds.", "code,method",
                                            metrics_default_buckets, metrics_default_nbuckets);
    wd->in_flight = metrics_gauge(wd->metrics, "http_requests_in_flight",
                                  "Requests being served now.", NULL);
}

static void on_metrics(struct httpd_req *req, void *arg)
{
    struct wd *wd = arg;
    size_t len;
    char *text = metrics_render(wd->metrics, &len);
    httpd_add_header(req, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    httpd_respond(req, 200, text, len);
    free(text);
}

static int start_servers(struct wd *wd, char *err, size_t errlen)
{
    /* Inactivity timeouts: a client that stops sending its request for
     * read_timeout, or stops reading its response for write_timeout, is
     * dropped. A function taking its time is bounded by exec_timeout. */
    int64_t idle = wd->cfg.read_timeout_ms;
    int second; /* the gateway's process driver hands a Unix socket beside the port */
    struct httpd_opts o = {
        .name = "http",
        .addr = wd->cfg.bind_address,
        .port = (int)wd->cfg.port,
        .listen_fd = listenfd_take_pair(&second),
        .max_body = (size_t)wd->cfg.max_body_size,
        .max_conns = (unsigned)wd->cfg.max_connections,
        .idle_timeout_ms = idle,
        .write_timeout_ms = wd->cfg.write_timeout_ms,
    };
    wd->http = httpd_start(wd->lp, &o, err, errlen);
    if (!wd->http) {
        if (second >= 0)
            close(second);
        return -1;
    }
    if (second >= 0 && httpd_serve_fd(wd->http, second, err, errlen) < 0) {
        close(second);
        return -1;
    }
    wd_health_routes(wd, wd->http);
    if (wd->cfg.metrics_port == 0 || wd->cfg.metrics_port == wd->cfg.port) {
        httpd_route(wd->http, "/metrics", HTTPD_BODY_BUFFER, on_metrics, wd);
        return 0;
    }
    struct httpd_opts m = { .name = "metrics",
                            .addr = wd->cfg.bind_address,
                            .port = (int)wd->cfg.metrics_port,
                            .listen_fd = -1,
                            .max_body = 4096,
                            .idle_timeout_ms = idle };
    wd->metrics_http = httpd_start(wd->lp, &m, err, errlen);
    if (!wd->metrics_http)
        return -1;
    httpd_route(wd->metrics_http, "/metrics", HTTPD_BODY_BUFFER, on_metrics, wd);
    return 0;
}

static int start_mode(struct wd *wd, char *err, size_t errlen)
{
    switch (wd->cfg.mode) {
    case WD_HTTP:
        return wd_http_init(wd, err, errlen);
    case WD_STATIC:
        return wd_static_init(wd, err, errlen);
    default:
        return wd_fork_init(wd, err, errlen);
    }
}

/* --- shutdown ----------------------------------------------------------- */

static int64_t drain_deadline_ms;

static void check_drained(struct loop *lp, void *arg)
{
    struct wd *wd = arg;
    if (wd->inflight == 0 || loop_now_ms() >= drain_deadline_ms) {
        if (wd->inflight)
            log_warn("http", "drain deadline passed with %u requests in flight", wd->inflight);
        log_info("http", "exiting");
        loop_stop(lp);
        return;
    }
    loop_timer_add(lp, 20, check_drained, wd);
}

static void start_drain(struct loop *lp, void *arg)
{
    struct wd *wd = arg;
    log_info("http", "no new connections; draining requests in flight inflight=%u", wd->inflight);
    httpd_quiesce(wd->http);
    int64_t longest = wd->cfg.exec_timeout_ms > wd->cfg.write_timeout_ms ? wd->cfg.exec_timeout_ms
                                                                         : wd->cfg.write_timeout_ms;
    drain_deadline_ms = loop_now_ms() + longest + 1000;
    check_drained(lp, wd);
}

static void on_signal(struct loop *lp, int signo, void *arg)
{
    struct wd *wd = arg;
    if (wd->draining)
        return;
    wd->draining = true;
    wd_lock_remove();
    log_info("http",
             "%s received, shutting down in %lldms (healthcheck_interval); "
             "health now reports unhealthy",
             signo == SIGINT ? "SIGINT" : "SIGTERM", (long long)wd->cfg.healthcheck_interval_ms);
    loop_timer_add(lp, wd->cfg.healthcheck_interval_ms, start_drain, wd);
}

static void sweep(struct loop *lp, void *arg)
{
    wd_reap_sweep(arg);
    loop_timer_add(lp, 500, sweep, arg);
}

int wd_serve(struct wd *wd)
{
    char err[512];
    wd->lp = loop_new();
    wd->base_env = environ;
    setup_metrics(wd);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* A port or lock file we cannot have is trouble on this host (exit 1);
     * a mode that cannot start is a bad setting (2, as for any other). */
    if (signals_watch(wd->lp, on_signal, wd) < 0 || start_servers(wd, err, sizeof err) < 0) {
        log_error("main", "%s", err);
        return 1;
    }
    if (start_mode(wd, err, sizeof err) < 0) {
        log_error("main", "%s", err);
        return 2;
    }
    if (!wd->cfg.suppress_lock && wd_lock_write(err, sizeof err) < 0) {
        log_error("main", "%s", err);
        return 1;
    }
    if (!wd->cfg.suppress_lock) {
        char path[4096];
        log_info("main", "Writing lock-file to: %s", wd_lock_path(path, sizeof path));
    }
    log_info("main", "Listening on port: %d mode=%s metrics_port=%lld", httpd_port(wd->http),
             wd->cfg.mode_name, (long long)(wd->metrics_http ? wd->cfg.metrics_port : 0));
    loop_timer_add(wd->lp, 500, sweep, wd);
    loop_run(wd->lp);
    return 0;
}

void wd_shutdown(struct wd *wd)
{
    /* Connections end first: their done callbacks still use the proxy. */
    httpd_stop(wd->http);
    httpd_stop(wd->metrics_http);
    wd_http_cleanup(wd);
    spawner_free(wd->spawner);
    proc_argv_free(wd->argv);
    free(wd->program);
    metrics_free(wd->metrics);
    loop_free(wd->lp);
    free(wd->dead_groups);
    wd_config_free(&wd->cfg);
}
