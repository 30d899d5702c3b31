/* linelog.c -- a function's output lines into the watchdog's log. */
#include "linelog.h"

#include <stdio.h>

#include "log.h"

#define LINE_MAX_BYTES (16 * 1024)

static void emit(void *arg, const char *p, size_t len)
{
    const struct linelog *ll = arg;
    if (ll->prefix)
        log_info("function", "%s: %.*s", ll->stream, (int)len, p);
    else
        dprintf(2, "%.*s\n", (int)len, p);
}

void linelog_init(struct linelog *ll, const char *stream, bool prefix)
{
    ll->stream = stream;
    ll->prefix = prefix;
    lines_init(&ll->lines, LINE_MAX_BYTES, emit, ll);
}

void linelog_cleanup(struct linelog *ll)
{
    lines_cleanup(&ll->lines);
}

void linelog_feed(struct linelog *ll, const char *data, size_t len)
{
    lines_feed(&ll->lines, data, len);
}

void linelog_flush(struct linelog *ll)
{
    lines_flush(&ll->lines);
}
