/* config.c -- the queue worker's option table. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "retry.h"
#include "xalloc.h"

#define OPT(field) offsetof(struct qw_config, field)
#define DUR_MAX (INT64_C(24) * 3600 * 1000)

static const struct cfg_option options[] = {
    { "nats_url", NULL, CFG_STRING, OPT(nats_url), "nats://127.0.0.1:4222", 0, 0, NULL,
      "NATS server(s) holding the queue, comma-separated" },
    { "faas_nats_address", NULL, CFG_STRING, OPT(nats_address), NULL, 0, 0, NULL,
      "OpenFaaS's way to name the NATS host (overrides nats_url from the file)" },
    { "faas_nats_port", NULL, CFG_INT, OPT(nats_port), "4222", 1, 65535, NULL,
      "NATS port with faas_nats_address" },
    NATSAUTH_OPTIONS(struct qw_config, nats_auth),
    { "nats_stream", NULL, CFG_STRING, OPT(nats_stream), "faas-request", 0, 0, NULL,
      "JetStream stream of async calls (as the gateway's)" },
    { "nats_subject", "nats_subject,faas_nats_channel", CFG_STRING, OPT(nats_subject),
      "faas-request", 0, 0, NULL, "subject of async calls (as the gateway's)" },
    { "nats_durable", "nats_durable,faas_nats_durable_queue_subscription", CFG_STRING,
      OPT(nats_durable), "faas-workers", 0, 0, NULL,
      "durable pull consumer that every worker shares (created if missing)" },
    { "dead_letter_stream", NULL, CFG_STRING, OPT(dead_letter_stream), "faas-dead-letter", 0, 0,
      NULL, "stream that keeps calls that could not be completed (created if missing)" },
    { "dead_letter_subject", NULL, CFG_STRING, OPT(dead_letter_subject), "faas-dead-letter", 0, 0,
      NULL, "subject of dead letters: the original call plus Faasbus-Reason" },
    { "gateway_url", NULL, CFG_STRING, OPT(gateway_url), "http://127.0.0.1:8080", 0, 0, NULL,
      "the gateway that runs the calls (its /function/<name>)" },
    { "faas_gateway_address", NULL, CFG_STRING, OPT(gateway_address), NULL, 0, 0, NULL,
      "OpenFaaS's way to name the gateway host (overrides gateway_url from the file)" },
    { "faas_gateway_port", NULL, CFG_INT, OPT(gateway_port), "8080", 1, 65535, NULL,
      "gateway port with faas_gateway_address" },
    { "basic_auth", NULL, CFG_BOOL, OPT(basic_auth), "false", 0, 0, NULL,
      "call the gateway with basic auth (for auth_functions)" },
    { "secret_mount_path", NULL, CFG_STRING, OPT(secret_mount_path), "/var/openfaas/secrets", 0, 0,
      NULL, "directory holding basic-auth-user and basic-auth-password" },
    { "bind_address", NULL, CFG_STRING, OPT(bind_address), "", 0, 0, NULL,
      "address of /healthz and /metrics (\"\": every interface)" },
    { "port", NULL, CFG_INT, OPT(port), "8082", 0, 65535, NULL,
      "TCP port of /healthz and /metrics (0: any free port)" },
    { "max_inflight", NULL, CFG_INT, OPT(max_inflight), "16", 1, 10000, NULL,
      "calls this worker runs at once" },
    { "ack_wait", NULL, CFG_DURATION, OPT(ack_wait_ms), "30s", 1000, DUR_MAX, NULL,
      "a call not acknowledged (or kept alive) this long goes to another worker" },
    { "upstream_timeout", NULL, CFG_DURATION, OPT(upstream_timeout_ms), "5m", 100, DUR_MAX, NULL,
      "longest a function call may take (then it counts as failed and retries)" },
    { "max_response", NULL, CFG_SIZE, OPT(max_response), "16MiB", 0, INT64_C(1) << 30, NULL,
      "largest function response kept for the callback (larger ones fail)" },
    { "retry_attempts", NULL, CFG_INT, OPT(retry_attempts), "10", 1, 1000, NULL,
      "calls in all before a dead letter (com.openfaas.retry.attempts overrides)" },
    { "retry_min_wait", NULL, CFG_DURATION, OPT(retry_min_wait_ms), "1s", 0, DUR_MAX, NULL,
      "first wait before a retry (com.openfaas.retry.min_wait overrides)" },
    { "retry_max_wait", NULL, CFG_DURATION, OPT(retry_max_wait_ms), "2m", 0, DUR_MAX, NULL,
      "longest wait between retries (com.openfaas.retry.max_wait overrides)" },
    { "retry_codes", NULL, CFG_STRING, OPT(retry_codes), RETRY_DEFAULT_CODES, 0, 0, NULL,
      "statuses that are retried (com.openfaas.retry.codes overrides)" },
    { "callback_attempts", NULL, CFG_INT, OPT(callback_attempts), "5", 1, 1000, NULL,
      "tries to deliver a callback before the call is dead-lettered" },
    { "callback_timeout", NULL, CFG_DURATION, OPT(callback_timeout_ms), "10s", 100, DUR_MAX, NULL,
      "longest one callback delivery may take" },
    { "callback_deadline", NULL, CFG_DURATION, OPT(callback_deadline_ms), "2m", 100, DUR_MAX, NULL,
      "longest all the tries of one callback may take before the call is dead-lettered" },
    { "callback_max_inflight", NULL, CFG_INT, OPT(callback_max_inflight), "64", 1, 10000, NULL,
      "callbacks delivered at once; they hold no function-call slot, so a receiver that hangs "
      "does not delay other calls" },
    { "callback_allow", NULL, CFG_STRING, OPT(callback_allow), "", 0, 0, NULL,
      "callback destinations allowed although private: ADDR[/PREFIX][:PORT], comma-separated "
      "(loopback, link-local, multicast and the gateway's own address are refused otherwise)" },
    { "callback_schemes", NULL, CFG_STRING, OPT(callback_schemes), "http,https", 0, 0, NULL,
      "URL schemes a callback may use" },
    { "drain_timeout", NULL, CFG_DURATION, OPT(drain_timeout_ms), "30s", 0, DUR_MAX, NULL,
      "on SIGTERM, how long calls in progress may finish (the rest go to other workers)" },
    { "log_level", NULL, CFG_ENUM, OPT(log_level), "info", 0, 0, "error|warn|info|debug",
      "how much the worker logs" },
    { NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* OpenFaaS names host and port apart; they win when given. */
