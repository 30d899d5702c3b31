/* consumer.h -- the Kafka source: a consumer-group member on the loop.
 *
 * DESIGN: librdkafka fetches on its own threads and queues messages and
 * events (rebalances, commit results, statistics, errors, log lines) on
 * the consumer queue, which wakes the loop through a pipe
 * (rd_kafka_queue_io_event_enable); everything is served on the loop
 * thread, so rebalance and commit handling need no locks.
 *
 * Each message becomes a record (record.h) tracked per partition
 * (track.h); offsets are committed by hand, only up to the first record
 * not yet final. A record waits in a queue until fewer than max_inflight
 * are in flight (called, or done but not yet covered by an acknowledged
 * commit), so a crash repeats at most max_inflight calls. When the queue
 * reaches max_queued (or max_queued_bytes) no more messages are taken
 * from librdkafka, whose own prefetch is capped alike, so memory stays
 * bounded (hold.c).
 *
 * A rebalance that takes partitions away, and a stop, first drain: no
 * record of those partitions starts a call, calls and publishes in
 * flight finish (up to drain_timeout), the watermark is committed, and
 * only then are the partitions handed back. */
#ifndef CN_CONSUMER_H
#define CN_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cn;
struct cn_consumer;

/* Creates the consumer and checks that the brokers answer within
 * connect_timeout (this blocks: it runs at start, before the loop).
 * Returns NULL with a message in err. */
struct cn_consumer *cn_consumer_new(struct cn *cn, void (*fatal)(void *arg), void *arg, char *err,
                                    size_t errlen);
/* Leaves the group (blocking, bounded by librdkafka's timeouts) and frees.
 * Records still held are abandoned, uncommitted. NULL is a no-op. */
void cn_consumer_free(struct cn_consumer *k);

/* The functions below take NULL (no brokers configured: a NATS-only
 * connector) as a consumer with nothing to do, ready and idle. */

/* Consumes exactly these topics (comma-separated; "" for none). */
void cn_consumer_subscribe(struct cn_consumer *k, const char *topics);

/* Stops starting work, drains, commits, then calls done (once, from the
 * loop). */
void cn_consumer_drain(struct cn_consumer *k, void (*done)(void *arg), void *arg);

/* True when the brokers answer and, if subscribed, the group has given us
 * an assignment; else false with the reason in why. */
bool cn_consumer_ready(const struct cn_consumer *k, char *why, size_t len);

/* Records taken in since the start, and whether none is held now: when
 * the heap may be given back. */
uint64_t cn_consumer_received(const struct cn_consumer *k);
bool cn_consumer_idle(const struct cn_consumer *k);

/* Sets the per-partition gauges (lag, oldest unfinished) for /metrics. */
void cn_consumer_update_metrics(struct cn_consumer *k);

#endif
