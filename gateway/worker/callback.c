/* callback.c -- posting a call's result to its X-Callback-Url: the
 * function's body and headers plus X-Call-Id, X-Function-Name,
 * X-Function-Status, X-Duration-Seconds and X-Retry (the attempt), tried
 * again with backoff while the endpoint fails, within callback_deadline.
 *
 * Deliveries have their own bound (callback_max_inflight) and give up the
 * call's function slot when they start, so receivers that hang cannot
 * starve calls. Where a callback may go is dest.c's policy; its answer's
 * body is read and dropped, since only its status matters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hclient.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "qw.h"
#include "xalloc.h"

/* Headers about the function's connection, or that we set ourselves. */
static bool forwarded(const char *line)
{
    static const char *const skip[] = { "Content-Length",
                                        "Transfer-Encoding",
                                        "Connection",
                                        "Keep-Alive",
                                        "Date",
                                        "X-Call-Id",
                                        "X-Function-Name",
                                        "X-Function-Status",
                                        "X-Duration-Seconds",
                                        "X-Retry",
                                        NULL };
    for (const char *const *s = skip; *s; s++) {
        size_t n = strlen(*s);
        if (strncasecmp(line, *s, n) == 0 && line[n] == ':')
            return false;
    }
    return true;
}

/* The function name without the namespace, as OpenFaaS sends it. */
static char *bare_name(const char *function)
{
    return xstrndup(function, strcspn(function, "."));
}

static char **callback_headers(const struct qw_job *j)
{
    size_t n = 6;
    for (const struct curl_slist *h = j->resp_headers; h; h = h->next)
        n++;
    char **out = xcalloc(n + 1, sizeof *out);
    size_t i = 0;
    for (const struct curl_slist *h = j->resp_headers; h; h = h->next)
        if (forwarded(h->data))
            out[i++] = xstrdup(h->data);
    char *name = bare_name(j->function);
    out[i++] = xasprintf("X-Call-Id: %s", j->call_id);
    out[i++] = xasprintf("X-Function-Name: %s", name);
    out[i++] = xasprintf("X-Function-Status: %ld", j->status ? j->status : 502L);
    out[i++] = xasprintf("X-Duration-Seconds: %.6f", j->duration);
    out[i++] = xasprintf("X-Retry: %lld", (long long)j->attempt);
    if (!j->status)
        out[i++] = xasprintf("X-Error: %s", j->error);
    free(name);
    return out;
}

static void free_headers(char **h)
{
    for (char **p = h; *p; p++)
        free(*p);
    free(h);
}

static void post(struct qw_job *j);
static void release_place(struct qw_job *j);

static void try_again(struct loop *lp, void *arg)
{
    (void)lp;
    struct qw_job *j = arg;
    j->retry_timer = NULL;
    post(j);
}

/* Called by curlloop for each address the callback's host resolves to. */
static bool allowed_address(void *arg, const struct sockaddr *sa, socklen_t len)
{
    (void)len;
    struct qw_job *j = arg;
    if (qw_dest_addr_ok(&j->w->dest, sa, j->cb_error, sizeof j->cb_error))
        return true;
    j->cb_refused = true;
    return false;
}

/* 2xx delivers; 3xx (never followed) and 4xx other than 408 and 429 are
 * the receiver's final word; the rest may pass. */
static bool worth_retrying(const struct hclient_response *r)
{
    return r->status == 0 || r->status == 408 || r->status == 429 || r->status >= 500;
}

static void give_up(struct qw_job *j, bool delivered)
{
    release_place(j);
    j->callback_done(j, delivered);
}

