/* invoke.c -- function calls through the gateway, with the response
 * headers the outcome depends on (Content-Type, X-Reply-Topic,
 * Retry-After).
 *
 * An http:// gateway is called over our own HTTP/1.1 client (lib/h1call
 * on a keep-alive pool); an https:// one over libcurl multi. With its
 * handles reused, keep-alive, and header lists built without allocating,
 * libcurl was still about half of the connector's loop thread in a
 * profile of the record path (its per-transfer setup, the checks of
 * cached connections that poll the socket, its allocations); the gateway
 * speaks HTTP/1.1 only, so HTTP/2 was no way out. The request is built
 * once, in HTTP's own form, for either client. */
#include "invoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "buf.h"
#include "decimal.h"
#include "encode.h"
#include "h1call.h"
#include "invoke_int.h"
#include "loop.h"
#include "record.h"
#include "xalloc.h"

#define HDR_TEXT_MAX (1u << 30) /* a record's headers are bounded far below */
#define BODY_KEEP_MAX 65536     /* a kept call keeps a response buffer this large */

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
        h1call_cleanup(&c->h1);
        buf_cleanup(&c->hdr_text);
        buf_cleanup(&c->body);
        free(c);
    }
    free(p);
}

static void call_free(struct cn_call *c)
{
    struct cn_invoke_pool *p = c->pool;

    cn_invoke_release_curl(c);
    if (p && p->n < p->keep) {
        h1call_trim(&c->h1, BODY_KEEP_MAX);
        if (c->body.cap > BODY_KEEP_MAX)
            buf_cleanup(&c->body);
        buf_consume(&c->body, c->body.len);
        buf_consume(&c->hdr_text, c->hdr_text.len);
        c->next_free = p->free;
        p->free = c;
        p->n++;
        return;
    }
    h1call_cleanup(&c->h1);
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
    h1call_init(&c->h1);
    buf_init(&c->hdr_text, HDR_TEXT_MAX);
    buf_init(&c->body, 0);
    return c;
}

/* --- request headers ---------------------------------------------------- */

static void add_line(struct cn_call *c, const char *name, size_t nlen, const char *value,
                     size_t vlen)
{
    buf_append(&c->hdr_text, name, nlen);
    buf_append(&c->hdr_text, vlen ? ": " : ":", vlen ? 2 : 1);
    buf_append(&c->hdr_text, value, vlen);
    buf_append(&c->hdr_text, "\r\n", 2);
    c->nhdrs++;
}

static void add(struct cn_call *c, const char *name, const char *value)
{
    add_line(c, name, strlen(name), value, strlen(value));
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
    char num[DECIMAL_I64_SIZE];

    if (!rec->stream)
        return;
    add(c, "X-Nats-Stream", rec->stream);
    decimal_i64(num, rec->offset);
    add(c, "X-Nats-Sequence", num);
    if (rec->timestamp_ms >= 0) {
        decimal_i64(num, rec->timestamp_ms);
        add(c, "X-Nats-Timestamp", num);
    }
}

static void add_kafka_meta(struct cn_call *c, const struct cn_record *rec)
{
    char num[DECIMAL_I64_SIZE];

    decimal_i64(num, rec->partition);
    add(c, "X-Kafka-Partition", num);
    decimal_i64(num, rec->offset);
    add(c, "X-Kafka-Offset", num);
    if (rec->key)
        add_bytes(c, "X-Kafka-Key", rec->key, rec->key_len);
    if (rec->timestamp_ms >= 0) {
        decimal_i64(num, rec->timestamp_ms);
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
    if (o->auth) {
        char *cred = base64_encode((const unsigned char *)o->auth, strlen(o->auth));
        buf_append(&c->hdr_text, "Authorization: Basic ", 21);
        buf_append(&c->hdr_text, cred, strlen(cred));
        buf_append(&c->hdr_text, "\r\n", 2);
        c->nhdrs++;
        free(cred);
    }
    /* A NUL after the last line: the cut for libcurl looks for CRs in a
     * string. */
    buf_append(&c->hdr_text, "", 1);
}

static const char *nonempty(const char *s)
{
    return *s ? s : NULL;
}

/* Reports the answer (the headers are in the call's slots) and lets the
 * call go. */
void cn_invoke_finish(struct cn_call *c, struct cn_invoke_result *r)
{
    r->content_type = nonempty(c->content_type);
    r->reply_topic = nonempty(c->reply_topic);
    r->retry_after = nonempty(c->retry_after);
    r->seconds = loop_now_s() - c->start;
    c->fn(c->arg, r);
    call_free(c);
}

/* --- http://: our own client ----------------------------------------------- */

static enum cn_invoke_kind kind_of_h1(enum h1call_kind kind)
{
    switch (kind) {
    case H1CALL_ANSWERED:
        return CN_INVOKE_ANSWERED;
    case H1CALL_UNREACHABLE:
        return CN_INVOKE_UNREACHABLE;
    case H1CALL_TOO_LARGE:
        return CN_INVOKE_TOO_LARGE;
    default:
        return CN_INVOKE_BROKEN;
    }
}

static void on_h1_done(void *arg, const struct h1call_result *h)
{
    struct cn_call *c = arg;
    struct cn_invoke_result r = { .kind = kind_of_h1(h->kind), .status = h->status };

    h1call_header(h, "Content-Type", c->content_type, sizeof c->content_type);
    h1call_header(h, "X-Reply-Topic", c->reply_topic, sizeof c->reply_topic);
    h1call_header(h, "Retry-After", c->retry_after, sizeof c->retry_after);
    r.body = (const unsigned char *)(h->body ? h->body : "");
    r.len = h->len;
    r.error = r.kind == CN_INVOKE_TOO_LARGE ? "the response is larger than max_response_size"
                                            : h->error;
    cn_invoke_finish(c, &r);
}

static void start_h1(struct cn_call *c, const struct cn_invoke_opts *o, const char *url,
                     const struct cn_record *rec)
{
    struct h1call_request req = {
        .method = "POST",
        .url = url,
        .lines = buf_peek(&c->hdr_text),
        .lines_len = c->hdr_text.len - 1, /* less the NUL */
        .body = rec->value,
        .len = rec->len,
        .timeout_ms = o->timeout_ms,
        .connect_timeout_ms = CONNECT_TIMEOUT_MS,
        .max_response = o->max_response,
    };

    h1call_start(&c->h1, o->conns, c->lp, &req, on_h1_done, c);
}

/* --- starting a call ------------------------------------------------------ */

static struct cn_call *start(struct curlloop *cl, const struct cn_invoke_opts *o,
                             const char *target, const struct cn_record *rec,
                             const struct cn_invoke_async *async, cn_invoke_fn *fn, void *arg)
{
    struct cn_call *c = call_get(o->pool);
    const char *path = async ? "async-function" : "function";

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
    c->start = loop_now_s();
    build_headers(c, o, rec);
    c->async = NULL; /* the caller's: only the request was built from it */
    char *url = xconcat(o->gateway_url, "/", path, "/", target, NULL);
    if (o->conns && strncmp(url, "http://", 7) == 0)
        start_h1(c, o, url, rec);
    else
        cn_invoke_start_curl(c, o, url, rec);
    free(url);
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
    h1call_cancel(&c->h1);
    call_free(c);
}
