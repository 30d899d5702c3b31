/* httpmode.c -- of-watchdog's http mode: fprocess is started once, kept
 * running, and requests are reverse-proxied to it on upstream_url.
 *
 * DESIGN: the upstream is supervised from the loop. Its exit (seen on a
 * pidfd) marks the replica unhealthy and schedules a restart with
 * exponential backoff; it counts as ready again only once a TCP connect to
 * its port succeeds. OpenFaaS's watchdog exits instead, which takes every
 * request in flight down with it. */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitwatch.h"
#include "httpd.h"
#include "linelog.h"
#include "log.h"
#include "loop.h"
#include "parse.h"
#include "proc.h"
#include "proxy.h"
#include "uppool.h"
#include "wd.h"
#include "xalloc.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define PROBE_MS 100
#define STABLE_MS 10000 /* up this long: the next crash starts backoff anew */

struct wd_upstream {
    struct wd *wd;
    struct proc proc;
    struct proc_exitwatch exitw;
    bool running, ready, stopping;
    int64_t backoff_ms, started_ms;
    struct loop_timer *timer;
    struct linelog out, err;
    char host[256], port[16];
    int probe_fd;
    unsigned restarts;
};

bool wd_upstream_ready(const struct wd_upstream *up)
{
    return up && up->ready;
}

static void start_upstream(struct loop *lp, void *arg);
static void probe(struct loop *lp, void *arg);

static void on_output(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)events;
    struct wd_upstream *up = arg;
    struct linelog *ll = fd == up->proc.out_fd ? &up->out : &up->err;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EAGAIN)
        return;
    if (n > 0) {
        linelog_feed(ll, chunk, (size_t)n);
        return;
    }
    linelog_flush(ll);
    loop_unwatch(lp, fd);
}

static void close_process(struct wd_upstream *up)
{
    const int fds[] = { up->proc.out_fd, up->proc.err_fd };
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        loop_unwatch(up->wd->lp, fds[i]);
    proc_exitwatch_stop(&up->exitw);
    proc_close(&up->proc);
}

static void on_exit_seen(void *arg)
{
    struct wd_upstream *up = arg;
    struct loop *lp = up->wd->lp;
    int status;
    if (!proc_reap(&up->proc, &status))
        return;
    proc_exitwatch_stop(&up->exitw);
    proc_signal(&up->proc, SIGKILL); /* what it left behind goes too */
    wd_reap_group_later(up->wd, up->proc.pid);
    close_process(up);
    up->running = up->ready = false;
    if (up->stopping)
        return;
    if (loop_now_ms() - up->started_ms > STABLE_MS)
        up->backoff_ms = BACKOFF_MIN_MS;
    log_error("upstream", "fprocess exited (%s %d); restarting in %lldms",
              WIFEXITED(status) ? "exit code" : "signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
              (long long)up->backoff_ms);
    loop_timer_cancel(lp, up->timer);
    up->timer = loop_timer_add(lp, up->backoff_ms, start_upstream, up);
    up->backoff_ms = up->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : up->backoff_ms * 2;
}

static void start_upstream(struct loop *lp, void *arg)
{
    struct wd_upstream *up = arg;
    up->timer = NULL;
    char err[256];
    if (proc_spawn(&up->proc, NULL, up->wd->argv, up->wd->base_env, PROC_STDERR_PIPE, err,
                   sizeof err) < 0) {
        log_error("upstream", "%s; retrying in %lldms", err, (long long)up->backoff_ms);
        up->timer = loop_timer_add(lp, up->backoff_ms, start_upstream, up);
        up->backoff_ms = up->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : up->backoff_ms * 2;
        return;
    }
    proc_close_in(&up->proc);
    up->running = true;
    up->started_ms = loop_now_ms();
    if (up->restarts++)
        log_info("upstream", "fprocess restarted pid=%d restarts=%u", (int)up->proc.pid,
                 up->restarts - 1);
    else
        log_info("upstream", "Forking - %s pid=%d", up->wd->cfg.fprocess, (int)up->proc.pid);
    proc_exitwatch_start(&up->exitw, lp, &up->proc, on_exit_seen, up);
    loop_watch(lp, up->proc.out_fd, LOOP_READ, on_output, up);
    loop_watch(lp, up->proc.err_fd, LOOP_READ, on_output, up);
    up->timer = loop_timer_add(lp, PROBE_MS, probe, up);
}

/* A blocking connect to a loopback or LAN upstream answers at once; a
 * short send timeout bounds the rare case where it would not. */
static bool accepts_connections(const struct wd_upstream *up)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo(up->host, up->port, &hints, &res) != 0)
        return false;
    bool ok = false;
    for (struct addrinfo *a = res; a && !ok; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        ok = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
        close(fd);
    }
    freeaddrinfo(res);
    return ok;
}

static void probe(struct loop *lp, void *arg)
{
    struct wd_upstream *up = arg;
    up->timer = NULL;
    if (!up->running)
        return;
    if (accepts_connections(up)) {
        up->ready = true;
        log_info("upstream", "upstream is accepting connections on %s:%s", up->host, up->port);
        return;
    }
    up->timer = loop_timer_add(lp, PROBE_MS, probe, up);
}

