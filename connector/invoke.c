/* invoke.c -- function calls over libcurl multi, with the response
 * headers the outcome depends on (Content-Type, X-Reply-Topic,
 * Retry-After). */
#include "invoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "curlloop.h"
#include "encode.h"
#include "loop.h"
#include "record.h"
#include "xalloc.h"

#define HEADER_VALUE_MAX 1024 /* longest response header value we keep */
/* Request header lines kept in the call itself: a record with a handful
 * of headers needs no more. Beyond, the list goes on the heap. */
#define HDR_NODES 24
#define HDR_TEXT_MAX (1u << 30) /* a record's headers are bounded far below */
#define BODY_KEEP_MAX 65536     /* a kept call keeps a response buffer this large */

struct cn_call {
    struct loop *lp;
    struct curlloop *cl;
    CURL *easy;
    struct curlloop_job job;
    /* The request's header lines, built into one buffer ("Name: value"
     * each ending in a NUL) and handed to libcurl as a list whose nodes
     * point into it: no allocation per line, and none at all for the
     * nodes of a usual call (malloc and free were a fifth of the loop
     * thread's time in a profile; curl_slist_append makes two a line). */
    struct buf hdr_text;
    size_t nhdrs;
    struct curl_slist *hdrs;
    struct curl_slist *hdr_more; /* the nodes when HDR_NODES are too few */
    struct curl_slist hdr_node[HDR_NODES];
    struct loop_timer *failed; /* a call that could not start reports later */
    struct buf body;
    char content_type[HEADER_VALUE_MAX];
    char reply_topic[HEADER_VALUE_MAX];
    char retry_after[HEADER_VALUE_MAX];
    char errbuf[CURL_ERROR_SIZE];
    double start;
    cn_invoke_fn *fn;
    void *arg;
    const struct cn_invoke_async *async; /* while the request is built; NULL: sync */
    struct cn_invoke_pool *pool;         /* where it goes when done, or NULL */
    struct cn_call *next_free;           /* in pool->free */
};

/* Finished calls kept, with their buffers, for the next ones: a call is a
 * few kB and each of its buffers 4 kB, and glibc's malloc consolidates
 * every small free chunk on each request that large (malloc_consolidate
 * stood out in the profile). */
struct cn_invoke_pool {
    struct cn_call *free;
    size_t n, keep;
};

struct cn_invoke_pool *cn_invoke_pool_new(size_t keep)
{
    struct cn_invoke_pool *p = xcalloc(1, sizeof *p);

    p->keep = keep;
    return p;
}

void cn_invoke_pool_free(struct cn_invoke_pool *p)
{
    if (!p)
        return;
    while (p->free) {
        struct cn_call *c = p->free;
        p->free = c->next_free;
        buf_cleanup(&c->hdr_text);
        buf_cleanup(&c->body);
        free(c);
    }
    free(p);
}

static void call_free(struct cn_call *c)
{
    struct cn_invoke_pool *p = c->pool;

    curlloop_release(c->cl, c->easy);
    free(c->hdr_more);
    if (p && p->n < p->keep) {
        if (c->body.cap > BODY_KEEP_MAX)
            buf_cleanup(&c->body);
        buf_consume(&c->body, c->body.len);
        buf_consume(&c->hdr_text, c->hdr_text.len);
        c->next_free = p->free;
        p->free = c;
        p->n++;
        return;
    }
    buf_cleanup(&c->hdr_text);
    buf_cleanup(&c->body);
    free(c);
}

/* A call with empty buffers: from the pool, or new. */
static struct cn_call *call_get(struct cn_invoke_pool *p)
{
    struct cn_call *c;

    if (p && p->free) {
        c = p->free;
        p->free = c->next_free;
        p->n--;
        return c;
    }
    /* Not calloc: the call is a few kB, mostly the response header slots,
     * which only need their first byte cleared (start() does). */
    c = xmalloc(sizeof *c);
    buf_init(&c->hdr_text, HDR_TEXT_MAX);
    buf_init(&c->body, 0);
    return c;
}

/* --- request headers ---------------------------------------------------- */

static void add_line(struct cn_call *c, const char *name, size_t nlen, const char *value,
                     size_t vlen)
{
    /* "Name:" alone would tell libcurl to drop the header; "Name;" sends it
     * empty. */
    buf_append(&c->hdr_text, name, nlen);
    if (vlen) {
        buf_append(&c->hdr_text, ": ", 2);
        buf_append(&c->hdr_text, value, vlen);
    } else {
        buf_append(&c->hdr_text, ";", 1);
    }
    buf_append(&c->hdr_text, "", 1);
    c->nhdrs++;
}

