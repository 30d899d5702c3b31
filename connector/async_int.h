/* async_int.h -- what async.c (submissions, the table of calls awaiting a
 * callback, timeouts), callback.c (POST /callback) and async_kept.c
 * (async_commit=accepted) share. */
#ifndef CN_ASYNC_INT_H
#define CN_ASYNC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "async.h"
#include "callsign.h"
#include "invoke.h"

struct keymap;
struct metric;

struct cn_async {
    struct cn *cn;
    char *callback_url; /* each call's gets its signature (callsign.h) */
    struct cn_callsign sign;
    bool commit_accepted;   /* async_commit=accepted */
    struct keymap *waiting; /* call id -> struct branch (each of its ids) */
    struct keymap *kept;    /* call id -> struct kept (accepted calls) */
    size_t awaiting;        /* branches in AWAIT */
    bool kept_full;         /* logged once per episode */
    struct metric *m_awaiting;
    struct metric *m_kept;
    struct metric *m_submitted;
    struct metric *m_callbacks;
    struct metric *m_timeouts;
};

/* What a callback said, beyond the answer itself. */
struct cn_callback {
    const char *id;
    int64_t tries; /* X-Retry: the queue worker's calls of the function, 0 if unsaid */
};

/* async.c: hands a callback to the branch waiting for it, or to what was
 * kept for an accepted call. Returns the metric label of what happened:
 * "taken", "kept", "late" (its branch has moved on) or "unknown". */
const char *cn_async_deliver(struct cn_async *a, const struct cn_callback *cb,
                             const struct cn_invoke_result *res);

/* async_kept.c: keeps what the reply of an accepted call needs, under its
 * call id, for up to async_timeout (and at most async_accepted_max). */
void cn_kept_add(struct cn_async *a, const struct branch *b, const char *id);
/* ...publishes the callback's reply or dead letter; false if `id` is not
 * kept. */
bool cn_kept_deliver(struct cn_async *a, const struct cn_callback *cb,
                     const struct cn_invoke_result *res);
/* ...drops everything kept (at exit). */
void cn_kept_free_all(struct cn_async *a);

#endif
