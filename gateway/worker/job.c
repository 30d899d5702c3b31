/* job.c -- one async call from its message to its final outcome:
 *
 *   call the function ─ answered, or failed for good ─► callback (if any)
 *        │                                                  │
 *        └─ retryable and attempts left: nak with a delay   ├─ delivered: ack
 *                                                           └─ failed: dead letter, ack
 *   failed for good after retries: callback, dead letter, ack
 *
 * While a call runs, in-progress acks keep its lease, so a slow function
 * is not handed to a second worker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../queue.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "natsmsg.h"
#include "qw.h"
#include "xalloc.h"

static void job_free(struct qw_job *j)
{
    struct qw *w = j->w;
    list_remove(&w->jobs, &j->node);
    w->njobs--;
    metric_set(w->m_inflight, NULL, w->njobs);
    if (j->timer)
        loop_timer_cancel(w->lp, j->timer);
    qw_call_cancel(j);
    qw_callback_cancel(j);
    natsmsg_free(j->msg);
    free(j->dead_reason);
    bool slot = j->slot_held;
    free(j);
    if (slot)
        qw_slot_free(w);
}

/* The final word on the message: done, or back to the queue. */
static void finish(struct qw_job *j, bool ack, int64_t nak_delay_ms)
{
    natsStatus s = ack ? natsMsg_Ack(j->msg, NULL)
                       : natsMsg_NakWithDelay(j->msg, nak_delay_ms, NULL);
    if (s != NATS_OK) /* the lease runs out and the call comes back: at least once */
        log_warn("job", "call %s: %s failed: %s", j->call_id, ack ? "ack" : "nak",
                 natsStatus_GetText(s));
    j->stage = QW_FINISHED;
    job_free(j);
}

static void keep_lease(struct loop *lp, void *arg)
{
    struct qw_job *j = arg;
    natsMsg_InProgress(j->msg, NULL);
    j->timer = loop_timer_add(lp, j->w->cfg.ack_wait_ms / 3, keep_lease, j);
}

static void count(struct qw_job *j, const char *outcome)
{
    char status[16];
    snprintf(status, sizeof status, "%ld", j->status);
    metric_add(j->w->m_processed, (const char *[]){ j->function, status, outcome }, 1);
}

static void on_dead_lettered(struct qw_job *j, bool stored)
{
    if (!stored) { /* keep the call rather than lose it: it will come back */
        log_error("job",
                  "call %s: the dead letter could not be stored; the call goes back "
                  "to the queue",
                  j->call_id);
        finish(j, false, j->w->cfg.retry_max_wait_ms);
        return;
    }
    metric_add(j->w->m_dead, (const char *[]){ j->function }, 1);
    log_warn("job", "call %s to %s dead-lettered: %s", j->call_id, j->function, j->dead_reason);
    finish(j, true, 0);
}

static void dead_letter(struct qw_job *j, char *reason)
{
    free(j->dead_reason);
    j->dead_reason = reason;
    j->stage = QW_DEAD_LETTER;
    qw_dead_letter(j, on_dead_lettered);
}

static bool retryable(const struct qw_job *j)
{
    return j->status == 0 || j->internal || retry_status(&j->policy, j->status);
}

static void on_callback(struct qw_job *j, bool delivered)
{
    if (!delivered) {
        if (j->cb_refused) /* the URL is left out: it may be what was refused */
            dead_letter(j, xasprintf("callback refused: %s", j->cb_error));
        else
            dead_letter(j, xasprintf("callback to %s failed %lld times: %s", j->callback_url,
                                     (long long)j->cb_attempt, j->cb_error));
        return;
    }
    if (retryable(j)) /* the caller knows; the call is still kept */
        dead_letter(j, xasprintf("function failed after %lld attempts: %s", (long long)j->attempt,
                                 j->error));
    else
        finish(j, true, 0);
}

