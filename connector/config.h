/* config.h -- the connector's settings: the option table (defaults < file
 * < environment), plus what a flat table cannot hold, read from the same
 * file: the `routes` list and librdkafka properties in the `kafka`,
 * `kafka_consumer` and `kafka_producer` groups. */
#ifndef CN_CONFIG_H
#define CN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "natsauth.h"
#include "routes.h"

/* One librdkafka property as written in the file, with where, so a value
 * librdkafka rejects is reported at its line. */
struct cn_kprop {
    char *name; /* as written: dots may be spelled as underscores */
    char *value;
    char *file;
    int line;
};

enum cn_kafka_group { CN_KAFKA_BOTH, CN_KAFKA_CONSUMER, CN_KAFKA_PRODUCER, CN_KAFKA_GROUPS };

struct cn_kprops {
    struct cn_kprop *v;
    size_t n;
};

struct cn_config {
    char *gateway_url;
    char *gateway_tls_ca; /* NULL: the system's CAs */
    char *gateway_socket; /* NULL: TCP to gateway_url's host:port */
    char *brokers;
    char *default_bus;
    char *topics;
    char *group;
    char *initial_offset;
    int64_t rebuild_interval_ms;
    int64_t upstream_timeout_ms;
    int64_t drain_timeout_ms;
    int64_t connect_timeout_ms;
    char *content_type;
    int64_t max_inflight;
    int64_t max_queued;
    int64_t max_queued_bytes;
    char *bind_address; /* "": every interface */
    int64_t port;
    bool basic_auth;
    char *secret_mount_path;
    char *basic_auth_user_file;
    char *basic_auth_password_file;
    int64_t max_hops;
    char *ordering;
    int64_t route_max_inflight;
    int64_t retry_attempts;
    char *retry_codes;
    int64_t retry_min_wait_ms;
    int64_t retry_max_wait_ms;
    int64_t max_response_size;
    char *log_level;
    char *nats_url;
    struct natsauth nats_auth;
    char *subjects;
    char *streams;
    int64_t nats_ack_wait_ms;
    char *nats_key_header;
    char *callback_url;
    char *callback_secret; /* or NULL: one is drawn at start */
    char *callback_secret_file;
    int64_t async_timeout_ms;
    char *async_commit;
    int64_t async_accepted_max;

    /* Derived from the above, or read from the file by hand. */
    char *auth; /* "user:password" for the gateway, or NULL */
    struct cn_route_defaults defaults;
    struct cn_route *routes; /* the file's `routes` */
    size_t nroutes;
    struct cn_kprops kafka[CN_KAFKA_GROUPS];
};

/* Loads everything; `file` may be NULL. Returns 0, or -1 with a message
 * in err naming the file and line (or the environment variable). The
 * config must be released with cn_config_free() either way. */
int cn_config_load(struct cn_config *cfg, const char *file, char *err, size_t errlen);
void cn_config_free(struct cn_config *cfg);

/* --print-config: the settings in effect, as a config file. */
void cn_config_print(const struct cn_config *cfg, FILE *out);
/* --help: the settings table. */
void cn_config_help(FILE *out);

#endif
