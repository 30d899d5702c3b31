/* test_rkqloop.c -- lib/rkqloop.c with a real librdkafka handle: delivery
 * reports arriving on the main queue wake the loop, and a serve that uses
 * its whole budget is called again on the next turn without a wake-up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <string.h>

#include "loop.h"
#include "rkqloop.h"

#define RECORDS 5

struct owner {
    rd_kafka_t *rk;
    struct loop *lp;
    int serves;
    int reports;
    int budget; /* events a serve may take */
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct owner *o = opaque;
    (void)rk;

    /* No broker answers: every record times out, which is a report too. */
    assert_int_not_equal(m->err, RD_KAFKA_RESP_ERR_NO_ERROR);
    if (++o->reports == RECORDS)
        loop_stop(o->lp);
}

static bool serve(void *arg)
{
    struct owner *o = arg;
    int n = 0;

    o->serves++;
    while (n < o->budget && rd_kafka_poll(o->rk, 0) > 0)
        n++;
    return n == o->budget;
}

static void give_up(struct loop *lp, void *arg)
{
    bool *timed_out = arg;

    *timed_out = true;
    loop_stop(lp);
}

static rd_kafka_t *producer(struct owner *o)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[256];

    /* Nothing listens there: records fail after message.timeout.ms. */
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof err),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "message.timeout.ms", "50", err, sizeof err),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_conf_set_opaque(conf, o);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(rk);
    return rk;
}

static void deliver(int budget)
{
    struct owner o = { .lp = loop_new(), .budget = budget };
    struct rkqloop w;
    bool timed_out = false;
    char err[256];

    o.rk = producer(&o);
    rd_kafka_queue_t *q = rd_kafka_queue_get_main(o.rk);
    assert_int_equal(rkqloop_start(&w, o.lp, q, serve, &o, err, sizeof err), 0);
    char value[] = "x";
    for (int i = 0; i < RECORDS; i++)
        assert_int_equal(rd_kafka_producev(o.rk, RD_KAFKA_V_TOPIC("t"), RD_KAFKA_V_VALUE(value, 1),
                                           RD_KAFKA_V_END),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
    struct loop_timer *safety = loop_timer_add(o.lp, 5000, give_up, &timed_out);
    loop_run(o.lp);
    assert_false(timed_out);
    assert_int_equal(o.reports, RECORDS);
    /* The first serve comes without a wake-up, the rest from one. */
    assert_true(o.serves >= 2);
    loop_timer_cancel(o.lp, safety);
    rkqloop_stop(&w);
    rkqloop_stop(&w); /* twice is harmless */
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(o.rk);
    loop_free(o.lp);
}

static void test_reports_wake_the_loop(void **state)
{
    (void)state;
    deliver(1000);
}

static void test_a_spent_budget_serves_again_next_turn(void **state)
{
    (void)state;
    /* One event a serve: the five reports, if they come together, need
     * turns without a wake-up each. */
    deliver(1);
}

static void test_stop_of_a_zeroed_struct_is_harmless(void **state)
{
    struct rkqloop w;
    (void)state;

    memset(&w, 0, sizeof w);
    rkqloop_stop(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reports_wake_the_loop),
        cmocka_unit_test(test_a_spent_budget_serves_again_next_turn),
        cmocka_unit_test(test_stop_of_a_zeroed_struct_is_harmless),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
