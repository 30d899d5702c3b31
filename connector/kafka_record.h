/* kafka_record.h -- Kafka messages into records (record.h). */
#ifndef CN_KAFKA_RECORD_H
#define CN_KAFKA_RECORD_H

#include <librdkafka/rdkafka.h>

#include "record.h"

/* A new record holding copies of m's topic, partition, offset, timestamp,
 * key, value and headers, with its call id, hop count and content type
 * filled in; origin and owner are the caller's to set. Free it with
 * cn_record_free(). */
struct cn_record *cn_kafka_record(const rd_kafka_message_t *m);

#endif
