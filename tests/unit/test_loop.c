/* test_loop.c -- unit tests for lib/loop.c (epoll loop, timers, hooks).
 *
 * Every test arms a safety timer that stops the loop after about a
 * second, so a bug cannot hang the suite, and asserts that it was not
 * the safety timer that ended the run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"

#define SAFETY_MS 1000

struct ctx {
    struct loop *lp;
    struct loop_timer *safety;
    bool timed_out;
    int order[16];
    int norder;
    int64_t fired_at[16];
    int calls;
    int fd_calls;
    unsigned last_events;
    int rfd, wfd;
    int prepare_calls;
    int prepare_at_stop;
    struct loop_timer *victim;
};

static void safety_fired(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    c->timed_out = true;
    c->safety = NULL;
    loop_stop(lp);
}

static void ctx_init(struct ctx *c)
{
    memset(c, 0, sizeof *c);
    c->rfd = c->wfd = -1;
    c->lp = loop_new();
    assert_non_null(c->lp);
    c->safety = loop_timer_add(c->lp, SAFETY_MS, safety_fired, c);
    assert_non_null(c->safety);
}

/* Runs the loop and checks it ended by loop_stop from the test, not by
 * the safety timer. */
static void ctx_run(struct ctx *c)
{
    loop_run(c->lp);
    if (c->timed_out)
        fail_msg("loop ran into the %d ms safety timer", SAFETY_MS);
}

static void ctx_done(struct ctx *c)
{
    if (c->safety)
        loop_timer_cancel(c->lp, c->safety);
    loop_free(c->lp);
    if (c->rfd >= 0)
        close(c->rfd);
    if (c->wfd >= 0)
        close(c->wfd);
}

/* --- timers ------------------------------------------------------------- */

struct tag {
    struct ctx *c;
    int id;
    int stop_after; /* stop the loop when this many timers have fired */
};

static void record(struct loop *lp, void *arg)
{
    struct tag *t = arg;
    struct ctx *c = t->c;
    if (c->norder < 16) {
        c->fired_at[c->norder] = loop_now_ms();
        c->order[c->norder] = t->id;
    }
    c->norder++;
    if (t->stop_after && c->norder >= t->stop_after)
        loop_stop(lp);
}

static void timers_fire_in_due_order(void **state)
{
    struct ctx c;
    struct tag t30, t10, t20;
    int64_t start;

    (void)state;
    ctx_init(&c);
    t30 = (struct tag){ &c, 30, 3 };
    t10 = (struct tag){ &c, 10, 3 };
    t20 = (struct tag){ &c, 20, 3 };
    start = loop_now_ms();
    assert_non_null(loop_timer_add(c.lp, 30, record, &t30));
    assert_non_null(loop_timer_add(c.lp, 10, record, &t10));
    assert_non_null(loop_timer_add(c.lp, 20, record, &t20));
    ctx_run(&c);
    assert_int_equal(c.norder, 3);
    assert_int_equal(c.order[0], 10);
    assert_int_equal(c.order[1], 20);
    assert_int_equal(c.order[2], 30);
    /* None fired early. */
    assert_true(c.fired_at[0] - start >= 10);
    assert_true(c.fired_at[1] - start >= 20);
    assert_true(c.fired_at[2] - start >= 30);
    ctx_done(&c);
}

/* More timers than the heap's first allocation, added in scrambled
 * order, some cancelled: the rest fire sorted by due time. */
static void many_timers_sorted(void **state)
{
    enum { N = 40 };
    struct ctx c;
    struct tag tags[N];
    struct loop_timer *tm[N];

    (void)state;
    ctx_init(&c);
    for (int i = 0; i < N; i++) {
        int id = (i * 17) % N; /* a permutation of 0..N-1 */
        tags[i] = (struct tag){ &c, id, 0 };
        tm[i] = loop_timer_add(c.lp, 5 + id * 3, record, &tags[i]);
    }
    /* Cancel the ones with an id divisible by 5. */
    for (int i = 0; i < N; i++)
        if (tags[i].id % 5 == 0)
            loop_timer_cancel(c.lp, tm[i]);
    /* The last one remaining (id N-1) stops the loop. */
    for (int i = 0; i < N; i++)
        if (tags[i].id == N - 1)
            tags[i].stop_after = N - N / 5;
    ctx_run(&c);
    assert_int_equal(c.norder, N - N / 5);
    /* order[] holds only the first 16: check those are ascending and
     * skip the cancelled ids. */
    for (int i = 0; i < 16; i++) {
        assert_true(c.order[i] % 5 != 0);
        if (i > 0)
            assert_true(c.order[i] > c.order[i - 1]);
    }
    assert_int_equal(c.order[0], 1);
    ctx_done(&c);
}

