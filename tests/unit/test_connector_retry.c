/* test_connector_retry.c -- outcome classification and backoff. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../connector/retry.h"
#include "../../connector/routes.h"

static struct cn_retry policy(const char *codes, int64_t min, int64_t max)
{
    struct cn_retry rt = { .attempts = 5, .min_wait_ms = min, .max_wait_ms = max };
    char err[128];

    assert_int_equal(cn_retry_codes_parse(codes, rt.codes, err, sizeof err), 0);
    return rt;
}

static void test_verdicts(void **state)
{
    struct cn_retry rt = policy("408,429,500-599", 100, 1000);
    struct cn_invoke_result r = { .kind = CN_INVOKE_ANSWERED };
    (void)state;

    r.status = 200;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_OK);
    r.status = 204;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_OK);
    r.status = 503;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_RETRY);
    r.status = 429;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_RETRY);
    r.status = 400;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_FAIL);
    r.status = 302;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_FAIL);
    r.kind = CN_INVOKE_UNREACHABLE;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_WAIT);
    r.kind = CN_INVOKE_BROKEN;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_RETRY);
    r.kind = CN_INVOKE_TOO_LARGE;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_FAIL);
}

static void test_route_codes_replace_the_default(void **state)
{
    struct cn_retry rt = policy("502", 0, 0);
    struct cn_invoke_result r = { .kind = CN_INVOKE_ANSWERED, .status = 503 };
    (void)state;

    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_FAIL);
    r.status = 502;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_RETRY);
}

static void test_backoff_doubles_with_jitter_up_to_the_cap(void **state)
{
    struct cn_retry rt = policy("500", 100, 1000);
    (void)state;

    /* Half the backoff is fixed, half random. */
    assert_int_equal(cn_retry_delay(&rt, 1, -1, 0.0), 50);
    assert_int_equal(cn_retry_delay(&rt, 1, -1, 0.999), 99);
    assert_int_equal(cn_retry_delay(&rt, 2, -1, 0.0), 100);
    assert_int_equal(cn_retry_delay(&rt, 3, -1, 0.0), 200);
    assert_int_equal(cn_retry_delay(&rt, 4, -1, 0.5), 600);
    /* Capped, and no overflow for huge attempt counts. */
    assert_int_equal(cn_retry_delay(&rt, 5, -1, 0.0), 500);
    assert_true(cn_retry_delay(&rt, 1000, -1, 0.999) <= 1000);
    for (int a = 1; a < 40; a++) {
        int64_t d = cn_retry_delay(&rt, a, -1, 0.7);
        assert_true(d >= 50 && d <= 1000);
    }
}

static void test_retry_after_is_honoured_up_to_the_cap(void **state)
{
    struct cn_retry rt = policy("429", 100, 5000);
    (void)state;

    assert_int_equal(cn_retry_delay(&rt, 1, 2000, 0.0), 2000);
    assert_int_equal(cn_retry_delay(&rt, 1, 60000, 0.0), 5000);
    /* A shorter Retry-After does not shorten the backoff. */
    assert_int_equal(cn_retry_delay(&rt, 3, 10, 0.0), 200);
}

static void test_zero_waits(void **state)
{
    struct cn_retry rt = policy("500", 0, 0);
    (void)state;

    assert_int_equal(cn_retry_delay(&rt, 3, -1, 0.9), 0);
}

static void test_retry_after_parsing(void **state)
{
    time_t now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
    (void)state;

    assert_int_equal(cn_retry_after_ms("3", now), 3000);
    assert_int_equal(cn_retry_after_ms("0", now), 0);
    assert_int_equal(cn_retry_after_ms("Tue, 14 Nov 2023 22:13:30 GMT", now), 10000);
    assert_int_equal(cn_retry_after_ms("Tue, 14 Nov 2023 22:00:00 GMT", now), 0);
    assert_int_equal(cn_retry_after_ms("-5", now), -1);
    assert_int_equal(cn_retry_after_ms("soon", now), -1);
    assert_int_equal(cn_retry_after_ms("", now), -1);
    assert_int_equal(cn_retry_after_ms(NULL, now), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_route_codes_replace_the_default),
        cmocka_unit_test(test_backoff_doubles_with_jitter_up_to_the_cap),
        cmocka_unit_test(test_retry_after_is_honoured_up_to_the_cap),
        cmocka_unit_test(test_zero_waits),
        cmocka_unit_test(test_retry_after_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
