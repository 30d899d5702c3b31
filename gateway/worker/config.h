/* config.h -- the queue worker's settings: -c FILE, the environment
 * (OpenFaaS's names where OpenFaaS has one), defaults. */
#ifndef QW_CONFIG_H
#define QW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "natsauth.h"
#include "retry.h"

struct qw_config {
    char *nats_url;
    char *nats_address; /* faas_nats_address + faas_nats_port */
    struct natsauth nats_auth;
    int64_t nats_port;
    char *nats_stream, *nats_subject, *nats_durable;
    char *dead_letter_stream, *dead_letter_subject;
    char *gateway_url;
    char *gateway_address; /* faas_gateway_address + faas_gateway_port */
    int64_t gateway_port;
    bool basic_auth;
    char *secret_mount_path;
    char *bind_address; /* "": every interface */
    int64_t port;
    int64_t max_inflight;
    int64_t ack_wait_ms;
    int64_t upstream_timeout_ms;
    int64_t max_response;
    int64_t retry_attempts, retry_min_wait_ms, retry_max_wait_ms;
    char *retry_codes;
    struct retry_policy retry; /* the four above, parsed once at start */
    int64_t callback_attempts, callback_timeout_ms;
    int64_t callback_deadline_ms;  /* all tries of one callback together */
    int64_t callback_max_inflight; /* deliveries at once, apart from calls */
    char *callback_allow, *callback_schemes;
    int64_t drain_timeout_ms;
    char *log_level;
};

int qw_config_load(struct qw_config *cfg, const char *file, char *err, size_t errlen);
void qw_config_free(struct qw_config *cfg);
void qw_config_print(const struct qw_config *cfg, FILE *out);
void qw_config_help(FILE *out);

#endif
