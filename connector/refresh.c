/* refresh.c -- routes from the gateway's function list, on a timer.
 *
 * An http:// gateway is asked over lib/h1call, on the connections the
 * calls use; only an https:// one needs libcurl (hclient), which a
 * connector then loads (lib/curl_ondemand.c). */
#include "refresh.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cn.h"
#include "h1call.h"
#include "hclient.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "xalloc.h"

#define REQUEST_TIMEOUT_MS 5000
#define LIST_MAX (16 * 1024 * 1024) /* largest function list we accept */
#define WARNINGS_MAX 64

/* One GET's answer, whichever client carried it. */
struct answer {
    long status;
    const char *body;
    size_t len;
    const char *error; /* NULL if it answered */
};

struct cn_refresh;
typedef void answer_fn(struct cn_refresh *r, const struct answer *a);

struct cn_refresh {
    struct cn *cn;
    cn_refresh_table_fn *on_table;
    void *arg;
    struct loop_timer *timer;
    struct hclient_call *call; /* https:// */
    struct h1call h1;          /* http:// */
    answer_fn *then;           /* for the GET in flight */
    char *auth_header;         /* "Authorization: Basic ...", or NULL */
    json_t *namespaces;        /* the list being walked */
    size_t next_ns;
    struct cn_table *building;
    char *warnings[WARNINGS_MAX]; /* about annotations, logged if the table changes */
    size_t nwarnings;
    bool failing; /* logged once per outage */
};

static void tick(struct loop *lp, void *arg);
static void next_namespace(struct cn_refresh *r);

static void reset(struct cn_refresh *r)
{
    json_decref(r->namespaces);
    r->namespaces = NULL;
    cn_table_unref(r->building);
    r->building = NULL;
    for (size_t i = 0; i < r->nwarnings; i++)
        free(r->warnings[i]);
    r->nwarnings = 0;
}

static void schedule(struct cn_refresh *r)
{
    reset(r);
    r->timer = loop_timer_add(r->cn->lp, r->cn->cfg.rebuild_interval_ms, tick, r);
}

static void failed(struct cn_refresh *r, const char *why)
{
    struct cn *cn = r->cn;

    metric_add(cn->m.refreshes, (const char *[]){ "failed" }, 1);
    cn->gateway_ok = false;
    if (!r->failing)
        log_warn("routes",
                 "cannot refresh the routing table from %s: %s; keeping the "
                 "last one (%zu routes)%s",
                 cn->cfg.gateway_url, why, cn->table->n,
                 cn->table_loaded ? "" : "; not consuming until the gateway answers");
    r->failing = true;
    schedule(r);
}

static void warn(void *arg, const char *msg)
{
    struct cn_refresh *r = arg;

    if (r->nwarnings < WARNINGS_MAX)
        r->warnings[r->nwarnings++] = xstrdup(msg);
}

static void done(struct cn_refresh *r)
{
    struct cn *cn = r->cn;
    struct cn_table *t = r->building;

    r->building = NULL;
    cn_table_seal(t);
    metric_add(cn->m.refreshes, (const char *[]){ "ok" }, 1);
    if (r->failing)
        log_info("routes", "the gateway answers again: routing table refreshed");
    r->failing = false;
    cn->gateway_ok = true;
    if (r->on_table(r->arg, t)) {
        for (size_t i = 0; i < r->nwarnings; i++)
            log_warn("routes", "%s", r->warnings[i]);
    }
    schedule(r);
}

/* Parses a 200 answer holding a JSON array; NULL (and failed()) else. */
static json_t *json_answer(struct cn_refresh *r, const struct answer *res, const char *what)
{
    char detail[256];
    json_t *v;

    if (res->error) {
        failed(r, res->error);
        return NULL;
    }
    if (res->status != 200) {
        snprintf(detail, sizeof detail, "%s answered HTTP %ld", what, res->status);
        failed(r, detail);
        return NULL;
    }
    v = json_loadb(res->body, res->len, 0, NULL);
    if (!json_is_array(v)) {
        json_decref(v);
        snprintf(detail, sizeof detail, "%s did not answer a JSON array", what);
        failed(r, detail);
        return NULL;
    }
    return v;
}

static void on_functions(struct cn_refresh *r, const struct answer *res)
{
    json_t *list = json_answer(r, res, "/system/functions");
    size_t i;
    json_t *fn;

    if (!list)
        return;
    json_array_foreach(list, i, fn)
        cn_table_add_function(r->building, fn, &r->cn->cfg.defaults, warn, r);
    json_decref(list);
    next_namespace(r);
}

