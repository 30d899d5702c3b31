/* k8s_api.c -- the Kubernetes API over libcurl on the loop. */
#include "k8s_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "curlloop.h"
#include "k8s_config.h"
#include "lines.h"
#include "list.h"
#include "loop.h"
#include "xalloc.h"

#define MAX_ANSWER (256u << 20) /* a list of thousands of Deployments */
#define MAX_LINE (16u << 20)    /* one watch event */
/* Calls at once (streams aside): more wait their turn, so a burst (a
 * thousand scales) reuses a few kept-alive connections instead of a TLS
 * handshake each, and the API server is not flooded. */
#define MAX_RUNNING 8

struct k8s_api {
    struct loop *lp;
    struct curlloop *cl;
    struct k8s_creds c;
    char *token; /* the bearer token now in use */
    struct timespec token_mtime;
    off_t token_size;
    struct timespec config_mtime; /* of c.config_path when its token was taken */
    struct list live;             /* every transfer not yet ended */
    unsigned running;             /* calls added to libcurl */
    struct list queue;            /* calls waiting for their turn, oldest first */
    struct loop_timer *kick;      /* starts waiting calls */
    bool closing;
};

/* A call or a stream: one transfer. */
struct k8s_xfer {
    struct k8s_api *a;
    CURL *easy;
    struct curlloop_job job;
    struct curl_slist *headers;
    char *sent;
    struct buf answer;  /* a call's body, or a failed stream's */
    struct lines lines; /* a stream's body while it is 200 */
    bool stream;
    bool quit; /* the reader wants no more lines */
    bool opened;
    k8s_open_fn *open;
    /* A stream's bytes wait here for the loop: readers start requests,
     * which libcurl refuses from inside its own callbacks. */
    struct buf pending;
    struct loop_timer *deliver;
    struct list_node node; /* in a->live while linked */
    bool linked;
    struct list_node turn; /* in a->queue while waiting */
    bool waiting, running; /* a call for its turn, or added */
    k8s_done_fn *done;
    k8s_line_fn *line;
    void *arg;
};
struct k8s_call {
    struct k8s_xfer x;
};
struct k8s_stream {
    struct k8s_xfer x;
};

static void xfer_free(struct k8s_xfer *x);
static void finish(struct k8s_xfer *x, struct k8s_result *r);