static void cancelled_timer_never_fires(void **state)
{
    struct ctx c;
    struct tag cancelled, keep;
    struct loop_timer *t;

    (void)state;
    ctx_init(&c);
    cancelled = (struct tag){ &c, 1, 0 };
    keep = (struct tag){ &c, 2, 0 };
    t = loop_timer_add(c.lp, 10, record, &cancelled);
    assert_non_null(t);
    /* The later timer stops the loop well after the cancelled one was
     * due, so a cancelled timer that still fired would be recorded. */
    keep.stop_after = 1;
    assert_non_null(loop_timer_add(c.lp, 60, record, &keep));
    loop_timer_cancel(c.lp, t);
    ctx_run(&c);
    assert_int_equal(c.norder, 1);
    assert_int_equal(c.order[0], 2);
    ctx_done(&c);
}

static void canceller(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    c->calls++;
    loop_timer_cancel(lp, c->victim);
    c->victim = NULL;
}

static void stop_timer(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    c->calls += 100;
    loop_stop(lp);
}

/* A timer callback cancels another timer that is already due in the same
 * run of the timer heap: it must not fire. */
static void cancel_other_timer_from_callback(void **state)
{
    struct ctx c;
    struct tag victim;

    (void)state;
    ctx_init(&c);
    victim = (struct tag){ &c, 99, 0 };
    /* Both due by the time the loop first wakes; the canceller is
     * earlier, so it runs first and removes the victim. */
    assert_non_null(loop_timer_add(c.lp, 5, canceller, &c));
    c.victim = loop_timer_add(c.lp, 6, record, &victim);
    usleep(20 * 1000);
    assert_non_null(loop_timer_add(c.lp, 50, stop_timer, &c));
    ctx_run(&c);
    assert_int_equal(c.calls, 101);
    assert_int_equal(c.norder, 0);
    ctx_done(&c);
}

struct chain {
    struct ctx *c;
    int step;
    int64_t added_at;
    int64_t fired_at;
};

static void chained(struct loop *lp, void *arg);

static void first_of_chain(struct loop *lp, void *arg)
{
    struct chain *ch = arg;
    ch->step = 1;
    ch->added_at = loop_now_ms();
    assert_non_null(loop_timer_add(lp, 20, chained, ch));
}

static void chained(struct loop *lp, void *arg)
{
    struct chain *ch = arg;
    ch->step = 2;
    ch->fired_at = loop_now_ms();
    loop_stop(lp);
}

static void timer_added_from_callback(void **state)
{
    struct ctx c;
    struct chain ch = { 0 };

    (void)state;
    ctx_init(&c);
    ch.c = &c;
    assert_non_null(loop_timer_add(c.lp, 10, first_of_chain, &ch));
    ctx_run(&c);
    assert_int_equal(ch.step, 2);
    assert_true(ch.fired_at - ch.added_at >= 20);
    ctx_done(&c);
}

/* A zero-delay timer added from a callback fires too (on this turn or
 * the next), and does not starve the loop. */
static void zero_delay_timer_from_callback(void **state)
{
    struct ctx c;
    struct chain ch = { 0 };

    (void)state;
    ctx_init(&c);
    ch.c = &c;
    assert_non_null(loop_timer_add(c.lp, 0, first_of_chain, &ch));
    ctx_run(&c);
    assert_int_equal(ch.step, 2);
    ctx_done(&c);
}

/* --- descriptors -------------------------------------------------------- */

static void on_readable(struct loop *lp, int fd, unsigned events, void *arg)
{
    struct ctx *c = arg;
    char b[64];
    ssize_t n;

    c->fd_calls++;
    c->last_events = events;
    assert_int_equal(fd, c->rfd);
    n = read(fd, b, sizeof b);
    assert_true(n > 0);
    c->calls += (int)n;
    loop_stop(lp);
}

