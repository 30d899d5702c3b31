/* kafka_env.h -- librdkafka properties from the environment, for
 * containers: KAFKA_<PROPERTY> with dots as underscores
 * (KAFKA_SECURITY_PROTOCOL=SASL_SSL is security.protocol), and
 * KAFKA_<PROPERTY>_FILE naming a file that holds the value (a mounted
 * secret: KAFKA_SASL_PASSWORD_FILE). They join the file's `kafka` group
 * (consumer and producer), after its entries, so the environment wins
 * over that group; kafka_consumer and kafka_producer still refine it. */
#ifndef CN_KAFKA_ENV_H
#define CN_KAFKA_ENV_H

#include <stddef.h>

struct cn_kprops;

/* Appends each KAFKA_* variable of the environment to props (names
 * lowercased; kconf.c turns underscores into dots). Returns 0, or -1
 * with err naming the variable when a _FILE cannot be read. */
int cn_kafka_env(struct cn_kprops *props, char *err, size_t errlen);

#endif
