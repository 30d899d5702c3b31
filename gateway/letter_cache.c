/* letter_cache.c -- the list entries of dead letters already read.
 *
 * A letter never changes once stored, but reading one means fetching it
 * whole (JetStream has no partial get), bodies up to queue_max_message:
 * without this, a portal polling the last 50 letters every 2 s would pull
 * them all again each time. Direct-mapped on the sequence: a slot holds
 * the last letter whose sequence fell on it. */
#include "letter.h"

#include <stdlib.h>

#include "xalloc.h"

#define SLOTS 1024

struct slot {
    uint64_t seq; /* 0: empty */
    json_t *entry;
};

struct gw_letter_cache {
    int64_t epoch;
    struct slot slots[SLOTS];
};

struct gw_letter_cache *gw_letter_cache_new(void)
{
    return xcalloc(1, sizeof(struct gw_letter_cache));
}

static void forget(struct gw_letter_cache *c)
{
    for (size_t i = 0; i < SLOTS; i++) {
        json_decref(c->slots[i].entry);
        c->slots[i] = (struct slot){ 0 };
    }
}

void gw_letter_cache_free(struct gw_letter_cache *c)
{
    if (!c)
        return;
    forget(c);
    free(c);
}

void gw_letter_cache_epoch(struct gw_letter_cache *c, int64_t epoch)
{
    if (c->epoch != epoch)
        forget(c);
    c->epoch = epoch;
}

json_t *gw_letter_cache_get(struct gw_letter_cache *c, uint64_t seq)
{
    struct slot *s = &c->slots[seq % SLOTS];
    return seq && s->seq == seq ? s->entry : NULL;
}

void gw_letter_cache_put(struct gw_letter_cache *c, uint64_t seq, json_t *entry)
{
    struct slot *s = &c->slots[seq % SLOTS];
    json_decref(s->entry);
    s->seq = seq;
    s->entry = json_incref(entry);
}
