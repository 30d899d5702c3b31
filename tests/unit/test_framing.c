/* test_framing.c -- which request heads frame their body unambiguously. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "framing.h"

/* Judges a head given as name, value pairs ending in NULL. */
static int verdict(const char *name, ...)
{
    struct framing f;
    framing_init(&f);
    va_list ap;
    va_start(ap, name);
    for (const char *n = name; n; n = va_arg(ap, const char *))
        framing_add(&f, n, va_arg(ap, const char *));
    va_end(ap);
    const char *why = NULL;
    int status = framing_verdict(&f, &why);
    if (status)
        assert_non_null(why);
    return status;
}

static void test_clear_heads_pass(void **state)
{
    (void)state;
    assert_int_equal(verdict("Host", "x", NULL), 0);
    assert_int_equal(verdict("Content-Length", "0", NULL), 0);
    assert_int_equal(verdict("content-length", "12345", "X-A", "a\tb \x80", NULL), 0);
    assert_int_equal(verdict("Transfer-Encoding", "Chunked", NULL), 0);
}

static void test_two_lengths_or_both_framings_are_400(void **state)
{
    (void)state;
    assert_int_equal(verdict("Content-Length", "5", "Content-Length", "6", NULL), 400);
    assert_int_equal(verdict("Content-Length", "5, 5", NULL), 400);
    assert_int_equal(verdict("Content-Length", "5", "Content-Length", "5", NULL), 400);
    assert_int_equal(verdict("Content-Length", "5", "Transfer-Encoding", "chunked", NULL), 400);
    assert_int_equal(verdict("Transfer-Encoding", "chunked", "Content-Length", "5", NULL), 400);
    assert_int_equal(verdict("Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked", NULL),
                     400);
    assert_int_equal(verdict("Transfer-Encoding", "gzip, chunked", NULL), 400);
    assert_int_equal(verdict("Transfer-Encoding", "identity", NULL), 400);
}

static void test_lengths_are_plain_digits(void **state)
{
    (void)state;
    assert_int_equal(verdict("Content-Length", "+5", NULL), 400);
    assert_int_equal(verdict("Content-Length", "-1", NULL), 400);
    assert_int_equal(verdict("Content-Length", "", NULL), 400);
    assert_int_equal(verdict("Content-Length", "0x10", NULL), 400);
    assert_int_equal(verdict("Content-Length", "1 2", NULL), 400);
}

static void test_lengths_beyond_2_63_are_413(void **state)
{
    (void)state;
    assert_int_equal(verdict("Content-Length", "9223372036854775807", NULL), 0);
    assert_int_equal(verdict("Content-Length", "9223372036854775808", NULL), 413);
    assert_int_equal(verdict("Content-Length", "18446744073709551616", NULL), 413);
    assert_int_equal(verdict("Content-Length", "99999999999999999999999999", NULL), 413);
}

static void test_control_bytes_in_fields_are_400(void **state)
{
    (void)state;
    assert_int_equal(verdict("X-A", "one\rContent-Length: 4", NULL), 400);
    assert_int_equal(verdict("X-A", "one\ntwo", NULL), 400);
    assert_int_equal(verdict("X-A", "\x7f", NULL), 400);
    assert_int_equal(verdict("X A", "v", NULL), 400);
    assert_int_equal(verdict("X-A:", "v", NULL), 400);
    assert_int_equal(verdict("", "v", NULL), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_heads_pass),
        cmocka_unit_test(test_two_lengths_or_both_framings_are_400),
        cmocka_unit_test(test_lengths_are_plain_digits),
        cmocka_unit_test(test_lengths_beyond_2_63_are_413),
        cmocka_unit_test(test_control_bytes_in_fields_are_400),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
