/* signals.c -- a signalfd on the loop. */
#include "signals.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "loop.h"
#include "xalloc.h"

struct watch {
    signals_fn *fn;
    void *arg;
};

static void on_signal(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)events;
    const struct watch *w = arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        int signo = (int)si.ssi_signo;
        w->fn(lp, signo, w->arg);
    }
}

static int watch(struct loop *lp, signals_fn *fn, void *arg, bool hup)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (hup)
        sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return -1;
    /* Lives as long as the process: one per daemon. */
    static struct watch w;
    w.fn = fn;
    w.arg = arg;
    return loop_watch(lp, fd, LOOP_READ, on_signal, &w);
}

int signals_watch(struct loop *lp, signals_fn *fn, void *arg)
{
    return watch(lp, fn, arg, false);
}

int signals_watch_hup(struct loop *lp, signals_fn *fn, void *arg)
{
    return watch(lp, fn, arg, true);
}
