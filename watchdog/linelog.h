/* linelog.h -- a function's output stream, logged a line at a time. */
#ifndef WD_LINELOG_H
#define WD_LINELOG_H

#include <stdbool.h>
#include <stddef.h>

#include "lines.h"

struct linelog {
    struct lines lines;
    const char *stream; /* "stdout", "stderr" */
    bool prefix;        /* prefix_logs: our log format, else the raw line */
};

void linelog_init(struct linelog *ll, const char *stream, bool prefix);
void linelog_cleanup(struct linelog *ll);
/* Logs every complete line in data; a line longer than 16 KiB is logged
 * in pieces. */
void linelog_feed(struct linelog *ll, const char *data, size_t len);
/* Logs what is left (the stream ended without a final newline). */
void linelog_flush(struct linelog *ll);

#endif
