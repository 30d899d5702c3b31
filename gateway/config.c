/* config.c -- the gateway's option table. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "xalloc.h"

#define OPT(field) offsetof(struct gw_config, field)
#define DUR_MAX (INT64_C(24) * 3600 * 1000)

static const struct cfg_option options[] = {
    { "bind_address", NULL, CFG_STRING, OPT(bind_address), "", 0, 0, NULL,
      "address to listen on (\"\": every interface; the API is meant to be reached)" },
    { "port", NULL, CFG_INT, OPT(port), "8080", 0, 65535, NULL,
      "TCP port of the API and of /function/ (0: any free port)" },
    { "unix_socket", NULL, CFG_STRING, OPT(unix_socket), "", 0, 0, NULL,
      "also serve the API and /function/ on a Unix socket at this path, mode 0660, for "
      "clients on this host such as the connector (@name: an abstract socket, no file; "
      "\"\": none)" },
    { "read_timeout", NULL, CFG_DURATION, OPT(read_timeout_ms), "10s", 0, DUR_MAX, NULL,
      "a client silent this long while sending its request is dropped" },
    { "write_timeout", NULL, CFG_DURATION, OPT(write_timeout_ms), "10s", 0, DUR_MAX, NULL,
      "a client not reading its response for this long is dropped" },
    { "upstream_timeout", NULL, CFG_DURATION, OPT(upstream_timeout_ms), "60s", 1, DUR_MAX, NULL,
      "longest a function call may take before 504 (keep it above exec_timeout)" },
    { "basic_auth", NULL, CFG_BOOL, OPT(basic_auth), "false", 0, 0, NULL,
      "require HTTP basic auth on /system/*" },
    { "secret_mount_path", NULL, CFG_STRING, OPT(secret_mount_path), "/var/openfaas/secrets", 0, 0,
      NULL, "directory holding basic-auth-user and basic-auth-password" },
    { "auth_user", NULL, CFG_STRING, OPT(auth_user), NULL, 0, 0, NULL,
      "basic auth user (instead of the file under secret_mount_path)" },
    { "auth_password", NULL, CFG_STRING, OPT(auth_password), NULL, 0, 0, NULL,
      "basic auth password (instead of the file under secret_mount_path)" },
    { "auth_functions", NULL, CFG_BOOL, OPT(auth_functions), "false", 0, 0, NULL,
      "with basic_auth, protect /function/ too" },
    { "state_dir", NULL, CFG_STRING, OPT(state_dir), "/var/lib/faasbus", 0, 0, NULL,
      "where functions and secrets persist across restarts" },
    { "watchdog_path", NULL, CFG_STRING, OPT(watchdog_path), NULL, 0, 0, NULL,
      "the faasbus-watchdog binary for replicas (default: beside the gateway)" },
    { "function_user", NULL, CFG_STRING, OPT(function_user), "nobody", 0, 0, NULL,
      "when run as root, functions run as this user" },
    { "function_uid_base", NULL, CFG_INT, OPT(function_uid_base), "900000000", 0,
      INT64_C(4000000000), NULL,
      "when root: each function's replicas run under a uid (and gid) of their own from "
      "this base up, so one function cannot read another's processes or files (0: all run as "
      "function_user)" },
    { "max_body_size", NULL, CFG_SIZE, OPT(max_body_size), "8MiB", 1, INT64_C(1) << 30, NULL,
      "largest API request body (function calls stream and have no limit)" },
    { "max_body_total", NULL, CFG_SIZE, OPT(max_body_total), "64MiB", 1, INT64_C(1) << 40, NULL,
      "API request bodies held at once, over all connections; a body past it gets 503" },
    { "max_connections", NULL, CFG_INT, OPT(max_connections), "0", 0, 1000000, NULL,
      "open connections served; more get 503 (0: half the open-files limit)" },
    { "health_interval", NULL, CFG_DURATION, OPT(health_interval_ms), "1s", 10, 3600000, NULL,
      "how often each replica's /_/health is checked" },
    { "scale_from_zero_timeout", NULL, CFG_DURATION, OPT(scale_from_zero_timeout_ms), "30s", 1,
      DUR_MAX, NULL, "how long a call to a function at zero replicas waits for one" },
    { "autoscale", NULL, CFG_BOOL, OPT(autoscale), "true", 0, 0, NULL,
      "replicas follow load within each function's com.openfaas.scale.* labels" },
    { "autoscale_interval", NULL, CFG_DURATION, OPT(autoscale_interval_ms), "1s", 10, 600000, NULL,
      "how often the autoscaler checks each function's load" },
    { "scale_zero_duration", NULL, CFG_DURATION, OPT(scale_zero_duration_ms), "15m", 1, DUR_MAX,
      NULL,
      "with com.openfaas.scale.zero=true, no call for this long scales to zero "
      "(com.openfaas.scale.zero-duration overrides it)" },
    { "scale_down_window", NULL, CFG_DURATION, OPT(scale_down_window_ms), "30s", 0, DUR_MAX, NULL,
      "the autoscaler removes replicas only when the load has not needed them for this long" },
    { "log_lines", NULL, CFG_INT, OPT(log_lines), "1000", 10, 1000000, NULL,
      "function log lines kept per function for /system/logs" },
    { "log_follow_max", NULL, CFG_DURATION, OPT(log_follow_max_ms), "10m", 1000, DUR_MAX, NULL,
      "longest a /system/logs?follow=true stream stays open (the client follows again)" },
    { "log_level", NULL, CFG_ENUM, OPT(log_level), "info", 0, 0, "error|warn|info|debug",
      "how much the gateway logs" },
    { "nats_url", NULL, CFG_STRING, OPT(nats_url), "nats://127.0.0.1:4222", 0, 0, NULL,
      "NATS server(s) of the async queue, comma-separated (\"\": async calls disabled)" },
    { "faas_nats_address", NULL, CFG_STRING, OPT(nats_address), NULL, 0, 0, NULL,
      "OpenFaaS's way to name the NATS host (used when nats_url is not set)" },
    { "faas_nats_port", NULL, CFG_INT, OPT(nats_port), "4222", 1, 65535, NULL,
      "NATS port with faas_nats_address" },
    NATSAUTH_OPTIONS(struct gw_config, nats_auth),
    { "nats_stream", NULL, CFG_STRING, OPT(nats_stream), "faas-request", 0, 0, NULL,
      "JetStream stream that holds async calls (created if missing)" },
    { "nats_subject", NULL, CFG_STRING, OPT(nats_subject), "faas-request", 0, 0, NULL,
      "subject async calls are published on" },
    { "nats_durable", "nats_durable,faas_nats_durable_queue_subscription", CFG_STRING,
      OPT(nats_durable), "faas-workers", 0, 0, NULL,
      "the queue workers' durable consumer, whose backlog /system/queue shows (as the "
      "workers')" },
    { "dead_letter_stream", NULL, CFG_STRING, OPT(dead_letter_stream), "faas-dead-letter", 0, 0,
      NULL,
      "the queue workers' dead-letter stream, which /system/dead-letters reads (as the "
      "workers')" },
    { "queue_max_message", NULL, CFG_SIZE, OPT(queue_max_message), "8MiB", 1024, INT64_C(64) << 20,
      NULL, "largest async request body (413 above; nats-server's max_payload must allow it)" },
    { "queue_dedup_window", NULL, CFG_DURATION, OPT(queue_dedup_window_ms), "2m", 100, DUR_MAX,
      NULL, "an X-Call-Id seen again within this window is stored once" },
    { "queue_publish_timeout", NULL, CFG_DURATION, OPT(queue_publish_timeout_ms), "5s", 10, 600000,
      NULL, "how long an async call waits for JetStream to store it (then 503)" },
    { "queue_publishers", NULL, CFG_INT, OPT(queue_publishers), "4", 1, 64, NULL,
      "threads that store async calls in JetStream concurrently" },
    { "driver", NULL, CFG_ENUM, OPT(driver), "process", 0, 0, "process|docker|swarm|kubernetes",
      "what runs replicas: processes on this host, containers on a Docker engine, Swarm "
      "services, or Kubernetes Deployments" },
    { "kubeconfig", "kubeconfig,KUBECONFIG", CFG_STRING, OPT(kubeconfig), "", 0, 0, NULL,
      "with driver=kubernetes: the kubeconfig file (\"\": in a pod its service account, else "
      "~/.kube/config)" },
    { "kubernetes_context", NULL, CFG_STRING, OPT(kubernetes_context), "", 0, 0, NULL,
      "with driver=kubernetes: the kubeconfig context to use (\"\": its current-context)" },
    { "kubernetes_lease_namespace", NULL, CFG_STRING, OPT(kubernetes_lease_namespace), "", 0, 0,
      NULL,
      "with driver=kubernetes: namespace of the Lease that picks the gateway making "
      "autoscaling decisions (\"\": the gateway's own, else openfaas-fn)" },
    { "kubernetes_identity", NULL, CFG_STRING, OPT(kubernetes_identity), "", 0, 0, NULL,
      "with driver=kubernetes: this gateway's name as the Lease holder (\"\": hostname-pid)" },
    { "kubernetes_lease_duration", NULL, CFG_DURATION, OPT(kubernetes_lease_duration_ms), "15s",
      1000, 3600000, NULL,
      "with driver=kubernetes: a Lease holder silent this long is "
      "replaced by another gateway" },
    { "docker_host", "docker_host,DOCKER_HOST", CFG_STRING, OPT(docker_host),
      "unix:///var/run/docker.sock", 0, 0, NULL,
      "the Docker engine's API (unix:///PATH or tcp://HOST:PORT)" },
    { "docker_cert_path", "docker_cert_path,DOCKER_CERT_PATH", CFG_STRING, OPT(docker_cert_path),
      "", 0, 0, NULL,
      "with a tcp docker_host: TLS, presenting cert.pem and key.pem from this directory" },
    { "docker_tls_verify", "docker_tls_verify,DOCKER_TLS_VERIFY", CFG_BOOL, OPT(docker_tls_verify),
      "false", 0, 0, NULL,
      "with docker_cert_path: check the engine's certificate against ca.pem there" },
    { "docker_network", NULL, CFG_STRING, OPT(docker_network), "", 0, 0, NULL,
      "network replicas join, created when missing (\"\": the default bridge)" },
    { "swarm_network", NULL, CFG_STRING, OPT(swarm_network), "", 0, 0, NULL,
      "with driver=swarm: the attachable overlay functions join, created when missing (\"\": none)" },
    { "swarm_publish", NULL, CFG_BOOL, OPT(swarm_publish), "true", 0, 0, NULL,
      "with driver=swarm: reach tasks on their host-mode port (false: at their swarm_network address)" },
    { "docker_instance", NULL, CFG_STRING, OPT(docker_instance), "", 0, 0, NULL,
      "name on this gateway's containers (\"\": derived from state_dir)" },
    { "docker_publish", NULL, CFG_BOOL, OPT(docker_publish), "true", 0, 0, NULL,
      "reach replicas on ports published on 127.0.0.1 (false: at their docker_network address)" },
    { "image_pull_policy", NULL, CFG_ENUM, OPT(image_pull_policy), "IfNotPresent", 0, 0,
      "Always|IfNotPresent|Never",
      "when a function's image is pulled (the docker driver; "
      "the kubernetes driver's imagePullPolicy)" },
    { "ui_dir", NULL, CFG_STRING, OPT(ui_dir), NULL, 0, 0, NULL,
      "the web portal's files, served under /ui/ (default: share/faasbus/ui beside the "
      "binary once installed, else the source tree's ui/; \"\": no portal)" },
    { "connector_urls", NULL, CFG_STRING, OPT(connector_urls), "", 0, 0, NULL,
      "connectors whose routes /system/connectors and the portal show, comma-separated "
      "(e.g. http://127.0.0.1:8081)" },
    { NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* The directory of the running binary (caller frees), or NULL. */
