/* bus.h -- what ties the connector's two buses together: which routes a
 * record from either bus goes to, which Kafka topics the routes ask for,
 * and where an outgoing reply or dead letter goes (Kafka or NATS, by the
 * prefix of its topic), so a Kafka record's result can go to NATS and a
 * NATS message's to Kafka. */
#ifndef CN_BUS_H
#define CN_BUS_H

#include <stddef.h>

#include "producer.h"
#include "record.h"
#include "routes.h"

struct cn;

/* The routes of a record: for Kafka, those naming its topic (bare or with
 * "kafka:"); for NATS, those whose "nats:" subject (wildcards allowed)
 * matches its subject. Returns how many, with a new array in *out (NULL
 * when none). */
size_t cn_bus_routes(const struct cn_table *t, const struct cn_record *rec,
                     const struct cn_route ***out);

/* The Kafka topics the table's routes name, comma-separated ("" for
 * none), without prefixes or repeats. New string. */
char *cn_bus_kafka_topics(const struct cn_table *t);

/* Sends m (whose topic may carry a bus prefix) for record rec, as
 * cn_producer_send(): 0 with the delivery in *out and fn called once,
 * later, with the broker's or server's acknowledgement; or -1 with err. */
int cn_bus_send(struct cn *cn, const struct cn_record *rec, const struct cn_outgoing *m,
                cn_delivered_fn *fn, void *arg, struct cn_delivery **out, char *err, size_t errlen);

#endif
