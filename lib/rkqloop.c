/* rkqloop.c -- a librdkafka queue served on lib/loop (rkqloop.h). */
#include "rkqloop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"

static void serve(struct loop *lp, void *arg)
{
    struct rkqloop *w = arg;

    w->again = NULL;
    if (w->serve(w->arg))
        w->again = loop_timer_add(lp, 0, serve, w);
}

static void on_wake(struct loop *lp, int fd, unsigned events, void *arg)
{
    struct rkqloop *w = arg;
    char drain[64];
    (void)events;

    while (read(fd, drain, sizeof drain) > 0)
        ;
    if (!w->again)
        serve(lp, w);
}

int rkqloop_start(struct rkqloop *w, struct loop *lp, rd_kafka_queue_t *q, rkqloop_serve_fn *fn,
                  void *arg, char *err, size_t errlen)
{
    *w = (struct rkqloop){ .lp = lp, .q = q, .wake = { -1, -1 }, .serve = fn, .arg = arg };
    if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        w->wake[0] = w->wake[1] = -1;
        return -1;
    }
    rd_kafka_queue_io_event_enable(q, w->wake[1], "1", 1);
    if (loop_watch(lp, w->wake[0], LOOP_READ, on_wake, w) < 0) {
        snprintf(err, errlen, "cannot watch the queue's pipe");
        rd_kafka_queue_io_event_enable(q, -1, NULL, 0);
        close(w->wake[0]);
        close(w->wake[1]);
        *w = (struct rkqloop){ .wake = { -1, -1 } };
        return -1;
    }
    w->again = loop_timer_add(lp, 0, serve, w);
    return 0;
}

void rkqloop_kick(struct rkqloop *w)
{
    if (w->lp && !w->again)
        w->again = loop_timer_add(w->lp, 0, serve, w);
}

void rkqloop_stop(struct rkqloop *w)
{
    if (!w->lp)
        return;
    if (w->again)
        loop_timer_cancel(w->lp, w->again);
    w->again = NULL;
    if (w->wake[0] >= 0) {
        loop_unwatch(w->lp, w->wake[0]);
        rd_kafka_queue_io_event_enable(w->q, -1, NULL, 0);
    }
    for (int i = 0; i < 2; i++) {
        if (w->wake[i] >= 0)
            close(w->wake[i]);
        w->wake[i] = -1;
    }
    w->lp = NULL;
}
