/* dispatch.h -- from a record to final outcomes: routing, ordering,
 * calls, retries, replies and dead letters.
 *
 * DESIGN: each (record, matching route) pair is a branch, with its own
 * attempts and outcome; a record is finished when all its branches are.
 * Before a branch calls its function it takes its ordering lane (one
 * branch per key, or per partition, of a route at a time; none for
 * ordering=none or a record without a key) and then a slot of its route
 * (max-inflight). A branch keeps its lane until its outcome is final and
 * published, so the next record of the same key waits, while other keys
 * go on; it gives its slot back while it waits to retry. Everything runs
 * on the loop thread. */
#ifndef CN_DISPATCH_H
#define CN_DISPATCH_H

#include <stdbool.h>

#include "record.h"

struct cn;
struct cn_dispatch;
struct cn_route;
struct branch;

/* What the dispatcher hands a branch on to, so that it knows nothing of
 * how a call is made or what its result means; outcome.c fills it
 * (cn_outcome_ops, outcome.h), which in turn calls down into the
 * dispatcher when the branch may go on or is final. */
struct cn_branch_ops {
    /* The branch holds its lane and a slot of its route: call. */
    void (*call)(struct branch *b);
    /* It fails before any call (hop limit): a dead letter, or a log
     * line and a count. */
    void (*fail)(struct branch *b, const char *reason, const char *error, long status);
    /* It is final or abandoned: what is kept for its call goes. */
    void (*forget)(struct branch *b);
};

/* ops must outlive the dispatcher. */
struct cn_dispatch *cn_dispatch_new(struct cn *cn, const struct cn_branch_ops *ops);
/* Frees the dispatcher; every record must have been finished or
 * abandoned. NULL is a no-op. */
void cn_dispatch_free(struct cn_dispatch *d);

/* Routes rec through the current table and starts its work. The record
 * stays the source's; rec->origin->finished(rec) runs once every branch
 * is final, possibly before this returns (no route matched). */
void cn_dispatch_submit(struct cn_dispatch *d, struct cn_record *rec);

/* True while a call or a publish of rec is in flight: what a drain waits
 * for. A branch waiting for its turn or for a retry is not busy. */
bool cn_dispatch_busy(const struct cn_record *rec);

/* Drops rec's work without an outcome (its partition went to another
 * member, or the drain deadline passed): calls are cancelled, pending
 * publishes forgotten. finished() is not called. */
void cn_dispatch_abandon(struct cn_dispatch *d, struct cn_record *rec);

/* Calls in flight. */
unsigned cn_dispatch_inflight(const struct cn_dispatch *d);

/* Calls of route r that hold one of its slots (max-inflight): called and
 * not answered yet, or, for async, queued and waiting for the callback. */
unsigned cn_dispatch_route_inflight(const struct cn_dispatch *d, const struct cn_route *r);

#endif
