/* logs.c -- each function's recent output lines, for /system/logs. */
#include "logs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "functions.h"
#include "gw.h"
#include "logs_follow.h"
#include "xalloc.h"

static int64_t now_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gw_logs_add(struct gw *gw, struct gw_fn *fn, unsigned instance, const char *text, size_t len)
{
    gw_logs_add_at(gw, fn, instance, now_unix_ms(), text, len);
}

void gw_logs_add_at(struct gw *gw, struct gw_fn *fn, unsigned instance, int64_t unix_ms,
                    const char *text, size_t len)
{
    size_t cap = (size_t)gw->cfg.log_lines;
    if (!fn->logs)
        fn->logs = xcalloc(cap, sizeof *fn->logs);
    struct gw_logline *line;
    if (fn->nlogs < cap) {
        line = &fn->logs[(fn->logstart + fn->nlogs++) % cap];
    } else { /* full: the oldest line makes room */
        line = &fn->logs[fn->logstart];
        free(line->text);
        fn->logstart = (fn->logstart + 1) % cap;
    }
    line->unix_ms = unix_ms;
    line->instance = instance;
    line->text = xstrndup(text, len);
    fn->logseq++;
    gw_logs_notify(gw, fn);
}

void gw_logs_free(struct gw_fn *fn)
{
    if (!fn->logs)
        return;
    for (size_t i = 0; i < fn->nlogs; i++)
        free(fn->logs[i].text);
    free(fn->logs);
    fn->logs = NULL;
}
