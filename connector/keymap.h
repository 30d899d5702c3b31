/* keymap.h -- a hash map from byte-string keys to pointers.
 *
 * The connector looks up per-key ordering lanes, per-route limits and
 * partitions on every message; keys are bytes (a Kafka key may hold any
 * byte, NUL included), so they are stored with their length. The map
 * copies keys and never owns values. */
#ifndef CN_KEYMAP_H
#define CN_KEYMAP_H

#include <stddef.h>

struct keymap;

struct keymap *keymap_new(void);
/* Frees the map (not the values). NULL is a no-op. */
void keymap_free(struct keymap *m);

/* The value stored under key, or NULL. */
void *keymap_get(const struct keymap *m, const void *key, size_t len);
/* Stores value under key (copied), replacing any earlier value. */
void keymap_put(struct keymap *m, const void *key, size_t len, void *value);
/* Removes key; returns its value, or NULL if it was absent. */
void *keymap_del(struct keymap *m, const void *key, size_t len);
size_t keymap_count(const struct keymap *m);

/* Calls fn for every entry, in no particular order; fn must not change
 * the map. */
void keymap_each(const struct keymap *m,
                 void (*fn)(void *arg, const void *key, size_t len, void *value), void *arg);
/* Every value, in a new array of keymap_count() entries (and a NULL after
 * them) for the caller to free: what a caller walks that changes the map,
 * as freeing each value does. */
void **keymap_values(const struct keymap *m);

#endif
