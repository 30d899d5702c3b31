/* deadletters.c -- the queue workers' dead letters, read and removed
 * through the gateway's NATS connection:
 *
 *   GET    /system/dead-letters?limit=N   the last N (default 20), newest first
 *   GET    /system/dead-letter/<seq>      one, with its whole body
 *   DELETE /system/dead-letter/<seq>      removes it (after a replay)
 *
 * The list is {"stream", "exists", "total", "letters"}; each letter reads
 * as letter.h says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "gw.h"
#include "httpd.h"
#include "jsq.h"
#include "letter.h"
#include "parse.h"
#include "queue_int.h"
#include "reply.h"
#include "xalloc.h"

#define DEFAULT_LIMIT 20
#define MAX_LIMIT 1000

/* --- reading the stream (offload thread) -------------------------------- */

static bool not_found(natsStatus s, jsErrCode jerr)
{
    return s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr || jerr == JSStreamNotFoundErr ||
           jerr == JSSequenceNotFoundErr;
}

static void unavailable(struct gw_inspect *in, const char *what, natsStatus s, jsErrCode jerr)
{
    char err[400];
    jsq_error(err, sizeof err, what, s, jerr);
    in->status = 503;
    snprintf(in->error, sizeof in->error, "the async queue is unavailable: %s", err);
}

static int cmp_seq(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool deleted(const uint64_t *del, size_t n, uint64_t seq)
{
    return n && bsearch(&seq, del, n, sizeof *del, cmp_seq) != NULL;
}

/* The letters deleted inside the stream (a replayed letter leaves a hole),
 * sorted. */
static uint64_t *holes(const jsStreamState *st, size_t *n)
{
    *n = st->DeletedLen > 0 ? (size_t)st->DeletedLen : 0;
    if (!*n)
        return NULL;
    uint64_t *del = xcalloc(*n, sizeof *del);
    memcpy(del, st->Deleted, *n * sizeof *del);
    qsort(del, *n, sizeof *del, cmp_seq);
    return del;
}

/* Letter seq's list entry, read once and then taken from q->letters.
 * Copies go out: the answer is written on the loop thread while this one
 * may hand the same entry to the next list. NULL if it is gone (or on an
 * error: in->status is then set). */
static json_t *entry_of(struct gw_inspect *in, uint64_t seq)
{
    struct gw_queue *q = in->gw->queue;
    json_t *known = gw_letter_cache_get(q->letters, seq);
    if (known)
        return json_deep_copy(known);
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetMsg(&m, q->js.js, in->gw->cfg.dead_letter_stream, seq, NULL, &jerr);
    if (s != NATS_OK) {
        if (!not_found(s, jerr))
            unavailable(in, "reading a dead letter", s, jerr);
        return NULL;
    }
    json_t *entry = gw_letter_json(m, false);
    natsMsg_Destroy(m);
    json_t *kept = json_deep_copy(entry);
    gw_letter_cache_put(q->letters, seq, kept);
    json_decref(kept);
    return entry;
}

/* The letters from the last down, up to in->limit, skipping the holes;
 * one that vanishes meanwhile is skipped too. */
static int collect(struct gw_inspect *in, const jsStreamInfo *si, json_t *letters)
{
    const jsStreamState *st = &si->State;
    gw_letter_cache_epoch(in->gw->queue->letters, si->Created);
    size_t ndel;
    uint64_t *del = holes(st, &ndel);
    for (uint64_t seq = st->LastSeq; seq >= st->FirstSeq && seq > 0 && !in->status &&
                                     json_array_size(letters) < (size_t)in->limit;
         seq--) {
        json_t *entry = deleted(del, ndel, seq) ? NULL : entry_of(in, seq);
        if (entry)
            json_array_append_new(letters, entry);
    }
    free(del);
    return in->status ? -1 : 0;
}

static void list_work(struct gw_inspect *in)
{
    struct gw_queue *q = in->gw->queue;
    const char *stream = in->gw->cfg.dead_letter_stream;
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Info.DeletedDetails = true;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, q->js.js, stream, &o, &jerr);
    json_t *letters = json_array();
    if (s != NATS_OK && !not_found(s, jerr)) {
        unavailable(in, "the dead-letter stream", s, jerr);
        json_decref(letters);
        return;
    }
    if (si && collect(in, si, letters) < 0) {
        json_decref(letters);
        jsStreamInfo_Destroy(si);
        return;
    }
    in->status = 200;
    in->body = json_pack("{s:s, s:b, s:I, s:o}", "stream", stream, "exists", si != NULL, "total",
                         (json_int_t)(si ? si->State.Msgs : 0), "letters", letters);
    jsStreamInfo_Destroy(si);
}