static void on_called(struct qw_job *j)
{
    metric_observe(j->w->m_seconds, (const char *[]){ j->function }, j->duration);
    bool again = retryable(j);
    if (again && j->attempt < j->policy.attempts) {
        int64_t delay = retry_delay_ms(&j->policy, j->attempt, j->retry_after_ms);
        log_info("job", "call %s to %s: %s; retry %lld of %lld in %lld ms", j->call_id, j->function,
                 j->error, (long long)j->attempt, (long long)j->policy.attempts - 1,
                 (long long)delay);
        metric_add(j->w->m_retries, (const char *[]){ j->function }, 1);
        count(j, "retry");
        finish(j, false, delay);
        return;
    }
    count(j, again ? "failed" : "done");
    if (j->callback_url) {
        j->stage = QW_CALLBACK;
        qw_callback_start(j, on_callback);
    } else if (again) {
        dead_letter(j, xasprintf("function failed after %lld attempts: %s", (long long)j->attempt,
                                 j->error));
    } else {
        finish(j, true, 0);
    }
}

/* The daemon's defaults, overridden by the function's annotations as the
 * gateway recorded them with the call. A bad annotation is reported and
 * the default kept: the call still runs. */
static void load_policy(struct qw_job *j)
{
    const struct qw_config *cfg = &j->w->cfg;
    static const char *const parts[][2] = {
        { "attempts", QH_RETRY_ATTEMPTS },
        { "codes", QH_RETRY_CODES },
        { "min_wait", QH_RETRY_MIN_WAIT },
        { "max_wait", QH_RETRY_MAX_WAIT },
    };
    char err[200];
    j->policy = cfg->retry;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *v = qw_msg_header(j->msg, parts[i][1]);
        if (v && retry_policy_set(&j->policy, parts[i][0], v, err, sizeof err) < 0)
            log_warn("job", "call %s to %s: annotation com.openfaas.retry.%s ignored: %s",
                     j->call_id, j->function, parts[i][0], err);
    }
}

static int64_t delivery_count(natsMsg *m)
{
    jsMsgMetaData *meta = NULL;
    int64_t n = 1;
    if (natsMsg_GetMetaData(&meta, m) == NATS_OK)
        n = (int64_t)meta->NumDelivered;
    jsMsgMetaData_Destroy(meta);
    return n < 1 ? 1 : n;
}

static struct qw_job *job_new(struct qw *w, natsMsg *m)
{
    struct qw_job *j = xcalloc(1, sizeof *j);
    j->w = w;
    j->msg = m;
    j->call_id = qw_msg_header(m, "X-Call-Id");
    j->call_id = j->call_id ? j->call_id : "-";
    j->function = qw_msg_header(m, QH_FUNCTION);
    j->callback_url = qw_msg_header(m, "X-Callback-Url");
    j->attempt = delivery_count(m);
    j->retry_after_ms = -1;
    j->slot_held = true;
    list_push_front(&w->jobs, &j->node);
    w->njobs++;
    metric_set(w->m_inflight, NULL, w->njobs);
    return j;
}

void qw_job_start(void *arg)
{
    struct qw_arrival *a = arg;
    struct qw *w = a->w;
    struct qw_job *j = job_new(w, a->msg);
    free(a);
    if (w->draining) { /* fetched as we stopped: another worker takes it */
        finish(j, false, 0);
        return;
    }
    j->timer = loop_timer_add(w->lp, w->cfg.ack_wait_ms / 3, keep_lease, j);
    if (!j->function || !*j->function) {
        j->function = "-";
        dead_letter(j, xstrdup("malformed message: no " QH_FUNCTION " header"));
        return;
    }
    load_policy(j);
    log_debug("job", "call %s to %s, attempt %lld", j->call_id, j->function, (long long)j->attempt);
    j->stage = QW_CALLING;
    qw_call_start(j, on_called);
}

/* At the end of a drain: whatever still runs goes back to the queue at
 * once, for another worker. A dead letter being stored finishes first. */
void qw_jobs_abandon(struct qw *w)
{
    for (struct list_node *it = w->jobs.first, *next; it; it = next) {
        struct qw_job *j = LIST_ENTRY(it, struct qw_job, node);
        next = it->next;
        if (j->stage != QW_DEAD_LETTER) {
            log_warn("job",
                     "call %s to %s not finished before the drain deadline: "
                     "handed back to the queue",
                     j->call_id, j->function);
            finish(j, false, 0);
        }
    }
}
