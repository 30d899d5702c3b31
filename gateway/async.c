/* async.c -- the /async-function/ route: check the call, collect its
 * body, turn it into a JetStream message and answer once it is stored. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "functions.h"
#include "gw.h"
#include "httpd.h"
#include "invoke.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "natsmsg.h"
#include "queue.h"
#include "queue_int.h"
#include "reply.h"
#include "xalloc.h"

static void enqueue_free(struct gw_enqueue *e)
{
    if (e->msg)
        natsmsg_free(e->msg);
    buf_cleanup(&e->body);
    free(e->name);
    free(e->ns);
    free(e->rest);
    free(e->label);
    free(e->call_id);
    free(e);
}

static void count(struct gw_enqueue *e, int status)
{
    char code[16];
    snprintf(code, sizeof code, "%d", status);
    metric_add(e->gw->queue->stored, (const char *[]){ e->label ? e->label : "-", code }, 1);
}

static size_t drop_body(void *arg, const char *data, size_t len, bool eof)
{
    (void)arg;
    (void)data;
    (void)eof;
    return len;
}

static void fail(struct gw_enqueue *e, int status, const char *msg)
{
    count(e, status);
    httpd_req_on_body(e->req, drop_body, NULL);
    httpd_add_header(e->req, "X-OpenFaaS-Internal", "gateway");
    httpd_add_header(e->req, "X-Call-Id", e->call_id);
    gw_reply_error(e->req, status, "%s", msg);
}

/* --- the message -------------------------------------------------------- */

/* Hop-by-hop headers describe our connection, not the call; Nats-* and
 * Faasbus-* are ours to set. */
static bool copied(const char *name)
{
    static const char *const skip[] = { "Connection",        "Keep-Alive",
                                        "Transfer-Encoding", "TE",
                                        "Upgrade",           "Proxy-Authorization",
                                        "Proxy-Connection",  "Host",
                                        "Content-Length",    "Expect",
                                        "Trailer",           NULL };
    for (const char *const *s = skip; *s; s++)
        if (strcasecmp(name, *s) == 0)
            return false;
    return strncasecmp(name, "Nats-", 5) != 0 && strncasecmp(name, "Faasbus-", 8) != 0;
}

static bool add_header(void *arg, const char *name, const char *value)
{
    if (copied(name) && strcasecmp(name, "X-Call-Id") != 0)
        natsMsgHeader_Add(arg, name, value);
    return true;
}

static void add_retry_annotations(natsMsg *m, const struct gw_fn *fn)
{
    static const char *const map[][2] = {
        { "com.openfaas.retry.attempts", QH_RETRY_ATTEMPTS },
        { "com.openfaas.retry.codes", QH_RETRY_CODES },
        { "com.openfaas.retry.min_wait", QH_RETRY_MIN_WAIT },
        { "com.openfaas.retry.max_wait", QH_RETRY_MAX_WAIT },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const char *v = gw_dep_map_get(fn->dep, "annotations", map[i][0]);
        if (v && *v)
            natsMsgHeader_Set(m, map[i][1], v);
    }
}

