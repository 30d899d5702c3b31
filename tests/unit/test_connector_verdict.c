/* test_connector_verdict.c -- what a call's outcome means for a record
 * (the backoff itself is lib/retry's, tested in test_retry.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../connector/verdict.h"
#include "../../connector/routes.h"

static struct retry_policy policy(const char *codes, int64_t min, int64_t max)
{
    struct retry_policy rt;
    char err[128];

    retry_policy_init(&rt, 5, min, max);
    assert_int_equal(retry_policy_set(&rt, "codes", codes, err, sizeof err), 0);
    return rt;
}

static void test_verdicts(void **state)
{
    struct retry_policy rt = policy("408,429,500-599", 100, 1000);
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
    struct retry_policy rt = policy("502", 0, 0);
    struct cn_invoke_result r = { .kind = CN_INVOKE_ANSWERED, .status = 503 };
    (void)state;

    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_FAIL);
    r.status = 502;
    assert_int_equal(cn_retry_verdict(&rt, &r), CN_VERDICT_RETRY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_route_codes_replace_the_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
