/* callstate.h -- the life of one call (a record x one of its routes, the
 * dispatcher's "branch"): its states, the events that move it, and the
 * one function that moves it.
 *
 * DESIGN: cn_call_step() is the only place a call's state changes. Every
 * input is an event: those of the dispatcher (its lane is held by another
 * record, its route is full), of the function (an answer, or an error that
 * stands for one), of an async call (the gateway queued it; its callback,
 * or no callback in time), of the clock (a retry is due), of the broker (a
 * reply or dead letter acknowledged or refused) and of the source (a
 * rebalance or a stop takes the record away). The Kafka, NATS core and
 * JetStream sources and sync and async invocation all feed these same
 * events; what each action does (call, publish, commit) stays in the
 * modules that do it (dispatch.c, outcome.c, async.c).
 *
 * The arrows (state, event -> next state):
 *
 *   NEW       LANE_BUSY -> LANE      LANE_HELD -> READY   HOP_LIMIT -> DECIDING
 *   LANE      LANE_HELD -> READY
 *   READY     ROUTE_FULL -> SLOT     CALL_STARTED -> CALLING
 *             MAY_NOT_START -> PARKED
 *   SLOT      CALL_STARTED -> CALLING                     MAY_NOT_START -> PARKED
 *   CALLING   ANSWER -> DECIDING     ACCEPTED -> AWAIT    ACCEPTED_FINAL -> FINAL
 *   AWAIT     ANSWER -> DECIDING     TIMEOUT -> DECIDING
 *   DECIDING  RETRY_WAIT -> BACKOFF  PUBLISH -> PUBLISH   REFUSED -> DL_WAIT
 *             DONE -> FINAL
 *   BACKOFF   RETRY_DUE -> READY
 *   PUBLISH   ACKED -> FINAL         PUBLISH_FAILED -> DECIDING
 *   DL_WAIT   RETRY_DUE -> DECIDING
 *
 * ABANDON (a rebalance took the partition, the drain deadline passed, or
 * a JetStream retry is handed back to the broker) goes from every state
 * but FINAL to FINAL. An event that comes too late for the state it finds
 * (an answer or a timeout after the call moved on, ABANDON of a final
 * call) is ignored: cn_call_step() returns false and changes nothing. Any
 * other event a state has no arrow for is a bug, and asserts.
 *
 * docs/internals/connector-call.md says the same at more length. */
#ifndef CN_CALLSTATE_H
#define CN_CALLSTATE_H

#include <stdbool.h>

enum cn_call_state {
    CN_CALL_NEW,      /* made for a record, not yet placed */
    CN_CALL_LANE,     /* queued for its ordering lane (key or partition) */
    CN_CALL_READY,    /* holds its lane (or needs none): about to take a slot */
    CN_CALL_SLOT,     /* holds its lane, queued for a slot of its route */
    CN_CALL_PARKED,   /* may not start: its partition is handed back, or the
                         daemon stops; it waits to be abandoned */
    CN_CALL_CALLING,  /* a call (or an async submission) is in flight */
    CN_CALL_AWAIT,    /* an async call was queued; waiting for its callback */
    CN_CALL_DECIDING, /* an answer came: its outcome is being decided */
    CN_CALL_BACKOFF,  /* waiting to call again */
    CN_CALL_PUBLISH,  /* a reply or dead letter is in flight to the broker */
    CN_CALL_DL_WAIT,  /* the broker refused the dead letter: waiting to try again */
    CN_CALL_FINAL,    /* done (or abandoned): nothing more happens to it */
    CN_CALL_NSTATES
};

enum cn_call_event {
    CN_EV_LANE_BUSY,      /* another record of the key or partition holds the lane */
    CN_EV_LANE_HELD,      /* it holds its lane now, or its route keeps no order */
    CN_EV_ROUTE_FULL,     /* the route's max-inflight is reached */
    CN_EV_MAY_NOT_START,  /* the source says no: revoked partition, or stopping */
    CN_EV_CALL_STARTED,   /* the call (or submission) went out */
    CN_EV_ACCEPTED,       /* the gateway queued the async call (202) */
    CN_EV_ACCEPTED_FINAL, /* ...and async_commit=accepted: that is the outcome */
    CN_EV_ANSWER,         /* the function answered, or failed to (sync answer,
                             submission refused, async callback) */
    CN_EV_TIMEOUT,        /* no callback within async_timeout */
    CN_EV_HOP_LIMIT,      /* the record is too far down a chain to be called */
    CN_EV_RETRY_WAIT,     /* the outcome: call again after a backoff */
    CN_EV_RETRY_DUE,      /* the backoff (or the dead letter's wait) is over */
    CN_EV_PUBLISH,        /* the outcome: a reply or dead letter goes out */
    CN_EV_REFUSED,        /* the broker refused the dead letter at once */
    CN_EV_PUBLISH_FAILED, /* the broker refused the reply or dead letter later */
    CN_EV_ACKED,          /* the broker acknowledged the reply or dead letter */
    CN_EV_DONE,           /* the outcome needs nothing published */
    CN_EV_ABANDON,        /* rebalance, drain deadline or hand-back: let go */
    CN_CALL_NEVENTS
};

/* Applies ev to *state. Returns true if the state has an arrow for it
 * (*state is now where it leads), false if the event came too late for
 * it (ignored, *state unchanged). An event no state could take at that
 * point is a programmer's error: asserts. */
bool cn_call_step(enum cn_call_state *state, enum cn_call_event ev);

/* True while the call has something outstanding that a drain waits for:
 * a call, a callback or a publish. A call waiting for its turn or for a
 * retry is not busy: it is abandoned when the drain ends. */
bool cn_call_busy(enum cn_call_state state);

/* Names for logs and tests ("CALLING", "ANSWER"). */
const char *cn_call_state_name(enum cn_call_state state);
const char *cn_call_event_name(enum cn_call_event ev);

#endif
