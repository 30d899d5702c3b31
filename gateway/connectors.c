/* connectors.c -- GET /system/connectors: each configured connector's
 * routing table and counters, for the portal's topology.
 *
 * For every URL of connector_urls the gateway asks GET /routes and
 * GET /metrics through its curl loop, all at once, and answers when every
 * call has ended (each has a short timeout), so one connector that is down
 * or slow costs the page that timeout, never a thread. The answer is a
 * JSON array in the order of connector_urls:
 *   {"url", "up", "error", "routes", "topics", "metrics"}
 * with "up" false and "error" saying why when /routes did not answer 200
 * with a routing table; "metrics" is the connector's Prometheus text ("" if
 * it did not answer). The client leaving early cancels the calls. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "gw.h"
#include "hclient.h"
#include "httpd.h"
#include "reply.h"
#include "xalloc.h"

#define PROBE_TIMEOUT_MS 2000
#define MAX_CONNECTORS 32

struct fetch;

struct probe {
    struct fetch *f;
    char *url; /* base, without a trailing '/' */
    struct hclient_call *routes_call, *metrics_call;
    json_t *table; /* the connector's /routes answer */
    char *metrics;
    char *error;
};

struct fetch {
    struct httpd_req *req;
    struct probe probes[MAX_CONNECTORS];
    size_t n, pending;
};

static json_t *probe_json(const struct probe *p)
{
    json_t *routes = p->table ? json_object_get(p->table, "routes") : NULL;
    json_t *topics = p->table ? json_object_get(p->table, "topics") : NULL;
    /* New references either way: json_pack's "o" steals them. */
    routes = routes ? json_incref(routes) : json_array();
    topics = topics ? json_incref(topics) : json_array();
    return json_pack("{s:s, s:b, s:s?, s:o, s:o, s:s}", "url", p->url, "up", p->table != NULL,
                     "error", p->error, "routes", routes, "topics", topics, "metrics",
                     p->metrics ? p->metrics : "");
}

static void answer(struct fetch *f)
{
    json_t *out = json_array();
    for (size_t i = 0; i < f->n; i++)
        json_array_append_new(out, probe_json(&f->probes[i]));
    httpd_add_header(f->req, "Cache-Control", "no-store");
    gw_reply_json(f->req, 200, out);
}

static void call_ended(struct fetch *f)
{
    if (--f->pending == 0)
        answer(f);
}

static char *describe(const struct hclient_response *r)
{
    if (r->error)
        return xstrdup(r->error);
    return xasprintf("/routes answered %ld", r->status);
}

static void on_routes(void *arg, const struct hclient_response *r)
{
    struct probe *p = arg;
    p->routes_call = NULL;
    json_t *t = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    if (t && json_is_array(json_object_get(t, "routes"))) {
        p->table = t;
    } else {
        json_decref(t);
        p->error = r->status == 200 ? xstrdup("/routes is not a routing table") : describe(r);
    }
    call_ended(p->f);
}

static void on_metrics(void *arg, const struct hclient_response *r)
{
    struct probe *p = arg;
    p->metrics_call = NULL;
    if (r->status == 200)
        p->metrics = xstrndup(r->body, r->len);
    call_ended(p->f);
}

static void fetch_free(struct fetch *f)
{
    for (size_t i = 0; i < f->n; i++) {
        struct probe *p = &f->probes[i];
        hclient_cancel(p->routes_call);
        hclient_cancel(p->metrics_call);
        json_decref(p->table);
        free(p->metrics);
        free(p->error);
        free(p->url);
    }
    free(f);
}

/* Runs once the response went out or the client left: in-flight calls
 * (only when it left) are cancelled, so no callback touches f after. */
static void on_done(void *arg, bool completed)
{
    (void)completed;
    fetch_free(arg);
}

/* Splits connector_urls into f's probes (blanks skipped). */
static void parse_urls(struct fetch *f, const char *list)
{
    for (const char *s = list; *s && f->n < MAX_CONNECTORS;) {
        size_t n = strcspn(s, ",");
        size_t a = 0, b = n;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '/'))
            b--;
        if (b > a)
            f->probes[f->n++] = (struct probe){ .f = f, .url = xstrndup(s + a, b - a) };
        s += n + (s[n] == ',');
    }
}

static struct hclient_call *ask(struct gw *gw, struct probe *p, const char *path, hclient_fn *fn)
{
    char *url = xasprintf("%s%s", p->url, path);
    struct hclient_request r = { .url = url, .timeout_ms = PROBE_TIMEOUT_MS };
    struct hclient_call *c = hclient_start(gw->curl, &r, fn, p);
    free(url);
    return c;
}

void gw_api_connectors(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "GET"))
        return;
    struct fetch *f = xcalloc(1, sizeof *f);
    f->req = req;
    parse_urls(f, gw->cfg.connector_urls);
    if (f->n == 0) {
        fetch_free(f);
        gw_reply_json(req, 200, json_array());
        return;
    }
    /* Counted before any call starts: one may end at once, inside
     * hclient_start, and must not find the count at zero. */
    f->pending = 2 * f->n;
    httpd_req_on_done(req, on_done, f);
    for (size_t i = 0; i < f->n; i++) {
        struct probe *p = &f->probes[i];
        p->routes_call = ask(gw, p, "/routes", on_routes);
        p->metrics_call = ask(gw, p, "/metrics", on_metrics);
    }
}
