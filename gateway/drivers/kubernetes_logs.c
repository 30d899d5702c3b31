/* kubernetes_logs.c -- /system/logs from pods/<pod>/log of every pod of
 * the function, the pod's name as the instance.
 *
 * DESIGN: the pods are listed by their faas_function label and each one's
 * log is read with timestamps (tailLines, sinceTime, follow as asked).
 * Without follow, the lines of all pods are put in time order and the
 * tail is taken over all of them. With follow, each pod's lines go out
 * as they come, and a pod that turns ready later (scale up, a rolling
 * update) joins. The answer starts only once a log was accepted, so a
 * cluster that cannot serve logs gives its error, not an empty stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../driver.h"
#include "../functions.h"
#include "../gw.h"
#include "k8s_api.h"
#include "kubernetes_int.h"
#include "kubernetes_spec.h"
#include "log.h"
#include "loop.h"
#include "urlenc.h"
#include "xalloc.h"

#define D kd_state
#define MAX_PODS 64
#define MAX_KEPT 100000

struct kd_line {
    int64_t unix_ms;
    char *pod, *text;
};

struct kd_podlog {
    struct kd_logs *l;
    char pod[128];
    struct k8s_stream *s;
};

struct kd_logs {
    struct gw_log_sink sink;
    struct gw_log_query q;
    struct kd_fn *f; /* while following; NULL once it is gone */
    char name[64], ns[64];
    char since[40]; /* sinceTime of pods that join */
    struct k8s_call *list;
    struct loop_timer *later; /* an error told from the loop, not inside kd_logs */
    char error[600];
    int error_status;
    struct kd_podlog pods[MAX_PODS];
    unsigned npods, open;
    struct kd_line *kept; /* without follow: sorted at the end */
    size_t nkept;
    bool begun, ended;
    struct kd_logs *next;                 /* f->followers */
    struct kd_logs *next_all, **prev_all; /* every one, for shutdown */
};

static struct kd_logs *all_logs;

static void stamp(int64_t unix_s, char *out, size_t len)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void end(struct kd_logs *l, int status, const char *msg)
{
    if (l->ended)
        return;
    l->ended = true;
    if (!l->begun && !status)
        l->sink.begin(l->sink.arg);
    l->sink.end(l->sink.arg, l->begun || !status ? 0 : status, msg);
}

static void begin(struct kd_logs *l)
{
    if (!l->begun && !l->ended) {
        l->begun = true;
        l->sink.begin(l->sink.arg);
    }
}

/* "2026-12-03T13:39:35.123456789Z text" -> ms and the text. */
static const char *split_stamp(const char *line, size_t len, int64_t *ms, size_t *textlen)
{
    const char *sp = memchr(line, ' ', len);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char head[40];
    size_t hl = sp ? (size_t)(sp - line) : 0;
    if (!sp || hl >= sizeof head) {
        *ms = (int64_t)time(NULL) * 1000;
        *textlen = len;
        return line;
    }
    memcpy(head, line, hl);
    head[hl] = '\0';
    const char *rest = strptime(head, "%Y-%m-%dT%H:%M:%S", &tm);
    *ms = rest ? (int64_t)timegm(&tm) * 1000 : (int64_t)time(NULL) * 1000;
    if (rest && *rest == '.') {
        int64_t scale = 100;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
            *ms += (*rest - '0') * scale;
    }
    *textlen = len - hl - 1;
    return sp + 1;
}

static bool on_line(void *arg, const char *line, size_t len)
{
    struct kd_podlog *p = arg;
    struct kd_logs *l = p->l;
    if (l->ended)
        return false;
    int64_t ms;
    size_t tl;
    const char *text = split_stamp(line, len, &ms, &tl);
    if (l->q.follow) {
        begin(l);
        l->sink.line(l->sink.arg, p->pod, ms, text, tl);
    } else if (l->nkept < MAX_KEPT) {
        l->kept = xrealloc(l->kept, (l->nkept + 1) * sizeof *l->kept);
        l->kept[l->nkept++] = (struct kd_line){ ms, xstrdup(p->pod), xstrndup(text, tl) };
    }
    return true;
}

