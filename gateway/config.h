/* config.h -- the gateway's settings: a libconfig file (-c FILE), the
 * environment (OpenFaaS's names where OpenFaaS has one), defaults. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "natsauth.h"

struct gw_config {
    char *bind_address; /* "": every interface */
    int64_t port;
    char *unix_socket; /* "": none */
    int64_t read_timeout_ms;
    int64_t write_timeout_ms;
    int64_t upstream_timeout_ms;
    bool basic_auth;
    char *secret_mount_path; /* basic-auth-user, basic-auth-password */
    char *auth_user, *auth_password;
    bool auth_functions; /* also protect /function/ */
    char *state_dir;
    char *watchdog_path; /* faasbus-watchdog used for replicas */
    char *function_user;
    int64_t function_uid_base; /* 0: every function as function_user */
    int64_t max_body_size, max_body_total;
    int64_t max_connections;
    int64_t health_interval_ms;
    int64_t scale_from_zero_timeout_ms;
    bool autoscale;
    int64_t autoscale_interval_ms;
    int64_t scale_zero_duration_ms;
    int64_t scale_down_window_ms;
    int64_t log_lines;
    int64_t log_follow_max_ms;
    char *log_level;
    /* The async queue (NATS JetStream). */
    char *nats_url;     /* "": async calls disabled */
    char *nats_address; /* OpenFaaS's faas_nats_address + faas_nats_port */
    struct natsauth nats_auth;
    int64_t nats_port;
    char *nats_stream, *nats_subject;
    char *nats_durable;       /* the queue workers' consumer, for /system/queue */
    char *dead_letter_stream; /* where the queue workers keep dead letters */
    int64_t queue_max_message;
    int64_t queue_dedup_window_ms;
    int64_t queue_publish_timeout_ms;
    int64_t queue_publishers;
    /* The orchestrator driver. */
    char *driver;            /* process | docker | swarm | kubernetes */
    char *docker_host;       /* unix:///PATH or tcp://HOST:PORT */
    char *docker_cert_path;  /* TLS files for tcp (cert.pem key.pem ca.pem) */
    bool docker_tls_verify;  /* check the engine against ca.pem */
    char *docker_network;    /* "": the engine's default bridge */
    char *swarm_network;     /* driver=swarm: the functions' network */
    bool swarm_publish;      /* reach tasks on published ports */
    char *docker_instance;   /* labels our containers; "": from state_dir */
    bool docker_publish;     /* reach replicas on published 127.0.0.1 ports */
    char *image_pull_policy; /* Always | IfNotPresent | Never */
    char *kubeconfig;        /* driver=kubernetes: "" in-cluster or ~/.kube/config */
    char *kubernetes_context;
    char *kubernetes_lease_namespace;
    char *kubernetes_identity;
    int64_t kubernetes_lease_duration_ms;
    /* The web portal (ui.c) and the connectors it shows (connectors.c). */
    char *ui_dir;         /* "": no portal */
    char *connector_urls; /* comma-separated base URLs */
};

/* Loads defaults, `file` (may be NULL), then the environment. Returns 0,
 * or -1 with a one-line message in err naming the setting. */
int gw_config_load(struct gw_config *cfg, const char *file, const char *argv0, char *err,
                   size_t errlen);
void gw_config_free(struct gw_config *cfg);
void gw_config_print(const struct gw_config *cfg, FILE *out);
void gw_config_help(FILE *out);

#endif
