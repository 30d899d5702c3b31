/* kconf.h -- librdkafka configuration for the connector's consumer and
 * producer: our settings first, then the file's pass-through properties
 * (SASL, TLS, tuning), so every security mode of librdkafka works. */
#ifndef CN_KCONF_H
#define CN_KCONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "config.h"

/* A new configuration for a consumer (CN_KAFKA_CONSUMER) or producer
 * (CN_KAFKA_PRODUCER), logging into our log. Returns NULL with a message
 * in err (naming the file and line of a bad property). */
rd_kafka_conf_t *cn_kconf_new(const struct cn_config *cfg, enum cn_kafka_group kind, char *err,
                              size_t errlen);

/* Checks that librdkafka accepts every property for both handles, so a
 * typo is a config error at start. Returns 0, or -1 with err. */
int cn_kconf_check(const struct cn_config *cfg, char *err, size_t errlen);

/* Serves librdkafka's log lines (routed to its main queue, so they are
 * written from the loop thread). */
void cn_kconf_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

#endif
