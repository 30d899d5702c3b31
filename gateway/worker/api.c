/* api.c -- the worker's own HTTP endpoints: /healthz and /metrics. */
#include <stdio.h>
#include <stdlib.h>

#include "httpd.h"
#include "listenfd.h"
#include "metrics.h"
#include "qw.h"

static void on_healthz(struct httpd_req *req, void *arg)
{
    struct qw *w = arg;
    pthread_mutex_lock(&w->mu);
    bool subscribed = w->subscribed;
    pthread_mutex_unlock(&w->mu);
    char why[512];
    if (!jsq_connected(&w->js))
        httpd_respondf(req, 503, "%s\n", jsq_why(&w->js, why, sizeof why));
    else if (!subscribed)
        httpd_respondf(req, 503, "not pulling from %s yet\n", w->cfg.nats_stream);
    else
        httpd_respond(req, 200, "OK", 2);
}

static void on_metrics(struct httpd_req *req, void *arg)
{
    struct qw *w = arg;
    pthread_mutex_lock(&w->mu);
    int64_t pending = w->pending;
    pthread_mutex_unlock(&w->mu);
    metric_set(w->m_pending, NULL, (double)pending);
    size_t len;
    char *text = metrics_render(w->metrics, &len);
    httpd_add_header(req, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    httpd_respond(req, 200, text, len);
    free(text);
}

static void on_unknown(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respondf(req, 404, "not found: %s\n", httpd_req_path(req));
}

static void setup_metrics(struct qw *w)
{
    struct metrics *m = w->metrics = metrics_new();
    w->m_pending = metrics_gauge(m, "queue_pending",
                                 "Calls stored and not yet delivered to any worker (-1: unknown).",
                                 NULL);
    w->m_inflight = metrics_gauge(m, "queue_inflight", "Calls this worker is running.", NULL);
    w->m_processed = metrics_counter(
        m, "queue_processed_total",
        "Function calls made, by function, status (0: no answer) and outcome "
        "(done, retry, failed).",
        "function_name,code,outcome");
    w->m_retries = metrics_counter(m, "queue_retries_total",
                                   "Calls handed back to the queue to be tried again.",
                                   "function_name");
    w->m_dead = metrics_counter(m, "queue_dead_letters_total",
                                "Calls stored on the dead-letter subject.", "function_name");
    w->m_callbacks = metrics_counter(
        m, "queue_callbacks_total",
        "Callback deliveries, by result (delivered, failed, refused by the destination policy).",
        "result");
    w->m_seconds = metrics_histogram(m, "queue_function_seconds",
                                     "Time a function call took, in seconds.", "function_name",
                                     metrics_default_buckets, metrics_default_nbuckets);
}

int qw_api_start(struct qw *w, char *err, size_t errlen)
{
    setup_metrics(w);
    struct httpd_opts o = {
        .name = "http",
        .addr = w->cfg.bind_address,
        .port = (int)w->cfg.port,
        .listen_fd = listenfd_take(),
        .max_body = 4096,
        .idle_timeout_ms = 10000,
    };
    w->http = httpd_start(w->lp, &o, err, errlen);
    if (!w->http)
        return -1;
    httpd_route(w->http, "/healthz", HTTPD_BODY_BUFFER, on_healthz, w);
    httpd_route(w->http, "/metrics", HTTPD_BODY_BUFFER, on_metrics, w);
    httpd_route(w->http, "*", HTTPD_BODY_BUFFER, on_unknown, w);
    return 0;
}
