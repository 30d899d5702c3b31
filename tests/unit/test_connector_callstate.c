/* test_connector_callstate.c -- the arrows of a call's life, each one, and
 * the odd orders events come in: an answer after a timeout, a rebalance
 * while a retry waits, a reply refused after the function succeeded, a
 * stop in every state. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../connector/callstate.h"

struct arrow {
    enum cn_call_state from;
    enum cn_call_event ev;
    enum cn_call_state to;
};

/* Written out again from the diagram in callstate.h, not from the code. */
static const struct arrow arrows[] = {
    { CN_CALL_NEW, CN_EV_LANE_BUSY, CN_CALL_LANE },
    { CN_CALL_NEW, CN_EV_LANE_HELD, CN_CALL_READY },
    { CN_CALL_NEW, CN_EV_HOP_LIMIT, CN_CALL_DECIDING },
    { CN_CALL_LANE, CN_EV_LANE_HELD, CN_CALL_READY },
    { CN_CALL_READY, CN_EV_ROUTE_FULL, CN_CALL_SLOT },
    { CN_CALL_READY, CN_EV_CALL_STARTED, CN_CALL_CALLING },
    { CN_CALL_READY, CN_EV_MAY_NOT_START, CN_CALL_PARKED },
    { CN_CALL_SLOT, CN_EV_CALL_STARTED, CN_CALL_CALLING },
    { CN_CALL_SLOT, CN_EV_MAY_NOT_START, CN_CALL_PARKED },
    { CN_CALL_CALLING, CN_EV_ANSWER, CN_CALL_DECIDING },
    { CN_CALL_CALLING, CN_EV_ACCEPTED, CN_CALL_AWAIT },
    { CN_CALL_CALLING, CN_EV_ACCEPTED_FINAL, CN_CALL_FINAL },
    { CN_CALL_AWAIT, CN_EV_ANSWER, CN_CALL_DECIDING },
    { CN_CALL_AWAIT, CN_EV_TIMEOUT, CN_CALL_DECIDING },
    { CN_CALL_DECIDING, CN_EV_RETRY_WAIT, CN_CALL_BACKOFF },
    { CN_CALL_DECIDING, CN_EV_PUBLISH, CN_CALL_PUBLISH },
    { CN_CALL_DECIDING, CN_EV_REFUSED, CN_CALL_DL_WAIT },
    { CN_CALL_DECIDING, CN_EV_DONE, CN_CALL_FINAL },
    { CN_CALL_BACKOFF, CN_EV_RETRY_DUE, CN_CALL_READY },
    { CN_CALL_PUBLISH, CN_EV_ACKED, CN_CALL_FINAL },
    { CN_CALL_PUBLISH, CN_EV_PUBLISH_FAILED, CN_CALL_DECIDING },
    { CN_CALL_DL_WAIT, CN_EV_RETRY_DUE, CN_CALL_DECIDING },
};

#define NARROWS (sizeof arrows / sizeof arrows[0])

static bool has_arrow(enum cn_call_state s, enum cn_call_event ev)
{
    for (size_t i = 0; i < NARROWS; i++) {
        if (arrows[i].from == s && arrows[i].ev == ev)
            return true;
    }
    return false;
}

/* Steps s through the events, each of which must apply. */
static enum cn_call_state walk(enum cn_call_state s, const enum cn_call_event *evs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!cn_call_step(&s, evs[i]))
            fail_msg("%s did not apply in %s", cn_call_event_name(evs[i]), cn_call_state_name(s));
    }
    return s;
}

#define WALK(s, ...)                                       \
    walk((s), (const enum cn_call_event[]){ __VA_ARGS__ }, \
         sizeof((const enum cn_call_event[]){ __VA_ARGS__ }) / sizeof(enum cn_call_event))

static void test_every_arrow_leads_where_the_diagram_says(void **state)
{
    (void)state;
    for (size_t i = 0; i < NARROWS; i++) {
        enum cn_call_state s = arrows[i].from;
        assert_true(cn_call_step(&s, arrows[i].ev));
        if (s != arrows[i].to)
            fail_msg("%s --%s--> %s, expected %s", cn_call_state_name(arrows[i].from),
                     cn_call_event_name(arrows[i].ev), cn_call_state_name(s),
                     cn_call_state_name(arrows[i].to));
    }
}

