/* test_offload.c -- blocking work on helper threads, finished on the
 * loop thread; posts from foreign threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "loop.h"
#include "offload.h"

struct item {
    pthread_t worked_on;
    pthread_t done_on;
    bool worked, done;
    int *finished;
    struct loop *lp;
    int stop_at;
    int index; /* >= 0: must finish in this position */
};

static void work(void *arg)
{
    struct item *it = arg;
    usleep(2000); /* a blocking call */
    it->worked_on = pthread_self();
    it->worked = true;
}

static void done(void *arg)
{
    struct item *it = arg;
    assert_true(it->worked); /* work is over before done runs */
    it->done_on = pthread_self();
    it->done = true;
    if (it->index >= 0)
        assert_int_equal(*it->finished, it->index);
    if (++*it->finished == it->stop_at)
        loop_stop(it->lp);
}

static void test_work_off_loop_done_on_loop(void **state)
{
    (void)state;
    struct loop *lp = loop_new();
    struct offload *ol = offload_new(lp, 3);
    assert_non_null(ol);
    enum { N = 20 };
    struct item items[N] = { 0 };
    int finished = 0;
    for (int i = 0; i < N; i++) {
        items[i] = (struct item){ .finished = &finished, .lp = lp, .stop_at = N, .index = -1 };
        offload_run(ol, work, done, &items[i]);
    }
    assert_int_equal(offload_pending(ol), N);
    loop_run(lp);
    assert_int_equal(finished, N);
    assert_int_equal(offload_pending(ol), 0);
    for (int i = 0; i < N; i++) {
        assert_true(pthread_equal(items[i].done_on, pthread_self()));
        assert_false(pthread_equal(items[i].worked_on, pthread_self()));
    }
    offload_free(ol);
    loop_free(lp);
}

struct poster {
    struct offload *ol;
    struct item *items;
    int n;
};

static void *post_from_thread(void *arg)
{
    struct poster *p = arg;
    for (int i = 0; i < p->n; i++) {
        p->items[i].worked = true;
        offload_post(p->ol, done, &p->items[i]);
    }
    return NULL;
}

static void test_posts_run_on_loop_in_order(void **state)
{
    (void)state;
    struct loop *lp = loop_new();
    struct offload *ol = offload_new(lp, 0);
    enum { N = 500 };
    static struct item items[N];
    int finished = 0;
    for (int i = 0; i < N; i++)
        items[i] = (struct item){ .finished = &finished, .lp = lp, .stop_at = N, .index = i };
    struct poster p = { ol, items, N };
    pthread_t t;
    pthread_create(&t, NULL, post_from_thread, &p);
    loop_run(lp);
    pthread_join(t, NULL);
    assert_int_equal(finished, N);
    assert_int_equal(offload_pending(ol), 0); /* posts are not pending work */
    offload_free(ol);
    loop_free(lp);
}

static void test_free_finishes_queued_work(void **state)
{
    (void)state;
    struct loop *lp = loop_new();
    struct offload *ol = offload_new(lp, 1);
    struct item items[5] = { 0 };
    int finished = 0;
    for (int i = 0; i < 5; i++) {
        items[i] = (struct item){ .finished = &finished, .lp = lp, .stop_at = 99, .index = i };
        offload_run(ol, work, done, &items[i]);
    }
    offload_free(ol); /* never ran the loop: free still completes all */
    assert_int_equal(finished, 5);
    loop_free(lp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_off_loop_done_on_loop),
        cmocka_unit_test(test_posts_run_on_loop_in_order),
        cmocka_unit_test(test_free_finishes_queued_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
