/* outcome.c -- what a call's result means for its branch: a reply, a
 * retry after a backoff, or a dead letter; and publishing them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "async.h"
#include "branch.h"
#include "cn.h"
#include "decimal.h"
#include "dispatch.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "outcome.h"
#include "producer.h"
#include "publish.h"
#include "retry.h"
#include "subject.h"
#include "verdict.h"
#include "xalloc.h"

/* A dead letter the broker refused is tried again after this long: the
 * record cannot be committed before it is stored somewhere. */
#define DEAD_LETTER_RETRY_MS 5000
#define SNIPPET_MAX 200 /* bytes of an error response quoted in X-Error */

/* While the gateway cannot be reached at all, calls are tried again on
 * this schedule, whatever the route's (its min_wait may be 0). */
static const struct retry_policy unreachable_schedule = {
    .attempts = 0,
    .min_wait_ms = 250,
    .max_wait_ms = 5000,
};

static void on_called(void *arg, const struct cn_invoke_result *res);
static void publish_dead_letter(struct branch *b);

double cn_branch_random(struct cn_dispatch *d)
{
    /* xorshift64*: jitter needs spread, not secrecy. */
    d->rng ^= d->rng >> 12;
    d->rng ^= d->rng << 25;
    d->rng ^= d->rng >> 27;
    return (double)((d->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static const char *source_of(const struct branch *b, char *buf, size_t len)
{
    const struct cn_record *rec = b->w->rec;

    snprintf(buf, len, "%s[%d]@%lld", rec->topic, (int)rec->partition, (long long)rec->offset);
    return buf;
}

void cn_branch_call(struct branch *b)
{
    struct cn_dispatch *d = b->w->d;

    cn_branch_step(b, CN_EV_CALL_STARTED);
    b->attempts++;
    d->inflight++;
    metric_add(d->cn->m.inflight, NULL, 1);
    if (b->route->invoke == CN_INVOKE_ASYNC)
        b->call = cn_async_submit(b, on_called, cn_branch_result);
    else
        b->call = cn_invoke_start(d->cn->curl, &d->invoke, b->target, b->w->rec, on_called, b);
}

static void on_backoff_end(struct loop *lp, void *arg)
{
    struct branch *b = arg;
    (void)lp;

    b->timer = NULL;
    cn_branch_step(b, CN_EV_RETRY_DUE);
    cn_branch_ready(b);
}

static void backoff(struct branch *b, int64_t ms)
{
    cn_branch_step(b, CN_EV_RETRY_WAIT);
    b->timer = loop_timer_add(b->w->d->cn->lp, ms, on_backoff_end, b);
}

/* --- publishing ---------------------------------------------------------- */

static void on_dead_letter_retry(struct loop *lp, void *arg)
{
    struct branch *b = arg;
    (void)lp;

    b->timer = NULL;
    cn_branch_step(b, CN_EV_RETRY_DUE);
    publish_dead_letter(b);
}

static void dead_letter_refused(struct branch *b, const char *error)
{
    struct cn *cn = b->w->d->cn;
    char where[300];

    /* Too large for the error topic: retrying the same record would wedge
     * its partition for ever. A smaller one with the reason and the source
     * coordinates goes instead (X-Dead-Letter-Cut says what was left out). */
    if (cn_publish_too_large(error) && b->dead_letter_cut < 2) {
        b->dead_letter_cut++;
        log_warn("dispatch",
                 "%s -> %s: the dead letter is too large for %s (%s); "
                 "publishing it cut down",
                 source_of(b, where, sizeof where), b->target, b->route->error_topic, error);
        metric_add(cn->m.dead_letters_cut, (const char *[]){ b->target }, 1);
        publish_dead_letter(b);
        return;
    }
    log_error("dispatch",
              "%s -> %s: the dead letter could not be published to %s: %s "
              "(trying again in %ds; the record stays uncommitted)",
              source_of(b, where, sizeof where), b->target, b->route->error_topic, error,
              DEAD_LETTER_RETRY_MS / 1000);
    cn_branch_step(b, CN_EV_REFUSED);
    b->timer = loop_timer_add(cn->lp, DEAD_LETTER_RETRY_MS, on_dead_letter_retry, b);
}

static void on_published(void *arg, const char *error)
{
    struct branch *b = arg;
    struct cn *cn = b->w->d->cn;
    char why[512];

    b->delivery = NULL;
    if (!error) {
        if (b->dead_letter)
            metric_add(cn->m.dead_letters, (const char *[]){ b->target, b->reason }, 1);
        else
            metric_add(cn->m.replies, (const char *[]){ b->target }, 1);
        cn_branch_step(b, CN_EV_ACKED);
        cn_branch_final(b);
        return;
    }
    cn_branch_step(b, CN_EV_PUBLISH_FAILED);
    metric_add(cn->m.publish_errors, (const char *[]){ b->dead_letter ? "dead_letter" : "reply" },
               1);
    if (b->dead_letter) {
        dead_letter_refused(b, error);
        return;
    }
    snprintf(why, sizeof why, "the reply could not be published: %s", error);
    cn_branch_fail(b, "reply_failed", why, b->status);
}

static void publish_dead_letter(struct branch *b)
{
    struct cn *cn = b->w->d->cn;
    struct cn_failure f = { b->error, b->status, b->attempts, b->dead_letter_cut };
    char err[256];

    b->dead_letter = true;
    if (cn_publish_dead_letter(cn, b->w->rec, b->route->error_topic, b->target, &f, on_published, b,
                               &b->delivery, err, sizeof err) < 0) {
        metric_add(cn->m.publish_errors, (const char *[]){ "dead_letter" }, 1);
        dead_letter_refused(b, err);
        return;
    }
    cn_branch_step(b, CN_EV_PUBLISH);
}

static void publish_reply(struct branch *b, const struct cn_invoke_result *res, const char *topic)
{
    struct cn *cn = b->w->d->cn;
    char err[256], why[400];

    b->dead_letter = false;
    if (cn_publish_reply(cn, b->w->rec, topic, b->target, res, on_published, b, &b->delivery, err,
                         sizeof err) < 0) {
        metric_add(cn->m.publish_errors, (const char *[]){ "reply" }, 1);
        snprintf(why, sizeof why, "the reply could not be published to %s: %s", topic, err);
        cn_branch_fail(b, "reply_failed", why, res->status);
        return;
    }
    cn_branch_step(b, CN_EV_PUBLISH);
}

void cn_branch_fail(struct branch *b, const char *reason, const char *error, long status)
{
    struct cn *cn = b->w->d->cn;
    char where[300];

    free(b->error);
    b->error = xstrdup(error);
    b->status = status;
    b->reason = reason;
    source_of(b, where, sizeof where);
    if (b->route->error_topic) {
        log_warn("dispatch", "%s -> %s failed after %d attempt(s): %s; dead letter to %s", where,
                 b->target, b->attempts, error, b->route->error_topic);
        publish_dead_letter(b);
        return;
    }
    log_error("dispatch",
              "%s -> %s failed after %d attempt(s): %s; the route has no "
              "error-topic, so this outcome is only logged and counted",
              where, b->target, b->attempts, error);
    metric_add(cn->m.unhandled, (const char *[]){ b->target, reason }, 1);
    cn_branch_step(b, CN_EV_DONE);
    cn_branch_final(b);
}

/* --- results ------------------------------------------------------------- */

static void count_call(struct branch *b, const struct cn_invoke_result *res)
{
    struct cn *cn = b->w->d->cn;
    char status[DECIMAL_I64_SIZE];
    const char *code = "error";

    switch (res->kind) {
    case CN_INVOKE_ANSWERED:
        decimal_i64(status, res->status);
        code = status;
        break;
    case CN_INVOKE_UNREACHABLE:
        code = "unreachable";
        break;
    case CN_INVOKE_BROKEN:
        code = "error";
        break;
    case CN_INVOKE_TOO_LARGE:
        code = "too_large";
        break;
    }
    metric_add(cn->m.invocations, (const char *[]){ b->target, code }, 1);
    metric_observe(cn->m.seconds, (const char *[]){ b->target }, res->seconds);
}

/* "HTTP 500: <the start of the body>" or the transport error. */
static void describe(const struct cn_invoke_result *res, char *out, size_t len)
{
    char snippet[SNIPPET_MAX + 1];
    size_t n = 0;

    if (res->kind != CN_INVOKE_ANSWERED) {
        snprintf(out, len, "%s", res->error ? res->error : "no answer");
        return;
    }
    for (size_t i = 0; i < res->len && n < SNIPPET_MAX; i++)
        snippet[n++] = isprint(res->body[i]) ? (char)res->body[i] : ' ';
    while (n > 0 && snippet[n - 1] == ' ')
        n--;
    snippet[n] = '\0';
    snprintf(out, len, "HTTP %ld%s%s", res->status, n ? ": " : "", snippet);
}

static void gateway_answered(struct cn_dispatch *d)
{
    if (!d->gateway_down)
        return;
    d->gateway_down = false;
    log_info("dispatch", "the gateway answers calls again");
}

static void wait_for_gateway(struct branch *b, const struct cn_invoke_result *res)
{
    struct cn_dispatch *d = b->w->d;

    b->attempts--; /* the function was never reached */
    b->waits++;
    if (!d->gateway_down) {
        d->gateway_down = true;
        log_warn("dispatch",
                 "cannot reach the gateway at %s: %s; calls wait and are "
                 "tried again (records stay uncommitted)",
                 d->invoke.gateway_url, res->error ? res->error : "");
    }
    backoff(b, retry_backoff_ms(&unreachable_schedule, b->waits, -1, cn_branch_random(d)));
}

/* A record with one function on an unordered route whose source can
 * redeliver (JetStream) waits for its retry there, as a nak with delay:
 * it holds no place here meanwhile and the wait survives a restart. With
 * fan-out the other functions' outcomes would be redone, and on an
 * ordered route the next record of the key would overtake it: those wait
 * here. */
static bool hand_back(struct branch *b, int64_t ms)
{
    struct cn_record *rec = b->w->rec;

    if (!rec->origin->redeliver || b->w->n != 1 || b->route->ordering != CN_ORDER_NONE)
        return false;
    cn_dispatch_abandon(b->w->d, rec); /* frees b and its work */
    rec->origin->redeliver(rec, ms);
    return true;
}

static void retry_or_fail(struct branch *b, const struct cn_invoke_result *res, const char *what)
{
    struct cn_dispatch *d = b->w->d;
    const struct retry_policy *rt = &b->route->retry;
    char where[300];

    if (b->attempts >= rt->attempts) {
        cn_branch_fail(b, "exhausted", what, res->status);
        return;
    }
    metric_add(d->cn->m.retries, (const char *[]){ b->target }, 1);
    int64_t after = retry_after_parse(res->retry_after, time(NULL));
    int64_t ms = retry_backoff_ms(rt, b->attempts, after, cn_branch_random(d));
    log_debug("dispatch", "%s -> %s: attempt %d failed (%s); retry in %lldms",
              source_of(b, where, sizeof where), b->target, b->attempts, what, (long long)ms);
    if (!hand_back(b, ms))
        backoff(b, ms);
}

static void succeeded(struct branch *b, const struct cn_invoke_result *res)
{
    const char *topic = res->reply_topic ? res->reply_topic : b->route->reply_topic;
    char why[400];

    /* A NATS request with nowhere else to go is answered. */
    if (!topic)
        topic = b->w->rec->reply_to;
    if (res->reply_topic && !cn_dest_valid(res->reply_topic)) {
        snprintf(why, sizeof why, "X-Reply-Topic \"%.200s\" is not a valid topic name",
                 res->reply_topic);
        cn_branch_fail(b, "not_retryable", why, res->status);
        return;
    }
    if (topic) {
        publish_reply(b, res, topic);
        return;
    }
    cn_branch_step(b, CN_EV_DONE);
    cn_branch_final(b);
}

static void on_called(void *arg, const struct cn_invoke_result *res)
{
    struct branch *b = arg;
    struct cn_dispatch *d = b->w->d;

    b->call = NULL;
    d->inflight--;
    metric_add(d->cn->m.inflight, NULL, -1);
    cn_branch_step(b, CN_EV_ANSWER);
    cn_branch_result(b, res, false);
}

void cn_branch_result(struct branch *b, const struct cn_invoke_result *res, bool final)
{
    struct cn_dispatch *d = b->w->d;
    char what[400];
    enum cn_verdict v = cn_retry_verdict(&b->route->retry, res);

    /* An async call's callback comes after the queue worker's retries. */
    if (final && v != CN_VERDICT_OK)
        v = CN_VERDICT_FAIL;
    count_call(b, res);
    cn_branch_slot_done(b);
    b->status = res->status;
    if (res->kind != CN_INVOKE_UNREACHABLE) {
        b->waits = 0;
        gateway_answered(d);
    }
    describe(res, what, sizeof what);
    switch (v) {
    case CN_VERDICT_OK:
        succeeded(b, res);
        break;
    case CN_VERDICT_WAIT:
        wait_for_gateway(b, res);
        break;
    case CN_VERDICT_RETRY:
        retry_or_fail(b, res, what);
        break;
    case CN_VERDICT_FAIL:
        cn_branch_fail(b,
                       final                              ? "async_failed"
                       : res->kind == CN_INVOKE_TOO_LARGE ? "too_large"
                                                          : "not_retryable",
                       what, res->status);
        break;
    }
}

const struct cn_branch_ops cn_outcome_ops = {
    .call = cn_branch_call,
    .fail = cn_branch_fail,
    .forget = cn_async_forget,
};
