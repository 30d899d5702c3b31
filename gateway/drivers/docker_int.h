/* docker_int.h -- the docker driver's state, shared by its files
 * (docker.c: replicas and reconciliation; docker_image.c: pulls;
 * docker_logs.c: output). Nothing outside drivers/docker*.c includes it.
 *
 * Locality: loop thread. */
#ifndef GW_DOCKER_INT_H
#define GW_DOCKER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../driver.h"
#include "docker_spec.h"

struct gw;
struct gw_fn;
struct loop_timer;
struct hclient_call;
struct dkr_call;
struct dkr_engine;
struct dk_fn;
struct dk_logs;

/* One container of a function, as the engine last listed it. */
struct dk_replica {
    struct dk_fn *f;
    char id[80];       /* the engine's container id */
    unsigned instance; /* our replica number (label) */
    char spec[17];     /* deployment hash it was made from */
    char image_id[80]; /* the image it runs, as the engine lists it */
    uint64_t serial;   /* the release token of its calls */
    int port;          /* published on 127.0.0.1, 0 if not (yet) */
    char ip[48];       /* on docker_network, when not published */
    bool running, ready, starting, seen;
    bool unhealthy;       /* the image's own HEALTHCHECK says so */
    uint64_t judged_from; /* listings sent before this one predate it */
    unsigned inflight;
    struct loop_timer *timer; /* next health check */
    struct hclient_call *probe;
    struct dkr_call *call; /* create or start in flight */
    struct dk_logs *logs;
    int64_t logs_ended; /* unix s: a restart's lines follow on */
};

/* fn->drv of a function on this driver. */
struct dk_fn {
    struct gw_fn *fn;
    char spec[17];     /* hash of fn->dep: replicas of another roll */
    char image_id[80]; /* the image's id when the last deploy checked it
                             * ("" until one has): replicas of another roll,
                             * so an image rebuilt under the same tag does */
    struct dk_replica **r;
    unsigned n;
    int64_t retry_at_ms; /* after a failed create, wait until then */
};

struct dk_prepare;

struct dk {
    struct gw *gw;
    struct dkr_engine *e;
    char instance[64];
    struct loop_timer *tick;
    struct dkr_call *list; /* GET /containers/json in flight */
    bool again;            /* reconcile once more when it ends */
    bool up;               /* the last listing succeeded */
    bool network_ready;
    uint64_t lists_sent;         /* listings asked for, the one in flight too */
    struct dk_gone *gone;        /* containers being stopped and removed */
    struct dk_prepare *prepares; /* deploys waiting for an image */
};

extern struct dk dk_state;

/* Reconciles soon (a function or the engine changed). */
void dk_kick(void);

/* docker_logs.c: follows a container's output into the function's log
 * lines, from unix time `since` (0: all it ever wrote). */
void dk_logs_start(struct dk_replica *r, int64_t since);
void dk_logs_stop(struct dk_replica *r);
/* "2026-12-03T20:11:24.027123456Z " (RFC 3339, UTC, as the engine
 * writes with timestamps=1) -> unix ms in *unix_ms. Returns: the length
 * of that prefix, or 0 if the line does not start with one (a long
 * line's continuation), leaving *unix_ms alone. */
size_t dk_logs_stamp(const char *line, size_t len, int64_t *unix_ms);

/* docker_image.c: the driver's prepare hook and its shutdown. */
void dk_image_prepare(struct gw *gw, struct json_t *dep, gw_prepare_done_fn *done, void *arg);
void dk_image_cancel_all(void);
/* The id the engine last gave for image at a deploy's check, or "". */
const char *dk_image_id(const char *image);

#endif
