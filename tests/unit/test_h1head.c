/* test_h1head.c -- the request-head parser: where heads end, how they
 * split, and what is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "h1head.h"

static char buf[4096];
static struct h1field fields[8];
static struct h1head head;

/* Copies text into buf, finds its end and parses it; returns the status
 * (0 for a good head), or -1 if the end was not found. */
static int parse(const char *text)
{
    size_t len = strlen(text), scanned = 0;
    memcpy(buf, text, len);
    long end = h1head_end(buf, len, &scanned);
    if (end <= 0)
        return -1;
    head = (struct h1head){ .fields = fields, .max_fields = 8 };
    const char *why = NULL;
    int status = h1head_parse(buf, (size_t)end, &head, &why);
    if (status)
        assert_non_null(why);
    return status;
}

static void test_a_plain_head_splits_in_place(void **state)
{
    (void)state;
    assert_int_equal(parse("POST /a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n"
                           "X-Pad: \t v a l \t\r\n\r\nbody"),
                     0);
    assert_string_equal(head.method, "POST");
    assert_string_equal(head.target, "/a/b?x=1");
    assert_string_equal(head.version, "HTTP/1.1");
    assert_int_equal(head.minor, 1);
    assert_int_equal(head.nfields, 3);
    assert_string_equal(head.fields[0].name, "Host");
    assert_string_equal(head.fields[0].value, "h");
    assert_string_equal(head.fields[1].value, "");
    assert_string_equal(head.fields[2].value, "v a l");
    for (size_t i = 0; i < head.nfields; i++) { /* the lengths lookups trust */
        assert_int_equal(head.fields[i].name_len, strlen(head.fields[i].name));
        assert_int_equal(head.fields[i].value_len, strlen(head.fields[i].value));
    }
    assert_string_equal(h1head_field(&head, "x-pad"), "v a l");
    assert_null(h1head_field(&head, "X-None"));
    assert_null(h1head_field(&head, "X-Pa")); /* a prefix is not the name */
    assert_null(h1head_field(&head, "X-Padding"));
    assert_true(head.method >= buf && head.method < buf + sizeof buf);
}

static void test_http_1_0_and_leading_empty_lines(void **state)
{
    (void)state;
    assert_int_equal(parse("\r\n\r\nGET / HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(head.minor, 0);
    assert_string_equal(head.target, "/");
    assert_int_equal(head.nfields, 0);
}

static void test_the_end_is_found_across_pieces(void **state)
{
    (void)state;
    const char *text = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next";
    size_t scanned = 0, full = strlen("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    for (size_t n = 0; n < full; n++)
        assert_int_equal(h1head_end(text, n, &scanned), 0);
    assert_int_equal(h1head_end(text, strlen(text), &scanned), (long)full);
    scanned = 0;
    assert_int_equal(h1head_end("\r\n\r", 3, &scanned), 0);
}

static void test_bare_line_ends_never_end_a_head(void **state)
{
    (void)state;
    size_t scanned = 0;
    assert_int_equal(h1head_end("GET / HTTP/1.1\nHost: x\n\n", 24, &scanned), -1);
    scanned = 0;
    assert_int_equal(h1head_end("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 27, &scanned), -1);
    scanned = 0;
    assert_int_equal(h1head_end("\n", 1, &scanned), -1);
}

static void test_malformed_request_lines_are_400(void **state)
{
    (void)state;
    assert_int_equal(parse("GET  / HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(parse("GET / HTTP/1.1 \r\n\r\n"), 400);
    assert_int_equal(parse("GET /\r\n\r\n"), 400);
    assert_int_equal(parse("G(T / HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(parse("GET / http/1.1\r\n\r\n"), 400);
    assert_int_equal(parse("GET /\x7f HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(parse("\x01\x02\r\n\r\n"), 400);
}

static void test_other_versions_are_505(void **state)
{
    (void)state;
    assert_int_equal(parse("GET / HTTP/9.9\r\n\r\n"), 505);
    assert_int_equal(parse("GET / HTTP/2.0\r\n\r\n"), 505);
    assert_int_equal(parse("GET / HTTP/1.2\r\n\r\n"), 505);
}

static void test_folds_and_bad_fields_are_400(void **state)
{
    (void)state;
    assert_int_equal(parse("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), 400);
    assert_int_equal(parse("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"), 400);
    assert_int_equal(parse("GET / HTTP/1.1\r\nX : a\r\n\r\n"), 400);
    assert_int_equal(parse("GET / HTTP/1.1\r\n: a\r\n\r\n"), 400);
    assert_int_equal(parse("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
    assert_int_equal(parse("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n"), 400);
    assert_int_equal(parse("GET / HTTP/1.1\r\nX: \x7f\r\n\r\n"), 400);
    assert_int_equal(parse("GET / HTTP/1.1\r\nX: \x80\xff ok\r\n\r\n"), 0);
}

static void test_more_fields_than_fit_are_431(void **state)
{
    (void)state;
    char text[512] = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 9; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "X-%d: v\r\n", i);
    strcat(text, "\r\n");
    assert_int_equal(parse(text), 431);
}

static void test_tokens_in_lists(void **state)
{
    (void)state;
    assert_true(h1head_has_token("close", "close"));
    assert_true(h1head_has_token("keep-alive, Close", "close"));
    assert_true(h1head_has_token(" ,close ,", "close"));
    assert_false(h1head_has_token("closed", "close"));
    assert_false(h1head_has_token("", "close"));
    assert_false(h1head_has_token("not close", "close"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_plain_head_splits_in_place),
        cmocka_unit_test(test_http_1_0_and_leading_empty_lines),
        cmocka_unit_test(test_the_end_is_found_across_pieces),
        cmocka_unit_test(test_bare_line_ends_never_end_a_head),
        cmocka_unit_test(test_malformed_request_lines_are_400),
        cmocka_unit_test(test_other_versions_are_505),
        cmocka_unit_test(test_folds_and_bad_fields_are_400),
        cmocka_unit_test(test_more_fields_than_fit_are_431),
        cmocka_unit_test(test_tokens_in_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
