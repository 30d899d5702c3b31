/* docker_api.c -- the Docker Engine API over libcurl on the loop. */
#include "docker_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curlloop.h"
#include "hclient.h"
#include "urlenc.h"
#include "xalloc.h"

/* The newest API this client was written against (Docker 20.10). */
#define OUR_API_MAJOR 1
#define OUR_API_MINOR 41

struct dkr_engine {
    struct curlloop *cl;
    char *socket;          /* unix socket path, or NULL for TCP */
    char *base;            /* "http://docker", "http(s)://HOST:PORT" */
    char *cert, *key, *ca; /* TLS files, or NULL */
    bool insecure;
    char version[16];
};

struct dkr_call {
    struct dkr_engine *e;
    struct hclient_call *hc;
    dkr_done_fn *fn;
    void *arg;
    bool negotiating;
    bool starting; /* inside hclient_start: a failure there is returned */
};

struct dkr_stream {
    struct dkr_engine *e;
    CURL *easy;
    struct curlloop_job job;
    dkr_data_fn *data;
    dkr_end_fn *end;
    void *arg;
};

static bool readable(const char *dir, const char *file, char **out, char *err, size_t errlen)
{
    *out = xasprintf("%s/%s", dir, file);
    if (access(*out, R_OK) == 0)
        return true;
    snprintf(err, errlen, "docker_cert_path: cannot read %s", *out);
    return false;
}

struct dkr_engine *dkr_engine_new(struct curlloop *cl, const char *host, const char *cert_path,
                                  bool verify, char *err, size_t errlen)
{
    struct dkr_engine *e = xcalloc(1, sizeof *e);
    e->cl = cl;
    bool tls = cert_path && *cert_path;
    if (strncmp(host, "unix://", 7) == 0 && host[7] == '/') {
        e->socket = xstrdup(host + 7);
        e->base = xstrdup("http://docker");
    } else if (strncmp(host, "tcp://", 6) == 0 && host[6]) {
        e->base = xasprintf("%s://%s", tls ? "https" : "http", host + 6);
        if (tls && (!readable(cert_path, "cert.pem", &e->cert, err, errlen) ||
                    !readable(cert_path, "key.pem", &e->key, err, errlen) ||
                    (verify && !readable(cert_path, "ca.pem", &e->ca, err, errlen)))) {
            dkr_engine_free(e);
            return NULL;
        }
        e->insecure = tls && !verify;
    } else {
        snprintf(err, errlen, "docker_host: \"%s\" is neither unix:///PATH nor tcp://HOST:PORT",
                 host);
        free(e);
        return NULL;
    }
    return e;
}

void dkr_engine_free(struct dkr_engine *e)
{
    if (!e)
        return;
    free(e->socket);
    free(e->base);
    free(e->cert);
    free(e->key);
    free(e->ca);
    free(e);
}

const char *dkr_engine_version(const struct dkr_engine *e)
{
    return e->version[0] ? e->version : NULL;
}

/* "1.41" -> the lower of it and ours, kept for every later path. */
static void take_version(struct dkr_engine *e, const char *body)
{
    json_t *v = json_loads(body, 0, NULL);
    const char *s = json_string_value(json_object_get(v, "ApiVersion"));
    unsigned major = 0, minor = 0;
    if (s) {
        char *end;
        major = (unsigned)strtoul(s, &end, 10);
        if (*end == '.')
            minor = (unsigned)strtoul(end + 1, NULL, 10);
    }
    if (major > OUR_API_MAJOR || (major == OUR_API_MAJOR && minor > OUR_API_MINOR)) {
        major = OUR_API_MAJOR;
        minor = OUR_API_MINOR;
    }
    if (major)
        snprintf(e->version, sizeof e->version, "%u.%u", major, minor);
    json_decref(v);
}