static void add(struct cn_call *c, const char *name, const char *value)
{
    add_line(c, name, strlen(name), value, strlen(value));
}

/* Links the lines into the list libcurl reads (the buffer no longer
 * moves once every line is in). */
static void link_headers(struct cn_call *c)
{
    struct curl_slist *nodes = c->hdr_node;
    const char *p = buf_peek(&c->hdr_text);

    if (c->nhdrs > HDR_NODES)
        nodes = c->hdr_more = xmalloc(c->nhdrs * sizeof *nodes);
    for (size_t i = 0; i < c->nhdrs; i++) {
        nodes[i].data = (char *)p;
        nodes[i].next = i + 1 < c->nhdrs ? &nodes[i + 1] : NULL;
        p += strlen(p) + 1;
    }
    c->hdrs = c->nhdrs ? nodes : NULL;
}

/* Bytes as a header value: as they are when HTTP can carry them, else
 * base64 with a companion "<name>-Enc: b64" header. */
static void emit(void *arg, const char *name, const char *value)
{
    add(arg, name, value);
}

static void add_bytes(struct cn_call *c, const char *name, const unsigned char *p, size_t len)
{
    /* Most values travel as they are: straight into the buffer, without
     * the copy cn_header_emit() makes to hand on a string. */
    if (cn_http_value_ok(p, len)) {
        add_line(c, name, strlen(name), (const char *)p, len);
        return;
    }
    cn_header_emit(name, p, len, emit, c);
}

/* Record headers that would pass for the connector's own X-Kafka-*
 * headers are left out: ours describe the record and must not be faked. */
static bool ours(const char *name, enum cn_bus bus)
{
    static const char *const kafka[] = {
        "key", "key-enc", "partition", "offset", "timestamp", NULL
    };
    static const char *const nats[] = { "stream", "stream-enc", "sequence", "timestamp", NULL };

    for (const char *const *n = bus == CN_BUS_NATS ? nats : kafka; *n; n++) {
        if (strcasecmp(name, *n) == 0)
            return true;
    }
    return false;
}

static void add_record_headers(struct cn_call *c, const struct cn_record *rec)
{
    for (size_t i = 0; i < rec->nheaders; i++) {
        const struct cn_header *h = &rec->headers[i];
        /* A name HTTP cannot carry is left out rather than mangled. */
        if (!cn_http_name_ok(h->name) || ours(h->name, rec->bus))
            continue;
        char small[128], *name = small;
        const char *prefix = rec->bus == CN_BUS_NATS ? "X-Nats-" : "X-Kafka-";
        if ((size_t)snprintf(small, sizeof small, "%s%s", prefix, h->name) >= sizeof small)
            name = xasprintf("%s%s", prefix, h->name);
        add_bytes(c, name, h->value ? h->value : (const unsigned char *)"", h->len);
        if (name != small)
            free(name);
    }
}

/* A NATS message: its stream and sequence (JetStream) and timestamp. */
static void add_nats_meta(struct cn_call *c, const struct cn_record *rec)
{
    char num[32];

    if (!rec->stream)
        return;
    add(c, "X-Nats-Stream", rec->stream);
    snprintf(num, sizeof num, "%lld", (long long)rec->offset);
    add(c, "X-Nats-Sequence", num);
    if (rec->timestamp_ms >= 0) {
        snprintf(num, sizeof num, "%lld", (long long)rec->timestamp_ms);
        add(c, "X-Nats-Timestamp", num);
    }
}

static void add_kafka_meta(struct cn_call *c, const struct cn_record *rec)
{
    char num[32];

    snprintf(num, sizeof num, "%d", (int)rec->partition);
    add(c, "X-Kafka-Partition", num);
    snprintf(num, sizeof num, "%lld", (long long)rec->offset);
    add(c, "X-Kafka-Offset", num);
    if (rec->key)
        add_bytes(c, "X-Kafka-Key", rec->key, rec->key_len);
    if (rec->timestamp_ms >= 0) {
        snprintf(num, sizeof num, "%lld", (long long)rec->timestamp_ms);
        add(c, "X-Kafka-Timestamp", num);
    }
}

