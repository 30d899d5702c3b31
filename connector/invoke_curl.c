/* invoke_curl.c -- a function call over libcurl multi, for an https://
 * gateway: the header lines invoke.c built, cut into a libcurl list, and
 * the answer's headers and body gathered by libcurl's callbacks. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hclient.h"
#include "invoke_int.h"
#include "loop.h"
#include "record.h"
#include "xalloc.h"

/* Cuts the lines into the strings of the list libcurl reads (the buffer
 * no longer moves once every line is in): each CR becomes the string's
 * end, and a line with an empty value "Name;", which libcurl sends empty
 * ("Name:" alone would tell it to drop the header). */
static void link_headers(struct cn_call *c)
{
    struct curl_slist *nodes = c->hdr_node;
    char *p = c->hdr_text.data + c->hdr_text.head;
    size_t i;

    if (c->nhdrs + 1 > HDR_NODES)
        nodes = c->hdr_more = xmalloc((c->nhdrs + 1) * sizeof *nodes);
    for (i = 0; i < c->nhdrs; i++) {
        char *cr = strchr(p, '\r');
        *cr = '\0';
        if (strchr(p, ':') == cr - 1) /* names have no colon: the value is empty */
            cr[-1] = ';';
        nodes[i] = (struct curl_slist){ .data = p, .next = &nodes[i + 1] };
        p = cr + 2;
    }
    /* No "Expect: 100-continue" for large bodies: the gateway answers. */
    nodes[i] = (struct curl_slist){ .data = (char *)"Expect:", .next = NULL };
    c->hdrs = nodes;
}

static void keep(char *slot, const char *value, size_t len)
{
    while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n' || value[len - 1] == ' ' ||
                       value[len - 1] == '\t'))
        len--;
    if (len >= HEADER_VALUE_MAX)
        len = HEADER_VALUE_MAX - 1;
    memcpy(slot, value, len);
    slot[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct cn_call *c = arg;
    size_t len = size * n;
    const char *colon = memchr(data, ':', len);

    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response (after a 100 Continue): forget the last one's. */
        c->content_type[0] = c->reply_topic[0] = c->retry_after[0] = '\0';
        return len;
    }
    if (!colon)
        return len;
    size_t nlen = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    if (nlen == 12 && strncasecmp(data, "Content-Type", nlen) == 0)
        keep(c->content_type, v, vlen);
    else if (nlen == 13 && strncasecmp(data, "X-Reply-Topic", nlen) == 0)
        keep(c->reply_topic, v, vlen);
    else if (nlen == 11 && strncasecmp(data, "Retry-After", nlen) == 0)
        keep(c->retry_after, v, vlen);
    return len;
}

static size_t on_write(char *data, size_t size, size_t n, void *arg)
{
    struct cn_call *c = arg;

    return buf_append(&c->body, data, size * n) < 0 ? 0 : size * n;
}

static enum cn_invoke_kind kind_of_curl(CURLcode result)
{
    switch (result) {
    case CURLE_OK:
        return CN_INVOKE_ANSWERED;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return CN_INVOKE_UNREACHABLE;
    case CURLE_WRITE_ERROR:
        return CN_INVOKE_TOO_LARGE;
    default:
        return CN_INVOKE_BROKEN;
    }
}

static void on_curl_done(void *arg, CURL *easy, CURLcode result)
{
    struct cn_call *c = arg;
    struct cn_invoke_result r = { .kind = kind_of_curl(result) };

    if (result == CURLE_OK)
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
    if (r.kind == CN_INVOKE_TOO_LARGE)
        r.error = "the response is larger than max_response_size";
    else if (result != CURLE_OK)
        r.error = c->errbuf[0] ? c->errbuf : curl_easy_strerror(result);
    r.body = (const unsigned char *)(c->body.data ? buf_peek(&c->body) : "");
    r.len = c->body.len;
    cn_invoke_finish(c, &r);
}

static void on_start_failed(struct loop *lp, void *arg)
{
    struct cn_call *c = arg;
    struct cn_invoke_result r = { .kind = CN_INVOKE_BROKEN,
                                  .error = "libcurl refused to start the call" };
    (void)lp;
    c->failed = NULL;
    cn_invoke_finish(c, &r);
}

static void set_options(struct cn_call *c, const struct cn_invoke_opts *o, const char *url,
                        const struct cn_record *rec)
{
    CURL *e = c->easy;

    curl_easy_setopt(e, CURLOPT_URL, url); /* copied */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rec->len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, rec->value ? (const char *)rec->value : "");
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    hclient_set_tls(e, NULL, NULL, o->tls_ca, 0);
}

void cn_invoke_start_curl(struct cn_call *c, const struct cn_invoke_opts *o, const char *url,
                          const struct cn_record *rec)
{
    c->job = (struct curlloop_job){ .done = on_curl_done, .arg = c };
    c->body.max = o->max_response;
    link_headers(c);
    c->easy = curlloop_easy(c->cl);
    if (c->easy)
        set_options(c, o, url, rec);
    if (!c->easy || curlloop_add(c->cl, c->easy, &c->job) < 0)
        c->failed = loop_timer_add(c->lp, 0, on_start_failed, c);
}

void cn_invoke_release_curl(struct cn_call *c)
{
    if (c->easy)
        curlloop_release(c->cl, c->easy);
    free(c->hdr_more);
}