static void on_answer(void *arg, const struct hclient_response *hr)
{
    struct dkr_call *c = arg;
    if (c->starting)
        return; /* start() sees the NULL and tells its caller */
    struct dkr_result r = { hr->status, hr->body, hr->len, hr->error };
    if (c->negotiating && hr->status == 200)
        take_version(c->e, hr->body);
    c->hc = NULL;
    dkr_done_fn *fn = c->fn;
    void *fnarg = c->arg;
    free(c);
    fn(fnarg, &r);
}

static char *url_of(const struct dkr_engine *e, const char *path)
{
    if (e->version[0])
        return xasprintf("%s/v%s%s", e->base, e->version, path);
    return xasprintf("%s%s", e->base, path);
}

static struct dkr_call *start(struct dkr_engine *e, const char *method, const char *path,
                              const json_t *body, const char *extra_header, int64_t timeout_ms,
                              size_t max_response, dkr_done_fn *fn, void *arg, bool nego)
{
    struct dkr_call *c = xcalloc(1, sizeof *c);
    c->e = e;
    c->fn = fn;
    c->arg = arg;
    c->negotiating = nego;
    char *url = nego ? xasprintf("%s%s", e->base, path) : url_of(e, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    const char *headers[] = { "Content-Type: application/json", extra_header, NULL };
    struct hclient_request req = {
        .method = method,
        .url = url,
        .headers = headers,
        .body = text,
        .len = text ? strlen(text) : 0,
        .timeout_ms = timeout_ms,
        .max_response = max_response,
        .unix_socket = e->socket,
        .cert_file = e->cert,
        .key_file = e->key,
        .ca_file = e->ca,
        .insecure = e->insecure,
    };
    /* hclient calls back at once when it cannot start: that is
     * returned as NULL instead, so callers never see fn run inside. */
    c->starting = true;
    struct hclient_call *hc = hclient_start(e->cl, &req, on_answer, c);
    c->starting = false;
    free(url);
    free(text);
    if (!hc) {
        free(c);
        return NULL;
    }
    c->hc = hc;
    return c;
}

struct dkr_call *dkr_negotiate(struct dkr_engine *e, dkr_done_fn *fn, void *arg)
{
    return start(e, "GET", "/version", NULL, NULL, 5000, 0, fn, arg, true);
}

struct dkr_call *dkr_request(struct dkr_engine *e, const char *method, const char *path,
                             const json_t *body, const char *extra_header, int64_t timeout_ms,
                             size_t max_response, dkr_done_fn *fn, void *arg)
{
    return start(e, method, path, body, extra_header, timeout_ms, max_response, fn, arg, false);
}

#define LIST_TIMEOUT_MS 10000
#define LIST_MAX (16 << 20)

struct dkr_call *dkr_list(struct dkr_engine *e, const char *path, json_t *filters, dkr_done_fn *fn,
                          void *arg)
{
    char *json = json_dumps(filters, JSON_COMPACT);
    json_decref(filters);
    if (!json)
        return NULL;
    size_t cap = 3 * strlen(json) + 1; /* every byte escaped, at worst */
    char *esc = xmalloc(cap);
    char *full = xasprintf("%s%cfilters=%s", path, strchr(path, '?') ? '&' : '?',
                           url_escape(json, "", esc, cap));
    struct dkr_call *c = dkr_request(e, "GET", full, NULL, NULL, LIST_TIMEOUT_MS, LIST_MAX, fn,
                                     arg);
    free(full);
    free(esc);
    free(json);
    return c;
}

json_t *dkr_label_filter(const char *name, const char *value)
{
    return json_pack("{s:[s++]}", "label", name, "=", value);
}

void dkr_cancel(struct dkr_call *c)
{
    if (!c)
        return;
    hclient_cancel(c->hc);
    free(c);
}

const char *dkr_error_text(const struct dkr_result *r, char *out, size_t outlen)
{
    if (r->status == 0) {
        snprintf(out, outlen, "docker engine unreachable: %s", r->error ? r->error : "?");
        return out;
    }
    json_t *v = json_loadb(r->body, r->len, 0, NULL);
    const char *msg = json_string_value(json_object_get(v, "message"));
    snprintf(out, outlen, "%s", msg ? msg : r->body);
    json_decref(v);
    /* The engine ends its messages with a newline. */
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return out;
}

/* --- streams ------------------------------------------------------------ */

/* 0.0.0.0 and 127.0.0.1 are the bindings 127.0.0.1 reaches. */
static bool on_ipv4_loopback(const json_t *binding)
{
    const char *ip = json_string_value(json_object_get(binding, "IP"));
    const char *type = json_string_value(json_object_get(binding, "Type"));
    return ip && (strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "127.0.0.1") == 0) &&
           (!type || strcmp(type, "tcp") == 0);
}

