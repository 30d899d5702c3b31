/* test_h1chunk.c -- the chunked-body decoder, fed whole and byte by byte,
 * with a consumer that takes less than offered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "h1chunk.h"

/* Decodes `in` handing it over in pieces of at most `step` bytes to a
 * consumer that takes at most `take` at once. Returns the body length
 * written to out, or -1 on a framing error; *rest gets the bytes after
 * the body's end. */
static long decode(const char *in, size_t len, size_t step, size_t take, char *out, size_t *rest)
{
    struct h1chunk c;
    h1chunk_init(&c);
    size_t pos = 0, avail_end = 0, n = 0;
    const char *why = NULL;
    while (!h1chunk_done(&c)) {
        if (pos == avail_end) {
            if (avail_end == len)
                return -2; /* ran out before the end */
            avail_end = avail_end + step < len ? avail_end + step : len;
        }
        long k = h1chunk_skip(&c, in + pos, avail_end - pos, &why);
        if (k < 0) {
            assert_non_null(why);
            return -1;
        }
        pos += (size_t)k;
        size_t data = avail_end - pos;
        if (data > h1chunk_data(&c))
            data = (size_t)h1chunk_data(&c);
        if (data > take)
            data = take;
        memcpy(out + n, in + pos, data);
        n += data;
        pos += data;
        h1chunk_took(&c, data);
    }
    *rest = len - pos;
    return (long)n;
}

static void check(const char *in, const char *body, size_t rest_want)
{
    char out[256];
    size_t len = strlen(in);
    for (size_t step = 1; step <= len; step++)
        for (size_t take = 1; take <= 8; take++) {
            size_t rest = 99;
            long n = decode(in, len, step, take, out, &rest);
            assert_int_equal(n, (long)strlen(body));
            assert_memory_equal(out, body, strlen(body));
            assert_int_equal(rest, rest_want);
        }
}

static void test_chunks_decode_in_any_pieces(void **state)
{
    (void)state;
    check("5\r\nhello\r\n0\r\n\r\n", "hello", 0);
    check("3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\nGET", "abc0123456789", 3);
    check("0\r\n\r\n", "", 0);
    check("00000002\r\nhi\r\n0\r\n\r\n", "hi", 0);
}

static void test_extensions_and_trailers_are_skipped(void **state)
{
    (void)state;
    check("2;name=value\r\nhi\r\n0 ; last\r\n\r\n", "hi", 0);
    check("2\r\nhi\r\n0\r\nX-Trailer: v\r\nY: w\r\n\r\n", "hi", 0);
}

static void expect_error(const char *in)
{
    char out[256];
    size_t rest;
    assert_int_equal(decode(in, strlen(in), strlen(in), 256, out, &rest), -1);
}

static void test_bad_framing_is_refused(void **state)
{
    (void)state;
    expect_error("zz\r\nhello\r\n0\r\n\r\n");
    expect_error("\r\n");
    expect_error("5\nhello\r\n0\r\n\r\n");
    expect_error("5\r\nhelloX\r\n0\r\n\r\n");
    expect_error("5x\r\nhello\r\n0\r\n\r\n");
    expect_error("-5\r\nhello\r\n0\r\n\r\n");
    expect_error("2\r\nhi\r\n0\r\nX: a\rb\r\n\r\n");
    expect_error("2\r\nhi\r\n0\r\n\n");
}

static void test_sizes_beyond_2_63_are_refused(void **state)
{
    (void)state;
    expect_error("1ffffffffffffffff5\r\nhello\r\n0\r\n\r\n");
    expect_error("8000000000000000\r\n");
    struct h1chunk c;
    h1chunk_init(&c);
    const char *why;
    assert_int_equal(h1chunk_skip(&c, "7fffffffffffffff\r\n", 18, &why), 18);
    assert_true(h1chunk_data(&c) == INT64_MAX);
}

static void test_unending_trailers_are_bounded(void **state)
{
    (void)state;
    struct h1chunk c;
    h1chunk_init(&c);
    const char *why;
    assert_int_equal(h1chunk_skip(&c, "0\r\n", 3, &why), 3);
    char line[1024];
    memset(line, 'a', sizeof line - 2);
    memcpy(line + sizeof line - 2, "\r\n", 2);
    long k = 0;
    for (int i = 0; i < 64 && k >= 0; i++)
        k = h1chunk_skip(&c, line, sizeof line, &why);
    assert_int_equal(k, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_decode_in_any_pieces),
        cmocka_unit_test(test_extensions_and_trailers_are_skipped),
        cmocka_unit_test(test_bad_framing_is_refused),
        cmocka_unit_test(test_sizes_beyond_2_63_are_refused),
        cmocka_unit_test(test_unending_trailers_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
