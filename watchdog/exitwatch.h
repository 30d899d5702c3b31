/* exitwatch.h -- learning from the loop that a child process has exited.
 *
 * Through the process's pidfd where the kernel gives one; otherwise (under
 * valgrind, which does not know pidfd_open, or on an old kernel) by
 * trying every 10 ms. Either way the callback reaps the process itself
 * and calls wd_exitwatch_stop() once it has. */
#ifndef WD_EXITWATCH_H
#define WD_EXITWATCH_H

#include <stdbool.h>

struct loop;
struct loop_timer;
struct wd_proc;

struct wd_exitwatch {
    struct loop *lp;
    int pidfd;
    struct loop_timer *timer;
    void (*fn)(void *arg);
    void *arg;
};

void wd_exitwatch_start(struct wd_exitwatch *w, struct loop *lp, const struct wd_proc *p,
                        void (*fn)(void *arg), void *arg);
/* Safe to call more than once, and from inside fn. */
void wd_exitwatch_stop(struct wd_exitwatch *w);

#endif
