/* test_idletrim.c -- lib/idletrim.c on a real loop: it asks every interval,
 * trims an idle daemon once per burst of work, and never a busy one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "idletrim.h"
#include "loop.h"

struct daemon {
    int asked;
    bool idle;
    uint64_t work;
    int stop_after; /* asks */
    struct loop *lp;
};

static bool is_idle(void *arg, uint64_t *work)
{
    struct daemon *d = arg;

    d->asked++;
    *work = d->work;
    if (d->asked >= d->stop_after)
        loop_stop(d->lp);
    return d->idle;
}

static void give_up(struct loop *lp, void *arg)
{
    (void)arg;
    loop_stop(lp);
}

static void run(struct daemon *d, struct idletrim *t, int asks)
{
    struct loop_timer *safety = loop_timer_add(d->lp, 2000, give_up, NULL);

    d->stop_after = d->asked + asks;
    loop_run(d->lp);
    loop_timer_cancel(d->lp, safety);
    assert_int_equal(d->asked, d->stop_after);
    (void)t;
}

static void test_an_idle_daemon_is_trimmed_once_per_burst(void **state)
{
    struct daemon d = { .idle = true, .work = 0, .lp = loop_new() };
    struct idletrim t;
    (void)state;

    idletrim_start(&t, d.lp, 5, is_idle, &d);
    /* No work yet: nothing to give back. */
    run(&d, &t, 2);
    assert_int_equal(t.trimmed_at, 0);
    /* A burst, then quiet: trimmed at that count. */
    d.work = 40;
    run(&d, &t, 1);
    assert_int_equal(t.trimmed_at, 40);
    run(&d, &t, 2);
    assert_int_equal(t.trimmed_at, 40);
    idletrim_stop(&t);
    loop_free(d.lp);
}

static void test_a_busy_daemon_is_left_alone(void **state)
{
    struct daemon d = { .idle = false, .work = 7, .lp = loop_new() };
    struct idletrim t;
    (void)state;

    idletrim_start(&t, d.lp, 5, is_idle, &d);
    run(&d, &t, 3);
    assert_int_equal(t.trimmed_at, 0);
    /* Once it is idle, the work done while busy is trimmed. */
    d.idle = true;
    run(&d, &t, 1);
    assert_int_equal(t.trimmed_at, 7);
    idletrim_stop(&t);
    idletrim_stop(&t); /* twice is harmless */
    loop_free(d.lp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_idle_daemon_is_trimmed_once_per_burst),
        cmocka_unit_test(test_a_busy_daemon_is_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
