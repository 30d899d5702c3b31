/* nats_publish.c -- outgoing NATS messages, acknowledged where a stream
 * stores them. */
#include "nats_publish.h"

#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encode.h"
#include "jsq.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "natsmsg.h"
#include "offload.h"
#include "subject.h"
#include "xalloc.h"

#define ACK_WAIT_MS 5000   /* JetStream's answer, or the flush's round trip */
#define STORED_TTL_MS 5000 /* how long "a stream captures it" is believed */
#define STORED_MAX 1024    /* subjects remembered (then forgotten at once) */

/* Whether a stream captures a subject, as last asked. */
struct stored {
    char *subject;
    bool yes;
    int64_t at;
};

struct cn_nats_out {
    struct jsq *js;
    jsCtx *async_js; /* js's connection, answers to on_stored */
    struct offload *ol;
    char *key_header;
    bool told_plain;    /* logged once: some subject has no stream */
    pthread_mutex_t mu; /* the publish threads and cnats' answering one */
    struct stored *known;
    size_t nknown;
    struct list unacked;   /* pubs a stream has not answered yet, oldest first */
    struct list unflushed; /* plain pubs the next flush confirms */
    bool flushing;         /* a publish thread is flushing unflushed */
    bool closed;           /* answers from now on only free their pub */
};

struct pub {
    struct cn_nats_out *p;
    natsMsg *msg;          /* ours; NULL once handed to JetStream */
    const natsMsg *sent;   /* what JetStream's answer names */
    struct list_node node; /* in unacked or unflushed */
    bool waiting;          /* in unacked */
    bool plain;            /* a request's answer: no JetStream attempt */
    bool fell_back;        /* no stream captured the subject */
    struct cn_delivery *d;
    char error[400]; /* empty: acknowledged */
};

static void on_stored(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure);

struct cn_nats_out *cn_nats_out_new(struct jsq *js, struct offload *ol, const char *key_header,
                                    char *err, size_t errlen)
{
    struct cn_nats_out *p = xcalloc(1, sizeof *p);
    jsOptions o;

    jsOptions_Init(&o);
    o.PublishAsync.AckHandler = on_stored;
    o.PublishAsync.AckHandlerClosure = p;
    natsStatus s = natsConnection_JetStream(&p->async_js, js->nc, &o);
    if (s != NATS_OK) {
        jsq_error(err, errlen, "JetStream publishing context", s, 0);
        free(p);
        return NULL;
    }
    p->js = js;
    p->ol = ol;
    p->key_header = xstrdup(key_header);
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

void cn_nats_out_close(struct cn_nats_out *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    pthread_mutex_unlock(&p->mu);
}

void cn_nats_out_stop(struct cn_nats_out *p)
{
    if (p && p->async_js) {
        jsCtx_Destroy(p->async_js);
        p->async_js = NULL;
    }
}

static void free_pub(struct pub *pb);

void cn_nats_out_free(struct cn_nats_out *p)
{
    if (!p)
        return;
    cn_nats_out_stop(p);
    /* Never answered: cnats freed their messages with its context. */
    for (struct list_node *it; (it = list_pop_front(&p->unacked));)
        free_pub(LIST_ENTRY(it, struct pub, node));
    for (size_t i = 0; i < p->nknown; i++)
        free(p->known[i].subject);
    free(p->known);
    pthread_mutex_destroy(&p->mu);
    free(p->key_header);
    free(p);
}

/* --- building the message (loop thread) ---------------------------------- */

/* Adds one header; bytes NATS headers cannot carry as they are (binary,
 * line breaks, edge blanks) go base64 with a "<name>-Enc: b64" companion,
 * as in the calls' X-Kafka-* headers. */
static void emit(void *arg, const char *name, const char *value)
{
    natsMsgHeader_Add(arg, name, value);
}

static void add_header(natsMsg *msg, const char *name, const unsigned char *v, size_t len)
{
    static const unsigned char empty[1] = "";

    if (!cn_http_name_ok(name))
        return; /* a name NATS cannot carry is left out, not mangled */
    if (!v)
        v = empty;
    cn_header_emit(name, v, len, emit, msg);
}

static bool has_header(const struct cn_outgoing *m, const char *name)
{
    for (size_t i = 0; i < m->nheaders; i++) {
        if (strcasecmp(m->headers[i].name, name) == 0)
            return true;
    }
    return false;
}

static natsMsg *build(struct cn_nats_out *p, const char *subject, const struct cn_outgoing *m,
                      char *err, size_t errlen)
{
    natsMsg *msg = NULL;
    natsStatus s = natsMsg_Create(&msg, subject, NULL, (const char *)m->value,
                                  m->value ? (int)m->len : 0);

    if (s != NATS_OK) {
        jsq_error(err, errlen, subject, s, 0);
        return NULL;
    }
    for (size_t i = 0; i < m->nheaders; i++)
        add_header(msg, m->headers[i].name, m->headers[i].value, m->headers[i].len);
    /* A dead letter of a NATS message already carries its key header. */
    if (m->key && !has_header(m, p->key_header))
        add_header(msg, p->key_header, m->key, m->key_len);
    return msg;
}

/* --- publishing (offload thread) ----------------------------------------- */

static int recall(struct cn_nats_out *p, const char *subject, int64_t now)
{
    int yes = -1;

    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nknown; i++) {
        if (strcmp(p->known[i].subject, subject) == 0 && now - p->known[i].at < STORED_TTL_MS)
            yes = p->known[i].yes;
    }
    pthread_mutex_unlock(&p->mu);
    return yes;
}