static void write_later(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    (void)lp;
    assert_int_equal(write(c->wfd, "abc", 3), 3);
}

static void make_pipe(struct ctx *c)
{
    int p[2];
    assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    c->rfd = p[0];
    c->wfd = p[1];
}

static void watch_pipe_fires_on_data(void **state)
{
    struct ctx c;

    (void)state;
    ctx_init(&c);
    make_pipe(&c);
    assert_int_equal(loop_watch(c.lp, c.rfd, LOOP_READ, on_readable, &c), 0);
    /* The write happens from inside the loop, 20 ms in: the watcher must
     * not fire before there is data. */
    assert_non_null(loop_timer_add(c.lp, 20, write_later, &c));
    ctx_run(&c);
    assert_int_equal(c.fd_calls, 1);
    assert_true(c.last_events & LOOP_READ);
    assert_int_equal(c.calls, 3);
    ctx_done(&c);
}

static void on_writable(struct loop *lp, int fd, unsigned events, void *arg)
{
    struct ctx *c = arg;
    c->fd_calls++;
    c->last_events = events;
    assert_int_equal(fd, c->wfd);
    loop_stop(lp);
}

static void watch_write_end_is_writable(void **state)
{
    struct ctx c;

    (void)state;
    ctx_init(&c);
    make_pipe(&c);
    assert_int_equal(loop_watch(c.lp, c.wfd, LOOP_WRITE, on_writable, &c), 0);
    ctx_run(&c);
    assert_int_equal(c.fd_calls, 1);
    assert_true(c.last_events & LOOP_WRITE);
    ctx_done(&c);
}

/* Never reads: the data stays, so a level-triggered watch would fire on
 * every iteration. The first call unwatches; there must be no second. */
static void unwatch_in_callback(struct loop *lp, int fd, unsigned events, void *arg)
{
    struct ctx *c = arg;
    (void)events;
    c->fd_calls++;
    loop_unwatch(lp, fd);
}

static void stop_cb(struct loop *lp, void *arg)
{
    (void)arg;
    loop_stop(lp);
}

static void unwatch_from_callback_stops_calls(void **state)
{
    struct ctx c;

    (void)state;
    ctx_init(&c);
    make_pipe(&c);
    assert_int_equal(write(c.wfd, "x", 1), 1);
    assert_int_equal(loop_watch(c.lp, c.rfd, LOOP_READ, unwatch_in_callback, &c), 0);
    assert_non_null(loop_timer_add(c.lp, 100, stop_cb, &c));
    ctx_run(&c);
    assert_int_equal(c.fd_calls, 1);

    /* Watching again after an unwatch works (and fires: data is still
     * there). */
    assert_int_equal(loop_watch(c.lp, c.rfd, LOOP_READ, unwatch_in_callback, &c), 0);
    assert_non_null(loop_timer_add(c.lp, 50, stop_cb, &c));
    ctx_run(&c);
    assert_int_equal(c.fd_calls, 2);
    ctx_done(&c);
}

/* Without the unwatch, the same setup calls the callback repeatedly
 * (level-triggered), so the test above really tests the unwatch. */
static void count_only(struct loop *lp, int fd, unsigned events, void *arg)
{
    struct ctx *c = arg;
    (void)lp;
    (void)fd;
    (void)events;
    c->fd_calls++;
}

static void watch_is_level_triggered(void **state)
{
    struct ctx c;

    (void)state;
    ctx_init(&c);
    make_pipe(&c);
    assert_int_equal(write(c.wfd, "x", 1), 1);
    assert_int_equal(loop_watch(c.lp, c.rfd, LOOP_READ, count_only, &c), 0);
    assert_non_null(loop_timer_add(c.lp, 30, stop_cb, &c));
    ctx_run(&c);
    assert_true(c.fd_calls > 1);
    loop_unwatch(c.lp, c.rfd);
    ctx_done(&c);
}

/* One callback unwatches another fd that is ready in the same batch: the
 * other callback must not run. Both pipes are ready before the loop
 * starts, so epoll reports them together. */
struct pair {
    struct ctx *c;
    int fds[2];
    int calls[2];
};

static void unwatch_other(struct loop *lp, int fd, unsigned events, void *arg)
{
    struct pair *p = arg;
    int me = fd == p->fds[0] ? 0 : 1;
    (void)events;
    p->calls[me]++;
    loop_unwatch(lp, p->fds[0]);
    loop_unwatch(lp, p->fds[1]);
}

