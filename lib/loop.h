/* loop.h -- a single-threaded epoll event loop with timers.
 *
 * DESIGN: a daemon runs one loop on its main thread. Every socket, pipe,
 * pidfd, HTTP connection and the libcurl multi handle are driven from
 * it, so request state has one owner and needs no locks. Callbacks must
 * not block. Timers live in a binary min-heap; "prepare" hooks run before
 * each wait and may shorten it (libcurl tells us when it next needs to
 * run; the HTTP server runs the connections woken since). */
#ifndef LOOP_H
#define LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;

enum { LOOP_READ = 1, LOOP_WRITE = 2 };

/* `events` holds LOOP_READ/LOOP_WRITE as they fired; hang-ups and errors
 * are reported as both, so the owner's read or write sees them. */
typedef void loop_fd_fn(struct loop *lp, int fd, unsigned events, void *arg);
typedef void loop_timer_fn(struct loop *lp, void *arg);
/* Returns the longest the loop may wait, in ms, or -1 for no limit. */
typedef int64_t loop_prepare_fn(struct loop *lp, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *lp);

/* Starts watching fd, or changes what it waits for. Returns 0 or -1. */
int loop_watch(struct loop *lp, int fd, unsigned events, loop_fd_fn *fn, void *arg);
/* Stops watching fd (does not close it). Safe from inside a callback. */
void loop_unwatch(struct loop *lp, int fd);

/* Calls fn once after `ms`. The timer is freed after it fires or when
 * cancelled; a fired timer must not be cancelled. */
struct loop_timer *loop_timer_add(struct loop *lp, int64_t ms, loop_timer_fn *fn, void *arg);
void loop_timer_cancel(struct loop *lp, struct loop_timer *t);

void loop_add_prepare(struct loop *lp, loop_prepare_fn *fn, void *arg);
void loop_remove_prepare(struct loop *lp, loop_prepare_fn *fn, void *arg);

/* Runs until loop_stop(). */
void loop_run(struct loop *lp);
void loop_stop(struct loop *lp);

/* Monotonic clock in milliseconds and in seconds (as a double). */
int64_t loop_now_ms(void);
double loop_now_s(void);

#endif
