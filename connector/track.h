/* track.h -- one partition's unfinished offsets and its commit watermark.
 *
 * At-least-once hinges on this: a Kafka commit says "everything before
 * offset N is done", so N may only pass an offset once that offset is
 * final (answered, and its reply or dead letter acknowledged). Records
 * finish out of order (many keys in flight), so each partition keeps its
 * offsets in arrival order with a done flag; the watermark is the first
 * offset not yet done.
 *
 * An entry stays until a commit that covers it has been acknowledged by
 * the broker (track_release), so the count of entries is exactly what a
 * crash would make us see again: the connector bounds it (max_inflight),
 * which bounds duplicates after a kill -9.
 *
 * Pure bookkeeping: no I/O, no clock (callers pass the time). */
#ifndef CN_TRACK_H
#define CN_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct track_entry {
    int64_t offset;
    int64_t since_ms; /* when it arrived, for the oldest-unfinished age */
    bool done;
};

struct track {
    struct track_entry *ring;
    size_t cap, head, count;
    size_t undone;       /* entries before this index (from head) are done */
    int64_t next_offset; /* one past the last offset added; -1: none yet */
};

void track_init(struct track *t);
void track_cleanup(struct track *t);

/* Adds an offset that arrived. Offsets must grow (gaps are fine: compacted
 * topics and transaction markers leave holes). Returns 0, or -1 if the
 * offset does not grow (a redelivery after a seek: the caller ignores it). */
int track_add(struct track *t, int64_t offset, int64_t now_ms);

/* Marks an offset final. Returns 0, or -1 if it is not tracked. */
int track_done(struct track *t, int64_t offset);

/* The offset to commit: the first one not done, or one past the last if
 * all are done; -1 when nothing was ever added. */
int64_t track_watermark(const struct track *t);

/* A commit of `committed` was acknowledged: drops the entries it covers
 * (offset < committed) and returns how many. */
size_t track_release(struct track *t, int64_t committed);

/* Entries held: unfinished, or finished but not yet covered by an
 * acknowledged commit. */
size_t track_count(const struct track *t);

/* Records not yet final. */
size_t track_unfinished(const struct track *t);

/* The oldest offset held, or -1 if none is. */
int64_t track_first(const struct track *t);

/* When the oldest unfinished record arrived, or -1 if none is. */
int64_t track_oldest_ms(const struct track *t);

#endif
