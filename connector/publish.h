/* publish.h -- the records the connector writes: a function's reply, and
 * a dead letter (the original record, byte for byte, plus why it failed),
 * to Kafka or NATS by the topic's prefix (bus.h). */
#ifndef CN_PUBLISH_H
#define CN_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "invoke.h"
#include "producer.h"
#include "record.h"

struct cn;

#define CN_HOP_HEADER "X-Hop-Count"

/* Why a record could not be handled by one function. */
struct cn_failure {
    const char *error; /* X-Error */
    long status;       /* X-Function-Status: the last HTTP status, 0 if none */
    int attempts;      /* X-Attempts */
    int cut;           /* 0: the whole record; 1: its first DEAD_LETTER_KEPT bytes and
                         * no headers of its own; 2: no value either */
};

/* What a cut dead letter keeps of the value. */
#define DEAD_LETTER_KEPT (64 * 1024)

/* Whether a publish error says the record was too large for the topic or
 * subject (librdkafka's and NATS's wording; they give no code here). */
bool cn_publish_too_large(const char *error);

/* Publishes res's body to `topic` with the record's key, the response's
 * Content-Type, X-Function-Name/-Status, X-Call-Id, X-Source-* and the
 * hop count one higher. As cn_producer_send(). */
int cn_publish_reply(struct cn *cn, const struct cn_record *rec, const char *topic,
                     const char *function, const struct cn_invoke_result *res, cn_delivered_fn *fn,
                     void *arg, struct cn_delivery **out, char *err, size_t errlen);

/* Publishes the original record (value, key and headers unchanged) to
 * `topic`, with X-Error, X-Function-Name/-Status, X-Attempts, X-Call-Id
 * and X-Source-* added after its own headers. As cn_producer_send(). */
int cn_publish_dead_letter(struct cn *cn, const struct cn_record *rec, const char *topic,
                           const char *function, const struct cn_failure *f, cn_delivered_fn *fn,
                           void *arg, struct cn_delivery **out, char *err, size_t errlen);

#endif
