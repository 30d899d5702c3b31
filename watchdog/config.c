/* config.c -- the watchdog's option table and the checks across options. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "parse.h"

#define OPT(field) offsetof(struct wd_config, field)
#define DUR_MAX (INT64_C(24) * 3600 * 1000)

static const struct cfg_option options[] = {
    { "fprocess", "fprocess,function_process", CFG_STRING, OPT(fprocess), NULL, 0, 0, NULL,
      "the function's command, split into words as a shell would (no shell runs: use sh -c for one)" },
    { "mode", NULL, CFG_ENUM, OPT(mode_name), "classic", 0, 0,
      "classic|serializing|streaming|http|static", "how requests reach the function" },
    { "bind_address", NULL, CFG_STRING, OPT(bind_address), "", 0, 0, NULL,
      "address to listen on (\"\": every interface, as in a container)" },
    { "port", NULL, CFG_INT, OPT(port), "8080", 0, 65535, NULL,
      "TCP port to serve on (0: any free port)" },
    { "metrics_port", NULL, CFG_INT, OPT(metrics_port), "8081", 0, 65535, NULL,
      "port for /metrics; 0 serves them on the main port" },
    { "read_timeout", NULL, CFG_DURATION, OPT(read_timeout_ms), "10s", 0, DUR_MAX, NULL,
      "idle time allowed while reading a request" },
    { "write_timeout", NULL, CFG_DURATION, OPT(write_timeout_ms), "10s", 0, DUR_MAX, NULL,
      "time allowed to write a response" },
    { "exec_timeout", NULL, CFG_STRING, OPT(exec_timeout_text), NULL, 0, 0, NULL,
      "kill the function after this long (0: never); default 0 in classic mode, 30s otherwise" },
    { "healthcheck_interval", NULL, CFG_STRING, OPT(healthcheck_interval_text), NULL, 0, 0, NULL,
      "on SIGTERM, how long to answer unhealthy before draining; default write_timeout" },
    { "max_inflight", NULL, CFG_INT, OPT(max_inflight), "0", 0, 1000000, NULL,
      "concurrent requests allowed; more get 429 (0: no limit)" },
    { "content_type", NULL, CFG_STRING, OPT(content_type), NULL, 0, 0, NULL,
      "Content-Type of responses (default: the request's, in classic mode)" },
    { "combine_output", NULL, CFG_BOOL, OPT(combine_output), "true", 0, 0, NULL,
      "send the function's stderr with its stdout (otherwise stderr is logged)" },
    { "write_debug", NULL, CFG_BOOL, OPT(write_debug), "false", 0, 0, NULL,
      "log request and response bodies" },
    { "marshal_request", NULL, CFG_BOOL, OPT(marshal_request), "false", 0, 0, NULL,
      "pass the request as JSON (headers and base64 body) on stdin" },
    { "suppress_lock", NULL, CFG_BOOL, OPT(suppress_lock), "false", 0, 0, NULL,
      "do not write the lock file ($TMPDIR/.lock) that marks the replica healthy" },
    { "upstream_url", NULL, CFG_STRING, OPT(upstream_url), NULL, 0, 0, NULL,
      "http mode: where the function's own HTTP server listens" },
    { "http_buffer_req_body", NULL, CFG_BOOL, OPT(http_buffer_req_body), "false", 0, 0, NULL,
      "http mode: read the whole body before calling upstream (sends Content-Length)" },
    { "prefix_logs", NULL, CFG_BOOL, OPT(prefix_logs), "true", 0, 0, NULL,
      "prefix the function's log lines with the time and stream name" },
    { "static_path", NULL, CFG_STRING, OPT(static_path), "/home/app/public", 0, 0, NULL,
      "static mode: the directory to serve" },
    { "max_body_size", NULL, CFG_SIZE, OPT(max_body_size), "64MiB", 1, INT64_C(1) << 40, NULL,
      "largest request body for buffered modes; above it 413" },
    { "max_connections", NULL, CFG_INT, OPT(max_connections), "0", 0, 1000000, NULL,
      "open connections served; more get 503 (0: half the open-files limit)" },
    { "max_output_size", NULL, CFG_SIZE, OPT(max_output_size), "1GiB", 1, INT64_C(1) << 40, NULL,
      "largest output of one call, held on disk beyond 256 KiB; above it the call is killed (500)" },
    { "log_level", NULL, CFG_ENUM, OPT(log_level), "info", 0, 0, "error|warn|info|debug",
      "how much the watchdog logs" },
    { NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static const char *const mode_names[] = { "classic", "serializing", "streaming", "http", "static" };

const char *wd_mode_name(enum wd_mode mode)
{
    return mode_names[mode];
}

static int duration_or(const char *name, const char *text, int64_t def, int64_t *out, char *err,
                       size_t errlen)
{
    if (!text || !*text) {
        *out = def;
        return 0;
    }
    if (parse_duration_ms(text, out) == 0)
        return 0;
    snprintf(err, errlen, "%s: expected a duration such as 10s or 1m30s, got \"%s\"", name, text);
    return -1;
}

static int check(struct wd_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof *mode_names; i++)
        if (strcmp(cfg->mode_name, mode_names[i]) == 0)
            cfg->mode = (enum wd_mode)i;
    int64_t exec_def = cfg->mode == WD_CLASSIC ? 0 : 30000;
    if (duration_or("exec_timeout", cfg->exec_timeout_text, exec_def, &cfg->exec_timeout_ms, err,
                    errlen) < 0 ||
        duration_or("healthcheck_interval", cfg->healthcheck_interval_text, cfg->write_timeout_ms,
                    &cfg->healthcheck_interval_ms, err, errlen) < 0)
        return -1;
    if (cfg->mode != WD_STATIC && (!cfg->fprocess || !*cfg->fprocess)) {
        snprintf(err, errlen,
                 "fprocess: not set; give the function's command, "
                 "e.g. fprocess=\"cat\" (mode=%s)",
                 cfg->mode_name);
        return -1;
    }
    if (cfg->mode == WD_HTTP && (!cfg->upstream_url || !*cfg->upstream_url)) {
        snprintf(err, errlen,
                 "upstream_url: required in http mode, "
                 "e.g. upstream_url=\"http://127.0.0.1:3000\"");
        return -1;
    }
    return 0;
}

int wd_config_load(struct wd_config *cfg, const char *file, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (cfg_load(options, cfg, file, err, errlen) < 0)
        return -1;
    return check(cfg, err, errlen);
}

void wd_config_free(struct wd_config *cfg)
{
    cfg_free(options, cfg);
}

void wd_config_print(const struct wd_config *cfg, FILE *out)
{
    cfg_print(options, cfg, out);
}

void wd_config_help(FILE *out)
{
    cfg_help(options, out);
}
