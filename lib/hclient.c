/* hclient.c -- one-shot HTTP requests over the shared curlloop. */
#include "hclient.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "curlloop.h"
#include "xalloc.h"

struct hclient_call {
    struct curlloop *cl;
    CURL *easy;
    struct curlloop_job job;
    struct curl_slist *hdrs;
    char *body;
    struct buf resp;
    char errbuf[CURL_ERROR_SIZE];
    hclient_fn *fn;
    void *arg;
    bool discard_body;
};

static void call_free(struct hclient_call *c)
{
    curlloop_release(c->cl, c->easy);
    curl_slist_free_all(c->hdrs);
    buf_cleanup(&c->resp);
    free(c->body);
    free(c);
}

static size_t on_write(char *data, size_t size, size_t n, void *arg)
{
    struct hclient_call *c = arg;
    if (c->discard_body)
        return size * n;
    return buf_append(&c->resp, data, size * n) < 0 ? 0 : size * n;
}

static void on_done(void *arg, CURL *easy, CURLcode result)
{
    struct hclient_call *c = arg;
    struct hclient_response r = { 0 };
    if (result == CURLE_OK)
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
    else if (result == CURLE_WRITE_ERROR)
        r.error = "response too large";
    else
        r.error = c->errbuf[0] ? c->errbuf : curl_easy_strerror(result);
    r.body = buf_cstr(&c->resp);
    if (!r.body)
        r.body = "";
    r.len = c->resp.len;
    c->fn(c->arg, &r);
    call_free(c);
}

void hclient_set_tls(CURL *e, const char *cert_file, const char *key_file, const char *ca_file,
                     int insecure)
{
    if (cert_file)
        curl_easy_setopt(e, CURLOPT_SSLCERT, cert_file);
    if (key_file)
        curl_easy_setopt(e, CURLOPT_SSLKEY, key_file);
    if (ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
    if (insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static void set_options(struct hclient_call *c, const struct hclient_request *r)
{
    CURL *e = c->easy;
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    if (r->timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    if (r->unix_socket)
        curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, r->unix_socket);
    hclient_set_tls(e, r->cert_file, r->key_file, r->ca_file, r->insecure);
    for (const char *const *h = r->headers; h && *h; h++)
        c->hdrs = curl_slist_append(c->hdrs, *h);
    c->hdrs = curl_slist_append(c->hdrs, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
    const char *method = r->method ? r->method : "GET";
    if (r->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        c->body = xmalloc(r->len + 1);
        if (r->body && r->len)
            memcpy(c->body, r->body, r->len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
}

struct hclient_call *hclient_start(struct curlloop *cl, const struct hclient_request *r,
                                   hclient_fn *fn, void *arg)
{
    struct hclient_call *c = xcalloc(1, sizeof *c);
    c->cl = cl;
    c->fn = fn;
    c->arg = arg;
    c->job = (struct curlloop_job){ on_done, c, r->guard, r->guard_arg };
    c->discard_body = r->discard_body;
    buf_init(&c->resp, r->max_response ? r->max_response : 1024 * 1024);
    c->easy = curlloop_easy(cl);
    set_options(c, r);
    if (!c->easy || curlloop_add(cl, c->easy, &c->job) < 0) {
        struct hclient_response fail = { .body = "", .error = "cannot start the request" };
        fn(arg, &fail);
        call_free(c);
        return NULL;
    }
    return c;
}

void hclient_cancel(struct hclient_call *call)
{
    if (call)
        call_free(call);
}
