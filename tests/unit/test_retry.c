/* test_retry.c -- the retry policy: annotations, retryable statuses,
 * backoff growth, cap, jitter, Retry-After. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "retry.h"

static void test_default_codes(void **state)
{
    (void)state;
    struct retry_policy p;
    retry_policy_init(&p, 3, 100, 1000);
    long yes[] = { 408, 429, 500, 502, 503, 504 };
    long no[] = { 200, 201, 400, 401, 404, 409, 501, 0, 639, 640, -1, 100000 };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(retry_status(&p, yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(retry_status(&p, no[i]));
}

static void test_annotations_override(void **state)
{
    (void)state;
    struct retry_policy p;
    char err[128];
    retry_policy_init(&p, 3, 100, 1000);
    assert_int_equal(retry_policy_set(&p, "attempts", "7", err, sizeof err), 0);
    assert_int_equal(retry_policy_set(&p, "codes", "418, 500", err, sizeof err), 0);
    assert_int_equal(retry_policy_set(&p, "min_wait", "250ms", err, sizeof err), 0);
    assert_int_equal(retry_policy_set(&p, "max_wait", "2s", err, sizeof err), 0);
    assert_int_equal(p.attempts, 7);
    assert_int_equal(p.min_wait_ms, 250);
    assert_int_equal(p.max_wait_ms, 2000);
    assert_true(retry_status(&p, 418));
    assert_true(retry_status(&p, 500));
    assert_false(retry_status(&p, 503)); /* the list replaces the defaults */
}

static void test_bad_values_leave_policy(void **state)
{
    (void)state;
    struct retry_policy p;
    char err[128] = "";
    retry_policy_init(&p, 3, 100, 1000);
    assert_int_equal(retry_policy_set(&p, "attempts", "zero", err, sizeof err), -1);
    assert_non_null(strstr(err, "from 1 to 1000"));
    assert_int_equal(retry_policy_set(&p, "attempts", "0", err, sizeof err), -1);
    assert_int_equal(retry_policy_set(&p, "codes", "5xx", err, sizeof err), -1);
    assert_int_equal(retry_policy_set(&p, "min_wait", "soon", err, sizeof err), -1);
    assert_int_equal(retry_policy_set(&p, "colour", "red", err, sizeof err), -1);
    assert_int_equal(p.attempts, 3);
    assert_int_equal(p.min_wait_ms, 100);
    assert_true(retry_status(&p, 503));
}

static void test_backoff_grows_jitters_and_caps(void **state)
{
    (void)state;
    struct retry_policy p;
    retry_policy_init(&p, 10, 100, 1000);
    for (int round = 0; round < 200; round++) {
        int64_t d1 = retry_delay_ms(&p, 1, -1);
        int64_t d3 = retry_delay_ms(&p, 3, -1);
        int64_t d9 = retry_delay_ms(&p, 9, -1);
        assert_in_range(d1, 50, 100); /* half fixed, half random */
        assert_in_range(d3, 200, 400);
        assert_in_range(d9, 500, 1000); /* capped */
    }
}

static void test_retry_after_raises_the_wait_up_to_the_cap(void **state)
{
    (void)state;
    struct retry_policy p;
    retry_policy_init(&p, 10, 100, 10000);
    assert_int_equal(retry_delay_ms(&p, 1, 5000), 5000);
    assert_in_range(retry_delay_ms(&p, 1, 10), 50, 100);
    assert_int_equal(retry_delay_ms(&p, 1, INT64_C(99999999999)), 10000);
}

static void test_backoff_exact_values(void **state)
{
    (void)state;
    struct retry_policy p;
    retry_policy_init(&p, 5, 100, 1000);
    /* Half the backoff is fixed, half chosen by unit_random. */
    assert_int_equal(retry_backoff_ms(&p, 1, -1, 0.0), 50);
    assert_int_equal(retry_backoff_ms(&p, 1, -1, 0.999), 99);
    assert_int_equal(retry_backoff_ms(&p, 2, -1, 0.0), 100);
    assert_int_equal(retry_backoff_ms(&p, 3, -1, 0.0), 200);
    assert_int_equal(retry_backoff_ms(&p, 4, -1, 0.5), 600);
    assert_int_equal(retry_backoff_ms(&p, 5, -1, 0.0), 500);
    assert_true(retry_backoff_ms(&p, 1000000, -1, 0.999) <= 1000); /* no overflow */
    retry_policy_init(&p, 5, 0, 0);
    assert_int_equal(retry_backoff_ms(&p, 3, -1, 0.9), 0);
    retry_policy_init(&p, 5, 800, 200); /* min above max: min is the floor and the cap */
    assert_int_equal(retry_backoff_ms(&p, 4, -1, 0.9), 800 / 2 + (int64_t)(400 * 0.9));
}

static void test_code_ranges_and_text(void **state)
{
    (void)state;
    struct retry_policy p;
    char err[128], text[128];
    retry_policy_init(&p, 3, 0, 0);
    assert_int_equal(retry_policy_set(&p, "codes", "429, 408,500-504,599", err, sizeof err), 0);
    assert_true(retry_status(&p, 502) && retry_status(&p, 599) && retry_status(&p, 408));
    assert_false(retry_status(&p, 505) || retry_status(&p, 499));
    retry_codes_format(&p, text, sizeof text);
    assert_string_equal(text, "408,429,500-504,599");
    const char *bad[] = { "5xx", "600", "99", "504-500", "500-", "-500", "500--600", NULL };
    for (const char **b = bad; *b; b++)
        if (retry_policy_set(&p, "codes", *b, err, sizeof err) != -1)
            fail_msg("codes \"%s\" accepted", *b);
    retry_codes_format(&p, text, sizeof text);
    assert_string_equal(text, "408,429,500-504,599"); /* unchanged by the failures */
}

static void test_retry_after_parse(void **state)
{
    (void)state;
    time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    assert_int_equal(retry_after_parse("3", now), 3000);
    assert_int_equal(retry_after_parse("0", now), 0);
    assert_int_equal(retry_after_parse("Sun, 06 Nov 1994 08:49:47 GMT", now), 10000);
    assert_int_equal(retry_after_parse("Sun, 06 Nov 1994 08:49:00 GMT", now), 0);
    assert_int_equal(retry_after_parse(NULL, now), -1);
    assert_int_equal(retry_after_parse("", now), -1);
    assert_int_equal(retry_after_parse("-5", now), -1);
    assert_int_equal(retry_after_parse("soon", now), -1);
    assert_int_equal(retry_after_parse("3s", now), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_codes),
        cmocka_unit_test(test_annotations_override),
        cmocka_unit_test(test_bad_values_leave_policy),
        cmocka_unit_test(test_backoff_grows_jitters_and_caps),
        cmocka_unit_test(test_retry_after_raises_the_wait_up_to_the_cap),
        cmocka_unit_test(test_backoff_exact_values),
        cmocka_unit_test(test_code_ranges_and_text),
        cmocka_unit_test(test_retry_after_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
