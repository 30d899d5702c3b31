/* main.c -- faasbus-queue-worker: runs the async calls that the gateway
 * stored in NATS JetStream (see qw.h for how the parts fit). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "curlloop.h"
#include "httpd.h"
#include "jsq.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "offload.h"
#include "qw.h"
#include "secretfile.h"
#include "signals.h"
#include "xalloc.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: faasbus-queue-worker [-c FILE] [--print-config] [--version] [--help]\n\n"
                 "Runs the async calls (/async-function/<name>) that faasbus-gateway stored in\n"
                 "NATS JetStream: calls each function through the gateway, retries with backoff,\n"
                 "posts the result to X-Callback-Url, and dead-letters what cannot be completed.\n"
                 "Any number of workers share the queue. Settings come from the environment,\n"
                 "else from FILE, else the defaults below.\n\n"
                 "Settings (file key / environment variable, default):\n");
    qw_config_help(out);
}

static int load_auth(struct qw *w, char *err, size_t errlen)
{
    if (!w->cfg.basic_auth)
        return 0;
    char *user = secretfile_read(w->cfg.secret_mount_path, "basic-auth-user");
    char *password = secretfile_read(w->cfg.secret_mount_path, "basic-auth-password");
    if (user && password)
        w->auth = xasprintf("%s:%s", user, password);
    else
        snprintf(err, errlen,
                 "basic_auth: cannot read basic-auth-user and basic-auth-password "
                 "in %s",
                 w->cfg.secret_mount_path);
    free(user);
    free(password);
    return w->auth ? 0 : -1;
}

static void stop_now(struct loop *lp, void *arg)
{
    struct qw *w = arg;
    w->drain_timer = NULL;
    qw_jobs_abandon(w);
    loop_stop(lp);
}

/* Ends the drain as soon as nothing runs; dead letters being stored
 * finish in cleanup. */
static int64_t check_drained(struct loop *lp, void *arg)
{
    struct qw *w = arg;
    if (w->draining && w->njobs == 0 && w->drain_timer) {
        loop_timer_cancel(lp, w->drain_timer);
        w->drain_timer = NULL;
        loop_stop(lp);
    }
    return -1;
}

static void on_signal(struct loop *lp, int signo, void *arg)
{
    struct qw *w = arg;
    if (w->draining) {
        log_warn("main", "signal %d again: stopping now", signo);
        stop_now(lp, w);
        return;
    }
    w->draining = true;
    log_info("main", "signal %d: no new calls; finishing %u in progress (up to %lld ms)", signo,
             w->njobs, (long long)w->cfg.drain_timeout_ms);
    qw_fetch_stop(w);
    w->drain_timer = loop_timer_add(lp, w->cfg.drain_timeout_ms, stop_now, w);
    loop_add_prepare(lp, check_drained, w);
}

static int start(struct qw *w, char *err, size_t errlen)
{
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->room, NULL);
    w->pending = -1;
    if (load_auth(w, err, errlen) < 0)
        return 2;
    if (qw_dest_init(&w->dest, w->cfg.callback_allow, w->cfg.callback_schemes, w->cfg.gateway_url,
                     err, errlen) < 0)
        return 2;
    w->lp = loop_new();
    /* Before any thread exists: threads inherit the blocked signals, so
     * SIGTERM reaches the loop and nobody else. */
    if (signals_watch(w->lp, on_signal, w) < 0)
        return 1;
    w->curl = curlloop_new(w->lp);
    w->ol = offload_new(w->lp, 2);
    if (!w->ol || qw_api_start(w, err, errlen) < 0)
        return 1;
    if (jsq_open(&w->js, w->cfg.nats_url, &w->cfg.nats_auth, "faasbus-queue-worker", err, errlen) <
        0)
        return 2;
    if (qw_fetch_start(w) < 0) {
        snprintf(err, errlen, "cannot start the fetch thread");
        return 1;
    }
    log_info("main",
             "faasbus-queue-worker %s: port %d, gateway %s, queue %s/%s, "
             "max_inflight %lld",
             FAASBUS_VERSION, httpd_port(w->http), w->cfg.gateway_url, w->cfg.nats_stream,
             w->cfg.nats_durable, (long long)w->cfg.max_inflight);
    return 0;
}

static void cleanup(struct qw *w)
{
    w->draining = true; /* calls fetched from now on go straight back */
    qw_fetch_stop(w);
    qw_fetch_join(w);
    offload_free(w->ol); /* dead letters in flight end; late arrivals go back */
    qw_jobs_abandon(w);
    qw_fetch_close(w);
    httpd_stop(w->http);
    curlloop_free(w->curl);
    jsq_close(&w->js);
    metrics_free(w->metrics);
    loop_free(w->lp);
    free(w->auth);
    qw_dest_free(&w->dest);
    pthread_cond_destroy(&w->room);
    pthread_mutex_destroy(&w->mu);
    qw_config_free(&w->cfg);
}

int main(int argc, char **argv)
{
    struct cli args;
    int done = cli_parse(argc, argv, "faasbus-queue-worker", usage, &args);
    if (done >= 0)
        return done;
    static struct qw w;
    char err[512];
    log_init("queue-worker", LOGL_INFO);
    if (qw_config_load(&w.cfg, args.file, err, sizeof err) < 0) {
        fprintf(stderr, "faasbus-queue-worker: %s\n", err);
        qw_config_free(&w.cfg);
        return 2;
    }
    if (args.print_config) {
        qw_config_print(&w.cfg, stdout);
        qw_config_free(&w.cfg);
        return 0;
    }
    enum log_level level;
    if (log_level_parse(w.cfg.log_level, &level) == 0)
        log_threshold = level;
    jsq_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = start(&w, err, sizeof err);
    if (rc)
        log_error("main", "%s", err);
    else
        loop_run(w.lp);
    cleanup(&w);
    curl_global_cleanup();
    jsq_shutdown();
    if (!rc)
        log_info("main", "stopped");
    return rc;
}
