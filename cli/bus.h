/* bus.h -- which bus a topic is on, and how to reach it: "nats:SUBJECT"
 * is NATS (the connector's spelling), anything else Kafka ("kafka:" may
 * prefix it); --bus says so explicitly. */
#ifndef CLI_BUS_H
#define CLI_BUS_H

#include <stdbool.h>

#include "fb.h"

struct bus_target {
    bool nats;
    const char *name;    /* the topic or subject, without its prefix */
    const char *brokers; /* Kafka */
    const char *nats_url;
};

int bus_target(const struct ctx *c, const char *topic, struct bus_target *t);

int kafka_publish(const struct ctx *c, const struct bus_target *t, const struct buf *value);
int kafka_subscribe(const struct ctx *c, const struct bus_target *t);
int nats_publish(const struct ctx *c, const struct bus_target *t, const struct buf *value);
int nats_subscribe(const struct ctx *c, const struct bus_target *t);

/* Prints one record: NDJSON with -o json, else a header line and the
 * value. headers holds nheaders name/value pairs (values may be NULL). */
void bus_print_record(const struct ctx *c, const char *where, const char *key, size_t key_len,
                      const char *const *names, const char *const *values, const size_t *value_lens,
                      int nheaders, const char *value, size_t len);

/* --count N (0: no limit) and --timeout SECONDS (0: none). */
long bus_count(const struct ctx *c);
double bus_timeout(const struct ctx *c);

#endif
