/* exitwatch.h -- learning from the loop that a child process has exited.
 *
 * Through the process's pidfd where the kernel gives one; otherwise (under
 * valgrind, which does not know pidfd_open, or on an old kernel) by
 * trying every 10 ms. Either way the callback reaps the process itself
 * and calls proc_exitwatch_stop() once it has. */
#ifndef EXITWATCH_H
#define EXITWATCH_H

#include <stdbool.h>

struct loop;
struct loop_timer;
struct proc;

struct proc_exitwatch {
    struct loop *lp;
    int pidfd;
    struct loop_timer *timer;
    void (*fn)(void *arg);
    void *arg;
};

void proc_exitwatch_start(struct proc_exitwatch *w, struct loop *lp, const struct proc *p,
                          void (*fn)(void *arg), void *arg);
/* Safe to call more than once, and from inside fn. */
void proc_exitwatch_stop(struct proc_exitwatch *w);

#endif
