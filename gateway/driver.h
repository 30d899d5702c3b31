/* driver.h -- the orchestrator driver: how a function's replicas come to
 * run. The rest of the gateway reaches replicas only through this table,
 * so another engine (Docker, Swarm, Kubernetes) is one more file that
 * fills it. The process driver (drivers/process.c) runs them on this host.
 *
 * A driver whose replicas are not processes of this host keeps its own
 * state of a function in fn->drv (and leaves fn->replicas empty); it feeds
 * replica output to gw_logs_add() so /system/logs works the same.
 *
 * Locality: loop thread. A driver tells the gateway that a replica turned
 * ready by calling gw->on_replica_ready. */
#ifndef GW_DRIVER_H
#define GW_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

struct gw;
struct gw_fn;
struct json_t;

/* The end of a driver's prepare: status 0 when the deploy may go on,
 * else the HTTP status to answer with and a message for the client. */
typedef void gw_prepare_done_fn(void *arg, int status, const char *message);

/* Where a call goes, and the token to give back when it ends. */
struct gw_endpoint {
    char base_url[128];  /* "http://127.0.0.1:PORT", no trailing slash */
    char unix_path[108]; /* non-empty: reach base_url through this Unix socket (the
                          * caller zeroes it: a driver without one leaves it) */
    char instance[128];  /* for X-Served-By (a pod name) */
    unsigned id;         /* instance number, per function */
    uint64_t serial;     /* unique in the gateway's life: the release token */
};

/* An answer a driver gives later: a 2xx status with body (may be NULL,
 * taken), or an error status with a message for the client. */
typedef void gw_answer_fn(void *arg, int status, struct json_t *body, const char *message);

/* A /system/secrets change for a driver that keeps secrets in its
 * engine. Valid only during the call. */
struct gw_secret_op {
    const char *method;    /* POST, PUT, DELETE, GET (list) */
    const char *name, *ns; /* name NULL for GET */
    const unsigned char *value;
    size_t len;
};

/* /system/logs through a driver that reads its engine's logs. tail < 0:
 * every line; since_ms 0: from the start. */
struct gw_log_query {
    int64_t tail, since_ms;
    bool follow;
};
struct gw_log_sink {
    /* The logs can be read: the answer starts (once, before lines). */
    void (*begin)(void *arg);
    void (*line)(void *arg, const char *instance, int64_t unix_ms, const char *text, size_t len);
    /* Once, at the end: status 0 after begin, else the HTTP status and
     * why the logs cannot be read (no begin came). */
    void (*end)(void *arg, int status, const char *message);
    void *arg;
};

struct gw_driver {
    const char *name; /* /system/info's orchestration */
    /* Optional: reads what the driver cannot run without (credentials)
     * before anything starts; -1 with a message in err stops the gateway
     * with exit status 2, as a bad setting does. */
    int (*check)(struct gw *gw, char *err, size_t errlen);
    void (*start)(struct gw *gw);
    /* Makes fn->desired replicas of fn->dep run (deploy, scale). */
    void (*apply)(struct gw *gw, struct gw_fn *fn);
    /* fn->dep changed: replace the replicas without a moment of none
     * ready (when there were some). */
    void (*update)(struct gw *gw, struct gw_fn *fn);
    /* Stops every replica of fn, which is being removed. */
    void (*remove)(struct gw *gw, struct gw_fn *fn);
    unsigned (*available)(const struct gw_fn *fn);
    /* The ready replica with the fewest calls in flight; false if none.
     * Counts the call as in flight there until release(). */
    bool (*pick)(struct gw *gw, struct gw_fn *fn, struct gw_endpoint *ep);
    void (*release)(struct gw *gw, const char *name, const char *ns, uint64_t serial);
    /* CPU seconds fn's replicas have used so far (a replica that ends may
     * take its share away). NULL when the driver cannot measure it: the
     * autoscaler's cpu type is then refused at deploy. */
    double (*cpu_seconds)(const struct gw_fn *fn);
    /* Optional (NULL: not known): appends to out, a JSON array, one
     * object per replica of fn: {"name": string, "ready": bool,
     * "restarts": integer, "started": RFC 3339 time, or null while it is
     * not running}. GET /system/function/<name> shows it as
     * replicaStatus. */
    void (*replica_status)(const struct gw *gw, const struct gw_fn *fn, struct json_t *out);
    /* At exit: every replica ended and reaped (a driver whose replicas
     * outlive the gateway, to be adopted again, just lets go of them). */
    void (*shutdown)(struct gw *gw);
    /* Optional (NULL: nothing to do). Runs before a deploy or update is
     * committed and may take time (an image pull); calls done exactly
     * once, later or at once, also at shutdown. A status: the deploy
     * fails with that message and nothing is kept. It may remove fields
     * from dep that must not be stored (registry credentials). */
    void (*prepare)(struct gw *gw, struct json_t *dep, gw_prepare_done_fn *done, void *arg);
    /* An image brings its own command: envProcess is optional. */
    bool command_optional;
    /* The engine holds the functions (a gateway restart, or another
     * gateway, finds them there): state_dir keeps none, and the driver
     * adds and drops gw_fns as the engine says. */
    bool engine_state;
    /* With engine_state, optional: keeps what the engine does not hold
     * of fn (the autoscaler's last decision) there; 0 or -1. */
    int (*save)(struct gw *gw, const struct gw_fn *fn);
    /* Optional (NULL: the gateway's state_dir holds secrets). */
    void (*secrets)(struct gw *gw, const struct gw_secret_op *op, gw_answer_fn *done, void *arg);
    /* Optional (NULL: the namespaces of deployed functions). */
    void (*namespaces)(struct gw *gw, gw_answer_fn *done, void *arg);
    /* Optional (NULL: the lines kept by gw_logs_add). Returns a handle
     * for logs_stop (called once, also after end). */
    void *(*logs)(struct gw *gw, struct gw_fn *fn, const struct gw_log_query *q,
                  const struct gw_log_sink *sink);
    void (*logs_stop)(void *handle);
    /* Optional (NULL: always): whether this gateway makes the
     * autoscaler's decisions (one of several replicas does). */
    bool (*leads)(struct gw *gw);
    /* Optional, with leads: this gateway's load of fn at each check, and
     * the latest loads the other gateways told (their sum, 0: none), so
     * the one that decides sees all the calls. */
    void (*share_load)(struct gw *gw, const struct gw_fn *fn, double load);
    double (*peer_load)(struct gw *gw, const struct gw_fn *fn);
};

extern const struct gw_driver gw_process_driver;
extern const struct gw_driver gw_docker_driver;
extern const struct gw_driver gw_swarm_driver;
extern const struct gw_driver gw_kubernetes_driver;

#endif