static void unwatch_other_fd_in_same_batch(void **state)
{
    struct ctx c;
    struct pair p = { 0 };
    int a[2], b[2];

    (void)state;
    ctx_init(&c);
    assert_int_equal(pipe2(a, O_NONBLOCK | O_CLOEXEC), 0);
    assert_int_equal(pipe2(b, O_NONBLOCK | O_CLOEXEC), 0);
    p.c = &c;
    p.fds[0] = a[0];
    p.fds[1] = b[0];
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "y", 1), 1);
    assert_int_equal(loop_watch(c.lp, a[0], LOOP_READ, unwatch_other, &p), 0);
    assert_int_equal(loop_watch(c.lp, b[0], LOOP_READ, unwatch_other, &p), 0);
    assert_non_null(loop_timer_add(c.lp, 50, stop_cb, &c));
    ctx_run(&c);
    assert_int_equal(p.calls[0] + p.calls[1], 1);
    ctx_done(&c);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

/* A closed write end is reported to the reader (hang-up as READ). */
static void on_hup(struct loop *lp, int fd, unsigned events, void *arg)
{
    struct ctx *c = arg;
    char b[8];
    c->fd_calls++;
    c->last_events = events;
    assert_int_equal(read(fd, b, sizeof b), 0); /* EOF */
    loop_unwatch(lp, fd);
    loop_stop(lp);
}

static void hangup_reported_as_read(void **state)
{
    struct ctx c;

    (void)state;
    ctx_init(&c);
    make_pipe(&c);
    assert_int_equal(loop_watch(c.lp, c.rfd, LOOP_READ, on_hup, &c), 0);
    close(c.wfd);
    c.wfd = -1;
    ctx_run(&c);
    assert_int_equal(c.fd_calls, 1);
    assert_true(c.last_events & LOOP_READ);
    ctx_done(&c);
}

static void watch_bad_fd_fails(void **state)
{
    struct ctx c;
    int p[2];

    (void)state;
    ctx_init(&c);
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    close(p[1]);
    /* p[0] is closed now: epoll_ctl fails with EBADF. */
    assert_int_equal(loop_watch(c.lp, p[0], LOOP_READ, count_only, &c), -1);
    /* Unwatching something never watched is harmless. */
    loop_unwatch(c.lp, p[0]);
    loop_unwatch(c.lp, 100000);
    loop_unwatch(c.lp, -1);
    ctx_done(&c);
}

/* --- prepare hooks and stop --------------------------------------------- */

static int64_t spin_prepare(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    c->prepare_calls++;
    if (c->prepare_calls == 50) {
        c->prepare_at_stop = c->prepare_calls;
        loop_stop(lp);
    }
    return 0; /* do not wait: spin */
}

static void prepare_zero_spins_loop(void **state)
{
    struct ctx c;
    int64_t start, took;

    (void)state;
    ctx_init(&c);
    loop_add_prepare(c.lp, spin_prepare, &c);
    start = loop_now_ms();
    ctx_run(&c);
    took = loop_now_ms() - start;
    /* Called once per iteration: 50 iterations, each without waiting
     * (the only timer is the 1 s safety timer), and the stop requested
     * inside the 50th ends the loop there. */
    assert_int_equal(c.prepare_calls, 50);
    assert_true(took < 500);
    loop_remove_prepare(c.lp, spin_prepare, &c);
    ctx_done(&c);
}

static int64_t counting_prepare(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    (void)lp;
    c->prepare_calls++;
    return -1; /* no limit */
}

static void tick(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    c->calls++;
    if (c->calls == 5) {
        c->prepare_at_stop = c->prepare_calls;
        loop_stop(lp);
    } else {
        assert_non_null(loop_timer_add(lp, 5, tick, c));
    }
}

/* A hook returning -1 does not stop the loop from sleeping (timers still
 * decide) and is called before every wait; after removal it is not
 * called any more. */
