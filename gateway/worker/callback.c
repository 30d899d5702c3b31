/* callback.c -- posting a call's result to its X-Callback-Url: the
 * function's body and headers plus X-Call-Id, X-Function-Name,
 * X-Function-Status, X-Duration-Seconds and X-Retry (the attempt), tried
 * again with backoff while the endpoint fails. */
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
    static const char *const skip[] = { "Content-Length", "Transfer-Encoding", "Connection",
                                        "Keep-Alive", "Date", "X-Call-Id", "X-Function-Name",
                                        "X-Function-Status", "X-Duration-Seconds", "X-Retry",
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

static void try_again(struct loop *lp, void *arg)
{
    (void)lp;
    struct qw_job *j = arg;
    j->retry_timer = NULL;
    post(j);
}

static void on_posted(void *arg, const struct hclient_response *r)
{
    struct qw_job *j = arg;
    struct qw *w = j->w;
    j->cb_call = NULL;
    bool ok = r->status >= 200 && r->status < 300;
    metric_add(w->m_callbacks, (const char *[]){ ok ? "delivered" : "failed" }, 1);
    if (ok) {
        log_debug("callback", "call %s: result delivered to %s", j->call_id, j->callback_url);
        j->callback_done(j, true);
        return;
    }
    if (r->error)
        snprintf(j->cb_error, sizeof j->cb_error, "%s", r->error);
    else
        snprintf(j->cb_error, sizeof j->cb_error, "status %ld", r->status);
    if (j->cb_attempt >= w->cfg.callback_attempts) {
        j->callback_done(j, false);
        return;
    }
    struct retry_policy p;
    retry_policy_init(&p, w->cfg.callback_attempts, w->cfg.retry_min_wait_ms,
                      w->cfg.retry_max_wait_ms);
    int64_t delay = retry_delay_ms(&p, j->cb_attempt, -1);
    log_warn("callback", "call %s: callback to %s failed (%s); try %lld of %lld in %lld ms",
             j->call_id, j->callback_url, j->cb_error, (long long)j->cb_attempt + 1,
             (long long)w->cfg.callback_attempts, (long long)delay);
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
    };
    /* A start that fails calls on_posted at once, which may free j. */
    struct hclient_call *call = hclient_start(j->w->curl, &rq, on_posted, j);
    free_headers(headers);
    if (call)
        j->cb_call = call;
}

void qw_callback_start(struct qw_job *j, void (*done)(struct qw_job *j, bool delivered))
{
    j->callback_done = done;
    j->cb_attempt = 0;
    post(j);
}

void qw_callback_cancel(struct qw_job *j)
{
    if (j->cb_call)
        hclient_cancel(j->cb_call);
    j->cb_call = NULL;
    if (j->retry_timer)
        loop_timer_cancel(j->w->lp, j->retry_timer);
    j->retry_timer = NULL;
}