static int parse_upstream(struct wd_upstream *up, const char *url, char *err, size_t errlen)
{
    const char *path;
    char why[256];
    if (up_split_url(url, up->host, sizeof up->host, up->port, sizeof up->port, &path, why,
                     sizeof why) < 0) {
        snprintf(err, errlen, "upstream_url: \"%s\" is not a URL like http://127.0.0.1:3000 (%s)",
                 url, why);
        return -1;
    }
    return 0;
}

/* --- requests ----------------------------------------------------------- */

struct http_call {
    struct wd *wd;
    char method[16];
    double start;
};

static void on_response(void *arg, struct httpd_req *req, int status, bool internal)
{
    (void)arg;
    (void)status;
    if (internal)
        httpd_add_header(req, "X-OpenFaaS-Internal", "watchdog");
    wd_add_duration(req);
}

static void on_done(void *arg, int status)
{
    struct http_call *hc = arg;
    wd_request_end(hc->wd, hc->method, status, hc->start);
    free(hc);
}

/* The request's own X-Timeout, capped by exec_timeout. */
static int64_t timeout_for(const struct wd *wd, const struct httpd_req *req)
{
    int64_t limit = wd->cfg.exec_timeout_ms, asked;
    const char *h = httpd_req_header(req, "X-Timeout");
    if (h && parse_duration_ms(h, &asked) == 0 && asked > 0 && (limit == 0 || asked < limit))
        return asked;
    return limit;
}

static void on_request(struct httpd_req *req, void *arg)
{
    struct wd *wd = arg;
    if (!wd_request_begin(wd, req))
        return;
    struct http_call *hc = xcalloc(1, sizeof *hc);
    hc->wd = wd;
    hc->start = httpd_req_start_s(req);
    snprintf(hc->method, sizeof hc->method, "%s", httpd_req_method(req));
    if (!wd->up->ready) {
        httpd_add_header(req, "X-OpenFaaS-Internal", "watchdog");
        httpd_respondf(req, 503, "the function's upstream is not ready yet\n");
        wd_request_end(wd, hc->method, 503, hc->start);
        free(hc);
        return;
    }
    const char *query = httpd_req_query(req);
    size_t base = strlen(wd->cfg.upstream_url);
    while (base && wd->cfg.upstream_url[base - 1] == '/')
        base--;
    char *url = xasprintf("%.*s%s%s%s", (int)base, wd->cfg.upstream_url, httpd_req_path(req),
                          query ? "?" : "", query ? query : "");
    struct proxy_call call = {
        .url = url,
        .timeout_ms = timeout_for(wd, req),
        .buffered_body = wd->cfg.http_buffer_req_body,
        .on_response = on_response,
        .on_done = on_done,
        .arg = hc,
    };
    if (proxy_forward(wd->proxy, req, &call) < 0) { /* answered 500 */
        wd_request_end(wd, hc->method, 500, hc->start);
        free(hc);
    }
    free(url);
}

/* At exit: SIGTERM, up to 5 s to go on its own, then SIGKILL; reaped. */
static void stop_process(struct wd_upstream *up)
{
    int status;
    proc_signal(&up->proc, SIGTERM);
    for (int i = 0; i < 50; i++) {
        if (proc_reap(&up->proc, &status))
            break;
        usleep(100000);
    }
    proc_signal(&up->proc, SIGKILL); /* the group: whatever it started */
    waitpid(up->proc.pid, &status, 0);
}

int wd_http_init(struct wd *wd, char *err, size_t errlen)
{
    wd->argv = proc_split_command(wd->cfg.fprocess);
    if (!wd->argv) {
        snprintf(err, errlen, "fprocess: cannot split \"%s\" into a command", wd->cfg.fprocess);
        return -1;
    }
    struct wd_upstream *up = xcalloc(1, sizeof *up);
    up->wd = wd;
    up->backoff_ms = BACKOFF_MIN_MS;
    linelog_init(&up->out, "stdout", wd->cfg.prefix_logs);
    linelog_init(&up->err, "stderr", wd->cfg.prefix_logs);
    wd->up = up;
    if (parse_upstream(up, wd->cfg.upstream_url, err, errlen) < 0)
        return -1;
    wd->proxy = proxy_new(wd->lp);
    httpd_route(wd->http, "*", wd->cfg.http_buffer_req_body ? HTTPD_BODY_BUFFER : HTTPD_BODY_STREAM,
                on_request, wd);
    start_upstream(wd->lp, up);
    return 0;
}

void wd_http_cleanup(struct wd *wd)
{
    struct wd_upstream *up = wd->up;
    if (!up)
        return;
    up->stopping = true;
    loop_timer_cancel(wd->lp, up->timer);
    if (up->running)
        stop_process(up);
    close_process(up);
    linelog_cleanup(&up->out);
    linelog_cleanup(&up->err);
    proxy_free(wd->proxy);
    wd->proxy = NULL;
    free(up);
    wd->up = NULL;
}