static void test_a_sync_call_with_a_reply(void **state)
{
    (void)state;
    assert_int_equal(WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_CALL_STARTED, CN_EV_ANSWER,
                          CN_EV_PUBLISH, CN_EV_ACKED),
                     CN_CALL_FINAL);
}

static void test_ordering_and_max_inflight_waits(void **state)
{
    (void)state;
    /* Behind another record of its key, then behind a full route. */
    assert_int_equal(WALK(CN_CALL_NEW, CN_EV_LANE_BUSY, CN_EV_LANE_HELD, CN_EV_ROUTE_FULL,
                          CN_EV_CALL_STARTED, CN_EV_ANSWER, CN_EV_DONE),
                     CN_CALL_FINAL);
}

static void test_retries_until_a_dead_letter(void **state)
{
    (void)state;
    assert_int_equal(WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_CALL_STARTED, CN_EV_ANSWER,
                          CN_EV_RETRY_WAIT, CN_EV_RETRY_DUE, CN_EV_CALL_STARTED, CN_EV_ANSWER,
                          CN_EV_PUBLISH, CN_EV_ACKED),
                     CN_CALL_FINAL);
}

static void test_async_call_answered_by_its_callback(void **state)
{
    (void)state;
    assert_int_equal(WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_CALL_STARTED, CN_EV_ACCEPTED,
                          CN_EV_ANSWER, CN_EV_PUBLISH, CN_EV_ACKED),
                     CN_CALL_FINAL);
    /* async_commit=accepted: final at the 202. */
    assert_int_equal(WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_CALL_STARTED, CN_EV_ACCEPTED_FINAL),
                     CN_CALL_FINAL);
}

static void test_answer_after_timeout_is_late(void **state)
{
    enum cn_call_state s;
    (void)state;

    s = WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_CALL_STARTED, CN_EV_ACCEPTED, CN_EV_TIMEOUT,
             CN_EV_RETRY_WAIT);
    assert_int_equal(s, CN_CALL_BACKOFF);
    /* The callback of the timed-out submission finds it waiting to retry:
     * ignored, and the retry goes on. */
    assert_false(cn_call_step(&s, CN_EV_ANSWER));
    assert_int_equal(s, CN_CALL_BACKOFF);
    assert_false(cn_call_step(&s, CN_EV_TIMEOUT));
    assert_int_equal(s, CN_CALL_BACKOFF);
    /* Submitted again: a late callback of the earlier id now counts (the
     * queue worker did call the function). */
    s = WALK(s, CN_EV_RETRY_DUE, CN_EV_CALL_STARTED);
    assert_true(cn_call_step(&s, CN_EV_ANSWER));
    assert_int_equal(s, CN_CALL_DECIDING);
}

static void test_answer_late_wherever_no_call_is_out(void **state)
{
    (void)state;
    for (int i = 0; i < CN_CALL_NSTATES; i++) {
        enum cn_call_state s = (enum cn_call_state)i;
        for (int e = 0; e < 2; e++) {
            enum cn_call_event ev = e ? CN_EV_TIMEOUT : CN_EV_ANSWER;
            if (has_arrow(s, ev))
                continue;
            assert_false(cn_call_step(&s, ev));
            assert_int_equal(s, i);
        }
    }
}

static void test_rebalance_while_a_retry_waits(void **state)
{
    enum cn_call_state s;
    (void)state;

    s = WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_CALL_STARTED, CN_EV_ANSWER, CN_EV_RETRY_WAIT);
    /* Nothing is in flight: the drain does not wait for it... */
    assert_false(cn_call_busy(s));
    /* ...and the partition's hand-over abandons it. */
    assert_true(cn_call_step(&s, CN_EV_ABANDON));
    assert_int_equal(s, CN_CALL_FINAL);
    /* The record's other calls may be abandoned with it: once is enough. */
    assert_false(cn_call_step(&s, CN_EV_ABANDON));
    assert_int_equal(s, CN_CALL_FINAL);
}

static void test_a_revoked_partition_parks_calls_about_to_start(void **state)
{
    enum cn_call_state s;
    (void)state;

    s = WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_MAY_NOT_START);
    assert_int_equal(s, CN_CALL_PARKED);
    s = WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_ROUTE_FULL, CN_EV_MAY_NOT_START);
    assert_int_equal(s, CN_CALL_PARKED);
    /* A retry that comes due while its partition is handed back parks. */
    s = WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_CALL_STARTED, CN_EV_ANSWER, CN_EV_RETRY_WAIT,
             CN_EV_RETRY_DUE, CN_EV_MAY_NOT_START);
    assert_int_equal(s, CN_CALL_PARKED);
    assert_false(cn_call_busy(s));
    assert_true(cn_call_step(&s, CN_EV_ABANDON));
    assert_int_equal(s, CN_CALL_FINAL);
}