static void on_hclient(void *arg, const struct hclient_response *res)
{
    struct cn_refresh *r = arg;
    struct answer a = { res->status, res->body, res->len, res->error };

    r->call = NULL;
    r->then(r, &a);
}

static void on_h1(void *arg, const struct h1call_result *res)
{
    struct cn_refresh *r = arg;
    struct answer a = { res->status, res->body, res->len, res->error };

    if (res->kind != H1CALL_ANSWERED && !a.error)
        a.error = "no answer";
    r->then(r, &a);
}

static void get(struct cn_refresh *r, const char *path, answer_fn *then)
{
    char *url = xasprintf("%s%s", r->cn->cfg.gateway_url, path);

    r->then = then;
    if (strncmp(url, "http://", 7) == 0) {
        char *lines = r->auth_header ? xasprintf("%s\r\n", r->auth_header) : NULL;
        struct h1call_request req = {
            .method = "GET",
            .url = url,
            .lines = lines,
            .lines_len = lines ? strlen(lines) : 0,
            .timeout_ms = REQUEST_TIMEOUT_MS,
            .max_response = LIST_MAX,
        };
        h1call_start(&r->h1, r->cn->conns, r->cn->lp, &req, on_h1, r);
        free(lines);
    } else {
        const char *headers[] = { r->auth_header, NULL };
        struct hclient_request req = {
            .url = url,
            .headers = headers,
            .timeout_ms = REQUEST_TIMEOUT_MS,
            .max_response = LIST_MAX,
            .ca_file = r->cn->cfg.gateway_tls_ca,
        };
        r->call = hclient_start(r->cn->curl, &req, on_hclient, r);
    }
    free(url);
}

/* Namespaces are DNS labels; anything else is not asked for. */
static bool ns_ok(const char *ns)
{
    size_t n = ns ? strlen(ns) : 0;

    return n > 0 && n < 254 && strspn(ns, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n;
}

static void next_namespace(struct cn_refresh *r)
{
    while (r->next_ns < json_array_size(r->namespaces)) {
        const char *ns = json_string_value(json_array_get(r->namespaces, r->next_ns++));
        if (!ns_ok(ns))
            continue;
        char *path = xasprintf("/system/functions?namespace=%s", ns);
        get(r, path, on_functions);
        free(path);
        return;
    }
    done(r);
}

static void on_namespaces(struct cn_refresh *r, const struct answer *res)
{
    /* A gateway without namespaces lists only the default one. */
    if (!res->error && res->status == 404) {
        r->namespaces = json_pack("[s]", CN_DEFAULT_NAMESPACE);
    } else {
        r->namespaces = json_answer(r, res, "/system/namespaces");
        if (!r->namespaces)
            return;
    }
    r->next_ns = 0;
    next_namespace(r);
}

static void tick(struct loop *lp, void *arg)
{
    struct cn_refresh *r = arg;
    const struct cn_config *cfg = &r->cn->cfg;
    (void)lp;

    r->timer = NULL;
    h1call_trim(&r->h1, 64 << 10); /* a long list's buffer is not kept */
    /* Config routes go in first: of two routes with the same topic and
     * function, the first added stays. */
    r->building = cn_table_new();
    for (size_t i = 0; i < cfg->nroutes; i++)
        cn_table_add(r->building, &cfg->routes[i]);
    get(r, "/system/namespaces", on_namespaces);
}

void cn_refresh_now(struct cn_refresh *r)
{
    if (!r || !r->timer)
        return;
    loop_timer_cancel(r->cn->lp, r->timer);
    r->timer = loop_timer_add(r->cn->lp, 0, tick, r);
}

struct cn_refresh *cn_refresh_start(struct cn *cn, cn_refresh_table_fn *on_table, void *arg)
{
    struct cn_refresh *r = xcalloc(1, sizeof *r);

    r->cn = cn;
    r->on_table = on_table;
    r->arg = arg;
    h1call_init(&r->h1);
    if (cn->cfg.auth) {
        char *b64 = base64_encode((const unsigned char *)cn->cfg.auth, strlen(cn->cfg.auth));
        r->auth_header = xasprintf("Authorization: Basic %s", b64);
        free(b64);
    }
    r->timer = loop_timer_add(cn->lp, 0, tick, r);
    return r;
}

void cn_refresh_free(struct cn_refresh *r)
{
    if (!r)
        return;
    if (r->timer)
        loop_timer_cancel(r->cn->lp, r->timer);
    hclient_cancel(r->call);
    h1call_cancel(&r->h1);
    h1call_cleanup(&r->h1);
    reset(r);
    free(r->auth_header);
    free(r);
}
