/* buf.c -- bounded FIFO byte buffer. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void buf_init(struct buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void buf_cleanup(struct buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

size_t buf_space(const struct buf *b)
{
    return b->max - b->len;
}

/* Makes room for `need` more bytes at the tail: first by moving unread
 * data to the front (cheap when little is left), then by growing. */
static void reserve(struct buf *b, size_t need)
{
    if (b->head + b->len + need <= b->cap)
        return;
    if (b->head > 0) {
        memmove(b->data, b->data + b->head, b->len);
        b->head = 0;
        if (b->len + need <= b->cap)
            return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1; /* +1 leaves room for buf_cstr's NUL */
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (n > buf_space(b))
        return -1;
    if (n == 0)
        return 0;
    reserve(b, n);
    memcpy(b->data + b->head + b->len, p, n);
    b->len += n;
    return 0;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->head = 0;
        b->len = 0;
        return;
    }
    b->head += n;
    b->len -= n;
}

size_t buf_take(struct buf *b, void *out, size_t n)
{
    if (n > b->len)
        n = b->len;
    if (n) {
        memcpy(out, b->data + b->head, n);
        buf_consume(b, n);
    }
    return n;
}

char *buf_tail(struct buf *b, size_t want, size_t *room)
{
    size_t space = buf_space(b);
    if (want > space)
        want = space;
    reserve(b, want);
    size_t free_at_tail = b->cap - b->head - b->len;
    *room = free_at_tail < space ? free_at_tail : space;
    return b->data + b->head + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
    b->len += n;
}

char *buf_cstr(struct buf *b)
{
    reserve(b, 1);
    if (b->head + b->len >= b->cap)
        return NULL;
    b->data[b->head + b->len] = '\0';
    return b->data + b->head;
}