static void no_such_letter(struct gw_inspect *in)
{
    in->status = 404;
    snprintf(in->error, sizeof in->error, "no dead letter %llu in stream %s",
             (unsigned long long)in->seq, in->gw->cfg.dead_letter_stream);
}

static void one_work(struct gw_inspect *in)
{
    struct gw_queue *q = in->gw->queue;
    const char *stream = in->gw->cfg.dead_letter_stream;
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetMsg(&m, q->js.js, stream, in->seq, NULL, &jerr);
    if (not_found(s, jerr)) {
        no_such_letter(in);
    } else if (s != NATS_OK) {
        unavailable(in, "reading a dead letter", s, jerr);
    } else {
        in->status = 200;
        in->body = gw_letter_json(m, true);
    }
    natsMsg_Destroy(m);
}

static void delete_work(struct gw_inspect *in)
{
    struct gw_queue *q = in->gw->queue;
    const char *stream = in->gw->cfg.dead_letter_stream;
    jsErrCode jerr = 0;
    natsStatus s = js_DeleteMsg(q->js.js, stream, in->seq, NULL, &jerr);
    /* A server may name a missing message only as a failed delete. */
    if (!not_found(s, jerr) && jerr == JSStreamMsgDeleteFailed) {
        natsMsg *m = NULL;
        jsErrCode gerr = 0;
        natsStatus g = js_GetMsg(&m, q->js.js, stream, in->seq, NULL, &gerr);
        natsMsg_Destroy(m);
        if (not_found(g, gerr))
            s = NATS_NOT_FOUND;
    }
    if (not_found(s, jerr)) {
        no_such_letter(in);
        return;
    }
    if (s != NATS_OK) {
        unavailable(in, "removing a dead letter", s, jerr);
        return;
    }
    in->status = 200;
    in->body = json_pack("{s:I}", "deleted", (json_int_t)in->seq);
}

/* --- the routes --------------------------------------------------------- */

static struct gw_inspect *inspect_new(struct gw *gw, struct httpd_req *req,
                                      void (*work)(struct gw_inspect *))
{
    struct gw_inspect *in = xcalloc(1, sizeof *in);
    in->gw = gw;
    in->req = req;
    in->work = work;
    return in;
}

void gw_api_dead_letters(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "GET"))
        return;
    char *limit_s = httpd_query_arg(req, "limit");
    int64_t limit = DEFAULT_LIMIT;
    bool ok = !limit_s || !*limit_s ||
              (parse_int64(limit_s, &limit) == 0 && limit >= 1 && limit <= MAX_LIMIT);
    free(limit_s);
    if (!ok) {
        gw_reply_error(req, 400, "limit: expected a number of letters from 1 to %d", MAX_LIMIT);
        return;
    }
    struct gw_inspect *in = inspect_new(gw, req, list_work);
    in->limit = limit;
    gw_inspect_run(in);
}

void gw_api_dead_letter(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "GET|DELETE"))
        return;
    const char *text = httpd_req_path(req) + strlen("/system/dead-letter/");
    int64_t seq = 0;
    if (strspn(text, "0123456789") != strlen(text) || parse_int64(text, &seq) < 0 || seq < 1) {
        gw_reply_error(req, 400, "expected /system/dead-letter/<sequence number>, got \"%.40s\"",
                       text);
        return;
    }
    bool remove = strcmp(httpd_req_method(req), "DELETE") == 0;
    struct gw_inspect *in = inspect_new(gw, req, remove ? delete_work : one_work);
    in->seq = (uint64_t)seq;
    gw_inspect_run(in);
}
