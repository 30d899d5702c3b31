/* main.c -- faasbus-connector: Kafka topics to functions, and their
 * results back to topics.
 *
 * DESIGN: one thread runs one event loop (lib/loop.h). librdkafka's own
 * threads fetch and produce; their queues wake the loop through pipes, so
 * records, rebalances, commit results and delivery reports are all served
 * on the loop thread (consumer.c, producer.c). Function calls go out on
 * the same loop (invoke.c: lib/h1call, or libcurl multi for https://),
 * the routing table is refreshed from the gateway by timer (refresh.c),
 * and /healthz, /readyz, /metrics and /routes are served by lib/httpd on
 * it too (api.c).
 * No state is shared between threads, so nothing here takes a lock.
 *
 * SIGTERM or SIGINT: stop starting calls, drain those in flight (up to
 * drain_timeout), commit, leave the group, exit 0. A second one exits at
 * once (uncommitted records are read again by the next owner).
 * SIGHUP: the config file is read again on the loop thread (reload.c). */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "async.h"
#include "cli.h"
#include "cn.h"
#include "control.h"
#include "consumer.h"
#include "curlloop.h"
#include "dispatch.h"
#include "httpd.h"
#include "jsq.h"
#include "kconf.h"
#include "listenfd.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "nats_source.h"
#include "outcome.h"
#include "producer.h"
#include "refresh.h"
#include "reload.h"
#include "signals.h"
#include "uppool.h"

#define FLUSH_AT_EXIT_MS 5000

/* Read by jemalloc (linked in by the Makefile, see FAST_ALLOC_LIBS) at its
 * first allocation; ignored by any other allocator. One arena: the loop
 * thread does nearly all the allocating, and the default eight kept 1.2 MB
 * more resident while idle for no measurable speed. Freed pages go back
 * within a second: jemalloc's default 10 s held 63 MB after a burst of
 * 200,000 records where glibc held 26. The environment's MALLOC_CONF
 * still overrides this. */
const char *malloc_conf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0";

static void usage(FILE *out)
{
    fprintf(out, "Usage: faasbus-connector [-c FILE] [--print-config] [--version] [--help]\n\n"
                 "Consumes Kafka topics and calls the functions whose `topic` annotation\n"
                 "(from the gateway) or config-file route names them; publishes replies to\n"
                 "their reply-topic and exhausted failures to their error-topic, and commits\n"
                 "an offset only once every earlier record of its partition is final.\n"
                 "Settings come from the environment, else from FILE, else the defaults\n"
                 "below; FILE also holds `routes` and librdkafka properties (see\n"
                 "config/connector.conf).\n\n"
                 "Settings (file key / environment variable, default):\n");
    cn_config_help(out);
}

static void on_signal(struct loop *lp, int signo, void *arg)
{
    struct cn *cn = arg;

    if (signo == SIGHUP) {
        if (!cn->stopping)
            cn_reload(cn);
        return;
    }
    if (cn->stopping) {
        log_warn("main", "signal %d again: exiting without waiting for the drain", signo);
        loop_stop(lp);
        return;
    }
    log_info("main", "signal %d received: draining, committing and leaving", signo);
    cn_stop(cn, 0);
}

static int start_http(struct cn *cn, char *err, size_t errlen)
{
    struct httpd_opts o = {
        .name = "http",
        .addr = cn->cfg.bind_address,
        .port = (int)cn->cfg.port,
        .listen_fd = listenfd_take(),
        /* A callback carries a function's response (async.h). */
        .max_body = (size_t)cn->cfg.max_response_size + 64 * 1024,
        .idle_timeout_ms = 30000,
    };

    cn->http = httpd_start(cn->lp, &o, err, errlen);
    if (!cn->http)
        return -1;
    cn->async = cn_async_new(cn, httpd_port(cn->http));
    cn_api_routes(cn, cn->http);
    return 0;
}

static void on_kafka_fatal(void *arg)
{
    cn_stop(arg, 1);
}

static bool on_table(void *arg, struct cn_table *t)
{
    return cn_set_table(arg, t);
}

/* Every call to gateway_url's host:port, the route refresh's too, goes
 * through the gateway's Unix socket. */
static int via_gateway_socket(struct cn *cn, char *err, size_t errlen)
{
    char host[256], port[8];
    const char *path;
    if (up_split_url(cn->cfg.gateway_url, host, sizeof host, port, sizeof port, &path, err,
                     errlen) < 0)
        return -1;
    if (uppool_via_unix(cn->conns, host, port, cn->cfg.gateway_socket) < 0) {
        snprintf(err, errlen, "gateway_socket: '%s' is empty or too long for a unix socket",
                 cn->cfg.gateway_socket);
        return -1;
    }
    return 0;
}

