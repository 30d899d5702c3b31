/* letter.h -- a dead letter as JSON, for /system/dead-letter(s).
 *
 * A letter is what the queue worker stored (gateway/worker/deadletter.c):
 * the original call, body and headers, plus Faasbus-Reason,
 * X-Function-Status and X-Attempts. It reads as
 *   {"seq", "time", "function", "reason", "status", "attempts", "call_id",
 *    "method", "path", "query", "queued_at", "callback_url", "headers",
 *    "size", ...}
 * where "headers" are the call's own (what a replay sends again: none of
 * the Faasbus-*, Nats-* or the worker's two), and the body is "body"
 * (base64) when whole, else a "preview" (the first 256 bytes, cut at a
 * character, as text; null when not UTF-8) and "truncated". Values that
 * are not UTF-8 cannot be JSON strings: such a header is left out. */
#ifndef GW_LETTER_H
#define GW_LETTER_H

#include <jansson.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

/* New reference. */
json_t *gw_letter_json(natsMsg *m, bool whole);

/* List entries (gw_letter_json(m, false)) of letters read before, by
 * sequence (letter_cache.c). Locality: one thread at a time. */
struct gw_letter_cache;
struct gw_letter_cache *gw_letter_cache_new(void);
void gw_letter_cache_free(struct gw_letter_cache *c);
/* A stream made anew numbers its messages from 1 again: a new epoch (its
 * creation time) forgets every entry. */
void gw_letter_cache_epoch(struct gw_letter_cache *c, int64_t epoch);
/* Borrowed, or NULL when not held. */
json_t *gw_letter_cache_get(struct gw_letter_cache *c, uint64_t seq);
/* Keeps a reference of its own to entry. */
void gw_letter_cache_put(struct gw_letter_cache *c, uint64_t seq, json_t *entry);

#endif
