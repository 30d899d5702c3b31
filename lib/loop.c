/* loop.c -- epoll loop, timer heap and prepare hooks. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

struct watcher {
    loop_fd_fn *fn;
    void *arg;
    unsigned events; /* 0: not watched */
};

struct loop_timer {
    int64_t due;
    size_t slot; /* index in the heap */
    loop_timer_fn *fn;
    void *arg;
};

struct prepare {
    loop_prepare_fn *fn;
    void *arg;
};

struct loop {
    int epfd;
    bool stop;
    struct watcher *w; /* indexed by fd */
    int nw;
    struct loop_timer **heap;
    size_t nheap, capheap;
    struct prepare *prep;
    size_t nprep;
};

int64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double loop_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct loop *loop_new(void)
{
    struct loop *lp = xcalloc(1, sizeof *lp);
    lp->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lp->epfd < 0) {
        free(lp);
        return NULL;
    }
    return lp;
}

void loop_free(struct loop *lp)
{
    if (!lp)
        return;
    for (size_t i = 0; i < lp->nheap; i++)
        free(lp->heap[i]);
    free(lp->heap);
    free(lp->w);
    free(lp->prep);
    close(lp->epfd);
    free(lp);
}

static uint32_t to_epoll(unsigned events)
{
    return ((events & LOOP_READ) ? EPOLLIN : 0u) | ((events & LOOP_WRITE) ? EPOLLOUT : 0u);
}

int loop_watch(struct loop *lp, int fd, unsigned events, loop_fd_fn *fn, void *arg)
{
    if (fd < 0)
        return -1;
    if (fd >= lp->nw) {
        int n = lp->nw ? lp->nw : 64;
        while (n <= fd)
            n *= 2;
        lp->w = xrealloc(lp->w, (size_t)n * sizeof *lp->w);
        memset(lp->w + lp->nw, 0, (size_t)(n - lp->nw) * sizeof *lp->w);
        lp->nw = n;
    }
    struct watcher *w = &lp->w[fd];
    unsigned want = events ? events : 0x100; /* registered, waiting for nothing */
    if (w->events == want) {                 /* libcurl repeats itself: spare the syscall */
        w->fn = fn;
        w->arg = arg;
        return 0;
    }
    struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };
    int op = w->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(lp->epfd, op, fd, &ev) < 0)
        return -1;
    w->fn = fn;
    w->arg = arg;
    w->events = want;
    return 0;
}

void loop_unwatch(struct loop *lp, int fd)
{
    if (fd < 0 || fd >= lp->nw || !lp->w[fd].events)
        return;
    epoll_ctl(lp->epfd, EPOLL_CTL_DEL, fd, NULL);
    lp->w[fd].events = 0;
}

/* Heap helpers: the earliest timer is heap[0]. */
static void heap_set(struct loop *lp, size_t i, struct loop_timer *t)
{
    lp->heap[i] = t;
    t->slot = i;
}

static void heap_up(struct loop *lp, size_t i)
{
    struct loop_timer *t = lp->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (lp->heap[parent]->due <= t->due)
            break;
        heap_set(lp, i, lp->heap[parent]);
        i = parent;
    }
    heap_set(lp, i, t);
}

static void heap_down(struct loop *lp, size_t i)
{
    struct loop_timer *t = lp->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= lp->nheap)
            break;
        if (c + 1 < lp->nheap && lp->heap[c + 1]->due < lp->heap[c]->due)
            c++;
        if (t->due <= lp->heap[c]->due)
            break;
        heap_set(lp, i, lp->heap[c]);
        i = c;
    }
    heap_set(lp, i, t);
}

struct loop_timer *loop_timer_add(struct loop *lp, int64_t ms, loop_timer_fn *fn, void *arg)
{
    struct loop_timer *t = xmalloc(sizeof *t);
    t->due = loop_now_ms() + (ms > 0 ? ms : 0);
    t->fn = fn;
    t->arg = arg;
    if (lp->nheap == lp->capheap) {
        lp->capheap = lp->capheap ? lp->capheap * 2 : 16;
        lp->heap = xrealloc(lp->heap, lp->capheap * sizeof(struct loop_timer *));
    }
    heap_set(lp, lp->nheap++, t);
    heap_up(lp, t->slot);
    return t;
}

static void heap_remove(struct loop *lp, struct loop_timer *t)
{
    size_t i = t->slot;
    struct loop_timer *last = lp->heap[--lp->nheap];
    if (last != t) {
        heap_set(lp, i, last);
        heap_down(lp, i);
        heap_up(lp, last->slot);
    }
}

void loop_timer_cancel(struct loop *lp, struct loop_timer *t)
{
    if (!t)
        return;
    heap_remove(lp, t);
    free(t);
}

void loop_add_prepare(struct loop *lp, loop_prepare_fn *fn, void *arg)
{
    lp->prep = xrealloc(lp->prep, (lp->nprep + 1) * sizeof *lp->prep);
    lp->prep[lp->nprep++] = (struct prepare){ fn, arg };
}

void loop_remove_prepare(struct loop *lp, loop_prepare_fn *fn, void *arg)
{
    for (size_t i = 0; i < lp->nprep; i++)
        if (lp->prep[i].fn == fn && lp->prep[i].arg == arg) {
            lp->prep[i] = lp->prep[--lp->nprep];
            return;
        }
}

void loop_stop(struct loop *lp)
{
    lp->stop = true;
}

static void run_timers(struct loop *lp)
{
    int64_t now = loop_now_ms();
    while (lp->nheap && lp->heap[0]->due <= now) {
        struct loop_timer *t = lp->heap[0];
        heap_remove(lp, t);
        loop_timer_fn *fn = t->fn;
        void *arg = t->arg;
        free(t);
        fn(lp, arg);
    }
}

static int wait_ms(struct loop *lp)
{
    int64_t wait = -1;
    for (size_t i = 0; i < lp->nprep; i++) {
        int64_t w = lp->prep[i].fn(lp, lp->prep[i].arg);
        if (w >= 0 && (wait < 0 || w < wait))
            wait = w;
    }
    if (lp->nheap) {
        int64_t w = lp->heap[0]->due - loop_now_ms();
        if (w < 0)
            w = 0;
        if (wait < 0 || w < wait)
            wait = w;
    }
    return wait > 60000 || wait < 0 ? 60000 : (int)wait;
}

static void dispatch(struct loop *lp, const struct epoll_event *ev)
{
    int fd = ev->data.fd;
    if (fd >= lp->nw || !lp->w[fd].events)
        return; /* unwatched by an earlier callback in this batch */
    unsigned events = 0;
    if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        events |= LOOP_READ;
    if (ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        events |= LOOP_WRITE;
    struct watcher w = lp->w[fd];
    w.fn(lp, fd, events, w.arg);
}

void loop_run(struct loop *lp)
{
    struct epoll_event evs[256];
    lp->stop = false;
    while (!lp->stop) {
        int timeout = wait_ms(lp);
        if (lp->stop)
            break; /* a prepare hook asked for it: do not wait first */
        int n = epoll_wait(lp->epfd, evs, 256, timeout);
        if (n < 0 && errno != EINTR) {
            log_error("loop", "epoll_wait failed: %s", strerror(errno));
            return;
        }
        for (int i = 0; i < n && !lp->stop; i++)
            dispatch(lp, &evs[i]);
        run_timers(lp);
    }
}
