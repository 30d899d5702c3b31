/* async.c -- async calls of a branch: submission under a stable call id,
 * the table of branches awaiting their callback, and timeouts. */
#include "async.h"

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
#include "parse.h"
#include "xalloc.h"

#define TRIES_MAX 100000 /* a callback's X-Retry beyond this is not believed */

/* A branch's async state: every id it submitted under (the last is the
 * current one), so that a late callback of an earlier one still counts. */
struct cn_await {
    char **ids;
    size_t n;
    bool accepted; /* the current id was queued: a new submission needs a new id */
    bool awaiting; /* in AWAIT, counted in a->awaiting */
    cn_invoke_fn *answered;
    cn_async_result_fn *result;
};

static struct cn_async *async_of(const struct branch *b)
{
    return b->w->d->cn->async;
}

/* The submission is no longer a call in flight (answered or overtaken by
 * its callback); the branch keeps its slot. */
static void call_over(struct branch *b)
{
    struct cn_dispatch *d = b->w->d;

    b->call = NULL;
    d->inflight--;
    metric_add(d->cn->m.inflight, NULL, -1);
}

static void stop_awaiting(struct cn_async *a, struct cn_await *w)
{
    if (!w->awaiting)
        return;
    w->awaiting = false;
    a->awaiting--;
    metric_set(a->m_awaiting, NULL, (double)a->awaiting);
}

/* --- call ids ------------------------------------------------------------ */

/* The record's call id, unless the record goes to several async functions:
 * the queue keeps one call per id, so each needs its own. */
static char *base_id(const struct branch *b)
{
    const struct cn_work *w = b->w;
    size_t async = 0;

    for (size_t i = 0; i < w->n; i++)
        async += w->branches[i].route->invoke == CN_INVOKE_ASYNC;
    if (async > 1)
        return xasprintf("%s.%s", w->rec->call_id, b->target);
    return xstrdup(w->rec->call_id);
}

/* The id to submit under: the current one while nothing was queued under
 * it (a 503 stored nothing), else a fresh one ("<id>~2", "<id>~3"...),
 * since the queue would take a call under a used id for a repeat. */
static const char *next_id(struct cn_async *a, struct branch *b, struct cn_await *w)
{
    char *base, *id;

    if (w->n > 0 && !w->accepted)
        return w->ids[w->n - 1];
    base = base_id(b);
    if (w->n == 0) {
        id = base;
    } else {
        id = xasprintf("%s~%zu", base, w->n + 1);
        free(base);
    }
    w->ids = xrealloc(w->ids, (w->n + 1) * sizeof *w->ids);
    w->ids[w->n++] = id;
    w->accepted = false;
    keymap_put(a->waiting, id, strlen(id), b);
    return id;
}

void cn_async_forget(struct branch *b)
{
    struct cn_await *w = b->await;
    struct cn_async *a;

    if (!w)
        return;
    a = async_of(b);
    for (size_t i = 0; i < w->n; i++) {
        size_t len = strlen(w->ids[i]);
        if (keymap_get(a->waiting, w->ids[i], len) == b)
            keymap_del(a->waiting, w->ids[i], len);
        free(w->ids[i]);
    }
    stop_awaiting(a, w);
    free(w->ids);
    free(w);
    b->await = NULL;
}

/* --- waiting ------------------------------------------------------------- */

static void on_timeout(struct loop *lp, void *arg)
{
    struct branch *b = arg;
    struct cn_async *a = async_of(b);
    const struct cn_config *cfg = &a->cn->cfg;
    struct cn_invoke_result res = { .kind = CN_INVOKE_BROKEN };
    char why[160], dur[32];
    (void)lp;

    b->timer = NULL;
    cn_branch_step(b, CN_EV_TIMEOUT);
    stop_awaiting(a, b->await);
    metric_add(a->m_timeouts, (const char *[]){ b->target }, 1);
    snprintf(why, sizeof why, "no callback within async_timeout (%s)",
             format_duration_ms(cfg->async_timeout_ms, dur, sizeof dur));
    log_warn("async", "%s -> %s: call %s: %s; it counts as a failed attempt", b->w->rec->topic,
             b->target, b->await->ids[b->await->n - 1], why);
    res.error = why;
    /* As a broken call: retried (under a fresh id) while attempts last. */
    b->await->result(b, &res, false);
}

static void await_callback(struct cn_async *a, struct branch *b)
{
    cn_branch_step(b, CN_EV_ACCEPTED);
    b->await->awaiting = true;
    a->awaiting++;
    metric_set(a->m_awaiting, NULL, (double)a->awaiting);
    b->timer = loop_timer_add(a->cn->lp, a->cn->cfg.async_timeout_ms, on_timeout, b);
}

/* async_commit=accepted: the record may be committed now; the reply, if
 * the callback still comes, is published from what is kept. */
static void final_at_accepted(struct cn_async *a, struct branch *b)
{
    cn_kept_add(a, b, b->await->ids[b->await->n - 1]);
    cn_branch_step(b, CN_EV_ACCEPTED_FINAL);
    cn_branch_slot_done(b);
    cn_branch_final(b);
}

static void on_submitted(void *arg, const struct cn_invoke_result *res)
{
    struct branch *b = arg;
    struct cn_async *a = async_of(b);

    if (res->kind != CN_INVOKE_ANSWERED || res->status < 200 || res->status > 299) {
        b->await->answered(b, res); /* not queued: as a sync call's failure */
        return;
    }
    call_over(b);
    b->await->accepted = true;
    metric_add(a->m_submitted, (const char *[]){ b->target }, 1);
    /* A callback kept since before this call (after a restart) counts now;
     * its id is copied, as the branch may end before the lookup. Nearly
     * always nothing is kept: then nothing is copied. */
    char *id = keymap_count(a->early) ? xstrdup(b->await->ids[b->await->n - 1]) : NULL;
    if (a->commit_accepted)
        final_at_accepted(a, b);
    else
        await_callback(a, b);
    if (id) {
        cn_early_take(a, id);
        free(id);
    }
}

