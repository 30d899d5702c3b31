/* natsmsg.h -- freeing a NATS message on the calling thread.
 *
 * DESIGN: natsMsg_Destroy() does not free a message: it hands it to
 * cnats' collector thread and wakes that thread whenever it sleeps, so
 * every message destroyed costs two context switches and the collector's
 * run (two messages per NATS event in the connector: the one in, the
 * reply out). Measured back to back on the NATS core path, freeing
 * in place took 13% off the connector's CPU per message; gathering the
 * destroys per loop turn did not help, as the collector, woken on the
 * other core, keeps up with the batch. cnats exports the collector's own
 * function for a message, natsMsg_free, without declaring it: it is
 * looked up once, natsMsg_Destroy() being the fallback where it is
 * missing.
 * Only for messages the caller owns outright: received from a
 * subscription or fetch, or made by natsMsg_Create (never a message
 * cnats still holds, as in an auto-ack callback). */
#ifndef NATSMSG_H
#define NATSMSG_H

#include <nats/nats.h>
#include <stdbool.h>

/* Frees msg now, on this thread. NULL is a no-op. Any thread. */
void natsmsg_free(natsMsg *msg);
/* Whether natsmsg_free frees in place (false: it falls back on
 * natsMsg_Destroy). */
bool natsmsg_in_place(void);

#endif