static natsMsg *build_message(struct gw_enqueue *e, const struct gw_fn *fn)
{
    natsMsg *m = NULL;
    if (natsMsg_Create(&m, e->gw->cfg.nats_subject, NULL, buf_peek(&e->body), (int)e->body.len) !=
        NATS_OK)
        return NULL;
    httpd_req_headers(e->req, add_header, m);
    const char *query = httpd_req_query(e->req);
    char queued[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(queued, sizeof queued, "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    natsMsgHeader_Set(m, "X-Call-Id", e->call_id);
    natsMsgHeader_Set(m, QH_FUNCTION, e->label);
    natsMsgHeader_Set(m, QH_METHOD, httpd_req_method(e->req));
    /* NATS headers cannot carry empty values faithfully: absent means "". */
    if (*e->rest)
        natsMsgHeader_Set(m, QH_PATH, e->rest);
    if (query && *query)
        natsMsgHeader_Set(m, QH_QUERY, query);
    natsMsgHeader_Set(m, QH_QUEUED, queued);
    add_retry_annotations(m, fn);
    return m;
}

/* --- storing and answering ---------------------------------------------- */

static void on_stored(void *arg)
{
    struct gw_enqueue *e = arg;
    e->storing = false;
    if (e->status == 202)
        log_debug("queue", "stored call %s for %s%s", e->call_id, e->label,
                  e->duplicate ? " (duplicate: already stored)" : "");
    else
        log_warn("queue", "call %s for %s not stored: %s", e->call_id, e->label, e->error);
    if (!e->req) { /* the client left; the call is stored or not all the same */
        count(e, e->status);
        enqueue_free(e);
        return;
    }
    if (e->status != 202) {
        fail(e, e->status, e->error);
        return;
    }
    count(e, 202);
    httpd_add_header(e->req, "X-Call-Id", e->call_id);
    if (e->duplicate)
        httpd_add_header(e->req, "X-Duplicate", "true");
    httpd_respond(e->req, 202, "", 0);
}

static void store(struct gw_enqueue *e)
{
    struct gw_fn *fn = gw_fn_find(e->gw, e->name, e->ns);
    char why[300];
    if (!fn) {
        snprintf(why, sizeof why, "function %s not found", e->label);
        fail(e, 404, why);
        return;
    }
    if (!gw_queue_ready(e->gw->queue, why, sizeof why)) {
        fail(e, 503, why);
        return;
    }
    e->msg = build_message(e, fn);
    buf_cleanup(&e->body);
    if (!e->msg) {
        fail(e, 500, "cannot build the queue message");
        return;
    }
    e->storing = true;
    gw_queue_store(e, on_stored);
}

static size_t take_body(void *arg, const char *data, size_t len, bool eof)
{
    struct gw_enqueue *e = arg;
    if (buf_append(&e->body, data, len) < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "the request body is larger than the async limit of %zu bytes",
                 e->body.max);
        fail(e, 413, msg);
        return len;
    }
    if (eof)
        store(e);
    return len;
}

static void on_done(void *arg, bool completed)
{
    (void)completed;
    struct gw_enqueue *e = arg;
    e->req = NULL;
    if (!e->storing)
        enqueue_free(e);
}

/* --- the route ---------------------------------------------------------- */

/* A callback URL must be an absolute http(s) URL with a host, and no
 * user info: credentials would be stored with the call and logged. */
static bool valid_callback(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL;
    bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
              (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) && *host;
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    return ok;
}

static int parse_target(struct gw_enqueue *e, char *err, size_t errlen)
{
    const char *p = httpd_req_path(e->req) + strlen("/async-function/");
    size_t len = strcspn(p, "/");
    char *full = xstrndup(p, len);
    e->rest = xstrdup(p + len);
    int rc = gw_split_name(full, NULL, &e->name, &e->ns, err, errlen);
    free(full);
    if (rc == 0)
        e->label = xasprintf("%s.%s", e->name, e->ns);
    return rc;
}

static bool check(struct gw_enqueue *e)
{
    char msg[300];
    if (parse_target(e, msg, sizeof msg) < 0) {
        fail(e, 400, msg);
        return false;
    }
    const char *cb = httpd_req_header(e->req, "X-Callback-Url");
    if (cb && !valid_callback(cb)) {
        snprintf(msg, sizeof msg,
                 "X-Callback-Url: not an absolute http(s) URL without user "
                 "info");
        fail(e, 400, msg);
        return false;
    }
    if (!gw_fn_find(e->gw, e->name, e->ns)) {
        snprintf(msg, sizeof msg, "function %s not found", e->label);
        fail(e, 404, msg);
        return false;
    }
    int64_t clen = httpd_req_content_length(e->req);
    if (clen > (int64_t)e->body.max) {
        snprintf(msg, sizeof msg,
                 "the request body (%lld bytes) is larger than the async "
                 "limit of %zu bytes",
                 (long long)clen, e->body.max);
        fail(e, 413, msg);
        return false;
    }
    return true;
}

void gw_async_invoke(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (gw->cfg.auth_functions && !gw_auth_check(gw, req))
        return;
    struct gw_enqueue *e = xcalloc(1, sizeof *e);
    e->gw = gw;
    e->req = req;
    const char *given = httpd_req_header(req, "X-Call-Id");
    e->call_id = given && *given ? xstrdup(given) : gw_new_call_id();
    buf_init(&e->body, gw_queue_max_body(gw->queue));
    httpd_req_on_done(req, on_done, e);
    if (!gw_method_is(req, "POST|PUT|PATCH|DELETE|GET")) {
        httpd_req_on_body(req, drop_body, NULL);
        return;
    }
    if (check(e))
        httpd_req_on_body(req, take_body, e);
}
