/* kubernetes_int.h -- the kubernetes driver's state, shared by its files
 * (kubernetes.c: the driver table, namespaces, remove;
 * kubernetes_fns.c: Deployments and the functions that follow them;
 * kubernetes_deploy.c: a deploy written before it is answered;
 * kubernetes_watch.c: Deployments and EndpointSlices followed;
 * kubernetes_secrets.c, kubernetes_logs.c, kubernetes_lease.c). Nothing
 * outside drivers/kubernetes*.c includes it.
 *
 * Locality: loop thread. */
#ifndef GW_KUBERNETES_INT_H
#define GW_KUBERNETES_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct gw;
struct gw_fn;
struct gw_endpoint;
struct gw_log_sink;
struct gw_log_query;
struct k8s_api;
struct k8s_call;
struct k8s_stream;
struct loop_timer;
struct kd_logs;

#define KD_CALL_TIMEOUT_MS 30000

/* A ready (or not) pod address of a function, from its EndpointSlices. */
struct kd_endpoint {
    char ip[48];
    char pod[128];
    bool ready, seen;
    unsigned inflight;
    uint64_t serial; /* the release token of its calls */
};

/* A function's Deployment as the driver knows it; fn->drv. Lives from
 * the first deploy or watch event until the Deployment is gone. */
struct kd_fn {
    struct gw_fn *fn; /* NULL while none (being made, or removed) */
    char name[64], ns[64];
    json_t *obj;            /* the Deployment as last watched, or NULL */
    int64_t generation;     /* obj's metadata.generation */
    bool preparing;         /* a deploy is writing it: not adopted */
    bool removing;          /* removed by us: not adopted again */
    bool seen;              /* in the last listing */
    int replicas;           /* spec.replicas as the cluster has it, -1 unknown */
    int available;          /* status.availableReplicas */
    struct k8s_call *scale; /* a scale in flight */
    int scale_to;
    bool scale_again;
    struct k8s_call *save; /* the autoscaler's state being written */
    char *saved;           /* what was written last */
    bool save_again;
    uint64_t write_rv; /* resourceVersion of our last write: older
                               * news (a list, an event) does not undo it */
    struct kd_endpoint *eps;
    unsigned neps;
    struct kd_logs *followers; /* /system/logs?follow of it */
    struct kd_fn *next;
};

/* A list-then-watch of one kind in one namespace. */
struct kd_watch {
    struct kd_ns *ns;
    const char *what;   /* "deployments", "endpointslices" */
    char path[256];     /* the collection's path */
    char selector[128]; /* labelSelector, escaped */
    char rv[32];        /* where the watch resumes */
    struct k8s_call *list;
    struct k8s_stream *stream;
    struct loop_timer *retry;
    bool failing; /* said once */
    bool synced;  /* listed once */
    void (*take)(struct kd_ns *ns, const char *type, json_t *obj);
    void (*listed)(struct kd_ns *ns, json_t *items, uint64_t rv);
};

struct kd_ns {
    char name[64];
    struct kd_watch deployments, slices;
    json_t *slices_by_name; /* EndpointSlices of the namespace */
    struct kd_ns *next;
};

struct kd {
    struct gw *gw;
    struct k8s_api *api;
    struct kd_ns *nss;
    struct kd_fn *fns;
    struct loop_timer *ns_tick;
    struct k8s_call *ns_list;
    char home_ns[64];   /* our own (the lease's), the default functions' */
    char identity[128]; /* our name as a Lease holder */
    uint64_t serial;
    bool up;
    bool ns_failing; /* the namespace listing failed (said once) */
};

extern struct kd kd_state;

struct kd_fn *kd_fn_find(const char *name, const char *ns);
struct kd_fn *kd_fn_get(const char *name, const char *ns);
void kd_fn_free(struct kd_fn *f);
/* kubernetes_fns.c: the apply that fn->desired asks for (a scale
 * patch), when it differs; the driver's .save; fn's createdAt. */
void kd_scale(struct kd_fn *f);
int kd_save(struct gw *gw, const struct gw_fn *fn);
void kd_stamp_created(struct gw_fn *fn, const json_t *obj);

/* Deployment news from a watch or a listing (kubernetes_fns.c). */
void kd_deployment_take(struct kd_ns *ns, const char *type, json_t *obj);
void kd_deployments_listed(struct kd_ns *ns, json_t *items, uint64_t rv);
/* A resourceVersion as a number (etcd's are), 0 if it is not one. */
uint64_t kd_rv(const json_t *obj);

/* kubernetes_deploy.c: the driver's .prepare (namespace, secrets, then
 * the Deployment and Service written), and what is left at shutdown. */
void kd_prepare(struct gw *gw, json_t *dep, void (*done)(void *, int, const char *), void *arg);
void kd_prepare_cancel_all(void);

/* kubernetes_watch.c */
struct kd_ns *kd_ns_watch(const char *name);
void kd_ns_unwatch_all(void);
/* The EndpointSlices of f's Service folded into f's endpoints. */
void kd_endpoints_update(struct kd_ns *ns, const char *service);
unsigned kd_endpoints_ready(const struct kd_fn *f);
bool kd_endpoints_pick(struct kd_fn *f, struct gw_endpoint *ep);
void kd_endpoints_release(struct kd_fn *f, uint64_t serial);

/* kubernetes_secrets.c: the driver's .secrets. */
struct gw_secret_op;
void kd_secrets(struct gw *gw, const struct gw_secret_op *op,
                void (*done)(void *, int, json_t *, const char *), void *arg);
void kd_secrets_cancel_all(void);

/* kubernetes_logs.c */
void *kd_logs(struct gw *gw, struct gw_fn *fn, const struct gw_log_query *q,
              const struct gw_log_sink *sink);
void kd_logs_stop(void *handle);
/* A pod of f turned ready: followers of f's logs read it too. */
void kd_logs_pod(struct kd_fn *f, const char *pod);
/* f is gone: its followers end. */
void kd_logs_forget(struct kd_fn *f);
/* Every reading stops (the API client goes); handles stay until
 * kd_logs_stop. */
void kd_logs_shutdown(void);

/* kubernetes_lease.c */
void kd_lease_start(void);
void kd_lease_stop(void);
bool kd_lease_held(struct gw *gw);

/* kubernetes_load.c: the gateways' loads, shared (the driver's
 * .share_load and .peer_load). */
void kd_load_start(void);
void kd_load_stop(void);
void kd_load_share(struct gw *gw, const struct gw_fn *fn, double load);
double kd_load_peers(struct gw *gw, const struct gw_fn *fn);

#endif
