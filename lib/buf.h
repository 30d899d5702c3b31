/* buf.h -- a byte buffer with a hard maximum, used as a FIFO.
 *
 * Data is appended at the tail and consumed from the head; the buffer
 * grows on demand up to `max` and never beyond, so a body or a message
 * from the network cannot take more memory than its limit. */
#ifndef BUF_H
#define BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t head; /* first unread byte */
    size_t len;  /* unread bytes, from data + head */
    size_t cap;
    size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_cleanup(struct buf *b);

/* Appends n bytes. Returns 0, or -1 (and appends nothing) if the result
 * would exceed b->max. */
int buf_append(struct buf *b, const void *p, size_t n);

/* Room left before the maximum. */
size_t buf_space(const struct buf *b);

/* Unread bytes, contiguous. */
static inline const char *buf_peek(const struct buf *b)
{
    return b->data + b->head;
}

/* Drops n bytes from the head. */
void buf_consume(struct buf *b, size_t n);

/* Copies up to n bytes out of the head and consumes them; returns count. */
size_t buf_take(struct buf *b, void *out, size_t n);

/* Room at the tail for reading into: grows the buffer toward `want` bytes
 * of room (never past max) and returns where to write; *room gets how
 * much may be written there. Then buf_commit() what was written. */
char *buf_tail(struct buf *b, size_t want, size_t *room);
void buf_commit(struct buf *b, size_t n);

/* Makes the content a NUL-terminated string (the NUL is not counted in
 * len) and returns it; NULL if there is no room for the NUL. */
char *buf_cstr(struct buf *b);

#endif
