/* exitwatch.c -- a pidfd on the loop, or a polling timer without one. */
#include "exitwatch.h"

#include "loop.h"
#include "proc.h"

#define POLL_MS 10

static void on_pidfd(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)lp;
    (void)fd;
    (void)events;
    struct proc_exitwatch *w = arg;
    w->fn(w->arg);
}

static void on_tick(struct loop *lp, void *arg)
{
    struct proc_exitwatch *w = arg;
    /* Re-armed first: fn may stop the watch, or free the struct it is in. */
    w->timer = loop_timer_add(lp, POLL_MS, on_tick, w);
    w->fn(w->arg);
}

void proc_exitwatch_start(struct proc_exitwatch *w, struct loop *lp, const struct proc *p,
                          void (*fn)(void *arg), void *arg)
{
    w->lp = lp;
    w->fn = fn;
    w->arg = arg;
    w->timer = NULL;
    w->pidfd = p->pidfd;
    if (w->pidfd < 0 || loop_watch(lp, w->pidfd, LOOP_READ, on_pidfd, w) < 0) {
        w->pidfd = -1;
        w->timer = loop_timer_add(lp, POLL_MS, on_tick, w);
    }
}

void proc_exitwatch_stop(struct proc_exitwatch *w)
{
    if (!w->lp)
        return;
    if (w->pidfd >= 0)
        loop_unwatch(w->lp, w->pidfd);
    loop_timer_cancel(w->lp, w->timer);
    w->timer = NULL;
    w->pidfd = -1;
}
