/* test_connector_encode.c -- what travels as an HTTP header, call ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../connector/encode.h"

static bool ok(const char *s)
{
    return cn_http_value_ok((const unsigned char *)s, strlen(s));
}

static void test_text_values_travel_as_they_are(void **state)
{
    (void)state;
    assert_true(ok(""));
    assert_true(ok("order-42"));
    assert_true(ok("with inner spaces"));
    assert_true(ok("gr\xc3\xbc\xc3\x9f dich \xe2\x82\xac \xf0\x9f\x98\x80"));
}

static void test_other_bytes_need_base64(void **state)
{
    (void)state;
    assert_false(cn_http_value_ok((const unsigned char *)"a\0b", 3));
    assert_false(ok("line\r\nbreak"));
    assert_false(ok("tab\there"));
    assert_false(ok("\x7f"));
    assert_false(ok(" leading"));
    assert_false(ok("trailing "));
    assert_false(ok("\xff\xfe"));         /* not UTF-8 */
    assert_false(ok("\xc0\xaf"));         /* overlong */
    assert_false(ok("\xed\xa0\x80"));     /* a surrogate */
    assert_false(ok("\xf4\x90\x80\x80")); /* past U+10FFFF */
    assert_false(ok("\xe2\x82"));         /* cut short */
}

static void test_header_names(void **state)
{
    (void)state;
    assert_true(cn_http_name_ok("trace-id"));
    assert_true(cn_http_name_ok("X_Custom.1"));
    assert_false(cn_http_name_ok(""));
    assert_false(cn_http_name_ok("has space"));
    assert_false(cn_http_name_ok("colon:"));
    assert_false(cn_http_name_ok("caf\xc3\xa9"));
}

static void test_call_ids_are_stable(void **state)
{
    char *a = cn_call_id("kafka", "orders", 3, 1042);
    char *b = cn_call_id("kafka", "orders", 3, 1042);
    (void)state;

    assert_string_equal(a, "kafka-orders-3-1042");
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_hops(void **state)
{
    (void)state;
    assert_int_equal(cn_hops_parse((const unsigned char *)"3", 1), 3);
    assert_int_equal(cn_hops_parse((const unsigned char *)"12", 2), 12);
    assert_int_equal(cn_hops_parse((const unsigned char *)"x", 1), 0);
    assert_int_equal(cn_hops_parse((const unsigned char *)"-1", 2), 0);
    assert_int_equal(cn_hops_parse(NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_values_travel_as_they_are),
        cmocka_unit_test(test_other_bytes_need_base64),
        cmocka_unit_test(test_header_names),
        cmocka_unit_test(test_call_ids_are_stable),
        cmocka_unit_test(test_hops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
