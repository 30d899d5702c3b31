/* test_connector_track.c -- a partition's commit watermark. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../connector/track.h"

static void test_empty_has_no_watermark(void **state)
{
    struct track t;
    (void)state;

    track_init(&t);
    assert_int_equal(track_watermark(&t), -1);
    assert_int_equal(track_count(&t), 0);
    assert_int_equal(track_oldest_ms(&t), -1);
    track_cleanup(&t);
}

static void test_watermark_waits_for_the_first_unfinished(void **state)
{
    struct track t;
    (void)state;

    track_init(&t);
    for (int64_t o = 10; o < 15; o++)
        assert_int_equal(track_add(&t, o, 1000 + o), 0);
    assert_int_equal(track_watermark(&t), 10);
    /* Later offsets finish first: nothing may be committed yet. */
    assert_int_equal(track_done(&t, 12), 0);
    assert_int_equal(track_done(&t, 11), 0);
    assert_int_equal(track_watermark(&t), 10);
    assert_int_equal(track_oldest_ms(&t), 1010);
    assert_int_equal(track_unfinished(&t), 3);
    assert_int_equal(track_done(&t, 10), 0);
    assert_int_equal(track_watermark(&t), 13);
    assert_int_equal(track_oldest_ms(&t), 1013);
    assert_int_equal(track_done(&t, 14), 0);
    assert_int_equal(track_done(&t, 13), 0);
    /* All done: one past the last. */
    assert_int_equal(track_watermark(&t), 15);
    assert_int_equal(track_oldest_ms(&t), -1);
    assert_int_equal(track_unfinished(&t), 0);
    track_cleanup(&t);
}

static void test_gaps_in_offsets(void **state)
{
    struct track t;
    (void)state;

    track_init(&t);
    track_add(&t, 5, 0);
    track_add(&t, 9, 0); /* compacted away: 6..8 */
    track_add(&t, 20, 0);
    assert_int_equal(track_done(&t, 7), -1); /* never seen */
    track_done(&t, 5);
    assert_int_equal(track_watermark(&t), 9);
    track_done(&t, 20);
    track_done(&t, 9);
    assert_int_equal(track_watermark(&t), 21);
    track_cleanup(&t);
}

static void test_release_drops_only_what_the_commit_covers(void **state)
{
    struct track t;
    (void)state;

    track_init(&t);
    for (int64_t o = 0; o < 6; o++)
        track_add(&t, o, 0);
    track_done(&t, 0);
    track_done(&t, 1);
    track_done(&t, 3);
    /* The commit of 2 was sent; entries stay until it is acknowledged. */
    assert_int_equal(track_watermark(&t), 2);
    assert_int_equal(track_count(&t), 6);
    assert_int_equal(track_release(&t, 2), 2);
    assert_int_equal(track_count(&t), 4);
    assert_int_equal(track_watermark(&t), 2);
    /* An old acknowledgement releases nothing more. */
    assert_int_equal(track_release(&t, 1), 0);
    track_done(&t, 2);
    assert_int_equal(track_watermark(&t), 4);
    assert_int_equal(track_release(&t, 4), 2);
    assert_int_equal(track_count(&t), 2);
    track_cleanup(&t);
}

static void test_offsets_must_grow(void **state)
{
    struct track t;
    (void)state;

    track_init(&t);
    assert_int_equal(track_add(&t, 100, 0), 0);
    assert_int_equal(track_add(&t, 100, 0), -1);
    assert_int_equal(track_add(&t, 50, 0), -1);
    assert_int_equal(track_add(&t, 101, 0), 0);
    /* Still refused after everything was released. */
    track_done(&t, 100);
    track_done(&t, 101);
    assert_int_equal(track_release(&t, 102), 2);
    assert_int_equal(track_add(&t, 101, 0), -1);
    assert_int_equal(track_watermark(&t), 102);
    track_cleanup(&t);
}

static void test_ring_wraps_and_grows(void **state)
{
    struct track t;
    int64_t next = 0;
    (void)state;

    track_init(&t);
    /* Keep a sliding window so the ring wraps many times, then grow it. */
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 40; i++)
            track_add(&t, next++, 0);
        for (int64_t o = next - 40; o < next; o++)
            track_done(&t, o);
        assert_int_equal(track_watermark(&t), next);
        assert_int_equal(track_release(&t, next), 40);
    }
    for (int i = 0; i < 1000; i++)
        track_add(&t, next++, 0);
    track_done(&t, next - 1);
    assert_int_equal(track_watermark(&t), next - 1000);
    assert_int_equal(track_count(&t), 1000);
    assert_int_equal(track_unfinished(&t), 999);
    track_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_has_no_watermark),
        cmocka_unit_test(test_watermark_waits_for_the_first_unfinished),
        cmocka_unit_test(test_gaps_in_offsets),
        cmocka_unit_test(test_release_drops_only_what_the_commit_covers),
        cmocka_unit_test(test_offsets_must_grow),
        cmocka_unit_test(test_ring_wraps_and_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
