/* logs_follow.c -- the lines the gateway keeps, as /system/logs streams
 * them: NDJSON from the ring, and followers that get each new line until
 * the client leaves, the function goes or log_follow_max passes. */
#include "logs_follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "functions.h"
#include "gw.h"
#include "httpd.h"
#include "logs.h"
#include "loop.h"
#include "reply.h"
#include "xalloc.h"

struct gw_logfollow {
    struct gw *gw;
    struct loop_timer *expiry;
    struct gw_fn *fn; /* NULL once the function is gone */
    struct httpd_req *req;
    uint64_t next_seq;
    struct buf out;
    struct gw_logfollow *next;
};

void gw_logs_ndjson(struct buf *b, const char *name, const char *ns, const char *instance,
                    int64_t unix_ms, const char *text)
{
    char when[40];
    gw_format_time(unix_ms, when, sizeof when);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "name", name, "namespace", ns, "instance",
                          instance, "timestamp", when, "text", text);
    if (!json_object_get(o, "text")) /* not UTF-8: keep the line, say so */
        json_object_set_new(o, "text", json_string("(line is not valid UTF-8)"));
    char *out = json_dumps(o, JSON_COMPACT);
    if (out && buf_space(b) > strlen(out) + 1) {
        buf_append(b, out, strlen(out));
        buf_append(b, "\n", 1);
    }
    free(out);
    json_decref(o);
}

static void append_line(struct buf *b, const struct gw_fn *fn, const struct gw_logline *l)
{
    char instance[96];
    snprintf(instance, sizeof instance, "%s.%s-%u", fn->name, fn->ns, l->instance);
    gw_logs_ndjson(b, fn->name, fn->ns, instance, l->unix_ms, l->text);
}

static const struct gw_logline *line_at(const struct gw *gw, const struct gw_fn *fn, uint64_t seq)
{
    uint64_t first = fn->logseq - fn->nlogs;
    if (seq < first || seq >= fn->logseq)
        return NULL;
    return &fn->logs[(fn->logstart + (size_t)(seq - first)) % (size_t)gw->cfg.log_lines];
}

/* Lines from seq on, newer than since_ms, into b. Returns the next seq. */
static uint64_t collect(const struct gw *gw, const struct gw_fn *fn, uint64_t seq, int64_t since_ms,
                        struct buf *b)
{
    const struct gw_logline *l;
    for (; (l = line_at(gw, fn, seq)); seq++)
        if (l->unix_ms >= since_ms)
            append_line(b, fn, l);
    return seq;
}

static ssize_t read_follow(void *arg, char *out, size_t max)
{
    struct gw_logfollow *f = arg;
    if (f->out.len)
        return (ssize_t)buf_take(&f->out, out, max);
    return f->fn ? 0 : HTTPD_READ_EOF;
}

static void unlink_follower(struct gw_logfollow *f)
{
    if (!f->fn)
        return;
    for (struct gw_logfollow **p = &f->fn->followers; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    f->fn = NULL;
}

static void on_follow_done(void *arg, bool completed)
{
    (void)completed;
    struct gw_logfollow *f = arg;
    loop_timer_cancel(f->gw->lp, f->expiry);
    unlink_follower(f);
    buf_cleanup(&f->out);
    free(f);
}

void gw_logs_notify(struct gw *gw, struct gw_fn *fn)
{
    for (struct gw_logfollow *f = fn->followers; f; f = f->next) {
        f->next_seq = collect(gw, fn, f->next_seq, 0, &f->out);
        httpd_wake(f->req);
    }
}

void gw_logs_forget(struct gw *gw, struct gw_fn *fn)
{
    (void)gw;
    while (fn->followers) {
        struct gw_logfollow *f = fn->followers;
        unlink_follower(f);
        httpd_wake(f->req); /* the reader sees the end */
    }
}

/* A follower whose client left is not noticed while nothing is written
 * (its connection is suspended): every stream ends after log_follow_max,
 * and the client follows again if it wants more. */
static void on_follow_expiry(struct loop *lp, void *arg)
{
    (void)lp;
    struct gw_logfollow *f = arg;
    f->expiry = NULL;
    unlink_follower(f);
    httpd_wake(f->req);
}

void gw_logs_stream(struct gw *gw, struct httpd_req *req, struct gw_fn *fn, int64_t tail,
                    int64_t since_ms, bool follow)
{
    uint64_t from = fn->logseq - fn->nlogs;
    if (tail > 0 && (uint64_t)tail < fn->nlogs) /* <= 0: all of them */
        from = fn->logseq - (uint64_t)tail;
    struct gw_logfollow *f = xcalloc(1, sizeof *f);
    buf_init(&f->out, 16 * 1024 * 1024);
    f->gw = gw;
    f->req = req;
    f->next_seq = collect(gw, fn, from, since_ms, &f->out);
    httpd_add_header(req, "Content-Type", "application/x-ndjson");
    httpd_req_on_done(req, on_follow_done, f);
    if (follow) {
        f->fn = fn;
        f->next = fn->followers;
        fn->followers = f;
        f->expiry = loop_timer_add(gw->lp, gw->cfg.log_follow_max_ms, on_follow_expiry, f);
    }
    httpd_respond_stream(req, 200, -1, read_follow, f);
}
