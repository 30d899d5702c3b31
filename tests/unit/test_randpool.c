/* test_randpool.c -- unit tests for lib/randpool.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "randpool.h"

/* 8 random bytes are all zero once in 2^64 draws; a pool handed out
 * unfilled, or twice, shows as zeros or as repeats. */
static void draws_are_filled_and_differ(void **state)
{
    (void)state;
    uint64_t seen[200] = { 0 };
    for (size_t i = 0; i < 200; i++) { /* 1,600 bytes: three refills */
        rand_bytes(&seen[i], sizeof seen[i]);
        assert_true(seen[i] != 0);
        for (size_t j = 0; j < i; j++)
            assert_true(seen[i] != seen[j]);
    }
}

static void a_draw_larger_than_the_pool_is_filled_to_the_end(void **state)
{
    (void)state;
    unsigned char big[2000];
    memset(big, 0, sizeof big);
    rand_bytes(big, sizeof big);
    /* Each 8-byte word has a non-zero byte, the last ones too. */
    for (size_t i = 0; i + 8 <= sizeof big; i += 8) {
        uint64_t w;
        memcpy(&w, big + i, sizeof w);
        assert_true(w != 0);
    }
}

static void draws_of_odd_sizes_cross_a_refill(void **state)
{
    (void)state;
    unsigned char prev[7] = { 0 }, cur[7];
    for (int i = 0; i < 300; i++) { /* 2,100 bytes, not a multiple of the pool */
        rand_bytes(cur, sizeof cur);
        assert_memory_not_equal(prev, cur, sizeof cur);
        memcpy(prev, cur, sizeof cur);
    }
    rand_bytes(cur, 0); /* nothing asked, nothing written */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(draws_are_filled_and_differ),
        cmocka_unit_test(a_draw_larger_than_the_pool_is_filled_to_the_end),
        cmocka_unit_test(draws_of_odd_sizes_cross_a_refill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