static void remember(struct cn_nats_out *p, const char *subject, bool yes, int64_t now)
{
    pthread_mutex_lock(&p->mu);
    size_t i = 0;
    while (i < p->nknown && strcmp(p->known[i].subject, subject) != 0)
        i++;
    if (i == p->nknown) {
        if (p->nknown == STORED_MAX) {
            for (size_t j = 0; j < p->nknown; j++)
                free(p->known[j].subject);
            p->nknown = i = 0;
        }
        p->known = xrealloc(p->known, (p->nknown + 1) * sizeof *p->known);
        p->known[p->nknown++].subject = xstrdup(subject);
    }
    p->known[i].yes = yes;
    p->known[i].at = now;
    pthread_mutex_unlock(&p->mu);
}

/* Does a stream capture the subject? 1, 0, or -1 with error set. */
static int captured(struct pub *pb, const char *subject)
{
    int64_t now = loop_now_ms();
    int yes = recall(pb->p, subject, now);
    jsStreamNamesList *list = NULL;
    jsOptions o;
    jsErrCode jerr = 0;

    if (yes >= 0)
        return yes;
    jsOptions_Init(&o);
    o.Stream.Info.SubjectsFilter = subject;
    natsStatus s = js_StreamNames(&list, pb->p->js->js, &o, &jerr);
    if (s == NATS_NOT_FOUND) {
        yes = 0;
    } else if (s == NATS_OK) {
        yes = list && list->Count > 0;
    } else {
        jsq_error(pb->error, sizeof pb->error, "which stream stores it", s, jerr);
        return -1;
    }
    jsStreamNamesList_Destroy(list);
    remember(pb->p, subject, yes, now);
    return yes;
}

static void free_pub(struct pub *pb)
{
    natsmsg_free(pb->msg);
    free(pb->d);
    free(pb);
}

/* The outcome, on the loop thread. */
static void publish_done(void *arg)
{
    struct pub *pb = arg;
    struct cn_delivery *d = pb->d;

    if (pb->fell_back && !pb->p->told_plain && !pb->error[0]) {
        pb->p->told_plain = true;
        log_info("nats",
                 "no JetStream stream captures %s: published as plain NATS (the "
                 "server has it; only current subscribers see it). Said once.",
                 natsMsg_GetSubject(pb->msg));
    }
    if (d->fn)
        d->fn(d->arg, pb->error[0] ? pb->error : NULL);
    free_pub(pb);
}

/* Hands pb's outcome to the loop or, once closing, frees it: nobody
 * waits any more and the loop's offload may be gone. Holds p->mu. */
static void report_locked(struct pub *pb)
{
    if (pb->p->closed)
        free_pub(pb);
    else
        offload_post(pb->p->ol, publish_done, pb);
}

static void report(struct pub *pb)
{
    struct cn_nats_out *p = pb->p;

    pthread_mutex_lock(&p->mu);
    report_locked(pb);
    pthread_mutex_unlock(&p->mu);
}

/* JetStream's answer for one message published to a stream (on cnats'
 * thread): the stream stored it, refused it, or MaxWait passed. */
static void on_stored(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    struct cn_nats_out *p = closure;
    struct pub *pb = NULL;

    (void)js, (void)pa;
    pthread_mutex_lock(&p->mu);
    /* Answers come mostly in publishing order: the search is short. */
    for (struct list_node *it = p->unacked.first; it && !pb; it = it->next) {
        struct pub *w = LIST_ENTRY(it, struct pub, node);
        if (w->sent == msg)
            pb = w;
    }
    if (pb) {
        list_remove(&p->unacked, &pb->node);
        pb->waiting = false;
        if (pae)
            snprintf(pb->error, sizeof pb->error, "%s: %s%s", natsMsg_GetSubject(msg),
                     pae->ErrText && *pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err),
                     pae->Err == NATS_TIMEOUT ? " (no answer from JetStream)" : "");
        report_locked(pb);
    }
    pthread_mutex_unlock(&p->mu);
    natsmsg_free(msg); /* ours: the handler's to destroy, said cnats */
}

/* Publishes without waiting for the stream: on_stored reports, so the
 * publish threads never sit out a round trip each. */
