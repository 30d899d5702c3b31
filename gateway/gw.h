/* gw.h -- the gateway's state: functions, their replicas, and the parts
 * every module reaches for. Owned by the loop thread; no locks. */
#ifndef GW_H
#define GW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "exitwatch.h"
#include "lines.h"
#include "proc.h"
#include "driver.h"
#include "drivers/process_sandbox.h"

struct loop;
struct loop_timer;
struct httpd;
struct httpd_req;
struct curlloop;
struct proxy;
struct metrics;
struct metric;
struct hclient_call;
struct gw_fn;
struct gw_queue;
struct gw_scaler;

/* One running faasbus-watchdog of a function. */
struct gw_replica {
    struct gw *gw;
    struct gw_fn *fn;          /* NULL once it is being stopped */
    unsigned id;            /* instance number, stable across restarts */
    unsigned generation;    /* fn->generation it was started for */
    uint64_t serial;        /* unique in the gateway's life */
    struct proc proc;
    struct proc_exitwatch exitw;
    struct gw_sandbox sandbox;
    int port;               /* 127.0.0.1:port, bound by us and handed over */
    int listen_fd;
    bool running, ready, stopping;
    unsigned inflight;
    unsigned restarts;
    int64_t backoff_ms, started_ms;
    struct loop_timer *timer;          /* health check or restart */
    struct hclient_call *probe;
    struct lines out;                  /* its output, cut into log lines */
};

/* A line a replica wrote, kept for /system/logs. */
struct gw_logline {
    int64_t unix_ms;
    unsigned instance;
    char *text;
};

struct gw_fn {
    char *name, *ns;
    json_t *dep;               /* the FunctionDeployment as validated */
    char created_at[40];       /* RFC 3339 */
    int64_t invocations;
    int desired;               /* replicas wanted */
    unsigned generation;       /* bumped by each update: replicas roll */
    struct gw_replica **replicas;
    unsigned nreplicas;
    unsigned next_id;
    unsigned pick_from;        /* where a driver's pick starts: equals take
                                * turns, so one caller's calls spread */
    unsigned restarts;         /* all replicas, since deploy */
    struct gw_logline *logs;   /* ring */
    size_t nlogs, logstart;
    uint64_t logseq;           /* lines ever written: follow readers use it */
    struct gw_waiter *waiting; /* calls waiting for a ready replica */
    struct gw_logfollow *followers;
    struct gw_scaler *scaler;  /* the autoscaler's view of fn (autoscale.c) */
    void *drv;                 /* the driver's own state of fn, when it keeps
                                * replicas elsewhere than in `replicas` */
    struct gw_fn *next;
};

struct gw {
    struct gw_config cfg;
    struct loop *lp;
    struct httpd *http;
    struct curlloop *curl;
    struct proxy *proxy;
    struct metrics *metrics;
    struct metric *invocations, *seconds, *started, *service_count, *inflight, *restarts;
    const struct gw_driver *driver;
    uint64_t replica_serial;
    void (*on_replica_ready)(struct gw *gw, struct gw_fn *fn); /* set by invoke.c */
    struct gw_fn *fns;
    struct gw_replica **dying; /* replicas asked to stop, not yet gone */
    unsigned ndying;
    char *auth_user, *auth_password;   /* when basic_auth */
    struct gw_queue *queue;            /* async calls (queue.c) */
    bool stopping;
};

/* --- functions.c: the registry ------------------------------------------ */
struct gw_fn *gw_fn_find(struct gw *gw, const char *name, const char *ns);
/* Takes ownership of dep. */
struct gw_fn *gw_fn_add(struct gw *gw, const char *name, const char *ns, json_t *dep);
void gw_fn_free(struct gw *gw, struct gw_fn *fn);
void gw_fn_unlink(struct gw *gw, struct gw_fn *fn);
/* fn is gone: its waiting calls get 404, its log followers an end, and
 * it is unlinked (if it still is) and freed. */
void gw_fn_drop(struct gw *gw, struct gw_fn *fn);
/* FunctionStatus: the deployment plus name, replicas, availableReplicas,
 * invocationCount, createdAt. New reference. */
json_t *gw_fn_status(const struct gw *gw, const struct gw_fn *fn);
/* com.openfaas.scale.min from the labels (default 1). */
int gw_fn_min_scale(const struct gw_fn *fn);

/* --- invoke.c ----------------------------------------------------------- */
/* A new version-4 UUID for X-Call-Id (caller frees). */
char *gw_new_call_id(void);
/* fn is being removed: calls waiting for one of its replicas get 404. */
void gw_invoke_forget(struct gw *gw, struct gw_fn *fn);

/* --- logs.c -------------------------------------------------------------- */
void gw_logs_add(struct gw *gw, struct gw_fn *fn, unsigned instance, const char *text, size_t len);
/* The same with the time the line was written (an engine's timestamp). */
void gw_logs_add_at(struct gw *gw, struct gw_fn *fn, unsigned instance, int64_t unix_ms,
                    const char *text, size_t len);
void gw_logs_free(struct gw_fn *fn);
/* New lines for fn: followers of its logs get them (api_logs.c). */
void gw_logs_notify(struct gw *gw, struct gw_fn *fn);
/* fn is being removed: its followers' streams end. */
void gw_logs_forget(struct gw *gw, struct gw_fn *fn);

/* --- store.c: state that survives a restart ----------------------------- */
/* Writes fn's deployment, scale and creation time (atomically). */
int gw_store_save(struct gw *gw, const struct gw_fn *fn);
void gw_store_delete(struct gw *gw, const char *name, const char *ns);
/* Recreates every saved function (without starting replicas). */
int gw_store_load(struct gw *gw, char *err, size_t errlen);
/* Secrets: <state_dir>/secrets/<ns>/<name>, mode 0600. */
int gw_secret_write(struct gw *gw, const char *name, const char *ns, const unsigned char *value,
                    size_t len, char *err, size_t errlen);
int gw_secret_remove(struct gw *gw, const char *name, const char *ns);
bool gw_secret_exists(struct gw *gw, const char *name, const char *ns);
/* The secret names of a namespace, as a JSON array of {"name","namespace"}. */
json_t *gw_secret_list(struct gw *gw, const char *ns);
/* Path of a secret file (caller frees). */
char *gw_secret_path(const struct gw *gw, const char *name, const char *ns);
/* Writes `len` bytes to path atomically (temp file, fsync, rename). */
int gw_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* mkdir -p with `mode` for each created part. */
int gw_mkdirs(const char *path, mode_t mode);

#endif