static int start(struct cn *cn, char *err, size_t errlen)
{
    cn->lp = loop_new();
    cn->curl = curlloop_new(cn->lp);
    /* A handle per call the connector may have out, and a few for the
     * refresh and the async callbacks' answers: none made per call at full
     * load. */
    curlloop_keep(cn->curl, (size_t)cn->cfg.max_inflight + 8);
    cn->conns = uppool_new(cn->lp);
    if (cn->cfg.gateway_socket && via_gateway_socket(cn, err, errlen) < 0)
        return -1;
    cn_metrics_init(cn);
    cn->table = cn_table_new();
    cn->dispatch = cn_dispatch_new(cn, &cn_outcome_ops);
    /* The consumer first: it checks that the brokers answer. Kafka is
     * optional (brokers empty: NATS only). */
    if (*cn->cfg.brokers) {
        cn->consumer = cn_consumer_new(cn, on_kafka_fatal, cn, err, errlen);
        if (!cn->consumer)
            return -1;
        cn->producer = cn_producer_new(cn->lp, &cn->cfg, err, errlen);
        if (!cn->producer)
            return -1;
    }
    if (start_http(cn, err, errlen) < 0)
        return -1;
    if (signals_watch_hup(cn->lp, on_signal, cn) < 0) {
        snprintf(err, errlen, "cannot watch signals");
        return -1;
    }
    /* After signals are blocked: cnats' threads must never take SIGTERM. */
    if (*cn->cfg.nats_url && !(cn->nats = cn_nats_new(cn, err, errlen)))
        return -1;
    cn->refresh = cn_refresh_start(cn, on_table, cn);
    cn_trim_start(cn);
    log_info("main",
             "faasbus-connector %s on port %d: gateway %s%s%s, brokers %s, nats %s, "
             "group %s",
             FAASBUS_VERSION, httpd_port(cn->http), cn->cfg.gateway_url,
             cn->cfg.gateway_socket ? " through unix socket " : "",
             cn->cfg.gateway_socket ? cn->cfg.gateway_socket : "",
             *cn->cfg.brokers ? cn->cfg.brokers : "(none)",
             *cn->cfg.nats_url ? cn->cfg.nats_url : "(none)", cn->cfg.group);
    return 0;
}

static void cleanup(struct cn *cn)
{
    idletrim_stop(&cn->trim);
    cn_refresh_free(cn->refresh);
    httpd_stop(cn->http);
    /* The consumer abandons what it still holds through the dispatcher,
     * which detaches from the producer's pending deliveries. */
    cn_consumer_free(cn->consumer);
    cn_nats_free(cn->nats);   /* also ends NATS publishes in flight, detached by now */
    cn_async_free(cn->async); /* after the consumer: abandoned branches forget their ids */
    cn_producer_free(cn->producer, FLUSH_AT_EXIT_MS);
    cn_dispatch_free(cn->dispatch);
    cn_table_unref(cn->table);
    curlloop_free(cn->curl);
    uppool_free(cn->conns);
    metrics_free(cn->m.reg);
    loop_free(cn->lp);
    cn_config_free(&cn->cfg);
}

int main(int argc, char **argv)
{
    static struct cn cn;
    struct cli args;
    char err[1024];
    enum log_level level;
    int rc = cli_parse(argc, argv, "faasbus-connector", usage, &args);

    if (rc >= 0)
        return rc;
    log_init("connector", LOGL_INFO);
    cn.conf_file = args.file;
    if (cn_config_load(&cn.cfg, args.file, err, sizeof err) < 0 ||
        cn_kconf_check(&cn.cfg, err, sizeof err) < 0) {
        fprintf(stderr, "faasbus-connector: %s\n", err);
        cn_config_free(&cn.cfg);
        return 2;
    }
    if (args.print_config) {
        cn_config_print(&cn.cfg, stdout);
        cn_config_free(&cn.cfg);
        return 0;
    }
    if (log_level_parse(cn.cfg.log_level, &level) == 0)
        log_threshold = level;
    jsq_init(); /* libcurl is loaded, and initialised, on first use */
    if (start(&cn, err, sizeof err) < 0) {
        log_error("main", "%s", err);
        rc = 1;
    } else {
        loop_run(cn.lp);
        rc = cn.exit_code;
    }
    cleanup(&cn);
    curl_global_cleanup();
    return rc;
}
