/* jsq.c -- JetStream connection and stream set-up on cnats. */
#include "jsq.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* The connection callbacks run on cnats' own thread, possibly after
 * jsq_close() returned: they get their own copy of the URL, freed by the
 * last one, on_closed. */
static void on_connected(natsConnection *nc, void *arg)
{
    (void)nc;
    log_info("nats", "connected to %s", (const char *)arg);
}

static void on_disconnected(natsConnection *nc, void *arg)
{
    if (!natsConnection_IsClosed(nc))
        log_warn("nats", "lost the connection to %s; reconnecting", (const char *)arg);
}

/* cnats drops messages a subscription cannot buffer (its pending limit,
 * the slow-consumer rule): say so, since nothing else would. */
static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *arg)
{
    (void)nc;
    (void)sub;
    log_warn("nats", "%s (%s): messages beyond the subscription's pending limit are dropped",
             natsStatus_GetText(err), (const char *)arg);
}

static void on_closed(natsConnection *nc, void *arg)
{
    (void)nc;
    free(arg);
}

void jsq_error(char *err, size_t errlen, const char *what, natsStatus s, jsErrCode jerr)
{
    natsStatus last;
    const char *detail = nats_GetLastError(&last);
    if (jerr)
        snprintf(err, errlen, "%s: %s (JetStream error %d)", what,
                 detail && *detail ? detail : natsStatus_GetText(s), (int)jerr);
    else
        snprintf(err, errlen, "%s: %s", what, detail && *detail ? detail : natsStatus_GetText(s));
}

static natsStatus set_options(natsOptions *o, char *url, const char *client)
{
    natsStatus s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, client);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1); /* never give up */
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(o, 500);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 2000);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(o, on_disconnected, url);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(o, on_connected, url);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(o, on_async_error, url);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(o, on_closed, url);
    return s;
}

/* The server's reason from the calling thread's error, without cnats'
 * "(file.c:line): " prefix. */
static void first_reason(char *out, size_t outlen, natsStatus s)
{
    natsStatus last;
    const char *text = nats_GetLastError(&last);
    const char *sep = text ? strstr(text, "): ") : NULL;
    if (text && *text == '(' && sep)
        text = sep + 3;
    snprintf(out, outlen, "%s", text && *text ? text : natsStatus_GetText(s));
}

/* One attempt in the foreground, then (when it failed) a connection that
 * retries in the background. The first attempt is what keeps the
 * server's refusal: with background retry on, cnats' reconnect thread
 * may replace "Authorization Violation" with "No server available"
 * before the caller can read it, and later attempts only ever say the
 * latter. */
static natsStatus connect_or_retry(struct jsq *q, natsOptions *o, char *cb_url)
{
    natsStatus s = natsOptions_SetRetryOnFailedConnect(o, false, NULL, NULL);
    if (s == NATS_OK)
        s = natsConnection_Connect(&q->nc, o);
    if (s == NATS_OK) {
        log_info("nats", "connected to %s", cb_url);
        return s;
    }
    if (s == NATS_INVALID_ARG || s == NATS_NO_MEMORY)
        return s;
    first_reason(q->open_error, sizeof q->open_error, s);
    s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected, cb_url);
    if (s == NATS_OK)
        s = natsConnection_Connect(&q->nc, o);
    if (s == NATS_NOT_YET_CONNECTED || s == NATS_OK) {
        /* The first attempt's reason: by now the reconnect thread may be
         * rewriting the connection's own. */
        if (s == NATS_OK)
            log_info("nats", "connected to %s", cb_url);
        else
            log_warn("nats", "NATS at %s: %s; retrying in the background", cb_url, q->open_error);
        s = NATS_OK;
    }
    return s;
}

int jsq_open(struct jsq *q, const char *url, const struct natsauth *auth, const char *client,
             char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    q->url = xstrdup(url);
    natsOptions *o = NULL;
    char *cb_url = xstrdup(url); /* the callbacks' copy, freed by on_closed */
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = set_options(o, cb_url, client);
    if (s == NATS_OK)
        s = natsauth_apply(auth, o);
    if (s == NATS_OK)
        s = connect_or_retry(q, o, cb_url);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&q->js, q->nc, NULL);
    natsOptions_Destroy(o);
    if (!q->nc)
        free(cb_url); /* no connection: no callback will free it */
    if (s != NATS_OK) {
        jsq_error(err, errlen, url, s, 0);
        jsq_close(q);
        return -1;
    }
    return 0;
}

bool jsq_connected(const struct jsq *q)
{
    return q->nc && natsConnection_Status(q->nc) == NATS_CONN_STATUS_CONNECTED;
}

const char *jsq_why(const struct jsq *q, char *out, size_t outlen)
{
    /* The text is in the connection's own buffer, which cnats' reconnect
     * thread rewrites: read it once, then use only the copy. */
    const char *text = NULL;
    char last[256] = "";
    if (q->nc)
        natsConnection_GetLastError(q->nc, &text);
    if (text)
        snprintf(last, sizeof last, "%s", text);
    if (!*last)
        snprintf(last, sizeof last, "unreachable");
    /* Retries overwrite the server's reason ("Authorization Violation")
     * with "No server available": keep the first one in view. */
    if (q->open_error[0] && strcmp(q->open_error, last) != 0)
        snprintf(out, outlen, "NATS at %s: %s (at start: %s)", q->url, last, q->open_error);
    else
        snprintf(out, outlen, "NATS at %s: %s", q->url, last);
    return out;
}

int64_t jsq_max_payload(const struct jsq *q)
{
    return jsq_connected(q) ? natsConnection_GetMaxPayload(q->nc) : 0;
}

static bool stream_matches(const jsStreamConfig *have, const struct jsq_stream *want)
{
    return (!want->max_msg_size || have->MaxMsgSize == (int32_t)want->max_msg_size) &&
           (!want->dup_window_ms || have->Duplicates == want->dup_window_ms * 1000000);
}

int jsq_ensure_stream(struct jsq *q, const struct jsq_stream *want, char *err, size_t errlen)
{
    const char *subjects[] = { want->subject };
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = want->name;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = want->work_queue ? js_WorkQueuePolicy : js_LimitsPolicy;
    sc.MaxMsgSize = (int32_t)want->max_msg_size;
    sc.Duplicates = want->dup_window_ms * 1000000;

    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, q->js, want->name, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        jerr = 0;
        s = js_AddStream(&si, q->js, &sc, NULL, &jerr);
        if (s == NATS_OK)
            log_info("nats", "created stream %s (subject %s, file storage)", want->name,
                     want->subject);
    } else if (s == NATS_OK && !stream_matches(si->Config, want)) {
        jsStreamInfo_Destroy(si);
        si = NULL;
        s = js_UpdateStream(&si, q->js, &sc, NULL, &jerr);
        if (s == NATS_OK)
            log_info("nats", "updated stream %s limits", want->name);
    }
    jsStreamInfo_Destroy(si);
    if (s != NATS_OK) {
        char what[160];
        snprintf(what, sizeof what, "stream %s", want->name);
        jsq_error(err, errlen, what, s, jerr);
        return -1;
    }
    return 0;
}

void jsq_close(struct jsq *q)
{
    if (q->js)
        jsCtx_Destroy(q->js);
    if (q->nc) {
        natsConnection_Close(q->nc);
        natsConnection_Destroy(q->nc);
    }
    free(q->url);
    memset(q, 0, sizeof *q);
}

void jsq_init(void)
{
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}

void jsq_shutdown(void)
{
    nats_CloseAndWait(2000);
}
