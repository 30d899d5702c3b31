/* wd.c -- admission, metrics and reaping shared by every mode. */
#include "wd.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "xalloc.h"

static void inflight_changed(struct wd *wd)
{
    metric_set(wd->in_flight, NULL, (double)wd->inflight);
}

bool wd_request_begin(struct wd *wd, struct httpd_req *req)
{
    if (wd->cfg.max_inflight > 0 && wd->inflight >= (unsigned)wd->cfg.max_inflight) {
        httpd_add_header(req, "X-OpenFaaS-Internal", "watchdog");
        httpd_respondf(req, 429, "concurrency limit of %lld requests reached\n",
                       (long long)wd->cfg.max_inflight);
        wd_count(wd, httpd_req_method(req), 429, httpd_req_start_s(req));
        log_warn("http", "rejected request: max_inflight=%lld reached path=%s",
                 (long long)wd->cfg.max_inflight, httpd_req_path(req));
        return false;
    }
    wd->inflight++;
    inflight_changed(wd);
    return true;
}

void wd_count(struct wd *wd, const char *method, int status, double start_s)
{
    char code[16];
    snprintf(code, sizeof code, "%d", status);
    const char *labels[] = { code, method };
    metric_add(wd->requests_total, labels, 1);
    metric_observe(wd->request_seconds, labels, loop_now_s() - start_s);
}

void wd_request_end(struct wd *wd, const char *method, int status, double start_s)
{
    wd_count(wd, method, status, start_s);
    wd->inflight--;
    inflight_changed(wd);
}

void wd_add_duration(struct httpd_req *req)
{
    char secs[32];
    snprintf(secs, sizeof secs, "%.6f", loop_now_s() - httpd_req_start_s(req));
    httpd_add_header(req, "X-Duration-Seconds", secs);
}

void wd_reap_group_later(struct wd *wd, pid_t pgid)
{
    int status;
    pid_t r;
    while ((r = waitpid(-pgid, &status, WNOHANG)) > 0)
        ;
    if (r < 0) /* no member left: the usual case, nothing to remember */
        return;
    wd->dead_groups = xrealloc(wd->dead_groups, (wd->ndead + 1) * sizeof *wd->dead_groups);
    wd->dead_groups[wd->ndead++] = pgid;
}

void wd_reap_sweep(struct wd *wd)
{
    size_t kept = 0;
    for (size_t i = 0; i < wd->ndead; i++) {
        pid_t pgid = wd->dead_groups[i];
        int status;
        pid_t r;
        while ((r = waitpid(-pgid, &status, WNOHANG)) > 0)
            ;
        if (r == 0) /* members still alive: try again later */
            wd->dead_groups[kept++] = pgid;
    }
    wd->ndead = kept;
}
