/* deadletter.c -- storing a call that cannot be completed: the original
 * message (body and headers) on the dead-letter subject, plus
 * Faasbus-Reason, X-Function-Status and X-Attempts. Published with a
 * JetStream acknowledgement (blocking, so on an offload thread) before the
 * original is acknowledged, so it never vanishes in between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "offload.h"
#include "qw.h"
#include "xalloc.h"

struct dead {
    struct qw_job *j;
    natsMsg *copy;
    bool stored;
    char error[256];
};

static natsMsg *copy_message(const struct qw_job *j)
{
    natsMsg *m = NULL;
    if (natsMsg_Create(&m, j->w->cfg.dead_letter_subject, NULL, natsMsg_GetData(j->msg),
                       natsMsg_GetDataLength(j->msg)) != NATS_OK)
        return NULL;
    const char **keys = NULL;
    int nkeys = 0;
    if (natsMsgHeader_Keys(j->msg, &keys, &nkeys) == NATS_OK) {
        for (int i = 0; i < nkeys; i++) {
            const char **values = NULL;
            int n = 0;
            /* Nats-Msg-Id stays: a call dead-lettered twice is stored once. */
            if (strncmp(keys[i], "Nats-Expected", 13) == 0 ||
                natsMsgHeader_Values(j->msg, keys[i], &values, &n) != NATS_OK)
                continue;
            for (int k = 0; k < n; k++)
                natsMsgHeader_Add(m, keys[i], values[k]);
            free((void *)values);
        }
        free((void *)keys);
    }
    char status[24], attempts[24];
    snprintf(status, sizeof status, "%ld", j->status);
    snprintf(attempts, sizeof attempts, "%lld", (long long)j->attempt);
    natsMsgHeader_Set(m, "Faasbus-Reason", j->dead_reason);
    natsMsgHeader_Set(m, "X-Function-Status", status);
    natsMsgHeader_Set(m, "X-Attempts", attempts);
    return m;
}

static void store(void *arg)
{
    struct dead *d = arg;
    jsErrCode jerr = 0;
    jsPubAck *ack = NULL;
    natsStatus s = js_PublishMsg(&ack, d->j->w->js.js, d->copy, NULL, &jerr);
    jsPubAck_Destroy(ack);
    d->stored = s == NATS_OK;
    if (!d->stored)
        jsq_error(d->error, sizeof d->error, "dead letter", s, jerr);
}

static void on_stored(void *arg)
{
    struct dead *d = arg;
    if (!d->stored)
        log_error("deadletter", "%s", d->error);
    natsMsg_Destroy(d->copy);
    struct qw_job *j = d->j;
    bool ok = d->stored;
    free(d);
    j->dead_done(j, ok);
}

void qw_dead_letter(struct qw_job *j, void (*done)(struct qw_job *j, bool stored))
{
    j->dead_done = done;
    struct dead *d = xcalloc(1, sizeof *d);
    d->j = j;
    d->copy = copy_message(j);
    if (!d->copy) {
        snprintf(d->error, sizeof d->error, "dead letter: cannot copy the message");
        on_stored(d);
        return;
    }
    offload_run(j->w->ol, store, on_stored, d);
}
