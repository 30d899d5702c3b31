/* lines.h -- a byte stream cut into lines (a process's output, for logs).
 * Each complete line goes to a callback without its newline; a line
 * longer than `max` goes in pieces of `max` bytes. */
#ifndef LINES_H
#define LINES_H

#include <stddef.h>

#include "buf.h"

typedef void lines_fn(void *arg, const char *line, size_t len);

struct lines {
    struct buf line;
    lines_fn *emit;
    void *arg;
};

void lines_init(struct lines *l, size_t max, lines_fn *emit, void *arg);
void lines_cleanup(struct lines *l);
void lines_feed(struct lines *l, const char *data, size_t len);
/* Emits what is left (the stream ended without a final newline). */
void lines_flush(struct lines *l);

#endif
