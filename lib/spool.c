/* spool.c -- memory first, then an O_TMPFILE file, read back in order.
 *
 * Order is kept by one rule: while the file holds unread bytes, new bytes
 * go to the file too (the memory part only ever holds older bytes). */
#include "spool.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

void spool_init(struct spool *s, size_t mem_max, int64_t max)
{
    buf_init(&s->mem, mem_max);
    s->fd = -1;
    s->wpos = s->rpos = 0;
    s->max = max;
}

void spool_cleanup(struct spool *s)
{
    buf_cleanup(&s->mem);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

int64_t spool_len(const struct spool *s)
{
    return (int64_t)s->mem.len + (s->wpos - s->rpos);
}

int64_t spool_space(const struct spool *s)
{
    return s->max - spool_len(s);
}

static int open_tmp(struct spool *s)
{
    const char *dir = getenv("TMPDIR");
    s->fd = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    return s->fd < 0 ? -1 : 0;
}

int spool_write(struct spool *s, const void *data, size_t len)
{
    if ((int64_t)len > spool_space(s))
        return -1;
    if (s->wpos == s->rpos && buf_append(&s->mem, data, len) == 0)
        return 0;
    if (s->fd < 0 && open_tmp(s) < 0)
        return -1;
    const char *p = data;
    int64_t wpos = s->wpos;
    while (len) {
        ssize_t n = pwrite(s->fd, p, len, wpos);
        if (n < 0)
            return -1; /* s->wpos unmoved: nothing was appended */
        wpos += n;
        p += n;
        len -= (size_t)n;
    }
    s->wpos = wpos;
    return 0;
}

ssize_t spool_read(struct spool *s, void *out, size_t n)
{
    if (s->mem.len)
        return (ssize_t)buf_take(&s->mem, out, n);
    int64_t avail = s->wpos - s->rpos;
    if (avail == 0)
        return 0;
    if ((int64_t)n > avail)
        n = (size_t)avail;
    ssize_t r = pread(s->fd, out, n, s->rpos);
    if (r < 0)
        return -1;
    s->rpos += r;
    if (s->rpos == s->wpos) { /* drained: back to memory, reuse the file */
        s->rpos = s->wpos = 0;
        (void)!ftruncate(s->fd, 0); /* only gives space back; reuse works anyway */
    }
    return r;
}
