/* test_decimal.c -- lib/decimal.c against snprintf's %lld and %llu. */
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

/* decimal_micros(us) reads as printf's "%.6f" of us / 1e6, exactly:
 * the division by ten there is exact for these. */
static void micros_as_printf(int64_t us)
{
    char want[64], got[DECIMAL_MICROS_SIZE];
    uint64_t n = us < 0 ? 0 - (uint64_t)us : (uint64_t)us;
    snprintf(want, sizeof want, "%s%llu.%06llu", us < 0 ? "-" : "",
             (unsigned long long)(n / 1000000), (unsigned long long)(n % 1000000));
    size_t len = decimal_micros(got, us);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
}

static void test_micros(void **state)
{
    (void)state;
    char out[DECIMAL_MICROS_SIZE];
    decimal_micros(out, 1250);
    assert_string_equal(out, "0.001250");
    decimal_micros(out, 0);
    assert_string_equal(out, "0.000000");
    decimal_micros(out, 3000000);
    assert_string_equal(out, "3.000000");
    micros_as_printf(999999);
    micros_as_printf(1000001);
    micros_as_printf(-1);
    micros_as_printf(INT64_MAX);
    micros_as_printf(INT64_MIN);
    for (int64_t p = 1; p <= INT64_MAX / 10; p *= 10)
        micros_as_printf(p * 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_edges),
        cmocka_unit_test(test_every_length),
        cmocka_unit_test(test_micros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