struct cn_call *cn_async_submit(struct branch *b, cn_invoke_fn *answered,
                                cn_async_result_fn *result)
{
    struct cn_async *a = async_of(b);
    struct cn_dispatch *d = b->w->d;
    struct cn_invoke_async how;

    if (!b->await) {
        b->await = xcalloc(1, sizeof *b->await);
        b->await->answered = answered;
        b->await->result = result;
    }
    struct cn_call *call;
    char *url;

    how.call_id = next_id(a, b, b->await);
    url = cn_callsign_url(&a->sign, a->callback_url, how.call_id);
    how.callback_url = url;
    call = cn_invoke_start_async(a->cn->curl, &d->invoke, b->target, b->w->rec, &how, on_submitted,
                                 b);
    free(url);
    return call;
}

/* --- callbacks ----------------------------------------------------------- */

const char *cn_async_deliver(struct cn_async *a, const struct cn_callback *cb,
                             const struct cn_invoke_result *res)
{
    struct branch *b = keymap_get(a->waiting, cb->id, strlen(cb->id));
    enum cn_call_state was;

    if (!b) {
        if (cn_kept_deliver(a, cb, res))
            return "kept";
        cn_early_keep(a, cb, res);
        return "unknown";
    }
    was = b->state;
    if (!cn_branch_step(b, CN_EV_ANSWER))
        return "late"; /* waiting to submit again: that call will answer */
    if (was == CN_CALL_CALLING) {
        /* The callback overtook the gateway's 202 (or the answer to a
         * submission again under a fresh id): the result is what counts. */
        cn_invoke_cancel(b->call);
        call_over(b);
    } else {
        loop_timer_cancel(a->cn->lp, b->timer);
        b->timer = NULL;
    }
    /* The submission counted one attempt; the worker may have made more. */
    if (cb->tries > 1)
        b->attempts += (int)(cb->tries < TRIES_MAX ? cb->tries : TRIES_MAX) - 1;
    cn_async_result_fn *result = b->await->result;
    cn_async_forget(b);
    result(b, res, true);
    return "taken";
}

/* --- the module ---------------------------------------------------------- */

static void init_metrics(struct cn_async *a)
{
    struct metrics *r = a->cn->m.reg;

    a->m_awaiting = metrics_gauge(r, "connector_async_awaiting",
                                  "Async calls queued whose callback is awaited (their "
                                  "records stay uncommitted).",
                                  NULL);
    a->m_kept = metrics_gauge(r, "connector_async_kept",
                              "Calls committed at 202 (async_commit=accepted) whose "
                              "callback may still publish a reply.",
                              NULL);
    a->m_submitted = metrics_counter(r, "connector_async_submitted_total",
                                     "Async calls the gateway queued (202).", "function");
    a->m_callbacks = metrics_counter(r, "connector_async_callbacks_total",
                                     "Callbacks received: taken (a call awaited it), kept "
                                     "(an accepted call's), late, unknown, invalid.",
                                     "result");
    a->m_timeouts = metrics_counter(r, "connector_async_timeouts_total",
                                    "Async calls without a callback within async_timeout.",
                                    "function");
    a->m_early = metrics_counter(r, "connector_async_early_callbacks_total",
                                 "Callbacks that came before their call (counted unknown) "
                                 "and were kept for it: taken (its call was queued again "
                                 "under its id), expired, dropped (too many kept).",
                                 "result");
}

struct cn_async *cn_async_new(struct cn *cn, int port)
{
    struct cn_async *a = xcalloc(1, sizeof *a);
    const struct cn_config *cfg = &cn->cfg;
    char dur[32], err[256];

    a->cn = cn;
    if (cn_callsign_init(&a->sign, cfg->callback_secret, err, sizeof err) < 0) {
        log_error("async", "%s", err);
        abort(); /* no random bytes: nothing else would work either */
    }
    a->callback_url = *cfg->callback_url ? xstrdup(cfg->callback_url)
                                         : xasprintf("http://127.0.0.1:%d/callback", port);
    a->commit_accepted = strcmp(cfg->async_commit, "accepted") == 0;
    a->waiting = keymap_new();
    a->kept = keymap_new();
    a->early = keymap_new();
    init_metrics(a);
    log_info("async",
             "invoke=async routes: callbacks to %s, async_timeout %s, records "
             "committed %s",
             a->callback_url, format_duration_ms(cfg->async_timeout_ms, dur, sizeof dur),
             a->commit_accepted ? "once the gateway queued the call (async_commit=accepted)"
                                : "once the callback is handled");
    if (a->sign.generated)
        log_info("async", "no callback_secret: callbacks are signed with a key of this "
                          "process, so those of calls submitted before a restart get 401");
    return a;
}

void cn_async_free(struct cn_async *a)
{
    if (!a)
        return;
    cn_kept_free_all(a);
    cn_early_free_all(a);
    if (keymap_count(a->waiting))
        log_warn("async", "freed with %zu call id(s) still awaited", keymap_count(a->waiting));
    keymap_free(a->waiting);
    keymap_free(a->kept);
    keymap_free(a->early);
    free(a->callback_url);
    cn_callsign_wipe(&a->sign);
    free(a);
}