static int by_time(const void *a, const void *b)
{
    const struct kd_line *x = a, *y = b;
    return x->unix_ms < y->unix_ms ? -1 : x->unix_ms > y->unix_ms;
}

/* Without follow, every pod has answered: the lines in order. */
static void flush_kept(struct kd_logs *l)
{
    if (l->nkept)
        qsort(l->kept, l->nkept, sizeof *l->kept, by_time);
    size_t from = l->q.tail > 0 && (size_t)l->q.tail < l->nkept ? l->nkept - (size_t)l->q.tail : 0;
    begin(l);
    for (size_t i = from; i < l->nkept; i++)
        l->sink.line(l->sink.arg, l->kept[i].pod, l->kept[i].unix_ms, l->kept[i].text,
                     strlen(l->kept[i].text));
}

static void on_open(void *arg, long status)
{
    struct kd_podlog *p = arg;
    if (status == 200 && p->l->q.follow)
        begin(p->l);
}

static void on_pod_end(void *arg, const struct k8s_result *r)
{
    struct kd_podlog *p = arg;
    struct kd_logs *l = p->l;
    p->s = NULL;
    l->open--;
    /* A pod still starting has no log yet (400): not an error. */
    if (r->status != 200 && r->status != 400 && !l->error_status) {
        char msg[512];
        snprintf(l->error, sizeof l->error,
                 "cannot read the logs of pod %s of function %s.%s: "
                 "%s",
                 p->pod, l->name, l->ns, k8s_error_text(D.api, r, msg, sizeof msg));
        l->error_status = r->status == 0 ? 503 : 502;
    }
    if (l->open)
        return;
    if (!l->q.follow) {
        if (l->error_status && !l->nkept)
            end(l, l->error_status, l->error);
        else {
            flush_kept(l);
            end(l, 0, NULL);
        }
    } else if (!l->begun && l->error_status) {
        end(l, l->error_status, l->error);
    }
}

static void read_pod(struct kd_logs *l, const char *pod, bool joined)
{
    for (unsigned i = 0; i < l->npods; i++)
        if (strcmp(l->pods[i].pod, pod) == 0)
            return;
    if (l->npods == MAX_PODS)
        return;
    struct kd_podlog *p = &l->pods[l->npods++];
    p->l = l;
    snprintf(p->pod, sizeof p->pod, "%s", pod);
    char path[640], q[160] = "";
    size_t n = 0;
    if (l->q.tail >= 0 && !joined)
        n += (size_t)snprintf(q + n, sizeof q - n, "&tailLines=%lld", (long long)l->q.tail);
    if (joined)
        n += (size_t)snprintf(q + n, sizeof q - n, "&sinceTime=%s", l->since);
    else if (l->q.since_ms > 0) {
        char when[40];
        stamp(l->q.since_ms / 1000, when, sizeof when);
        n += (size_t)snprintf(q + n, sizeof q - n, "&sinceTime=%s", when);
    }
    if (l->q.follow)
        snprintf(q + n, sizeof q - n, "&follow=true");
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/log?timestamps=true%s", l->ns, pod,
             q);
    p->s = k8s_stream_start(D.api, path, on_line, on_pod_end, p);
    if (p->s) {
        k8s_stream_on_open(p->s, on_open);
        l->open++;
    }
}

