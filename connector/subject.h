/* subject.h -- names on two buses: NATS subjects (with their wildcards),
 * and the `nats:` / `kafka:` prefixes that say which bus a route's topic,
 * reply topic or error topic is on.
 *
 * `kafka:orders` is a Kafka topic; `nats:orders.eu.*` is a NATS subject.
 * A bare name is on the only bus configured, or on `default_bus` when
 * both are (cn_buses_set()); with both and no default it is on neither,
 * and cn_bus_unresolved() says how to fix it. Inputs may use NATS
 * wildcards (`*` one token, `>` the rest); destinations may not, since a
 * message is published to one subject. */
#ifndef CN_SUBJECT_H
#define CN_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>

#define CN_NATS_PREFIX "nats:"
#define CN_KAFKA_PREFIX "kafka:"

/* Which buses are configured, and the bus of bare names when both are
 * (`dflt` "kafka", "nats", or "auto": none). Set once at start, before
 * any name is read; until then both are on and bare names are Kafka's. */
void cn_buses_set(bool kafka, bool nats, const char *dflt);
/* Is this bus configured? */
bool cn_bus_kafka_on(void);
bool cn_bus_nats_on(void);
/* Do bare names mean Kafka topics (false: NATS subjects, or nothing)? */
bool cn_bare_is_kafka(void);

/* NULL if `name` is on a configured bus; else why not and the fix, in
 * why (as "\"jobs\" is a bare name, and both ... set default_bus"). */
const char *cn_bus_unresolved(const char *name, char *why, size_t len);

/* A legal Kafka topic name: 1..249 of [A-Za-z0-9._-]. */
bool cn_topic_valid(const char *s);

/* A NATS subject: tokens of printable non-blank bytes separated by dots,
 * none empty. With wildcards, a token may be `*`, and the last one `>`. */
bool cn_subject_valid(const char *s, bool wildcards);

/* Does a concrete subject match a pattern (which may hold wildcards)? */
bool cn_subject_match(const char *pattern, const char *subject);

/* The NATS subject of "nats:<subject>" (or of a bare name when bare
 * names are NATS's), or NULL for a Kafka name. */
const char *cn_nats_name(const char *name);
/* The Kafka topic of a name ("kafka:" dropped), or NULL for a NATS one
 * (or a bare name when bare names are not Kafka's). */
const char *cn_kafka_name(const char *name);

/* A route's input: a Kafka topic, or "nats:" and a subject (wildcards
 * allowed). */
bool cn_source_valid(const char *name);
/* Where a reply or dead letter goes: as above, without wildcards. */
bool cn_dest_valid(const char *name);

#endif
