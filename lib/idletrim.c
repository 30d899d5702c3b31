/* idletrim.c -- malloc_trim once the daemon is idle (idletrim.h). */
#include "idletrim.h"

#include <malloc.h>

#include "loop.h"

/* jemalloc's control call, where a daemon links jemalloc in (the
 * connector does): malloc_trim would only trim glibc's unused heap. Weak,
 * so nothing else needs it. */
extern int mallctl(const char *name, void *old, size_t *oldlen, void *new_value, size_t newlen)
    __attribute__((weak));

#define JEMALLOC_ALL_ARENAS "4096" /* MALLCTL_ARENAS_ALL */

static void give_back(void)
{
    if (mallctl)
        mallctl("arena." JEMALLOC_ALL_ARENAS ".purge", NULL, NULL, NULL, 0);
    else
        malloc_trim(0);
}

static void on_tick(struct loop *lp, void *arg)
{
    struct idletrim *t = arg;
    uint64_t work = 0;

    if (t->idle(t->arg, &work) && work != t->trimmed_at) {
        give_back();
        t->trimmed_at = work;
    }
    t->timer = loop_timer_add(lp, t->every_ms, on_tick, t);
}

void idletrim_start(struct idletrim *t, struct loop *lp, int64_t every_ms, idletrim_fn *idle,
                    void *arg)
{
    *t = (struct idletrim){ .lp = lp, .every_ms = every_ms, .idle = idle, .arg = arg };
    t->timer = loop_timer_add(lp, every_ms, on_tick, t);
}

void idletrim_stop(struct idletrim *t)
{
    if (t->lp && t->timer)
        loop_timer_cancel(t->lp, t->timer);
    t->timer = NULL;
}