static void on_pods(void *arg, const struct k8s_result *r)
{
    struct kd_logs *l = arg;
    l->list = NULL;
    if (r->status != 200) {
        char msg[512];
        snprintf(l->error, sizeof l->error, "cannot list the pods of function %s.%s: %s", l->name,
                 l->ns, k8s_error_text(D.api, r, msg, sizeof msg));
        end(l, r->status == 0 ? 503 : 502, l->error);
        return;
    }
    size_t i;
    json_t *pod;
    json_array_foreach(json_object_get(r->body, "items"), i, pod) {
        const char *name = json_string_value(
            json_object_get(json_object_get(pod, "metadata"), "name"));
        if (name)
            read_pod(l, name, false);
    }
    if (l->open)
        return;
    if (l->q.follow)
        begin(l); /* no pod yet: the ones that come join */
    else
        end(l, 0, NULL);
}

static void on_later(struct loop *lp, void *arg)
{
    (void)lp;
    struct kd_logs *l = arg;
    l->later = NULL;
    end(l, l->error_status, l->error);
}

void *kd_logs(struct gw *gw, struct gw_fn *fn, const struct gw_log_query *q,
              const struct gw_log_sink *sink)
{
    struct kd_logs *l = xcalloc(1, sizeof *l);
    l->next_all = all_logs;
    if (all_logs)
        all_logs->prev_all = &l->next_all;
    l->prev_all = &all_logs;
    all_logs = l;
    l->sink = *sink;
    l->q = *q;
    snprintf(l->name, sizeof l->name, "%s", fn->name);
    snprintf(l->ns, sizeof l->ns, "%s", fn->ns);
    stamp((int64_t)time(NULL), l->since, sizeof l->since);
    struct kd_fn *f = fn->drv;
    if (q->follow && f) {
        l->f = f;
        l->next = f->followers;
        f->followers = l;
    }
    char sel[128], path[320];
    snprintf(sel, sizeof sel, K8S_LABEL_FUNCTION "=%s", fn->name);
    char esc[200];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods?labelSelector=%s", fn->ns,
             url_escape(sel, "", esc, sizeof esc));
    l->list = k8s_request(D.api, "GET", path, NULL, NULL, KD_CALL_TIMEOUT_MS, on_pods, l);
    if (!l->list) {
        snprintf(l->error, sizeof l->error, "cannot reach the Kubernetes API");
        l->error_status = 503;
        l->later = loop_timer_add(gw->lp, 0, on_later, l);
    }
    return l;
}

static void unfollow(struct kd_logs *l)
{
    if (!l->f)
        return;
    for (struct kd_logs **p = &l->f->followers; *p; p = &(*p)->next)
        if (*p == l) {
            *p = l->next;
            break;
        }
    l->f = NULL;
}

void kd_logs_stop(void *handle)
{
    struct kd_logs *l = handle;
    if (!l)
        return;
    *l->prev_all = l->next_all;
    if (l->next_all)
        l->next_all->prev_all = l->prev_all;
    unfollow(l);
    k8s_cancel(l->list);
    loop_timer_cancel(D.gw->lp, l->later);
    for (unsigned i = 0; i < l->npods; i++)
        k8s_stream_stop(l->pods[i].s);
    for (size_t i = 0; i < l->nkept; i++) {
        free(l->kept[i].pod);
        free(l->kept[i].text);
    }
    free(l->kept);
    free(l);
}

void kd_logs_pod(struct kd_fn *f, const char *pod)
{
    for (struct kd_logs *l = f->followers; l; l = l->next)
        if (!l->ended)
            read_pod(l, pod, true);
}

void kd_logs_forget(struct kd_fn *f)
{
    while (f->followers) {
        struct kd_logs *l = f->followers;
        unfollow(l);
        end(l, 0, NULL);
    }
}

void kd_logs_shutdown(void)
{
    for (struct kd_logs *l = all_logs; l; l = l->next_all) {
        unfollow(l);
        k8s_cancel(l->list);
        l->list = NULL;
        for (unsigned i = 0; i < l->npods; i++) {
            k8s_stream_stop(l->pods[i].s);
            l->pods[i].s = NULL;
        }
        l->open = 0;
        end(l, 503, "the gateway is stopping");
    }
}
