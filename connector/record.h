/* record.h -- a message from a source, as the dispatcher sees it.
 *
 * DESIGN: the dispatcher (routing, ordering, calls, retries, replies)
 * knows nothing of Kafka or NATS. A source (Kafka, NATS) turns each
 * message into a struct cn_record, hands it to cn_dispatch_submit(), and
 * learns through its struct cn_origin when the record may start work and
 * when every function it went to has reached a final outcome. What "done"
 * means to the source (a commit watermark, an ack) stays in the source. */
#ifndef CN_RECORD_H
#define CN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"

struct cn_record;
struct cn_work; /* the dispatcher's state for a record */

/* Which bus a record came from: what its topic means (a Kafka topic or a
 * NATS subject) and which X-Kafka-* or X-Nats-* headers describe it. */
enum cn_bus { CN_BUS_KAFKA, CN_BUS_NATS };

/* Values (and the key and value of a record) are allocated one byte
 * longer than len, with a NUL there, so text can be used as a string. */
struct cn_header {
    char *name;
    unsigned char *value; /* NULL: a header with a null value */
    size_t len;
};

struct cn_origin {
    /* May this record start (or retry) a call now? False while its
     * partition is being handed back or the daemon is stopping. */
    bool (*may_start)(const struct cn_record *rec);
    /* Every branch reached its final outcome (published and acknowledged
     * where there was something to publish). The dispatcher has let go of
     * the record; the source frees it. May run inside cn_dispatch_submit(). */
    void (*finished)(struct cn_record *rec);
    /* Optional: takes the record back to deliver it again after delay_ms
     * (JetStream: a nak with delay), so a retry waits in the broker, not
     * here. The dispatcher has let go of the record; the source frees it. */
    void (*redeliver)(struct cn_record *rec, int64_t delay_ms);
    /* Optional: nothing of the record is in flight any more (no call,
     * callback or publish: cn_dispatch_busy() turned false), which is what
     * a drain waits for. Runs inside the dispatcher: the source may note
     * it or schedule work, but must not abandon or free the record here. */
    void (*quiet)(struct cn_record *rec);
};

struct cn_record {
    const struct cn_origin *origin;
    void *owner; /* the source's own state (a partition) */
    char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* -1: none */
    unsigned char *key;   /* NULL: no key */
    size_t key_len;
    unsigned char *value; /* NULL: a tombstone (sent as an empty body) */
    size_t len;
    struct cn_header *headers;
    size_t nheaders;
    int hops;                 /* replies this record is already downstream of */
    char *call_id;            /* stable across redeliveries */
    int prior_attempts;       /* calls made for it in earlier deliveries */
    const char *content_type; /* the record's content-type header, or NULL */
    enum cn_bus bus;          /* Kafka unless the source says otherwise */
    char *stream;             /* NATS: its JetStream stream (offset is the stream
                            sequence), or NULL for core NATS */
    char *reply_to;           /* NATS core: "nats:<subject>" a requester waits on
                            for the answer, or NULL */
    struct cn_work *work;     /* the dispatcher's, NULL outside it */
    struct list_node node;    /* the source's list */
    struct list_node qnode;   /* the source's waiting queue */
    bool queued;              /* ...which it is in */
};

/* The header named `name` (ASCII case-insensitive), or NULL. */
const struct cn_header *cn_record_header(const struct cn_record *rec, const char *name);

/* A copy of len bytes with a NUL after them (see struct cn_header). */
unsigned char *cn_bytes_dup(const void *p, size_t len);

/* Frees the record's fields and the record. NULL is a no-op. */
void cn_record_free(struct cn_record *rec);

#endif
