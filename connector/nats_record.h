/* nats_record.h -- NATS messages into records (record.h). */
#ifndef CN_NATS_RECORD_H
#define CN_NATS_RECORD_H

#include <nats/nats.h>

#include "record.h"

/* A new NATS record holding copies of m's subject, data and headers.
 * JetStream messages (stream non-NULL) take their stream sequence as
 * offset and call id ("nats-ORDERS-42"), and their timestamp; a core
 * message takes `seq` (our own count) and, if it waits for an answer, its
 * reply subject. The key is the key_header's value (base64-decoded when
 * "<key_header>-Enc: b64" says so), else the subject: ordering=key keeps
 * one call at a time per key, or per subject. Free with cn_record_free(). */
struct cn_record *cn_nats_record(natsMsg *m, const char *stream, const char *key_header,
                                 const char *boot_id, uint64_t seq);

#endif
