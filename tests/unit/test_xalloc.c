/* test_xalloc.c -- unit tests for lib/xalloc.c's string helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xalloc.h"

static void xconcat_joins_up_to_the_null(void **state)
{
    (void)state;
    char *s = xconcat("http://127.0.0.1:", "8080", "/path", "?", "a=b", NULL);
    assert_string_equal(s, "http://127.0.0.1:8080/path?a=b");
    free(s);
    s = xconcat("", "x", "", NULL);
    assert_string_equal(s, "x");
    free(s);
}

static void xconcat_of_one_or_empty_strings(void **state)
{
    (void)state;
    char *s = xconcat("alone", NULL);
    assert_string_equal(s, "alone");
    free(s);
    s = xconcat("", NULL);
    assert_string_equal(s, "");
    free(s);
}

static void xconcat_of_a_long_string(void **state)
{
    (void)state;
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char *s = xconcat(big, "-", big, NULL);
    assert_int_equal(strlen(s), 2 * (sizeof big - 1) + 1);
    assert_int_equal(s[sizeof big - 1], '-');
    assert_int_equal(s[2 * (sizeof big - 1)], 'a');
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xconcat_joins_up_to_the_null),
        cmocka_unit_test(xconcat_of_one_or_empty_strings),
        cmocka_unit_test(xconcat_of_a_long_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