static void test_reply_refused_after_the_function_succeeded(void **state)
{
    enum cn_call_state s;
    (void)state;

    s = WALK(CN_CALL_NEW, CN_EV_LANE_HELD, CN_EV_CALL_STARTED, CN_EV_ANSWER, CN_EV_PUBLISH,
             CN_EV_PUBLISH_FAILED);
    /* The outcome is decided again: a dead letter with the reason... */
    assert_int_equal(s, CN_CALL_DECIDING);
    assert_int_equal(WALK(s, CN_EV_PUBLISH, CN_EV_ACKED), CN_CALL_FINAL);
    /* ...or, with no error topic, a log line and a count. */
    assert_int_equal(WALK(s, CN_EV_DONE), CN_CALL_FINAL);
    /* A dead letter the broker refuses waits and is published again. */
    assert_int_equal(WALK(s, CN_EV_PUBLISH, CN_EV_PUBLISH_FAILED, CN_EV_REFUSED, CN_EV_RETRY_DUE,
                          CN_EV_PUBLISH, CN_EV_ACKED),
                     CN_CALL_FINAL);
    /* Refused at once (the producer's queue is full), twice. */
    assert_int_equal(WALK(s, CN_EV_REFUSED, CN_EV_RETRY_DUE, CN_EV_REFUSED, CN_EV_RETRY_DUE,
                          CN_EV_PUBLISH, CN_EV_ACKED),
                     CN_CALL_FINAL);
}

static void test_hop_limit_fails_without_a_call(void **state)
{
    (void)state;
    assert_int_equal(WALK(CN_CALL_NEW, CN_EV_HOP_LIMIT, CN_EV_PUBLISH, CN_EV_ACKED), CN_CALL_FINAL);
}

static void test_shutdown_in_every_state(void **state)
{
    (void)state;
    for (int i = 0; i < CN_CALL_NSTATES; i++) {
        enum cn_call_state s = (enum cn_call_state)i;
        bool in_flight = s == CN_CALL_CALLING || s == CN_CALL_AWAIT || s == CN_CALL_PUBLISH;
        /* The drain waits for exactly what has something out... */
        if (cn_call_busy(s) != in_flight)
            fail_msg("busy(%s) is %d", cn_call_state_name(s), cn_call_busy(s));
        /* ...and its end (or its deadline) lets go of everything else. */
        if (s == CN_CALL_FINAL) {
            assert_false(cn_call_step(&s, CN_EV_ABANDON));
        } else {
            assert_true(cn_call_step(&s, CN_EV_ABANDON));
        }
        assert_int_equal(s, CN_CALL_FINAL);
    }
}

static void test_every_state_and_event_has_a_name(void **state)
{
    (void)state;
    for (int i = 0; i < CN_CALL_NSTATES; i++)
        assert_string_not_equal(cn_call_state_name((enum cn_call_state)i), "?");
    for (int i = 0; i < CN_CALL_NEVENTS; i++)
        assert_string_not_equal(cn_call_event_name((enum cn_call_event)i), "?");
    assert_string_equal(cn_call_state_name(CN_CALL_DL_WAIT), "DL_WAIT");
    assert_string_equal(cn_call_event_name(CN_EV_ABANDON), "ABANDON");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_arrow_leads_where_the_diagram_says),
        cmocka_unit_test(test_a_sync_call_with_a_reply),
        cmocka_unit_test(test_ordering_and_max_inflight_waits),
        cmocka_unit_test(test_retries_until_a_dead_letter),
        cmocka_unit_test(test_async_call_answered_by_its_callback),
        cmocka_unit_test(test_answer_after_timeout_is_late),
        cmocka_unit_test(test_answer_late_wherever_no_call_is_out),
        cmocka_unit_test(test_rebalance_while_a_retry_waits),
        cmocka_unit_test(test_a_revoked_partition_parks_calls_about_to_start),
        cmocka_unit_test(test_reply_refused_after_the_function_succeeded),
        cmocka_unit_test(test_hop_limit_fails_without_a_call),
        cmocka_unit_test(test_shutdown_in_every_state),
        cmocka_unit_test(test_every_state_and_event_has_a_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
