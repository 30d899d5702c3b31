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
 * Nothing waits for a round trip per message: a stream's answer comes to
 * a handler on cnats' thread (MaxWait bounds it), and one flush confirms
 * every plain publish made before it, so the next flush gathers the
 * publishes made while one is waiting. The publish itself runs on the
 * loop (cnats only buffers it; its own thread writes, as for the acks of
 * JetStream messages); what blocks -- asking which stream captures a
 * subject not seen lately, and the flush -- runs on an offload thread.
 * Outcomes are reported on the loop, never inside cn_nats_send(). */
#ifndef CN_NATS_PUBLISH_H
#define CN_NATS_PUBLISH_H

#include <stddef.h>

#include "producer.h"
#include "record.h"

struct jsq;
struct offload;
struct cn_nats_out;

/* NULL with a message in err if cnats cannot make its publishing context. */
struct cn_nats_out *cn_nats_out_new(struct jsq *js, struct offload *ol, const char *key_header,
                                    char *err, size_t errlen);
/* Shutting down, in this order: _close() before offload_free(ol) (answers
 * still to come then only free their message: every waiter must be
 * detached), _stop() before the connection closes (releases its
 * JetStream context), _free() once cnats' threads have ended
 * (jsq_shutdown: its handler holds p until then). NULL is a no-op. */
void cn_nats_out_close(struct cn_nats_out *p);
void cn_nats_out_stop(struct cn_nats_out *p);
void cn_nats_out_free(struct cn_nats_out *p);

/* Publishes m to `subject` (no prefix) for record rec: its key goes in
 * the key header, headers NATS cannot carry as they are go base64 with
 * a "<name>-Enc: b64" companion. As cn_producer_send(). */
int cn_nats_send(struct cn_nats_out *p, const struct cn_record *rec, const char *subject,
                 const struct cn_outgoing *m, cn_delivered_fn *fn, void *arg,
                 struct cn_delivery **out, char *err, size_t errlen);

#endif
