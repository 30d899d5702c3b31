/* async.h -- routes with invoke=async: calls queued through the gateway's
 * /async-function/<fn>, results taken from the queue worker's callback.
 *
 * DESIGN: a branch of an async route submits its call with an
 * X-Callback-Url pointing at our own POST /callback and a stable
 * X-Call-Id: the record's call id, or "<call id>.<function>" when the
 * record goes to several async functions (the queue keeps one call per
 * id, so two functions must not share one). The gateway's 202 moves the
 * branch to AWAIT (callstate.h) and it waits, holding its lane and its route slot,
 * in a table keyed by call id; any other answer to the submission
 * follows the rules of a sync call (retry, or the error topic).
 *
 * The callback is the function's answer: it goes through the same
 * outcome as a sync answer (reply topic, X-Reply-Topic, error topic),
 * except that a failure is final, since the queue worker has already
 * retried it under the function's retry annotations.
 *
 * The table lives in memory only, and needs no more: with the default
 * async_commit=callback a record stays uncommitted until its callback is
 * handled, so after a crash it is read again and submitted again under
 * the same id. Within the queue's de-duplication window that submission
 * is a no-op and the callback of the first one is what we wait for (the
 * callback URL is the same); a callback that found nobody is lost, which
 * async_timeout repairs: a call without a callback in that time counts as
 * a failed attempt and is submitted again under a fresh id
 * ("<id>~<n>"), up to the route's retry attempts. A late callback of an
 * earlier id of the branch is still taken while the branch waits.
 *
 * With async_commit=accepted the branch is final at 202 and the record is
 * committed; what is needed to publish its reply (a copy of the record)
 * is kept apart until the callback comes or async_timeout passes. A crash
 * or a lost callback then loses the reply for good. */
#ifndef CN_ASYNC_H
#define CN_ASYNC_H

#include <stdbool.h>

#include "invoke.h"

struct cn;
struct cn_async;
struct branch;
struct httpd_req;

/* `port` is our HTTP port: the default callback URL points at it. */
struct cn_async *cn_async_new(struct cn *cn, int port);
/* Cancels what is kept for accepted calls. NULL is a no-op. */
void cn_async_free(struct cn_async *a);

/* What a callback (or the timeout that stands for one) means for the
 * branch: `final` when no retry may follow, as after the worker's. */
typedef void cn_async_result_fn(struct branch *b, const struct cn_invoke_result *res, bool final);

/* outcome.c: submits the branch's call (the branch is CALLING and has
 * its slot); an answer other than 2xx goes to `answered`, as a sync
 * call's would, and the callback's result to `result`. */
struct cn_call *cn_async_submit(struct branch *b, cn_invoke_fn *answered,
                                cn_async_result_fn *result);

/* dispatch.c (through its cn_branch_ops): the branch is final or
 * abandoned: its call ids are forgotten (a callback for them is then
 * "unknown"). Any branch. */
void cn_async_forget(struct branch *b);

/* api.c: POST /callback, the queue worker's report (arg: struct cn). */
void cn_async_on_callback(struct httpd_req *req, void *arg);

#endif
