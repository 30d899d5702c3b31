/* subject.h -- names on two buses: NATS subjects (with their wildcards),
 * and the `nats:` / `kafka:` prefixes that say which bus a route's topic,
 * reply topic or error topic is on.
 *
 * A bare name is a Kafka topic, as it always was; `kafka:orders` is the
 * same topic spelled out; `nats:orders.eu.*` is a NATS subject. Inputs may
 * use NATS wildcards (`*` one token, `>` the rest); destinations may not,
 * since a message is published to one subject. */
#ifndef CN_SUBJECT_H
#define CN_SUBJECT_H

#include <stdbool.h>

#define CN_NATS_PREFIX "nats:"
#define CN_KAFKA_PREFIX "kafka:"

/* A NATS subject: tokens of printable non-blank bytes separated by dots,
 * none empty. With wildcards, a token may be `*`, and the last one `>`. */
bool cn_subject_valid(const char *s, bool wildcards);

/* Does a concrete subject match a pattern (which may hold wildcards)? */
bool cn_subject_match(const char *pattern, const char *subject);

/* The NATS subject of "nats:<subject>", or NULL for a Kafka name. */
const char *cn_nats_name(const char *name);
/* The Kafka topic of a name ("kafka:" dropped), or NULL for a NATS one. */
const char *cn_kafka_name(const char *name);

/* A route's input: a Kafka topic, or "nats:" and a subject (wildcards
 * allowed). */
bool cn_source_valid(const char *name);
/* Where a reply or dead letter goes: as above, without wildcards. */
bool cn_dest_valid(const char *name);

#endif
