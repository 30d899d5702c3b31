/* api.c -- /healthz, /readyz, /metrics, /routes, and /callback (async.h). */
#include "api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async.h"
#include "bus.h"
#include "cn.h"
#include "consumer.h"
#include "dispatch.h"
#include "httpd.h"
#include "metrics.h"
#include "nats_source.h"

static void on_healthz(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond(req, 200, "OK\n", 3);
}

/* Why the connector cannot do its job right now, or NULL if it can. */
static const char *not_ready(const struct cn *cn, char *why, size_t len)
{
    if (cn->stopping)
        return "stopping";
    if (!cn->table_loaded)
        return "the routing table has not been loaded from the gateway yet";
    if (!cn->gateway_ok)
        return "the gateway did not answer the last routing table refresh";
    if (!cn_consumer_ready(cn->consumer, why, len))
        return why;
    if (cn->nats && !cn_nats_ready(cn->nats, why, len))
        return why;
    return NULL;
}

static void on_readyz(struct httpd_req *req, void *arg)
{
    struct cn *cn = arg;
    char why[600];
    const char *reason = not_ready(cn, why, sizeof why);

    if (reason)
        httpd_respondf(req, 503, "not ready: %s\n", reason);
    else
        httpd_respond(req, 200, "ready\n", 6);
}

static void on_metrics(struct httpd_req *req, void *arg)
{
    struct cn *cn = arg;
    size_t len;
    char *text;

    cn_consumer_update_metrics(cn->consumer);
    text = metrics_render(cn->m.reg, &len);
    httpd_add_header(req, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    httpd_respond(req, 200, text, len);
    free(text);
}

static json_t *topics_json(const struct cn *cn)
{
    char *topics = cn_bus_kafka_topics(cn->table);
    const char *list = *cn->cfg.topics ? cn->cfg.topics : topics;
    json_t *a = json_array();

    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        json_array_append_new(a, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    free(topics);
    return a;
}

/* The table's routes with the calls each has in flight now. */
static json_t *routes_json(const struct cn *cn)
{
    json_t *a = cn_table_json(cn->table);

    for (size_t i = 0; i < cn->table->n; i++)
        json_object_set_new(
            json_array_get(a, i), "inflight",
            json_integer(cn_dispatch_route_inflight(cn->dispatch, &cn->table->routes[i])));
    return a;
}

static void on_routes(struct httpd_req *req, void *arg)
{
    struct cn *cn = arg;
    json_t *out = json_pack("{s:o, s:o, s:b, s:b}", "routes", routes_json(cn), "topics",
                            topics_json(cn), "loaded", cn->table_loaded, "gateway_ok",
                            cn->gateway_ok);
    char *text = json_dumps(out, JSON_INDENT(2));

    httpd_add_header(req, "Content-Type", "application/json");
    httpd_respond(req, 200, text, strlen(text));
    free(text);
    json_decref(out);
}

static void on_unknown(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respondf(req, 404, "not found: %s (try /healthz, /readyz, /metrics, /routes)\n",
                   httpd_req_path(req));
}

void cn_api_routes(struct cn *cn, struct httpd *h)
{
    httpd_route(h, "/healthz", HTTPD_BODY_BUFFER, on_healthz, cn);
    httpd_route(h, "/readyz", HTTPD_BODY_BUFFER, on_readyz, cn);
    httpd_route(h, "/metrics", HTTPD_BODY_BUFFER, on_metrics, cn);
    httpd_route(h, "/routes", HTTPD_BODY_BUFFER, on_routes, cn);
    httpd_route(h, "/callback", HTTPD_BODY_BUFFER, cn_async_on_callback, cn);
    httpd_route(h, "*", HTTPD_BODY_BUFFER, on_unknown, cn);
}
