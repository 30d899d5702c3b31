/* spool.h -- a FIFO of bytes kept in memory up to a threshold and in an
 * unlinked temporary file beyond it.
 *
 * For output that must wait: lib/httpd cannot start a response while
 * the request body is still arriving, so a function that answers as it
 * reads (`cat`) has its output held here until the body has ended. Memory
 * stays bounded; the disk takes the rest, up to `max`. */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct spool {
    struct buf mem;
    int fd; /* -1 until the memory part first fills */
    int64_t wpos, rpos;
    int64_t max;
};

void spool_init(struct spool *s, size_t mem_max, int64_t max);
void spool_cleanup(struct spool *s);

/* Bytes held. */
int64_t spool_len(const struct spool *s);
/* Bytes that may still be written before `max`. */
int64_t spool_space(const struct spool *s);

/* Appends all of data. Returns 0, or -1 if it would pass `max` or the
 * temporary file cannot be written (nothing is appended then). */
int spool_write(struct spool *s, const void *data, size_t len);

/* Reads up to n of the oldest bytes. Returns the count, or -1 on an I/O
 * error of the temporary file. */
ssize_t spool_read(struct spool *s, void *out, size_t n);

#endif
