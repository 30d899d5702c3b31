/* nats_publish.h -- replies and dead letters to NATS subjects.
 *
 * DESIGN: "published" means stored where it can be, as with Kafka. When a
 * JetStream stream captures the subject (asked of the server, and
 * remembered for a few seconds), the message is published through
 * JetStream, which answers once the stream has stored it. Otherwise it
 * goes out as a plain NATS publish followed by a flush (a round trip: the
 * server has it, but only subscribers present now will see it). Trying
 * JetStream first and falling back on "no responders" would not do: a
 * plain subscriber of the subject counts as a responder that never
 * answers. The answer to a request (its reply subject) is always a plain
 * publish: nobody stores those.
 * Publishing blocks for the round trip, so it runs on an offload thread
 * and reports on the loop. */
#ifndef CN_NATS_PUBLISH_H
#define CN_NATS_PUBLISH_H

#include <stddef.h>

#include "producer.h"
#include "record.h"

struct jsq;
struct offload;
struct cn_nats_out;

struct cn_nats_out *cn_nats_out_new(struct jsq *js, struct offload *ol, const char *key_header);
/* Frees; deliveries still in flight must have been detached and their
 * offload work finished (offload_free) first. NULL is a no-op. */
void cn_nats_out_free(struct cn_nats_out *p);

/* Publishes m to `subject` (no prefix) for record rec: its key goes in
 * the key header, headers NATS cannot carry as they are go base64 with
 * a "<name>-Enc: b64" companion. As cn_producer_send(). */
int cn_nats_send(struct cn_nats_out *p, const struct cn_record *rec, const char *subject,
                 const struct cn_outgoing *m, cn_delivered_fn *fn, void *arg,
                 struct cn_delivery **out, char *err, size_t errlen);

#endif
