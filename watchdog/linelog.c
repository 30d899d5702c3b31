/* linelog.c -- line splitting for logged function output. */
#include "linelog.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

#define LINE_MAX_BYTES (16 * 1024)

void linelog_init(struct linelog *ll, const char *stream, bool prefix)
{
    buf_init(&ll->line, LINE_MAX_BYTES);
    ll->stream = stream;
    ll->prefix = prefix;
}

void linelog_cleanup(struct linelog *ll)
{
    buf_cleanup(&ll->line);
}

static void emit(const struct linelog *ll, const char *p, size_t len)
{
    if (ll->prefix)
        log_info("function", "%s: %.*s", ll->stream, (int)len, p);
    else
        dprintf(2, "%.*s\n", (int)len, p);
}

/* Logs the complete lines held; with `all`, the partial one too. */
static void drain(struct linelog *ll, bool all)
{
    while (ll->line.len) {
        const char *p = buf_peek(&ll->line);
        const char *nl = memchr(p, '\n', ll->line.len);
        if (!nl && !all && buf_space(&ll->line))
            return;
        size_t len = nl ? (size_t)(nl - p) : ll->line.len;
        emit(ll, p, len);
        buf_consume(&ll->line, nl ? len + 1 : len);
    }
}

void linelog_feed(struct linelog *ll, const char *data, size_t len)
{
    while (len) {
        size_t room = buf_space(&ll->line);
        size_t n = len < room ? len : room;
        buf_append(&ll->line, data, n);
        data += n;
        len -= n;
        drain(ll, false);
    }
}

void linelog_flush(struct linelog *ll)
{
    drain(ll, true);
}
