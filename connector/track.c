/* track.c -- a ring of offsets per partition, in arrival (offset) order. */
#include "track.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define FIRST_CAP 64

void track_init(struct track *t)
{
    memset(t, 0, sizeof *t);
    t->next_offset = -1;
}

void track_cleanup(struct track *t)
{
    free(t->ring);
    track_init(t);
}

static struct track_entry *at(const struct track *t, size_t i)
{
    return &t->ring[(t->head + i) % t->cap];
}

static void grow(struct track *t)
{
    size_t cap = t->cap ? t->cap * 2 : FIRST_CAP;
    struct track_entry *ring = xmalloc(cap * sizeof *ring);

    for (size_t i = 0; i < t->count; i++)
        ring[i] = *at(t, i);
    free(t->ring);
    t->ring = ring;
    t->cap = cap;
    t->head = 0;
}

int track_add(struct track *t, int64_t offset, int64_t now_ms)
{
    if (t->next_offset >= 0 && offset < t->next_offset)
        return -1;
    if (t->count == t->cap)
        grow(t);
    *at(t, t->count) = (struct track_entry){ offset, now_ms, false };
    t->count++;
    t->next_offset = offset + 1;
    return 0;
}

/* Binary search: entries are sorted by offset. */
static int find(const struct track *t, int64_t offset, size_t *idx)
{
    size_t lo = 0, hi = t->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t o = at(t, mid)->offset;
        if (o == offset) {
            *idx = mid;
            return 0;
        }
        if (o < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int track_done(struct track *t, int64_t offset)
{
    size_t i;

    if (find(t, offset, &i) < 0)
        return -1;
    at(t, i)->done = true;
    while (t->undone < t->count && at(t, t->undone)->done)
        t->undone++;
    return 0;
}

int64_t track_watermark(const struct track *t)
{
    if (t->undone < t->count)
        return at(t, t->undone)->offset;
    return t->next_offset;
}

size_t track_release(struct track *t, int64_t committed)
{
    size_t n = 0;

    /* Only done entries can lie below an acknowledged watermark. */
    while (n < t->undone && at(t, n)->offset < committed)
        n++;
    t->head = (t->head + n) % (t->cap ? t->cap : 1);
    t->count -= n;
    t->undone -= n;
    return n;
}

size_t track_count(const struct track *t)
{
    return t->count;
}

size_t track_unfinished(const struct track *t)
{
    size_t n = 0;

    for (size_t i = t->undone; i < t->count; i++)
        n += !at(t, i)->done;
    return n;
}

int64_t track_first(const struct track *t)
{
    return t->count ? at(t, 0)->offset : -1;
}

int64_t track_oldest_ms(const struct track *t)
{
    return t->undone < t->count ? at(t, t->undone)->since_ms : -1;
}
