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

/* New reference. */
json_t *gw_letter_json(natsMsg *m, bool whole);

#endif