static void openfaas_addresses(struct qw_config *cfg)
{
    if (cfg->nats_address && *cfg->nats_address && !getenv("nats_url")) {
        free(cfg->nats_url);
        cfg->nats_url = xasprintf("nats://%s:%lld", cfg->nats_address, (long long)cfg->nats_port);
    }
    if (cfg->gateway_address && *cfg->gateway_address && !getenv("gateway_url")) {
        free(cfg->gateway_url);
        cfg->gateway_url = xasprintf("http://%s:%lld", cfg->gateway_address,
                                     (long long)cfg->gateway_port);
    }
    size_t n = strlen(cfg->gateway_url);
    while (n > 0 && cfg->gateway_url[n - 1] == '/')
        cfg->gateway_url[--n] = '\0';
}

int qw_config_load(struct qw_config *cfg, const char *file, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (cfg_load(options, cfg, file, err, errlen) < 0)
        return -1;
    if (natsauth_check(&cfg->nats_auth, err, errlen) < 0)
        return -1;
    openfaas_addresses(cfg);
    retry_policy_init(&cfg->retry, cfg->retry_attempts, cfg->retry_min_wait_ms,
                      cfg->retry_max_wait_ms);
    char why[160];
    if (retry_policy_set(&cfg->retry, "codes", cfg->retry_codes, why, sizeof why) < 0) {
        snprintf(err, errlen, "retry_codes: %s", why);
        return -1;
    }
    if (!*cfg->nats_url || !*cfg->gateway_url) {
        snprintf(err, errlen, "%s must not be empty", *cfg->nats_url ? "gateway_url" : "nats_url");
        return -1;
    }
    return 0;
}

void qw_config_free(struct qw_config *cfg)
{
    cfg_free(options, cfg);
}

void qw_config_print(const struct qw_config *cfg, FILE *out)
{
    cfg_print(options, cfg, out);
}

void qw_config_help(FILE *out)
{
    cfg_help(options, out);
}