static void build_headers(struct cn_call *c, const struct cn_invoke_opts *o,
                          const struct cn_record *rec)
{
    add(c, "X-Topic", rec->topic);
    add(c, "X-Connector", "faasbus-connector");
    add(c, "X-Call-Id", c->async ? c->async->call_id : rec->call_id);
    if (c->async)
        add(c, "X-Callback-Url", c->async->callback_url);
    if (rec->bus == CN_BUS_NATS)
        add_nats_meta(c, rec);
    else
        add_kafka_meta(c, rec);
    add_record_headers(c, rec);
    add(c, "Content-Type", rec->content_type ? rec->content_type : o->content_type);
    /* No "Expect: 100-continue" for large bodies: the gateway answers. */
    buf_append(&c->hdr_text, "Expect:", sizeof "Expect:");
    c->nhdrs++;
    link_headers(c);
}

/* --- response ----------------------------------------------------------- */

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

static enum cn_invoke_kind kind_of(CURLcode result)
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

static const char *nonempty(const char *s)
{
    return *s ? s : NULL;
}

static void on_done(void *arg, CURL *easy, CURLcode result)
{
    struct cn_call *c = arg;
    struct cn_invoke_result r = { .kind = kind_of(result) };

    if (result == CURLE_OK)
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
    if (r.kind == CN_INVOKE_TOO_LARGE)
        r.error = "the response is larger than max_response_size";
    else if (result != CURLE_OK)
        r.error = c->errbuf[0] ? c->errbuf : curl_easy_strerror(result);
    r.body = (const unsigned char *)(c->body.data ? buf_peek(&c->body) : "");
    r.len = c->body.len;
    r.content_type = nonempty(c->content_type);
    r.reply_topic = nonempty(c->reply_topic);
    r.retry_after = nonempty(c->retry_after);
    r.seconds = loop_now_s() - c->start;
    c->fn(c->arg, &r);
    call_free(c);
}

static void on_start_failed(struct loop *lp, void *arg)
{
    struct cn_call *c = arg;
    struct cn_invoke_result r = { .kind = CN_INVOKE_BROKEN,
                                  .error = "libcurl refused to start the call" };
    (void)lp;
    c->failed = NULL;
    c->fn(c->arg, &r);
    call_free(c);
}

static void set_options(struct cn_call *c, const struct cn_invoke_opts *o, const char *target,
                        const struct cn_record *rec)
{
    CURL *e = c->easy;
    char small[512], *url = small;
    const char *path = c->async ? "async-function" : "function";

    /* libcurl keeps a copy of the URL. */
    if ((size_t)snprintf(small, sizeof small, "%s/%s/%s", o->gateway_url, path, target) >=
        sizeof small)
        url = xasprintf("%s/%s/%s", o->gateway_url, path, target);
    curl_easy_setopt(e, CURLOPT_URL, url);
    if (url != small)
        free(url);
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
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    if (o->auth) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERPWD, o->auth);
    }
}

static struct cn_call *start(struct curlloop *cl, const struct cn_invoke_opts *o,
                             const char *target, const struct cn_record *rec,
                             const struct cn_invoke_async *async, cn_invoke_fn *fn, void *arg)
{
    struct cn_call *c = call_get(o->pool);

    c->pool = o->pool;
    c->easy = NULL;
    c->failed = NULL;
    c->content_type[0] = c->reply_topic[0] = c->retry_after[0] = c->errbuf[0] = '\0';
    c->nhdrs = 0;
    c->hdrs = c->hdr_more = NULL;
    c->async = async;
    c->lp = o->lp;
    c->cl = cl;
    c->fn = fn;
    c->arg = arg;
    c->job = (struct curlloop_job){ .done = on_done, .arg = c };
    c->start = loop_now_s();
    c->body.max = o->max_response;
    build_headers(c, o, rec);
    c->easy = curlloop_easy(cl);
    if (c->easy)
        set_options(c, o, target, rec);
    if (!c->easy || curlloop_add(cl, c->easy, &c->job) < 0)
        c->failed = loop_timer_add(c->lp, 0, on_start_failed, c);
    c->async = NULL; /* the caller's: only the request was built from it */
    return c;
}

struct cn_call *cn_invoke_start(struct curlloop *cl, const struct cn_invoke_opts *o,
                                const char *target, const struct cn_record *rec, cn_invoke_fn *fn,
                                void *arg)
{
    return start(cl, o, target, rec, NULL, fn, arg);
}

struct cn_call *cn_invoke_start_async(struct curlloop *cl, const struct cn_invoke_opts *o,
                                      const char *target, const struct cn_record *rec,
                                      const struct cn_invoke_async *async, cn_invoke_fn *fn,
                                      void *arg)
{
    return start(cl, o, target, rec, async, fn, arg);
}

void cn_invoke_cancel(struct cn_call *c)
{
    if (!c)
        return;
    if (c->failed)
        loop_timer_cancel(c->lp, c->failed);
    call_free(c);
}