static void on_posted(void *arg, const struct hclient_response *r)
{
    struct qw_job *j = arg;
    struct qw *w = j->w;
    j->cb_call = NULL;
    bool ok = r->status >= 200 && r->status < 300;
    metric_add(w->m_callbacks,
               (const char *[]){ ok              ? "delivered"
                                 : j->cb_refused ? "refused"
                                                 : "failed" },
               1);
    if (ok) {
        log_debug("callback", "call %s: result delivered", j->call_id);
        give_up(j, true);
        return;
    }
    if (j->cb_refused) { /* cb_error already says why */
        log_warn("callback", "call %s: callback refused: %s", j->call_id, j->cb_error);
        give_up(j, false);
        return;
    }
    if (r->error)
        snprintf(j->cb_error, sizeof j->cb_error, "%s", r->error);
    else
        snprintf(j->cb_error, sizeof j->cb_error, "status %ld%s", r->status,
                 r->status >= 300 && r->status < 400 ? " (redirects are not followed)" : "");
    struct retry_policy p;
    retry_policy_init(&p, w->cfg.callback_attempts, w->cfg.retry_min_wait_ms,
                      w->cfg.retry_max_wait_ms);
    int64_t delay = retry_delay_ms(&p, j->cb_attempt, -1);
    if (!worth_retrying(r) || j->cb_attempt >= w->cfg.callback_attempts ||
        loop_now_ms() + delay > j->cb_deadline_ms) {
        give_up(j, false);
        return;
    }
    log_warn("callback", "call %s: callback failed (%s); try %lld of %lld in %lld ms", j->call_id,
             j->cb_error, (long long)j->cb_attempt + 1, (long long)w->cfg.callback_attempts,
             (long long)delay);
    j->retry_timer = loop_timer_add(w->lp, delay, try_again, j);
}

static void post(struct qw_job *j)
{
    j->cb_attempt++;
    char **headers = callback_headers(j);
    struct hclient_request rq = {
        .method = "POST",
        .url = j->callback_url,
        .headers = (const char *const *)headers,
        .body = buf_peek(&j->resp),
        .len = j->resp.len,
        .timeout_ms = j->w->cfg.callback_timeout_ms,
        .discard_body = true,
        .guard = allowed_address,
        .guard_arg = j,
    };
    /* A start that fails calls on_posted at once, which may free j. */
    struct hclient_call *call = hclient_start(j->w->curl, &rq, on_posted, j);
    free_headers(headers);
    if (call)
        j->cb_call = call;
}

/* A delivery place is free: the call no longer needs its function-call
 * slot, so a receiver that hangs holds only a place here. */
static void deliver(struct qw_job *j)
{
    struct qw *w = j->w;
    w->cb_active++;
    j->cb_delivering = true;
    if (j->slot_held) {
        j->slot_held = false;
        qw_slot_free(w);
    }
    j->cb_deadline_ms = loop_now_ms() + w->cfg.callback_deadline_ms;
    post(j);
}

static void unqueue(struct qw_job *j)
{
    struct qw *w = j->w;
    struct qw_job **pp = &w->cb_head, *prev = NULL;
    while (*pp && *pp != j) {
        prev = *pp;
        pp = &(*pp)->cb_next;
    }
    if (*pp)
        *pp = j->cb_next;
    if (w->cb_tail == j)
        w->cb_tail = prev;
    j->cb_next = NULL;
    j->cb_queued = false;
}

static void release_place(struct qw_job *j)
{
    struct qw *w = j->w;
    if (!j->cb_delivering)
        return;
    j->cb_delivering = false;
    w->cb_active--;
    if (w->draining || !w->cb_head)
        return;
    struct qw_job *next = w->cb_head;
    unqueue(next);
    deliver(next);
}

void qw_callback_start(struct qw_job *j, void (*done)(struct qw_job *j, bool delivered))
{
    struct qw *w = j->w;
    j->callback_done = done;
    j->cb_attempt = 0;
    if (!qw_dest_url_ok(&w->dest, j->callback_url, j->cb_error, sizeof j->cb_error)) {
        j->cb_refused = true;
        metric_add(w->m_callbacks, (const char *[]){ "refused" }, 1);
        log_warn("callback", "call %s: callback refused: %s", j->call_id, j->cb_error);
        done(j, false);
        return;
    }
    if (w->cb_active < (unsigned)w->cfg.callback_max_inflight) {
        deliver(j);
        return;
    }
    j->cb_queued = true;
    if (w->cb_tail)
        w->cb_tail->cb_next = j;
    else
        w->cb_head = j;
    w->cb_tail = j;
}

void qw_callback_cancel(struct qw_job *j)
{
    if (j->cb_call)
        hclient_cancel(j->cb_call);
    j->cb_call = NULL;
    if (j->retry_timer)
        loop_timer_cancel(j->w->lp, j->retry_timer);
    j->retry_timer = NULL;
    if (j->cb_queued)
        unqueue(j);
    release_place(j);
}