int dkr_published_port(const json_t *container, int private_port)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(container, "Ports"), i, p) {
        json_int_t port = json_integer_value(json_object_get(p, "PublicPort"));
        if (json_integer_value(json_object_get(p, "PrivatePort")) == private_port &&
            on_ipv4_loopback(p) && port > 0 && port <= 65535)
            return (int)port;
    }
    return 0;
}

static size_t on_stream_data(char *data, size_t size, size_t n, void *arg)
{
    struct dkr_stream *s = arg;
    s->data(s->arg, data, size * n);
    return size * n;
}

static void on_stream_end(void *arg, CURL *easy, CURLcode result)
{
    (void)easy;
    (void)result;
    struct dkr_stream *s = arg;
    dkr_end_fn *end = s->end;
    void *endarg = s->arg;
    curlloop_release(s->e->cl, s->easy);
    free(s);
    end(endarg);
}

struct dkr_stream *dkr_stream_start(struct dkr_engine *e, const char *path, dkr_data_fn *data,
                                    dkr_end_fn *end, void *arg)
{
    struct dkr_stream *s = xcalloc(1, sizeof *s);
    s->e = e;
    s->data = data;
    s->end = end;
    s->arg = arg;
    s->job = (struct curlloop_job){ .done = on_stream_end, .arg = s };
    s->easy = curlloop_easy(e->cl);
    char *url = url_of(e, path);
    if (s->easy) {
        curl_easy_setopt(s->easy, CURLOPT_URL, url);
        curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_stream_data);
        curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
        if (e->socket)
            curl_easy_setopt(s->easy, CURLOPT_UNIX_SOCKET_PATH, e->socket);
        hclient_set_tls(s->easy, e->cert, e->key, e->ca, e->insecure);
    }
    free(url);
    if (!s->easy || curlloop_add(e->cl, s->easy, &s->job) < 0) {
        curlloop_release(e->cl, s->easy);
        free(s);
        return NULL;
    }
    return s;
}

void dkr_stream_stop(struct dkr_stream *s)
{
    if (!s)
        return;
    curlloop_release(s->e->cl, s->easy);
    free(s);
}

/* --- framing ------------------------------------------------------------ */

void dkr_demux_feed(struct dkr_demux *d, const char *data, size_t len, dkr_demux_fn *out, void *arg)
{
    while (len) {
        if (d->left == 0) {
            size_t take = sizeof d->hdr - d->have;
            if (take > len)
                take = len;
            memcpy(d->hdr + d->have, data, take);
            d->have += take;
            data += take;
            len -= take;
            if (d->have < sizeof d->hdr)
                return;
            d->have = 0;
            d->stream = d->hdr[0];
            d->left = ((size_t)d->hdr[4] << 24) | ((size_t)d->hdr[5] << 16) |
                      ((size_t)d->hdr[6] << 8) | d->hdr[7];
            continue;
        }
        size_t take = d->left < len ? d->left : len;
        out(arg, d->stream, data, take);
        d->left -= take;
        data += take;
        len -= take;
    }
}
