/* async_int.h -- what async.c (submissions, the table of calls awaiting a
 * callback, timeouts), callback.c (POST /callback), async_kept.c
 * (async_commit=accepted) and async_early.c (callbacks before their call)
 * share. */
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
    struct keymap *early;   /* call id -> struct early (callbacks before their call) */
    size_t awaiting;        /* branches in AWAIT */
    bool kept_full;         /* logged once per episode */
    struct metric *m_awaiting;
    struct metric *m_kept;
    struct metric *m_submitted;
    struct metric *m_callbacks;
    struct metric *m_timeouts;
    struct metric *m_early;
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

/* async_early.c: keeps a copy of a callback no call awaits, in case its
 * record is read again (after a restart); false if it was not kept (a
 * repeat, or max_inflight of them kept already). */
bool cn_early_keep(struct cn_async *a, const struct cn_callback *cb,
                   const struct cn_invoke_result *res);
/* ...once a call is queued under `id`: delivers the kept callback, if any,
 * through cn_async_deliver. True if there was one. */
bool cn_early_take(struct cn_async *a, const char *id);
/* ...drops every kept callback (at exit). */
void cn_early_free_all(struct cn_async *a);

#endif
