/* conntrack.c -- a list of open connections, swept once a second for
 * heads past their deadline.
 *
 * A late connection is shut down, not closed: libmicrohttpd owns the
 * descriptor, sees the end of the stream on its next read, and closes and
 * frees the connection through its own path. */
#include "conntrack.h"

#include <stdlib.h>
#include <sys/socket.h>

#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define SWEEP_MS 1000

void conntrack_init(struct conntrack *t, struct loop *lp, unsigned limit, int64_t head_timeout_ms)
{
    *t = (struct conntrack){ .lp = lp, .limit = limit, .head_timeout_ms = head_timeout_ms };
}

void conntrack_cleanup(struct conntrack *t)
{
    if (t->sweep)
        loop_timer_cancel(t->lp, t->sweep);
    t->sweep = NULL;
    struct list_node *it;

    while ((it = list_pop_front(&t->open)))
        free(LIST_ENTRY(it, struct conn, node));
    t->count = 0;
}

static void sweep(struct loop *lp, void *arg)
{
    (void)lp;
    struct conntrack *t = arg;
    t->sweep = NULL;
    int64_t now = loop_now_ms();
    for (struct list_node *it = t->open.first; it; it = it->next) {
        struct conn *c = LIST_ENTRY(it, struct conn, node);
        if (c->head_since_ms < 0 || now - c->head_since_ms < t->head_timeout_ms)
            continue;
        c->head_since_ms = -1; /* once: the shutdown ends it */
        t->heads_cut++;
        log_info("http", "closing a connection whose request head took over %lldms",
                 (long long)t->head_timeout_ms);
        shutdown(c->fd, SHUT_RDWR);
    }
    if (!list_empty(&t->open))
        t->sweep = loop_timer_add(t->lp, SWEEP_MS, sweep, t);
}

struct conn *conntrack_open(struct conntrack *t, int fd)
{
    struct conn *c = xcalloc(1, sizeof *c);
    c->fd = fd;
    c->over_limit = t->limit && t->count >= t->limit;
    c->head_since_ms = loop_now_ms();
    list_push_front(&t->open, &c->node);
    t->count++;
    if (!t->sweep && t->head_timeout_ms > 0)
        t->sweep = loop_timer_add(t->lp, SWEEP_MS, sweep, t);
    return c;
}

void conntrack_close(struct conntrack *t, struct conn *c)
{
    list_remove(&t->open, &c->node);
    t->count--;
    free(c);
}

void conntrack_head_done(struct conn *c) { c->head_since_ms = -1; }
void conntrack_head_again(struct conn *c) { c->head_since_ms = loop_now_ms(); }
