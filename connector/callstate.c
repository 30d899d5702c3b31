/* callstate.c -- the arrows of a call's life (callstate.h): one table,
 * read by the one function that changes a call's state. */
#include "callstate.h"

#include <assert.h>

/* A cell holds the next state plus one, so that a cell left out (0) is
 * "no arrow": a bug if the event arrives there. LATE marks an event that
 * may legitimately find the call past the point where it meant something. */
#define TO(s) ((unsigned char)((s) + 1))
#define LATE 0xff

static const unsigned char arrows[CN_CALL_NSTATES][CN_CALL_NEVENTS] = {
    [CN_CALL_NEW] = {
        [CN_EV_LANE_BUSY] = TO(CN_CALL_LANE),
        [CN_EV_LANE_HELD] = TO(CN_CALL_READY),
        [CN_EV_HOP_LIMIT] = TO(CN_CALL_DECIDING),
    },
    [CN_CALL_LANE] = {
        [CN_EV_LANE_HELD] = TO(CN_CALL_READY),
    },
    [CN_CALL_READY] = {
        [CN_EV_ROUTE_FULL] = TO(CN_CALL_SLOT),
        [CN_EV_CALL_STARTED] = TO(CN_CALL_CALLING),
        [CN_EV_MAY_NOT_START] = TO(CN_CALL_PARKED),
    },
    [CN_CALL_SLOT] = {
        [CN_EV_CALL_STARTED] = TO(CN_CALL_CALLING),
        [CN_EV_MAY_NOT_START] = TO(CN_CALL_PARKED),
    },
    [CN_CALL_PARKED] = { 0 },
    [CN_CALL_CALLING] = {
        [CN_EV_ANSWER] = TO(CN_CALL_DECIDING),
        [CN_EV_ACCEPTED] = TO(CN_CALL_AWAIT),
        [CN_EV_ACCEPTED_FINAL] = TO(CN_CALL_FINAL),
    },
    [CN_CALL_AWAIT] = {
        [CN_EV_ANSWER] = TO(CN_CALL_DECIDING),
        [CN_EV_TIMEOUT] = TO(CN_CALL_DECIDING),
    },
    [CN_CALL_DECIDING] = {
        [CN_EV_RETRY_WAIT] = TO(CN_CALL_BACKOFF),
        [CN_EV_PUBLISH] = TO(CN_CALL_PUBLISH),
        [CN_EV_REFUSED] = TO(CN_CALL_DL_WAIT),
        [CN_EV_DONE] = TO(CN_CALL_FINAL),
    },
    [CN_CALL_BACKOFF] = {
        [CN_EV_RETRY_DUE] = TO(CN_CALL_READY),
    },
    [CN_CALL_PUBLISH] = {
        [CN_EV_ACKED] = TO(CN_CALL_FINAL),
        [CN_EV_PUBLISH_FAILED] = TO(CN_CALL_DECIDING),
    },
    [CN_CALL_DL_WAIT] = {
        [CN_EV_RETRY_DUE] = TO(CN_CALL_DECIDING),
    },
    [CN_CALL_FINAL] = { 0 },
};

/* What no table row needs to say: the events that may come late anywhere
 * (an async callback for a call that timed out and moved on), and ABANDON,
 * which every state but FINAL takes. */
static unsigned char arrow(enum cn_call_state s, enum cn_call_event ev)
{
    unsigned char a = arrows[s][ev];

    if (a)
        return a;
    if (ev == CN_EV_ABANDON)
        return s == CN_CALL_FINAL ? LATE : TO(CN_CALL_FINAL);
    if (ev == CN_EV_ANSWER || ev == CN_EV_TIMEOUT)
        return LATE;
    return 0;
}

bool cn_call_step(enum cn_call_state *state, enum cn_call_event ev)
{
    unsigned char a;

    assert(*state >= 0 && *state < CN_CALL_NSTATES);
    assert(ev >= 0 && ev < CN_CALL_NEVENTS);
    a = arrow(*state, ev);
    assert(a != 0 && "an event this state has no arrow for");
    if (a == LATE || a == 0)
        return false;
    *state = (enum cn_call_state)(a - 1);
    return true;
}

bool cn_call_busy(enum cn_call_state state)
{
    /* A callback awaited is a call in flight: a drain waits for it. */
    return state == CN_CALL_CALLING || state == CN_CALL_AWAIT || state == CN_CALL_PUBLISH;
}

const char *cn_call_state_name(enum cn_call_state state)
{
    static const char *const names[CN_CALL_NSTATES] = {
        "NEW",   "LANE",     "READY",   "SLOT",    "PARKED",  "CALLING",
        "AWAIT", "DECIDING", "BACKOFF", "PUBLISH", "DL_WAIT", "FINAL",
    };

    return state >= 0 && state < CN_CALL_NSTATES ? names[state] : "?";
}

const char *cn_call_event_name(enum cn_call_event ev)
{
    static const char *const names[CN_CALL_NEVENTS] = {
        "LANE_BUSY",  "LANE_HELD",      "ROUTE_FULL", "MAY_NOT_START", "CALL_STARTED",
        "ACCEPTED",   "ACCEPTED_FINAL", "ANSWER",     "TIMEOUT",       "HOP_LIMIT",
        "RETRY_WAIT", "RETRY_DUE",      "PUBLISH",    "REFUSED",       "PUBLISH_FAILED",
        "ACKED",      "DONE",           "ABANDON",
    };

    return ev >= 0 && ev < CN_CALL_NEVENTS ? names[ev] : "?";
}
