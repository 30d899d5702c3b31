/* nats_source.h -- the NATS source: core NATS subjects and JetStream
 * streams into records, and the connection replies to NATS go out on.
 *
 * DESIGN: cnats delivers on its own threads. A core subscription's
 * callback (one thread per subscription) and a pull consumer's fetch
 * thread each take a place among max_inflight before handing a message
 * to the loop (offload_post), waiting while every place is taken, so the
 * loop never queues NATS messages and memory stays bounded: core NATS
 * then buffers in the subscription (up to max_queued messages or
 * max_queued_bytes, after which the server's slow-consumer rule drops),
 * JetStream simply is not asked for more.
 *
 * Delivery:
 * - core NATS (`subjects`): at most once. Subscriptions share the queue
 *   group `group`, so several connectors split the work; a message is in
 *   the connector's hands only, and a crash or an expired drain loses it.
 *   A message with a reply subject whose routes publish no reply gets the
 *   function's response as its answer (request-reply over NATS).
 * - JetStream (`streams`): at least once. One durable pull consumer per
 *   entry, shared by every connector of the group, with explicit acks: a
 *   message is acked only when every function it went to reached its
 *   final outcome (the same rules as Kafka); in-progress acks keep it
 *   while calls run or wait to retry; a message let go without an
 *   outcome (stop, drain deadline) is nak'ed so another connector gets it
 *   at once. The consumer's MaxAckPending is max_inflight. */
#ifndef CN_NATS_SOURCE_H
#define CN_NATS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

struct cn;
struct cn_nats;

/* Connects (retrying in the background when the server is not there
 * yet), subscribes, starts the fetch threads and sets cn->nats_out.
 * Threads start here: signals must already be blocked. Returns NULL with
 * a message in err. */
struct cn_nats *cn_nats_new(struct cn *cn, char *err, size_t errlen);
/* The routing table is loaded: messages may come in. Until then none is
 * taken (JetStream is not fetched from; core messages wait in the
 * subscription), so none is acked as unrouted before its route is known. */
void cn_nats_open(struct cn_nats *n);
/* Stops, naks what is still held, closes and frees. NULL is a no-op. */
void cn_nats_free(struct cn_nats *n);

/* Stops taking messages, lets calls and publishes in flight finish (up to
 * drain_timeout), naks the rest, then calls done (once, from the loop). */
void cn_nats_drain(struct cn_nats *n, void (*done)(void *arg), void *arg);

/* True when connected and every JetStream consumer is bound; else false
 * with the reason in why. */
bool cn_nats_ready(const struct cn_nats *n, char *why, size_t len);

#endif
