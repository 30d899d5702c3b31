/* offload.h -- blocking work on helper threads, finished on the loop.
 *
 * DESIGN: the loop thread must never block, but some libraries only offer
 * blocking calls (cnats' JetStream publish with its acknowledgement, pull
 * fetches, stream management). offload_run() hands such a call to one of
 * a few helper threads; when it returns, its `done` half runs back on the
 * loop thread, where the caller's state lives. offload_post() lets any
 * thread (a library's own callback thread) queue a loop-side call.
 *
 * Order: done callbacks run in the order their work finished; posts from
 * one thread run in the order they were posted. */
#ifndef OFFLOAD_H
#define OFFLOAD_H

struct loop;
struct offload;

typedef void offload_fn(void *arg);

/* Starts `threads` helper threads (0: posts only). Returns NULL on error. */
struct offload *offload_new(struct loop *lp, unsigned threads);
/* Runs work(arg) on a helper thread, then done(arg) on the loop thread.
 * Either may be NULL. Loop thread only. */
void offload_run(struct offload *ol, offload_fn *work, offload_fn *done, void *arg);
/* Queues fn(arg) to run on the loop thread. Any thread. */
void offload_post(struct offload *ol, offload_fn *fn, void *arg);
/* Work queued or running, not yet finished on the loop. */
unsigned offload_pending(const struct offload *ol);
/* Finishes the queued work, joins the threads, runs the remaining done
 * callbacks and posts, and frees everything. */
void offload_free(struct offload *ol);

#endif
