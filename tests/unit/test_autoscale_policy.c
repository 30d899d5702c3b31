/* test_autoscale_policy.c -- unit tests for gateway/autoscale_policy.c:
 * the com.openfaas.scale.* labels, their defaults and their refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../gateway/autoscale.h"

#define ZERO_MS 900000

static int read_labels(const char *labels_json, struct gw_scale_policy *p, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *labels = json_loads(labels_json, 0, &jerr);
    assert_non_null(labels);
    json_t *dep = json_pack("{s:s, s:o}", "service", "f", "labels", labels);
    err[0] = '\0';
    int rc = gw_scale_policy_read(dep, ZERO_MS, p, err, errlen);
    json_decref(dep);
    return rc;
}

static void refused(const char *labels_json, const char *needle)
{
    struct gw_scale_policy p;
    char err[256];
    if (read_labels(labels_json, &p, err, sizeof err) == 0)
        fail_msg("accepted: %s", labels_json);
    if (!strstr(err, needle))
        fail_msg("%s: message \"%s\" lacks \"%s\"", labels_json, err, needle);
}

static void test_defaults(void **state)
{
    (void)state;
    struct gw_scale_policy p;
    char err[256];
    assert_int_equal(read_labels("{}", &p, err, sizeof err), 0);
    assert_int_equal(p.min, 1);
    assert_int_equal(p.max, 20);
    assert_int_equal(p.factor, 20);
    assert_int_equal(p.type, GW_SCALE_CAPACITY);
    assert_true(p.target == 5);
    assert_true(p.proportion > 0.899 && p.proportion < 0.901);
    assert_false(p.zero);
    assert_int_equal(p.zero_ms, ZERO_MS);
    assert_int_equal(read_labels("{\"com.openfaas.scale.type\": \"rps\"}", &p, err, sizeof err), 0);
    assert_true(p.target == 50);
    /* cpu is read here; whether the driver measures it is the deploy's check. */
    assert_int_equal(read_labels("{\"com.openfaas.scale.type\": \"cpu\"}", &p, err, sizeof err), 0);
    assert_int_equal(p.type, GW_SCALE_CPU);
    assert_true(p.target == 500);
}

static void test_every_label_is_read(void **state)
{
    (void)state;
    struct gw_scale_policy p;
    char err[256];
    assert_int_equal(read_labels("{\"com.openfaas.scale.min\": \"0\", "
                                 "\"com.openfaas.scale.max\": \"7\", "
                                 "\"com.openfaas.scale.factor\": \"50\", "
                                 "\"com.openfaas.scale.target\": \"2.5\", "
                                 "\"com.openfaas.scale.type\": \"capacity\", "
                                 "\"com.openfaas.scale.target-proportion\": \"0.5\", "
                                 "\"com.openfaas.scale.zero\": \"true\", "
                                 "\"com.openfaas.scale.zero-duration\": \"90s\"}",
                                 &p, err, sizeof err),
                     0);
    assert_int_equal(p.min, 0);
    assert_int_equal(p.max, 7);
    assert_int_equal(p.factor, 50);
    assert_true(p.target == 2.5);
    assert_true(p.proportion == 0.5);
    assert_true(p.zero);
    assert_int_equal(p.zero_ms, 90000);
}

static void test_bad_values_are_refused_by_name(void **state)
{
    (void)state;
    refused("{\"com.openfaas.scale.min\": \"-1\"}", "com.openfaas.scale.min");
    refused("{\"com.openfaas.scale.min\": \"1.5\"}", "com.openfaas.scale.min");
    refused("{\"com.openfaas.scale.max\": \"0\"}", "com.openfaas.scale.max");
    refused("{\"com.openfaas.scale.max\": \"1001\"}", "from 1 to 1000");
    refused("{\"com.openfaas.scale.min\": \"3\", \"com.openfaas.scale.max\": \"2\"}", "above");
    refused("{\"com.openfaas.scale.factor\": \"101\"}", "com.openfaas.scale.factor");
    refused("{\"com.openfaas.scale.target\": \"\"}", "com.openfaas.scale.target");
    refused("{\"com.openfaas.scale.target\": \"nan\"}", "com.openfaas.scale.target");
    refused("{\"com.openfaas.scale.target\": \"-3\"}", "com.openfaas.scale.target");
    refused("{\"com.openfaas.scale.target-proportion\": \"0\"}", "target-proportion");
    refused("{\"com.openfaas.scale.target-proportion\": \"1.01\"}", "target-proportion");
    refused("{\"com.openfaas.scale.type\": \"memory\"}", "capacity, rps");
    refused("{\"com.openfaas.scale.zero\": \"sometimes\"}", "com.openfaas.scale.zero");
    refused("{\"com.openfaas.scale.zero-duration\": \"0s\"}", "zero-duration");
    refused("{\"com.openfaas.scale.zero-duration\": \"soon\"}", "zero-duration");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_label_is_read),
        cmocka_unit_test(test_bad_values_are_refused_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
