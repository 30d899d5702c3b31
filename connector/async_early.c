/* async_early.c -- callbacks that come before their call is ours.
 *
 * After a restart the queue still runs the calls the last connector
 * submitted, and their callbacks come to the same URL (same port, same
 * callback_secret). Their records are read again and submitted under the
 * same ids, but a callback can beat that: the group's rejoin takes
 * seconds, and the fetch after it more under load. The queue keeps one
 * call per id, so no second callback would come and the record would sit
 * out async_timeout, then run the function again. So a signed callback
 * that finds no call is kept here, a copy, for EARLY_KEEP_MS and at most
 * max_inflight of them, and handed over when a call is queued under its
 * id. One nobody claims is dropped at its expiry, as before. */
#include <stdlib.h>
#include <string.h>

#include "async_int.h"
#include "cn.h"
#include "keymap.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "record.h"
#include "xalloc.h"

#define EARLY_KEEP_MS 120000 /* a rejoin and a fetch, with room to spare */

struct early {
    struct cn_async *a;
    char *id;
    int64_t tries;
    long status;
    unsigned char *body;
    size_t len;
    char *content_type, *reply_topic; /* NULL when the callback had none */
    double seconds;
    struct loop_timer *expiry;
};

static char *dup_str(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void destroy(struct early *e)
{
    free(e->id);
    free(e->body);
    free(e->content_type);
    free(e->reply_topic);
    free(e);
}

static void early_free(struct early *e)
{
    keymap_del(e->a->early, e->id, strlen(e->id));
    if (e->expiry)
        loop_timer_cancel(e->a->cn->lp, e->expiry);
    destroy(e);
}

static void on_expiry(struct loop *lp, void *arg)
{
    struct early *e = arg;
    (void)lp;

    e->expiry = NULL;
    metric_add(e->a->m_early, (const char *[]){ "expired" }, 1);
    log_info("async", "callback for call %s dropped: no record of it was read again in %d s", e->id,
             EARLY_KEEP_MS / 1000);
    early_free(e);
}

bool cn_early_keep(struct cn_async *a, const struct cn_callback *cb,
                   const struct cn_invoke_result *res)
{
    size_t len = strlen(cb->id);
    struct early *e;

    if (keymap_get(a->early, cb->id, len))
        return false; /* a repeat: the first is kept */
    if (keymap_count(a->early) >= (size_t)a->cn->cfg.max_inflight) {
        metric_add(a->m_early, (const char *[]){ "dropped" }, 1);
        return false;
    }
    e = xcalloc(1, sizeof *e);
    e->a = a;
    e->id = xstrdup(cb->id);
    e->tries = cb->tries;
    e->status = res->status;
    e->body = cn_bytes_dup(res->body, res->len);
    e->len = res->len;
    e->content_type = dup_str(res->content_type);
    e->reply_topic = dup_str(res->reply_topic);
    e->seconds = res->seconds;
    e->expiry = loop_timer_add(a->cn->lp, EARLY_KEEP_MS, on_expiry, e);
    keymap_put(a->early, e->id, len, e);
    return true;
}

bool cn_early_take(struct cn_async *a, const char *id)
{
    struct early *e = keymap_get(a->early, id, strlen(id));
    struct cn_invoke_result res = { .kind = CN_INVOKE_ANSWERED };
    struct cn_callback cb;

    if (!e)
        return false;
    /* Out of the table first: delivering may end the call, and a call
     * queued again under this id must not find it twice. */
    keymap_del(a->early, e->id, strlen(e->id));
    loop_timer_cancel(a->cn->lp, e->expiry);
    e->expiry = NULL;
    res.status = e->status;
    res.body = e->body;
    res.len = e->len;
    res.content_type = e->content_type;
    res.reply_topic = e->reply_topic;
    res.seconds = e->seconds;
    cb = (struct cn_callback){ .id = e->id, .tries = e->tries };
    metric_add(a->m_early, (const char *[]){ "taken" }, 1);
    log_debug("async", "callback for call %s: kept since before its record was read again", id);
    cn_async_deliver(a, &cb, &res);
    destroy(e);
    return true;
}

void cn_early_free_all(struct cn_async *a)
{
    void **all = keymap_values(a->early);

    for (void **e = all; *e; e++)
        early_free(*e);
    free(all);
}
