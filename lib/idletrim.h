/* idletrim.h -- gives back to the system the heap the allocator keeps
 * after a burst, once the daemon is idle.
 *
 * glibc holds on to freed memory (and librdkafka's or cnats' threads add
 * arenas of their own), so a daemon that once had thousands of calls in
 * flight stays that large. Every interval this asks the daemon whether it
 * is idle and how much work it has ever done; an idle daemon that did
 * work since the last trim is trimmed (malloc_trim; jemalloc's purge of
 * every arena where the daemon links jemalloc in), once. Locality: loop
 * thread. */
#ifndef IDLETRIM_H
#define IDLETRIM_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;

/* True if nothing is held now; *work: a count of work ever done (requests
 * served, records taken in). */
typedef bool idletrim_fn(void *arg, uint64_t *work);

struct idletrim {
    struct loop *lp;
    struct loop_timer *timer;
    int64_t every_ms;
    idletrim_fn *idle;
    void *arg;
    uint64_t trimmed_at; /* the work count at the last trim */
};

/* Starts asking every every_ms. t is the caller's, and must live until
 * idletrim_stop() or the loop is freed. */
void idletrim_start(struct idletrim *t, struct loop *lp, int64_t every_ms, idletrim_fn *idle,
                    void *arg);
/* Stops asking. Safe on a zeroed or stopped struct. */
void idletrim_stop(struct idletrim *t);

#endif