static void publish_stored(struct pub *pb)
{
    struct cn_nats_out *p = pb->p;
    natsMsg *msg = pb->msg;
    jsPubOptions o;
    bool mine = false;

    jsPubOptions_Init(&o);
    o.MaxWait = ACK_WAIT_MS;
    pthread_mutex_lock(&p->mu);
    pb->msg = NULL; /* cnats takes it; pb may be answered and freed before the call returns */
    pb->sent = msg;
    pb->waiting = true;
    list_push_back(&p->unacked, &pb->node);
    pthread_mutex_unlock(&p->mu);
    natsStatus s = js_PublishMsgAsync(p->async_js, &msg, &o);
    if (s == NATS_OK)
        return;
    pthread_mutex_lock(&p->mu);
    if (pb->waiting) { /* never answered: ours to report */
        list_remove(&p->unacked, &pb->node);
        pb->waiting = false;
        mine = true;
    }
    pthread_mutex_unlock(&p->mu);
    if (mine) {
        jsq_error(pb->error, sizeof pb->error, natsMsg_GetSubject(msg), s, 0);
        report(pb);
    }
    natsmsg_free(msg);
}

/* Flushes until no plain publish waits. One round trip (a PING answered)
 * confirms every publish made before it, so while one thread waits for
 * it the others' publishes gather for the next. Run by the thread that
 * found nobody flushing. */
static void flush_plain(struct cn_nats_out *p)
{
    pthread_mutex_lock(&p->mu);
    while (!list_empty(&p->unflushed)) {
        struct list batch = p->unflushed;
        p->unflushed = (struct list){ 0 };
        pthread_mutex_unlock(&p->mu);
        natsStatus s = natsConnection_FlushTimeout(p->js->nc, ACK_WAIT_MS);
        pthread_mutex_lock(&p->mu);
        for (struct list_node *it; (it = list_pop_front(&batch));) {
            struct pub *pb = LIST_ENTRY(it, struct pub, node);
            if (s != NATS_OK)
                snprintf(pb->error, sizeof pb->error, "%s: %s (flush)", natsMsg_GetSubject(pb->msg),
                         natsStatus_GetText(s));
            report_locked(pb);
        }
    }
    p->flushing = false;
    pthread_mutex_unlock(&p->mu);
}

static void flush_work(void *arg)
{
    flush_plain(arg);
}

/* A flush is only started where it may block: on a helper thread. */
static void publish_plain(struct pub *pb, bool on_loop)
{
    struct cn_nats_out *p = pb->p;
    natsStatus s = natsConnection_PublishMsg(p->js->nc, pb->msg);
    bool flush;

    if (s != NATS_OK) {
        jsq_error(pb->error, sizeof pb->error, natsMsg_GetSubject(pb->msg), s, 0);
        report(pb);
        return;
    }
    pthread_mutex_lock(&p->mu);
    list_push_back(&p->unflushed, &pb->node);
    flush = !p->flushing;
    p->flushing = true;
    pthread_mutex_unlock(&p->mu);
    if (flush && on_loop)
        offload_run(p->ol, flush_work, NULL, p);
    else if (flush)
        flush_plain(p);
}

/* stored: whether a stream captures pb's subject. */
static void publish_known(struct pub *pb, bool stored, bool on_loop)
{
    if (stored) {
        publish_stored(pb);
    } else {
        pb->fell_back = !pb->plain;
        publish_plain(pb, on_loop);
    }
}

static bool connected(struct pub *pb)
{
    if (jsq_connected(pb->p->js))
        return true;
    snprintf(pb->error, sizeof pb->error, "not connected to NATS at %s", pb->p->js->url);
    report(pb);
    return false;
}

/* Asks the server which stream captures the subject (blocking), then
 * publishes. Helper thread. */
static void publish_work(void *arg)
{
    struct pub *pb = arg;

    if (!connected(pb))
        return;
    int stored = captured(pb, natsMsg_GetSubject(pb->msg));
    if (stored < 0)
        report(pb);
    else
        publish_known(pb, stored, false);
}

int cn_nats_send(struct cn_nats_out *p, const struct cn_record *rec, const char *subject,
                 const struct cn_outgoing *m, cn_delivered_fn *fn, void *arg,
                 struct cn_delivery **out, char *err, size_t errlen)
{
    natsMsg *msg = build(p, subject, m, err, errlen);

    if (!msg)
        return -1;
    struct pub *pb = xcalloc(1, sizeof *pb);
    pb->p = p;
    pb->msg = msg;
    pb->plain = rec->reply_to && strcmp(rec->reply_to + strlen(CN_NATS_PREFIX), subject) == 0;
    pb->d = xcalloc(1, sizeof *pb->d);
    pb->d->fn = fn;
    pb->d->arg = arg;
    *out = pb->d;
    /* Publishing neither blocks nor waits here: the outcome is reported
     * later, through report(). Only an unknown subject takes a helper. */
    if (!connected(pb))
        return 0;
    int stored = pb->plain ? 0 : recall(p, subject, loop_now_ms());
    if (stored < 0)
        offload_run(p->ol, publish_work, NULL, pb);
    else
        publish_known(pb, stored, true);
    return 0;
}
