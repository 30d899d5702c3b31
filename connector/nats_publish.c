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
#include "log.h"
#include "loop.h"
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
    struct offload *ol;
    char *key_header;
    bool told_plain;    /* logged once: some subject has no stream */
    pthread_mutex_t mu; /* the publish threads share what they learnt */
    struct stored *known;
    size_t nknown;
};

struct pub {
    struct cn_nats_out *p;
    natsMsg *msg;
    bool plain;     /* a request's answer: no JetStream attempt */
    bool fell_back; /* no stream captured the subject */
    struct cn_delivery *d;
    char error[400]; /* empty: acknowledged */
};

struct cn_nats_out *cn_nats_out_new(struct jsq *js, struct offload *ol, const char *key_header)
{
    struct cn_nats_out *p = xcalloc(1, sizeof *p);

    p->js = js;
    p->ol = ol;
    p->key_header = xstrdup(key_header);
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

void cn_nats_out_free(struct cn_nats_out *p)
{
    if (!p)
        return;
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

static natsStatus plain_publish(struct pub *pb)
{
    natsConnection *nc = pb->p->js->nc;
    natsStatus s = natsConnection_PublishMsg(nc, pb->msg);

    return s == NATS_OK ? natsConnection_FlushTimeout(nc, ACK_WAIT_MS) : s;
}

static void publish_work(void *arg)
{
    struct pub *pb = arg;
    const char *subject = natsMsg_GetSubject(pb->msg);
    natsStatus s;
    jsErrCode jerr = 0;

    if (!jsq_connected(pb->p->js)) {
        snprintf(pb->error, sizeof pb->error, "not connected to NATS at %s", pb->p->js->url);
        return;
    }
    int stored = pb->plain ? 0 : captured(pb, subject);
    if (stored < 0)
        return;
    if (stored) {
        jsPubOptions o;
        jsPubAck *ack = NULL;
        jsPubOptions_Init(&o);
        o.MaxWait = ACK_WAIT_MS;
        s = js_PublishMsg(&ack, pb->p->js->js, pb->msg, &o, &jerr);
        jsPubAck_Destroy(ack);
        if (s != NATS_OK)
            jsq_error(pb->error, sizeof pb->error, subject, s, jerr);
        return;
    }
    pb->fell_back = !pb->plain;
    s = plain_publish(pb);
    if (s != NATS_OK)
        jsq_error(pb->error, sizeof pb->error, subject, s, 0);
}

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
    free(d);
    natsMsg_Destroy(pb->msg);
    free(pb);
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
    offload_run(p->ol, publish_work, publish_done, pb);
    return 0;
}