static char *exe_dir(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    return xasprintf("%.*s", (int)(slash - self), self);
}

/* The portal installed with us (PREFIX/bin -> PREFIX/share/faasbus/ui),
 * else the source tree's ui/ when run from build/bin or build/san/bin,
 * so `make run` needs no setting. "" when none is found. */
static char *default_ui_dir(void)
{
    static const char *const rel[] = { "../share/faasbus/ui", "../../ui", "../../../ui" };
    char *dir = exe_dir();
    for (size_t i = 0; dir && i < sizeof rel / sizeof rel[0]; i++) {
        char *cand = xasprintf("%s/%s", dir, rel[i]);
        char *index = xasprintf("%s/index.html", cand);
        bool found = access(index, R_OK) == 0;
        free(index);
        if (found) {
            char *real = realpath(cand, NULL);
            free(cand);
            free(dir);
            return real ? real : xstrdup("");
        }
        free(cand);
    }
    free(dir);
    return xstrdup("");
}

/* The watchdog installed beside us is the one that matches our version. */
static char *default_watchdog(const char *argv0)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return xstrdup(argv0 && strchr(argv0, '/') ? argv0 : "faasbus-watchdog");
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    return xasprintf("%.*s/faasbus-watchdog", (int)(slash - self), self);
}

/* It names containers, services and their labels: Docker's name
 * characters, and short enough to leave room for the function's name. */
