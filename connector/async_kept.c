/* async_kept.c -- async_commit=accepted: a call's record is committed as
 * soon as the gateway queued the call, so what its reply (or dead letter)
 * needs is kept here: a copy of the record and where its route publishes.
 * The callback publishes it; without a callback within async_timeout it is
 * dropped with a warning. Memory is bounded by async_accepted_max: past
 * it, a call's reply is not kept (and is lost), which is the price of
 * committing early. Nothing here survives a restart either. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async_int.h"
#include "branch.h"
#include "cn.h"
#include "keymap.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "publish.h"
#include "subject.h"
#include "xalloc.h"

#define SNIPPET_MAX 200 /* bytes of an error response quoted in X-Error */

struct kept {
    struct cn_async *a;
    char *id;
    struct cn_record *rec; /* a copy */
    char *target;
    char *reply_topic, *error_topic; /* the route's, NULL when none */
    bool dead_letter;                /* what delivery carries */
    bool taken;                      /* its callback came: publishing */
    struct loop_timer *expiry;
    struct cn_delivery *delivery;
};

/* NULL stays NULL: a null key, value or header value. */
static unsigned char *dup_bytes(const unsigned char *p, size_t len)
{
    return p ? cn_bytes_dup(p, len) : NULL;
}

static char *dup_str(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* What publishing needs of a record; the source's own links stay behind. */
static struct cn_record *record_copy(const struct cn_record *rec)
{
    struct cn_record *c = xcalloc(1, sizeof *c);

    c->topic = xstrdup(rec->topic);
    c->partition = rec->partition;
    c->offset = rec->offset;
    c->timestamp_ms = rec->timestamp_ms;
    c->key = dup_bytes(rec->key, rec->key_len);
    c->key_len = rec->key_len;
    c->value = dup_bytes(rec->value, rec->len);
    c->len = rec->len;
    c->headers = xcalloc(rec->nheaders + 1, sizeof *c->headers);
    for (size_t i = 0; i < rec->nheaders; i++) {
        c->headers[i].name = xstrdup(rec->headers[i].name);
        c->headers[i].value = dup_bytes(rec->headers[i].value, rec->headers[i].len);
        c->headers[i].len = rec->headers[i].len;
    }
    c->nheaders = rec->nheaders;
    c->hops = rec->hops;
    c->call_id = xstrdup(rec->call_id);
    c->bus = rec->bus;
    c->stream = dup_str(rec->stream);
    c->reply_to = dup_str(rec->reply_to);
    return c;
}

static void kept_free(struct kept *k)
{
    struct cn_async *a = k->a;

    if (k->expiry)
        loop_timer_cancel(a->cn->lp, k->expiry);
    cn_delivery_detach(k->delivery);
    if (keymap_get(a->kept, k->id, strlen(k->id)) == k)
        keymap_del(a->kept, k->id, strlen(k->id));
    metric_set(a->m_kept, NULL, (double)keymap_count(a->kept));
    cn_record_free(k->rec);
    free(k->id);
    free(k->target);
    free(k->reply_topic);
    free(k->error_topic);
    free(k);
}

static void on_expired(struct loop *lp, void *arg)
{
    struct kept *k = arg;
    (void)lp;

    k->expiry = NULL;
    log_warn("async",
             "%s -> %s: no callback for call %s within async_timeout; its record "
             "was committed at 202 (async_commit=accepted), so its reply is lost",
             k->rec->topic, k->target, k->id);
    metric_add(k->a->cn->m.unhandled, (const char *[]){ k->target, "no_callback" }, 1);
    kept_free(k);
}

static bool full(struct cn_async *a)
{
    const struct cn_config *cfg = &a->cn->cfg;

    if ((int64_t)keymap_count(a->kept) < cfg->async_accepted_max) {
        a->kept_full = false;
        return false;
    }
    if (!a->kept_full)
        log_warn("async",
                 "%lld accepted calls await their callback (async_accepted_max): "
                 "the replies of more are not published until some arrive",
                 (long long)cfg->async_accepted_max);
    a->kept_full = true;
    return true;
}

void cn_kept_add(struct cn_async *a, const struct branch *b, const char *id)
{
    struct kept *k;

    /* Kept even on a route without topics: the function may name one
     * (X-Reply-Topic). */
    if (full(a)) {
        metric_add(a->cn->m.unhandled, (const char *[]){ b->target, "not_kept" }, 1);
        return;
    }
    k = xcalloc(1, sizeof *k);
    k->a = a;
    k->id = xstrdup(id);
    k->rec = record_copy(b->w->rec);
    k->target = xstrdup(b->target);
    k->reply_topic = dup_str(b->route->reply_topic);
    k->error_topic = dup_str(b->route->error_topic);
    k->expiry = loop_timer_add(a->cn->lp, a->cn->cfg.async_timeout_ms, on_expired, k);
    keymap_put(a->kept, k->id, strlen(k->id), k);
    metric_set(a->m_kept, NULL, (double)keymap_count(a->kept));
}

/* --- publishing ---------------------------------------------------------- */

static void on_published(void *arg, const char *error)
{
    struct kept *k = arg;
    struct cn *cn = k->a->cn;

    k->delivery = NULL;
    if (!error && k->dead_letter)
        metric_add(cn->m.dead_letters, (const char *[]){ k->target, "async_failed" }, 1);
    else if (!error)
        metric_add(cn->m.replies, (const char *[]){ k->target }, 1);
    if (error) {
        metric_add(cn->m.publish_errors,
                   (const char *[]){ k->dead_letter ? "dead_letter" : "reply" }, 1);
        log_error("async",
                  "%s -> %s: call %s: the %s could not be published: %s (its record "
                  "was committed at 202: it is lost)",
                  k->rec->topic, k->target, k->id, k->dead_letter ? "dead letter" : "reply", error);
    }
    kept_free(k);
}

/* "HTTP 500: <the start of the body>", as outcome.c says it. */
static void describe(const struct cn_invoke_result *res, char *out, size_t len)
{
    int n = res->len < SNIPPET_MAX ? (int)res->len : SNIPPET_MAX;

    snprintf(out, len, "HTTP %ld%s%.*s", res->status, n ? ": " : "", n, (const char *)res->body);
    for (char *p = out; *p; p++)
        *p = (*p < ' ' || *p == 0x7f) ? ' ' : *p;
}

/* As outcome.c does for a branch: the reply (to X-Reply-Topic or the
 * route's), or the original record to the error topic. Returns 0 (a
 * delivery is in flight), 1 (nothing to publish) or -1 with err. */
static int publish(struct kept *k, const struct cn_callback *cb, const struct cn_invoke_result *res,
                   char *err, size_t errlen)
{
    struct cn *p = k->a->cn; /* publish.h picks Kafka or NATS by the topic */
    bool ok = res->status >= 200 && res->status <= 299;
    const char *topic = res->reply_topic ? res->reply_topic : k->reply_topic;
    char what[300];

    if (ok && res->reply_topic && !cn_dest_valid(res->reply_topic)) {
        snprintf(what, sizeof what, "X-Reply-Topic \"%.200s\" is not a valid topic name",
                 res->reply_topic);
        ok = false;
    } else if (!ok) {
        describe(res, what, sizeof what);
    }
    if (ok && !topic)
        return 1;
    if (ok)
        return cn_publish_reply(p, k->rec, topic, k->target, res, on_published, k, &k->delivery,
                                err, errlen);
    if (!k->error_topic) {
        log_error("async",
                  "%s -> %s: call %s failed: %s; the route has no error-topic, so "
                  "this outcome is only logged and counted",
                  k->rec->topic, k->target, k->id, what);
        metric_add(k->a->cn->m.unhandled, (const char *[]){ k->target, "async_failed" }, 1);
        return 1;
    }
    struct cn_failure f = { what, res->status, cb->tries > 0 ? (int)cb->tries : 1, 0 };
    k->dead_letter = true;
    return cn_publish_dead_letter(p, k->rec, k->error_topic, k->target, &f, on_published, k,
                                  &k->delivery, err, errlen);
}

bool cn_kept_deliver(struct cn_async *a, const struct cn_callback *cb,
                     const struct cn_invoke_result *res)
{
    struct kept *k = keymap_get(a->kept, cb->id, strlen(cb->id));
    char err[256];
    int rc;

    if (!k || k->taken)
        return false; /* a repeated callback finds nothing */
    k->taken = true;
    loop_timer_cancel(a->cn->lp, k->expiry);
    k->expiry = NULL;
    rc = publish(k, cb, res, err, sizeof err);
    if (rc < 0)
        on_published(k, err);
    else if (rc > 0)
        kept_free(k);
    return true;
}

void cn_kept_free_all(struct cn_async *a)
{
    size_t n = keymap_count(a->kept);
    void **all = keymap_values(a->kept);

    if (n)
        log_warn("async", "exiting with %zu accepted call(s) whose reply is not yet published", n);
    for (void **k = all; *k; k++)
        kept_free(*k);
    free(all);
}
