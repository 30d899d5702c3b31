/* test_decimal.c -- lib/decimal.c against snprintf's %lld. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "decimal.h"

static void same_as_printf(int64_t v)
{
    char want[32], got[DECIMAL_I64_SIZE + 1];

    memset(got, 'x', sizeof got);
    snprintf(want, sizeof want, "%lld", (long long)v);
    assert_int_equal(decimal_i64(got, v), strlen(want));
    assert_string_equal(got, want);
    assert_int_equal(got[DECIMAL_I64_SIZE], 'x'); /* nothing past the size */
}

static void test_the_edges(void **state)
{
    (void)state;
    same_as_printf(0);
    same_as_printf(7);
    same_as_printf(-7);
    same_as_printf(10);
    same_as_printf(-10);
    same_as_printf(INT64_MAX);
    same_as_printf(INT64_MIN);
    same_as_printf(INT64_MIN + 1);
    same_as_printf(INT32_MAX);
    same_as_printf((int64_t)INT32_MIN - 1);
}

static void test_every_length(void **state)
{
    (void)state;
    /* 9, 99, 999... and the powers of ten after them, both signs. */
    for (int64_t p = 1; p <= INT64_MAX / 10; p *= 10) {
        same_as_printf(p * 10 - 1);
        same_as_printf(p * 10);
        same_as_printf(-(p * 10 - 1));
        same_as_printf(-(p * 10));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_edges),
        cmocka_unit_test(test_every_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