static void prepare_called_each_iteration(void **state)
{
    struct ctx c;

    (void)state;
    ctx_init(&c);
    loop_add_prepare(c.lp, counting_prepare, &c);
    assert_non_null(loop_timer_add(c.lp, 5, tick, &c));
    ctx_run(&c);
    assert_int_equal(c.calls, 5);
    /* At least one wait per tick; not a busy spin (which would be
     * hundreds of calls for 25 ms). */
    assert_true(c.prepare_at_stop >= 5);
    assert_true(c.prepare_at_stop < 200);

    loop_remove_prepare(c.lp, counting_prepare, &c);
    c.calls = 0;
    c.prepare_calls = 0;
    assert_non_null(loop_timer_add(c.lp, 5, tick, &c));
    ctx_run(&c);
    assert_int_equal(c.calls, 5);
    assert_int_equal(c.prepare_calls, 0);
    ctx_done(&c);
}

/* A hook's limit shortens the wait even with no timer due soon: the
 * loop wakes (and calls the hook) about every 10 ms. */
static int64_t limit_prepare(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    c->prepare_calls++;
    if (c->prepare_calls == 10)
        loop_stop(lp);
    return 10;
}

static void prepare_limit_wakes_loop(void **state)
{
    struct ctx c;
    int64_t start, took;

    (void)state;
    ctx_init(&c);
    loop_add_prepare(c.lp, limit_prepare, &c);
    start = loop_now_ms();
    ctx_run(&c);
    took = loop_now_ms() - start;
    assert_int_equal(c.prepare_calls, 10);
    /* Nine waits of ~10 ms; well below the 1 s safety timer. */
    assert_true(took >= 80);
    assert_true(took < 800);
    ctx_done(&c);
}

static void loop_stop_ends_run(void **state)
{
    struct ctx c;
    int64_t start;

    (void)state;
    ctx_init(&c);
    assert_non_null(loop_timer_add(c.lp, 10, stop_cb, &c));
    start = loop_now_ms();
    ctx_run(&c);
    assert_true(loop_now_ms() - start < 500);
    /* The loop can be run again after a stop. */
    assert_non_null(loop_timer_add(c.lp, 10, stop_cb, &c));
    ctx_run(&c);
    ctx_done(&c);
}

static int64_t stop_from_prepare(struct loop *lp, void *arg)
{
    (void)arg;
    loop_stop(lp);
    return -1; /* "no limit": the loop must still not wait */
}

/* A prepare hook that stops the loop (a drain that just finished) ends
 * the run at once, not after the next event or the 60 s idle wait. */
static void stop_from_prepare_does_not_wait(void **state)
{
    (void)state;
    struct loop *lp = loop_new();
    loop_add_prepare(lp, stop_from_prepare, NULL);
    int64_t start = loop_now_ms();
    loop_run(lp);
    assert_true(loop_now_ms() - start < 5000);
    loop_free(lp);
}

static void now_is_monotonic(void **state)
{
    int64_t a = loop_now_ms();
    double as = loop_now_s();
    int64_t b;
    double bs;

    (void)state;
    usleep(20 * 1000);
    b = loop_now_ms();
    bs = loop_now_s();
    assert_true(b - a >= 20);
    assert_true(b - a < 1000);
    assert_true(bs - as >= 0.019);
    /* Both clocks agree (same monotonic source). */
    assert_true(bs * 1000 - (double)b > -2 && bs * 1000 - (double)b < 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timers_fire_in_due_order),
        cmocka_unit_test(many_timers_sorted),
        cmocka_unit_test(cancelled_timer_never_fires),
        cmocka_unit_test(cancel_other_timer_from_callback),
        cmocka_unit_test(timer_added_from_callback),
        cmocka_unit_test(zero_delay_timer_from_callback),
        cmocka_unit_test(watch_pipe_fires_on_data),
        cmocka_unit_test(watch_write_end_is_writable),
        cmocka_unit_test(unwatch_from_callback_stops_calls),
        cmocka_unit_test(watch_is_level_triggered),
        cmocka_unit_test(unwatch_other_fd_in_same_batch),
        cmocka_unit_test(hangup_reported_as_read),
        cmocka_unit_test(watch_bad_fd_fails),
        cmocka_unit_test(prepare_zero_spins_loop),
        cmocka_unit_test(prepare_called_each_iteration),
        cmocka_unit_test(prepare_limit_wakes_loop),
        cmocka_unit_test(loop_stop_ends_run),
        cmocka_unit_test(stop_from_prepare_does_not_wait),
        cmocka_unit_test(now_is_monotonic),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
