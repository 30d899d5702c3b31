/* main.c -- faasbus-watchdog: the per-replica HTTP front of a function.
 *
 * DESIGN: one thread runs one event loop (lib/loop.h). libmicrohttpd
 * (external epoll), libcurl multi (http mode), the function processes'
 * pipes and pidfds, and signals (a signalfd) are all its events, so no
 * request ties up a thread and no state needs a lock. On SIGTERM the lock
 * file goes and health turns 503 at once; after healthcheck_interval the
 * listener closes, requests in flight finish, and we exit 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#ifndef FAASBUS_VERSION
#define FAASBUS_VERSION "0.1.0"
#endif

extern char **environ;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: faasbus-watchdog [-c FILE] [--print-config] [-run-healthcheck]\n"
            "                        [--version] [--help]\n\n"
            "Runs a function behind HTTP, as OpenFaaS's watchdogs do: a process per\n"
            "request (mode classic, serializing, streaming), a long-running HTTP server\n"
            "it proxies to (mode http), or files (mode static). Settings come from the\n"
            "environment (OpenFaaS's names), else from FILE, else the defaults below.\n\n"
            "Options:\n"
            "  -c FILE            read settings from a libconfig file\n"
            "  --print-config     print the effective settings and exit\n"
            "  -run-healthcheck   exit 0 if the lock file exists, else 1\n"
            "  --version          print the version and exit\n"
            "  --help             print this help and exit\n\n"
            "Settings (file key / environment variable, default):\n");
    wd_config_help(out);
    fprintf(out, "\nEndpoints: /_/health, /_/ready, /metrics (on metrics_port); every other\n"
                 "path invokes the function.\n");
}

static void setup_metrics(struct wd *wd)
{
    wd->metrics = metrics_new();
    wd->requests_total = metrics_counter(wd->metrics, "http_requests_total",
                                         "Requests served, by status code and method.",
                                         "code,method");
    wd->request_seconds = metrics_histogram(
        wd->metrics, "http_request_duration_seconds", "Time to serve a request, in seconds.",
        "code,method", metrics_default_buckets, metrics_default_nbuckets);
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
    struct httpd_opts o = {
        .name = "http",
        .port = (int)wd->cfg.port,
        .listen_fd = listenfd_take(),
        .max_body = (size_t)wd->cfg.max_body_size,
        .idle_timeout_ms = idle,
        .write_timeout_ms = wd->cfg.write_timeout_ms,
    };
    wd->http = httpd_start(wd->lp, &o, err, errlen);
    if (!wd->http)
        return -1;
    wd_health_routes(wd, wd->http);
    if (wd->cfg.metrics_port == 0 || wd->cfg.metrics_port == wd->cfg.port) {
        httpd_route(wd->http, "/metrics", HTTPD_BODY_BUFFER, on_metrics, wd);
        return 0;
    }
    struct httpd_opts m = { .name = "metrics", .port = (int)wd->cfg.metrics_port,
                            .listen_fd = -1, .max_body = 4096, .idle_timeout_ms = idle };
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
    log_info("http", "no new connections; draining requests in flight inflight=%u",
             wd->inflight);
    httpd_quiesce(wd->http);
    int64_t longest = wd->cfg.exec_timeout_ms > wd->cfg.write_timeout_ms
                          ? wd->cfg.exec_timeout_ms : wd->cfg.write_timeout_ms;
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
    log_info("http", "%s received, shutting down in %lldms (healthcheck_interval); "
                     "health now reports unhealthy", signo == SIGINT ? "SIGINT" : "SIGTERM",
             (long long)wd->cfg.healthcheck_interval_ms);
    loop_timer_add(lp, wd->cfg.healthcheck_interval_ms, start_drain, wd);
}

static void sweep(struct loop *lp, void *arg)
{
    wd_reap_sweep(arg);
    loop_timer_add(lp, 500, sweep, arg);
}

/* --- main --------------------------------------------------------------- */

struct args {
    const char *file;
    bool print_config, healthcheck;
};

/* Returns -1 to exit 0 (--help, --version), 1 on a usage error, else 0. */
static int parse_args(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-c") == 0 && i + 1 < argc) {
            a->file = argv[++i];
        } else if (strcmp(s, "--print-config") == 0) {
            a->print_config = true;
        } else if (strcmp(s, "-run-healthcheck") == 0 || strcmp(s, "--run-healthcheck") == 0) {
            a->healthcheck = true;
        } else if (strcmp(s, "--version") == 0 || strcmp(s, "-version") == 0) {
            printf("faasbus-watchdog %s\n", FAASBUS_VERSION);
            return -1;
        } else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            usage(stdout);
            return -1;
        } else {
            fprintf(stderr, "faasbus-watchdog: unknown argument %s (try --help)\n", s);
            return 1;
        }
    }
    return 0;
}

static int run(struct wd *wd)
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

static void cleanup(struct wd *wd)
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

int main(int argc, char **argv)
{
    struct args a = { 0 };
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : 2;
    static struct wd wd;
    char err[512];
    log_init("watchdog", LOGL_INFO);
    if (wd_config_load(&wd.cfg, a.file, err, sizeof err) < 0) {
        if (a.healthcheck) /* a probe needs no valid config */
            goto healthcheck;
        fprintf(stderr, "faasbus-watchdog: %s\n", err);
        wd_config_free(&wd.cfg);
        return 2;
    }
    if (a.print_config) {
        wd_config_print(&wd.cfg, stdout);
        wd_config_free(&wd.cfg);
        return 0;
    }
    if (a.healthcheck) {
    healthcheck:;
        char path[4096];
        wd_config_free(&wd.cfg);
        return access(wd_lock_path(path, sizeof path), F_OK) == 0 ? 0 : 1;
    }
    enum log_level level;
    if (log_level_parse(wd.cfg.log_level, &level) == 0)
        log_threshold = level;
    rc = run(&wd);
    cleanup(&wd);
    return rc;
}