static int check_instance(const char *name, char *err, size_t errlen)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || (strspn(name, ok) == n && n <= 40 && isalnum((unsigned char)name[0])))
        return 0;
    snprintf(err, errlen,
             "docker_instance: \"%s\": expected letters, digits, '_', '.' or '-', starting "
             "with a letter or digit, at most 40",
             name);
    return -1;
}

int gw_config_load(struct gw_config *cfg, const char *file, const char *argv0, char *err,
                   size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (cfg_load(options, cfg, file, err, errlen) < 0)
        return -1;
    if (natsauth_check(&cfg->nats_auth, err, errlen) < 0)
        return -1;
    if (check_instance(cfg->docker_instance, err, errlen) < 0)
        return -1;
    if (!getenv("nats_url") && cfg->nats_address && *cfg->nats_address) {
        free(cfg->nats_url); /* OpenFaaS names the host and port apart */
        cfg->nats_url = xasprintf("nats://%s:%lld", cfg->nats_address, (long long)cfg->nats_port);
    }
    if (!cfg->watchdog_path)
        cfg->watchdog_path = default_watchdog(argv0);
    if (!cfg->ui_dir)
        cfg->ui_dir = default_ui_dir();
    /* Only the process driver runs it (a docker gateway's image has none). */
    if (strcmp(cfg->driver, "process") == 0 && access(cfg->watchdog_path, X_OK) != 0) {
        snprintf(err, errlen, "watchdog_path: %s is not an executable", cfg->watchdog_path);
        return -1;
    }
    return 0;
}

void gw_config_free(struct gw_config *cfg)
{
    cfg_free(options, cfg);
}

void gw_config_print(const struct gw_config *cfg, FILE *out)
{
    cfg_print(options, cfg, out);
}

void gw_config_help(FILE *out)
{
    cfg_help(options, out);
}
