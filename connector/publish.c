/* publish.c -- reply and dead-letter records: their headers. */
#include "publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus.h"
#include "decimal.h"
#include "xalloc.h"

#define OUR_HEADERS_MAX 10

/* Headers we add; names are literals. The values are not copied: they
 * are the record's, the result's or the caller's, and numbers are written
 * into nums, all of which outlive the send, which copies them. */
struct hlist {
    struct cn_header h[OUR_HEADERS_MAX];
    char nums[OUR_HEADERS_MAX][DECIMAL_I64_SIZE];
    size_t n;
};

static void put_len(struct hlist *l, const char *name, const char *value, size_t len)
{
    struct cn_header *h = &l->h[l->n++];

    h->name = (char *)name;
    h->value = (unsigned char *)value;
    h->len = len;
}

static void put(struct hlist *l, const char *name, const char *value)
{
    put_len(l, name, value, strlen(value));
}

static void putf(struct hlist *l, const char *name, int64_t v)
{
    char *num = l->nums[l->n];

    put_len(l, name, num, decimal_i64(num, v));
}

static void put_source(struct hlist *l, const struct cn_record *rec, const char *function)
{
    put(l, "X-Function-Name", function);
    put(l, "X-Call-Id", rec->call_id);
    put(l, "X-Source-Topic", rec->topic);
    if (rec->bus == CN_BUS_KAFKA) {
        putf(l, "X-Source-Partition", rec->partition);
        putf(l, "X-Source-Offset", rec->offset);
    } else if (rec->stream) {
        put(l, "X-Source-Stream", rec->stream);
        putf(l, "X-Source-Sequence", rec->offset);
    }
}

int cn_publish_reply(struct cn *cn, const struct cn_record *rec, const char *topic,
                     const char *function, const struct cn_invoke_result *res, cn_delivered_fn *fn,
                     void *arg, struct cn_delivery **out, char *err, size_t errlen)
{
    struct hlist l = { .n = 0 };

    if (res->content_type)
        put(&l, "Content-Type", res->content_type);
    put_source(&l, rec, function);
    putf(&l, "X-Function-Status", res->status);
    putf(&l, CN_HOP_HEADER, rec->hops + 1);
    struct cn_outgoing m = { .topic = topic,
                             .key = rec->key,
                             .key_len = rec->key_len,
                             .value = res->body,
                             .len = res->len,
                             .headers = l.h,
                             .nheaders = l.n };
    return cn_bus_send(cn, rec, &m, fn, arg, out, err, errlen);
}

bool cn_publish_too_large(const char *error)
{
    return error && (strcasestr(error, "too large") || strcasestr(error, "payload exceeded"));
}

static bool ours(const struct hlist *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->h[i].name, name) == 0)
            return true;
    return false;
}

/* The record's own headers, then ours. A record that was itself a reply
 * (a chain) carries X-Call-Id, X-Function-Status, X-Source-*...: ours,
 * which describe this failure, take their place rather than doubling. */
static size_t merge_headers(struct cn_header *all, const struct cn_record *rec,
                            const struct hlist *l, bool own_headers)
{
    size_t n = 0;
    for (size_t i = 0; own_headers && i < rec->nheaders; i++)
        if (!ours(l, rec->headers[i].name))
            all[n++] = rec->headers[i];
    memcpy(all + n, l->h, l->n * sizeof *all);
    return n + l->n;
}

int cn_publish_dead_letter(struct cn *cn, const struct cn_record *rec, const char *topic,
                           const char *function, const struct cn_failure *f, cn_delivered_fn *fn,
                           void *arg, struct cn_delivery **out, char *err, size_t errlen)
{
    struct hlist l = { .n = 0 };
    struct cn_header *all = xcalloc(rec->nheaders + OUR_HEADERS_MAX, sizeof *all);
    size_t len = rec->len;
    char what[160]; /* as long as l */
    int rc;

    put(&l, "X-Error", f->error);
    putf(&l, "X-Function-Status", f->status);
    putf(&l, "X-Attempts", f->attempts);
    put_source(&l, rec, function);
    if (f->cut) {
        len = f->cut == 1 && len > DEAD_LETTER_KEPT ? DEAD_LETTER_KEPT : f->cut == 1 ? len : 0;
        snprintf(what, sizeof what,
                 "value of %zu bytes, first %zu kept; its %zu header(s) "
                 "left out",
                 rec->len, len, rec->nheaders);
        put(&l, "X-Dead-Letter-Cut", what);
    }
    struct cn_outgoing m = { .topic = topic,
                             .key = rec->key,
                             .key_len = rec->key_len,
                             .value = rec->value,
                             .len = len,
                             .headers = all,
                             .nheaders = merge_headers(all, rec, &l, !f->cut) };
    rc = cn_bus_send(cn, rec, &m, fn, arg, out, err, errlen);
    free(all);
    return rc;
}
