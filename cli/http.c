/* http.c -- one blocking libcurl request per call: a CLI waits anyway. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fb.h"
#include "xalloc.h"

#define RESP_MAX ((size_t)64 << 20)

static char json_ctype[] = "Content-Type: application/json";
static char *json_lines[] = { json_ctype };
const struct strlist FB_JSON_HEADERS = { json_lines, 1 };

struct sink {
    CURL *h;
    const struct fb_req *req;
    struct fb_resp *resp;
    bool too_big; /* the body passed RESP_MAX: an error, never cut short */
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
    /* Only a success streams; an error's body is kept for its message. */
    if (s->req->stream && status >= 200 && status <= 299)
        return s->req->stream(data, len, s->req->stream_arg) ? len : 0;
    if (buf_append(&s->resp->body, data, len) == 0)
        return len;
    s->too_big = true;
    return 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t len = size * n;
    static const char name[] = "X-Call-Id:";
    if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
        const char *v = data + sizeof name - 1;
        size_t vlen = len - (sizeof name - 1);
        while (vlen && (*v == ' ' || *v == '\t'))
            v++, vlen--;
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        free(s->resp->call_id);
        s->resp->call_id = xstrndup(v, vlen);
    }
    return len;
}

static char *full_url(const struct ctx *c, const char *path)
{
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
        return xstrdup(path);
    return xasprintf("%s%s", c->gateway, path);
}

static struct curl_slist *header_list(const struct fb_req *r)
{
    struct curl_slist *h = NULL;
    /* No "Expect: 100-continue" round trip before a body. */
    h = curl_slist_append(h, "Expect:");
    for (size_t i = 0; r->headers && i < r->headers->n; i++)
        h = curl_slist_append(h, r->headers->items[i]);
    return h;
}

static void set_request(CURL *h, const struct ctx *c, const struct fb_req *r,
                        struct curl_slist *headers, struct sink *sink)
{
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, sink->resp->error);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "faasbus/" FAASBUS_VERSION);
    if (strcmp(r->method, "HEAD") == 0)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (r->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    }
    if (r->auth && c->user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
    }
    if (c->tls_no_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

int fb_http(const struct ctx *c, const struct fb_req *r, struct fb_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    buf_init(&resp->body, RESP_MAX);
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(resp->error, sizeof resp->error, "libcurl could not start");
        return -1;
    }
    char *url = full_url(c, r->path);
    struct curl_slist *headers = header_list(r);
    struct sink sink = { h, r, resp, false };
    curl_easy_setopt(h, CURLOPT_URL, url);
    set_request(h, c, r, headers, &sink);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    if (sink.too_big)
        snprintf(resp->error, sizeof resp->error, "the answer is larger than 64 MiB");
    else if (rc != CURLE_OK && !resp->error[0])
        snprintf(resp->error, sizeof resp->error, "%s", curl_easy_strerror(rc));
    /* A stream the caller stopped still had its answer. */
    bool stopped = rc == CURLE_WRITE_ERROR && r->stream && !sink.too_big;
    int out = resp->status > 0 && (rc == CURLE_OK || stopped) ? 0 : -1;
    if (out != 0)
        resp->status = 0;
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    free(url);
    return out;
}

void fb_resp_free(struct fb_resp *r)
{
    buf_cleanup(&r->body);
    free(r->call_id);
    r->call_id = NULL;
}

/* The gateway's error text: its body, trimmed, or the status alone. */
int fb_http_error(const struct ctx *c, const struct fb_resp *r, const char *doing)
{
    if (r->status == 0)
        return fb_error("%s: cannot reach the gateway at %s: %s", doing, c->gateway, r->error);
    if (r->status == 401)
        return fb_error("%s: unauthorized (401): log in with `faasbus login` or check "
                        "the credentials",
                        doing);
    int len = (int)r->body.len;
    const char *body = buf_peek(&r->body);
    while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' '))
        len--;
    if (len > 500)
        len = 500;
    return fb_error("%s: the gateway answered %ld%s%.*s", doing, r->status, len ? ": " : "", len,
                    body);
}

json_t *fb_get_json(const struct ctx *c, const char *path, const char *what, int *rc)
{
    struct fb_req req = { .method = "GET", .path = path, .auth = true };
    struct fb_resp resp;
    json_t *out = NULL;
    if (fb_http(c, &req, &resp) != 0 || resp.status != 200) {
        if (resp.status == 404 && what)
            *rc = fb_error("%s not found", what);
        else
            *rc = fb_http_error(c, &resp, what ? what : path);
    } else {
        json_error_t jerr;
        out = json_loadb(resp.body.len ? buf_peek(&resp.body) : "", resp.body.len, 0, &jerr);
        if (!out)
            *rc = fb_error("%s: the gateway's answer is not JSON: %s", path, jerr.text);
    }
    fb_resp_free(&resp);
    return out;
}

void fb_json_result(const struct ctx *c, const char *name, const char *result)
{
    if (!c->json)
        return;
    json_t *j = json_pack("{s:s, s:s}", "name", name, "result", result);
    fb_print_json(j);
    json_decref(j);
}

int fb_print_json(json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        puts(s);
        free(s);
    }
    return 0;
}
