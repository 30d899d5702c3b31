/* wd.h -- the watchdog's shared state and the bookkeeping every mode does
 * for a request: admission (max_inflight, draining), metrics, logging. */
#ifndef WD_H
#define WD_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

struct loop;
struct httpd;
struct httpd_req;
struct metrics;
struct metric;
struct proxy;
struct wd_upstream;
struct spawner;

struct wd {
    struct wd_config cfg;
    struct loop *lp;
    struct httpd *http;         /* the function's port */
    struct httpd *metrics_http; /* metrics_port, or NULL */
    struct metrics *metrics;
    struct metric *requests_total, *request_seconds, *in_flight;
    char **argv;             /* fprocess, split */
    char *program;           /* argv[0] found on PATH once, not per request */
    struct spawner *spawner; /* fork modes: starts processes off the loop */
    char **base_env;         /* our environment at start, for fork modes */
    unsigned inflight;
    bool draining;          /* SIGTERM seen: health fails, then drain */
    struct proxy *proxy;    /* http mode */
    struct wd_upstream *up; /* http mode */
    pid_t *dead_groups;     /* killed process groups still to reap */
    size_t ndead;
};

/* serve.c: starts the servers and the mode and runs the loop until the
 * drain after SIGTERM ends; returns the exit code (1: trouble on this
 * host, 2: a bad setting). wd_shutdown frees everything after it. */
int wd_serve(struct wd *wd);
void wd_shutdown(struct wd *wd);

/* Admits a function request or answers it (429 at max_inflight). Returns true if admitted; the caller must then call
 * wd_request_end exactly once. */
bool wd_request_begin(struct wd *wd, struct httpd_req *req);
/* Counts a finished admitted request in the metrics (status 0 if none was
 * sent) and frees its in-flight slot. */
void wd_request_end(struct wd *wd, const char *method, int status, double start_s);
/* Counts a request in the metrics only. */
void wd_count(struct wd *wd, const char *method, int status, double start_s);

/* Adds X-Duration-Seconds (and the configured Content-Type) to req. */
void wd_add_duration(struct httpd_req *req);

/* Remembers a killed process group so its members are reaped as they die
 * (we are their subreaper): nothing is left behind as a zombie. */
void wd_reap_group_later(struct wd *wd, pid_t pgid);
/* Reaps what has died of those groups; run it periodically. */
void wd_reap_sweep(struct wd *wd);

/* Mode entry points: each registers its routes on wd->http. */
int wd_fork_init(struct wd *wd, char *err, size_t errlen);
int wd_http_init(struct wd *wd, char *err, size_t errlen);
int wd_static_init(struct wd *wd, char *err, size_t errlen);
void wd_http_cleanup(struct wd *wd);

/* /_/health and /_/ready, the lock file, and -run-healthcheck. */
void wd_health_routes(struct wd *wd, struct httpd *h);
const char *wd_lock_path(char *buf, unsigned long len);
int wd_lock_write(char *err, unsigned long errlen);
void wd_lock_remove(void);
bool wd_healthy(const struct wd *wd);

/* http mode: true once the upstream accepts connections. */
bool wd_upstream_ready(const struct wd_upstream *up);

#endif
