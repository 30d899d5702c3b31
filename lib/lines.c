/* lines.c -- line splitting over a bounded buffer. */
#include "lines.h"

#include <stdbool.h>
#include <string.h>

void lines_init(struct lines *l, size_t max, lines_fn *emit, void *arg)
{
    buf_init(&l->line, max);
    l->emit = emit;
    l->arg = arg;
}

void lines_cleanup(struct lines *l)
{
    buf_cleanup(&l->line);
}

/* Emits the complete lines held; with `all`, the partial one too. */
static void drain(struct lines *l, bool all)
{
    while (l->line.len) {
        const char *p = buf_peek(&l->line);
        const char *nl = memchr(p, '\n', l->line.len);
        if (!nl && !all && buf_space(&l->line))
            return;
        size_t len = nl ? (size_t)(nl - p) : l->line.len;
        l->emit(l->arg, p, len);
        buf_consume(&l->line, nl ? len + 1 : len);
    }
}

void lines_feed(struct lines *l, const char *data, size_t len)
{
    while (len) {
        size_t room = buf_space(&l->line);
        size_t n = len < room ? len : room;
        buf_append(&l->line, data, n);
        data += n;
        len -= n;
        drain(l, false);
    }
}

void lines_flush(struct lines *l)
{
    drain(l, true);
}
