/* producer.h -- replies and dead letters to Kafka, on the loop.
 *
 * librdkafka produces on its own threads; its delivery reports wait on the
 * handle's main queue, which wakes the loop through a pipe
 * (rd_kafka_queue_io_event_enable), so every report is served on the loop
 * thread and nothing blocks. A record counts as published only when its
 * delivery report says the broker acknowledged it. */
#ifndef CN_PRODUCER_H
#define CN_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "record.h"

struct loop;
struct cn_producer;
struct cn_delivery;

/* error is NULL when the broker acknowledged the record. */
typedef void cn_delivered_fn(void *arg, const char *error);

/* Who waits for a record's acknowledgement. Kafka's producer and the NATS
 * publisher (nats_publish.h) both hand these out, so whoever waits can
 * let go of either the same way: cn_delivery_detach(). */
struct cn_delivery {
    cn_delivered_fn *fn; /* NULL once detached */
    void *arg;
};

struct cn_outgoing {
    const char *topic;
    const unsigned char *key; /* NULL: no key */
    size_t key_len;
    const unsigned char *value; /* NULL: a null value */
    size_t len;
    const struct cn_header *headers;
    size_t nheaders;
};

/* Returns a producer, or NULL with a message in err. */
struct cn_producer *cn_producer_new(struct loop *lp, const struct cn_config *cfg, char *err,
                                    size_t errlen);
/* Waits up to timeout_ms for records still in flight (blocking: for the
 * very end of a shutdown), then frees. NULL is a no-op. */
void cn_producer_free(struct cn_producer *p, int timeout_ms);

/* Sends a copy of m. Returns 0 with the delivery in *out (fn runs once,
 * later, unless detached), or -1 with err (nothing was sent, fn will not
 * run). */
int cn_producer_send(struct cn_producer *p, const struct cn_outgoing *m, cn_delivered_fn *fn,
                     void *arg, struct cn_delivery **out, char *err, size_t errlen);
/* Whoever waited is gone: the report will be dropped. */
void cn_delivery_detach(struct cn_delivery *d);

/* Deliveries not yet reported. */
size_t cn_producer_pending(const struct cn_producer *p);

/* A fatal producer error (e.g. idempotence broken) as text, or NULL. */
const char *cn_producer_fatal(const struct cn_producer *p);

#endif