static bool same_time(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* The kubeconfig changed (kubectl, or whoever rotates its token): its
 * user's token as it says now. */
static void refresh_config_token(struct k8s_api *a)
{
    struct stat st;
    if (!a->c.config_path || stat(a->c.config_path, &st) != 0 ||
        same_time(&st.st_mtim, &a->config_mtime))
        return;
    bool first = a->config_mtime.tv_sec == 0 && a->config_mtime.tv_nsec == 0;
    a->config_mtime = st.st_mtim;
    if (first)
        return; /* what k8s_config_load read */
    struct k8s_creds now;
    char err[256];
    char *dir = xstrdup(a->c.config_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    FILE *f = fopen(a->c.config_path, "re");
    char *text = NULL;
    size_t len = 0;
    if (f) {
        text = xmalloc((size_t)st.st_size + 1);
        len = fread(text, 1, (size_t)st.st_size, f);
        fclose(f);
    }
    if (text && k8s_config_parse(text, len, slash ? dir : ".", a->c.config_context, &now, err,
                                 sizeof err) == 0) {
        if (now.token && (!a->token || strcmp(now.token, a->token) != 0)) {
            free(a->token);
            a->token = xstrdup(now.token);
        }
        k8s_creds_free(&now);
    }
    free(text);
    free(dir);
}

/* The token file changed (or was never read): take it again. */
static void refresh_token(struct k8s_api *a)
{
    refresh_config_token(a);
    struct stat st;
    if (!a->c.token_file || stat(a->c.token_file, &st) != 0)
        return;
    if (a->token && st.st_mtim.tv_sec == a->token_mtime.tv_sec &&
        st.st_mtim.tv_nsec == a->token_mtime.tv_nsec && st.st_size == a->token_size)
        return;
    FILE *f = fopen(a->c.token_file, "re");
    if (!f)
        return;
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    free(a->token);
    a->token = xstrndup(buf, n);
    a->token_mtime = st.st_mtim;
    a->token_size = st.st_size;
}

struct k8s_api *k8s_api_new(struct loop *lp, struct curlloop *cl, struct k8s_creds *creds)
{
    struct k8s_api *a = xcalloc(1, sizeof *a);
    a->lp = lp;
    a->cl = cl;
    a->c = *creds;
    memset(creds, 0, sizeof *creds);
    if (a->c.token)
        a->token = xstrdup(a->c.token);
    refresh_token(a);
    return a;
}

void k8s_api_free(struct k8s_api *a)
{
    if (!a)
        return;
    /* A call still waiting is told (its owner frees what it holds); a
     * stream's owner has let go of it already. */
    a->closing = true;
    loop_timer_cancel(a->lp, a->kick);
    a->kick = NULL;
    for (struct list_node *it; (it = list_pop_front(&a->live));) {
        /* Unlinked here, so the drain visibly moves on whatever the
         * owner's callback does (xfer_free skips an unlinked one). */
        struct k8s_xfer *x = LIST_ENTRY(it, struct k8s_xfer, node);
        x->linked = false;
        struct k8s_result r = {
            .status = 0, .error = "the gateway is stopping", .reason = "", .message = ""
        };
        if (x->stream)
            xfer_free(x);
        else
            finish(x, &r);
    }
    k8s_creds_free(&a->c);
    free(a->token);
    free(a);
}

const char *k8s_api_server(const struct k8s_api *a)
{
    return a->c.server;
}

static void set_blob(CURL *e, CURLoption opt, const char *pem)
{
    struct curl_blob b = { .data = (void *)pem, .len = strlen(pem), .flags = CURL_BLOB_COPY };
    curl_easy_setopt(e, opt, &b);
}

static void set_tls(struct k8s_api *a, CURL *e)
{
    if (a->c.ca_pem)
        set_blob(e, CURLOPT_CAINFO_BLOB, a->c.ca_pem);
    else if (a->c.ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, a->c.ca_file);
    if (a->c.cert_pem)
        set_blob(e, CURLOPT_SSLCERT_BLOB, a->c.cert_pem);
    else if (a->c.cert_file)
        curl_easy_setopt(e, CURLOPT_SSLCERT, a->c.cert_file);
    if (a->c.key_pem)
        set_blob(e, CURLOPT_SSLKEY_BLOB, a->c.key_pem);
    else if (a->c.key_file)
        curl_easy_setopt(e, CURLOPT_SSLKEY, a->c.key_file);
    if (a->c.insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static void on_kick(struct loop *lp, void *arg);

static void xfer_free(struct k8s_xfer *x)
{
    if (x->running) {
        x->a->running--;
        if (!x->a->kick && !x->a->closing)
            x->a->kick = loop_timer_add(x->a->lp, 0, on_kick, x->a);
    }
    if (x->linked)
        list_remove(&x->a->live, &x->node);
    if (x->waiting)
        list_remove(&x->a->queue, &x->turn);
    loop_timer_cancel(x->a->lp, x->deliver);
    buf_cleanup(&x->pending);
    curlloop_release(x->a->cl, x->easy);
    curl_slist_free_all(x->headers);
    free(x->sent);
    buf_cleanup(&x->answer);
    if (x->stream)
        lines_cleanup(&x->lines);
    free(x);
}

static long status_of(CURL *e)
{
    long code = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/* The bytes that came, as lines, from the loop. A reader that wants no
 * more ends the stream here. */
static void take_pending(struct k8s_xfer *x)
{
    if (x->pending.len && !x->quit)
        lines_feed(&x->lines, buf_peek(&x->pending), x->pending.len);
    buf_consume(&x->pending, x->pending.len);
}

static void on_deliver(struct loop *lp, void *arg)
{
    (void)lp;
    struct k8s_xfer *x = arg;
    x->deliver = NULL;
    take_pending(x);
    if (x->quit) {
        struct k8s_result r = { .status = 200, .reason = "", .message = "" };
        finish(x, &r);
    }
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    struct k8s_xfer *x = arg;
    size_t len = size * n;
    if (x->quit)
        return 0; /* libcurl ends the transfer; on_done reports it */
    if (x->stream && status_of(x->easy) == 200) {
        if (buf_append(&x->pending, data, len) < 0)
            return 0;
        if (!x->deliver)
            x->deliver = loop_timer_add(x->a->lp, 0, on_deliver, x);
    } else if (buf_append(&x->answer, data, len) < 0)
        return 0; /* too big: the transfer fails */
    return len;
}

/* The end of a head (a blank line) that is not a 1xx: the answer. */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct k8s_xfer *x = arg;
    size_t len = size * n;
    bool blank = (len == 2 && data[0] == '\r') || (len == 1 && data[0] == '\n');
    long status = blank ? status_of(x->easy) : 0;
    if (blank && status >= 200 && !x->opened && x->open) {
        x->opened = true;
        x->open(x->arg, status);
    }
    return len;
}

static void on_line(void *arg, const char *line, size_t len)
{
    struct k8s_xfer *x = arg;
    if (!x->quit && !x->line(x->arg, line, len))
        x->quit = true;
}

static void on_done(void *arg, CURL *easy, CURLcode rc)
{
    struct k8s_xfer *x = arg;
    struct k8s_result r = { .reason = "", .message = "" };
    r.status = rc == CURLE_OK || (x->stream && status_of(easy) == 200) ? status_of(easy) : 0;
    if (rc != CURLE_OK && !(x->stream && r.status == 200))
        r.error = curl_easy_strerror(rc);
    if (x->stream && r.status == 200) {
        take_pending(x);
        if (!x->quit)
            lines_flush(&x->lines);
    }
    if (x->answer.len)
        r.body = json_loadb(buf_peek(&x->answer), x->answer.len, 0, NULL);
    if (r.status >= 300 && json_is_object(r.body)) {
        const char *reason = json_string_value(json_object_get(r.body, "reason"));
        const char *msg = json_string_value(json_object_get(r.body, "message"));
        r.reason = reason ? reason : "";
        r.message = msg ? msg : "";
    }
    finish(x, &r);
}

static void finish(struct k8s_xfer *x, struct k8s_result *r)
{
    k8s_done_fn *done = x->done;
    void *done_arg = x->arg;
    json_t *body = r->body;
    xfer_free(x);
    done(done_arg, r);
    json_decref(body);
}

static struct k8s_xfer *xfer_start(struct k8s_api *a, struct k8s_xfer *x, const char *method,
                                   const char *path, const char *content_type, const json_t *body,
                                   int64_t timeout_ms)
{
    x->a = a;
    list_push_front(&a->live, &x->node);
    x->linked = true;
    buf_init(&x->answer, MAX_ANSWER);
    buf_init(&x->pending, MAX_ANSWER);
    x->job = (struct curlloop_job){ .done = on_done, .arg = x };
    x->easy = a->closing ? NULL : curlloop_easy(a->cl);
    if (!x->easy) {
        xfer_free(x);
        return NULL;
    }
    refresh_token(a);
    char *url = xasprintf("%s%s", a->c.server, path);
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    x->headers = curl_slist_append(NULL, "Accept: application/json");
    if (a->token) {
        char *auth = xasprintf("Authorization: Bearer %s", a->token);
        x->headers = curl_slist_append(x->headers, auth);
        free(auth);
    }
    if (body) {
        x->sent = json_dumps(body, JSON_COMPACT);
        char *ct = xasprintf("Content-Type: %s", content_type ? content_type : "application/json");
        x->headers = curl_slist_append(x->headers, ct);
        free(ct);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->sent);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(x->sent));
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    if (x->stream) {
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    }
    set_tls(a, e);
    if (!x->stream && a->running >= MAX_RUNNING) {
        x->waiting = true;
        list_push_back(&a->queue, &x->turn);
        return x;
    }
    if (curlloop_add(a->cl, e, &x->job) < 0) {
        xfer_free(x);
        return NULL;
    }
    x->running = !x->stream;
    a->running += x->running;
    return x;
}

/* Calls that waited, oldest first, while there is room. */
static void on_kick(struct loop *lp, void *arg)
{
    (void)lp;
    struct k8s_api *a = arg;
    a->kick = NULL;
    while (a->running < MAX_RUNNING) {
        struct k8s_xfer *first = LIST_ENTRY(list_pop_front(&a->queue), struct k8s_xfer, turn);
        if (!first)
            return;
        first->waiting = false;
        if (curlloop_add(a->cl, first->easy, &first->job) < 0) {
            struct k8s_result r = {
                .status = 0, .error = "libcurl refused the transfer", .reason = "", .message = ""
            };
            finish(first, &r);
            continue;
        }
        first->running = true;
        a->running++;
    }
}

struct k8s_call *k8s_request(struct k8s_api *a, const char *method, const char *path,
                             const char *content_type, const json_t *body, int64_t timeout_ms,
                             k8s_done_fn *fn, void *arg)
{
    struct k8s_call *c = xcalloc(1, sizeof *c);
    c->x.done = fn;
    c->x.arg = arg;
    return (struct k8s_call *)xfer_start(a, &c->x, method, path, content_type, body, timeout_ms);
}

void k8s_cancel(struct k8s_call *c)
{
    if (c)
        xfer_free(&c->x);
}

struct k8s_stream *k8s_stream_start(struct k8s_api *a, const char *path, k8s_line_fn *line,
                                    k8s_done_fn *end, void *arg)
{
    struct k8s_stream *s = xcalloc(1, sizeof *s);
    s->x.stream = true;
    s->x.done = end;
    s->x.line = line;
    s->x.arg = arg;
    lines_init(&s->x.lines, MAX_LINE, on_line, &s->x);
    return (struct k8s_stream *)xfer_start(a, &s->x, "GET", path, NULL, NULL, 0);
}

void k8s_stream_on_open(struct k8s_stream *s, k8s_open_fn *open)
{
    if (!s)
        return;
    s->x.open = open;
}

void k8s_stream_stop(struct k8s_stream *s)
{
    if (s)
        xfer_free(&s->x);
}

const char *k8s_error_text(const struct k8s_api *a, const struct k8s_result *r, char *out,
                           size_t outlen)
{
    if (r->status == 0)
        snprintf(out, outlen, "Kubernetes API server %s unreachable: %s", a->c.server,
                 r->error ? r->error : "no answer");
    else if (*r->message)
        snprintf(out, outlen, "%s%s%s", r->reason, *r->reason ? ": " : "", r->message);
    else
        snprintf(out, outlen, "Kubernetes API answered HTTP %ld", r->status);
    return out;
}
