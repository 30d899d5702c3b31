/* branch.h -- the dispatcher's private state, shared by dispatch.c (who
 * goes when: lanes and slots) and outcome.c (what a call's result means:
 * retries, replies, dead letters). */
#ifndef CN_BRANCH_H
#define CN_BRANCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callstate.h"
#include "dispatch.h"
#include "invoke.h"
#include "list.h"
#include "record.h"
#include "routes.h"

struct cn;
struct keymap;
struct loop_timer;
struct cn_delivery;
struct lane;
struct slot;
struct cn_await;

struct branch {
    struct cn_work *w;
    const struct cn_route *route; /* in w->table */
    char *target;                 /* "fn" or "fn.ns": the call path and metric label */
    enum cn_call_state state;     /* changed by cn_call_step() only */
    struct lane *lane;            /* held, or queued for (LANE) */
    struct slot *slot;            /* taken (CALLING), or queued for (SLOT) */
    struct list_node qnode;       /* in a lane's or slot's queue */
    int attempts;                 /* calls that counted */
    int waits;                    /* gateway unreachable, in a row */
    struct loop_timer *timer;
    struct cn_call *call;
    struct cn_delivery *delivery;
    bool dead_letter;       /* what delivery carries */
    int dead_letter_cut;    /* 0: whole; more: cut to fit (publish.h) */
    long status;            /* the last HTTP status, 0 if none */
    char *error;            /* why it failed, once it has */
    const char *reason;     /* ...as a metric label */
    struct cn_await *await; /* async.c's, for invoke=async routes */
};

struct cn_work {
    struct cn_dispatch *d;
    struct cn_record *rec;
    struct cn_table *table;
    struct branch *branches;
    size_t n, left;
    size_t busy; /* branches with a call, callback or publish out */
};

struct cn_dispatch {
    struct cn *cn;
    const struct cn_branch_ops *ops;
    struct keymap *lanes;
    struct keymap *slots;
    unsigned inflight;
    struct cn_invoke_opts invoke;
    uint64_t rng;
    bool gateway_down; /* logged once per outage */
};

/* dispatch.c: cn_call_step() on the branch's state, keeping count of the
 * record's busy branches; when the last one stops being busy the source
 * hears of it (origin->quiet). Returns what cn_call_step() returns. */
bool cn_branch_step(struct branch *b, enum cn_call_event ev);
/* dispatch.c: the branch holds its lane (or needs none) and wants to call:
 * takes a slot of its route and calls, or queues for one, or parks. */
void cn_branch_ready(struct branch *b);
/* dispatch.c: the call ended; the slot goes to the next branch queued. */
void cn_branch_slot_done(struct branch *b);
/* dispatch.c: the outcome is final (and published): frees the lane and,
 * with the last branch, finishes the record. Touch nothing after. */
void cn_branch_final(struct branch *b);

/* outcome.c, and dispatch.c through d->ops: the branch has its slot:
 * call the function. */
void cn_branch_call(struct branch *b);
/* outcome.c, and dispatch.c through d->ops: final failure: a dead
 * letter, or a log line and a count. */
void cn_branch_fail(struct branch *b, const char *reason, const char *error, long status);
/* outcome.c, and async.c through what cn_async_submit() was given: what a
 * call's answer (or what stands for one: an async call's callback or
 * timeout) means: a reply, a retry or a failure. The slot is given back.
 * `final`: no retry whatever the answer. */
void cn_branch_result(struct branch *b, const struct cn_invoke_result *res, bool final);
/* outcome.c: a number in [0, 1) for jitter. */
double cn_branch_random(struct cn_dispatch *d);

#endif
