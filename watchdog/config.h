/* config.h -- the watchdog's settings: OpenFaaS's environment variables,
 * a libconfig file (-c FILE), and defaults. */
#ifndef WD_CONFIG_H
#define WD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum wd_mode { WD_CLASSIC, WD_SERIALIZING, WD_STREAMING, WD_HTTP, WD_STATIC };

struct wd_config {
    char *fprocess;
    char *mode_name;
    char *bind_address; /* "": every interface */
    int64_t port;
    int64_t metrics_port;
    int64_t read_timeout_ms;
    int64_t write_timeout_ms;
    char *exec_timeout_text;         /* default depends on the mode */
    char *healthcheck_interval_text; /* default: write_timeout */
    int64_t max_inflight;
    char *content_type;
    bool combine_output;
    bool write_debug;
    bool marshal_request;
    bool suppress_lock;
    char *upstream_url;
    bool http_buffer_req_body;
    bool prefix_logs;
    char *static_path;
    int64_t max_body_size;
    int64_t max_output_size;
    int64_t max_connections;
    char *log_level;

    /* Derived by wd_config_load(). */
    enum wd_mode mode;
    int64_t exec_timeout_ms;
    int64_t healthcheck_interval_ms;
};

/* Loads defaults, then `file` (may be NULL), then the environment, and
 * checks the result as a whole (fprocess present, upstream_url for http).
 * Returns 0, or -1 with a one-line message in err that names the setting. */
int wd_config_load(struct wd_config *cfg, const char *file, char *err, size_t errlen);
void wd_config_free(struct wd_config *cfg);
void wd_config_print(const struct wd_config *cfg, FILE *out);
void wd_config_help(FILE *out);
const char *wd_mode_name(enum wd_mode mode);

#endif
