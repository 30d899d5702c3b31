/* test_h1resp.c -- unit tests for lib/h1resp.c (response heads, chunked
 * bodies). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1resp.h"

static ssize_t parse(struct h1resp *r, const char *s)
{
    return h1resp_parse(r, s, strlen(s));
}

static void head_with_length(void **state)
{
    (void)state;
    struct h1resp r;
    const char *s = "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\n"
                    "Content-Length:  5 \r\nX-A:\r\n\r\nhello";
    assert_int_equal(parse(&r, s), (ssize_t)(strlen(s) - 5));
    assert_int_equal(r.status, 201);
    assert_int_equal(r.minor, 1);
    assert_int_equal(r.content_length, 5);
    assert_false(r.chunked);
    assert_false(r.close);
    assert_int_equal(r.nheaders, 3);
    assert_true(h1_name_is(r.headers[0].name, r.headers[0].name_len, "content-type"));
    assert_int_equal(r.headers[0].value_len, 10);
    assert_memory_equal(r.headers[0].value, "text/plain", 10);
    assert_int_equal(r.headers[1].value_len, 1); /* blanks trimmed */
    assert_int_equal(r.headers[2].value_len, 0);
}

static void head_needs_more_at_every_cut(void **state)
{
    (void)state;
    struct h1resp r;
    const char *s = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
    for (size_t n = 0; n < strlen(s); n++)
        assert_int_equal(h1resp_parse(&r, s, n), 0);
    assert_int_equal(parse(&r, s), (ssize_t)strlen(s));
}

static void bare_lf_and_no_reason(void **state)
{
    (void)state;
    struct h1resp r;
    assert_int_equal(parse(&r, "HTTP/1.1 204\nA: b\n\n"), 19);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.nheaders, 1);
}

static void chunked_and_close(void **state)
{
    (void)state;
    struct h1resp r;
    assert_true(parse(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n") > 0);
    assert_true(r.chunked);
    assert_false(r.until_close);
    assert_int_equal(r.content_length, -1);
    assert_true(parse(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") > 0);
    assert_false(r.chunked);
    assert_true(r.until_close);
    assert_true(r.close);
    assert_true(parse(&r, "HTTP/1.1 200 OK\r\nConnection: foo, close\r\n\r\n") > 0);
    assert_true(r.close);
}

static void length_and_chunked_means_chunked_then_close(void **state)
{
    (void)state;
    struct h1resp r;
    assert_true(parse(&r, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n") > 0);
    assert_true(r.chunked);
    assert_int_equal(r.content_length, -1);
    assert_true(r.close);
}

static void http10_closes_unless_keep_alive(void **state)
{
    (void)state;
    struct h1resp r;
    assert_true(parse(&r, "HTTP/1.0 200 OK\r\n\r\n") > 0);
    assert_true(r.close);
    assert_int_equal(r.minor, 0);
    assert_true(parse(&r, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n") > 0);
    assert_false(r.close);
}

static void same_length_twice_is_fine(void **state)
{
    (void)state;
    struct h1resp r;
    assert_true(parse(&r, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n") > 0);
    assert_int_equal(r.content_length, 7);
}

static void malformed_heads_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nSpace : before colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
    };
    struct h1resp r;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (parse(&r, bad[i]) != -1)
            fail_msg("accepted: %s", bad[i]);
    }
    const char nul[] = "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n";
    assert_int_equal(h1resp_parse(&r, nul, sizeof nul - 1), -1);
}

static void too_many_headers_are_refused(void **state)
{
    (void)state;
    char head[4096];
    size_t n = (size_t)snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i <= H1_MAX_HEADERS; i++)
        n += (size_t)snprintf(head + n, sizeof head - n, "H%d: v\r\n", i);
    n += (size_t)snprintf(head + n, sizeof head - n, "\r\n");
    struct h1resp r;
    assert_int_equal(h1resp_parse(&r, head, n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(head_with_length),
        cmocka_unit_test(head_needs_more_at_every_cut),
        cmocka_unit_test(bare_lf_and_no_reason),
        cmocka_unit_test(chunked_and_close),
        cmocka_unit_test(length_and_chunked_means_chunked_then_close),
        cmocka_unit_test(http10_closes_unless_keep_alive),
        cmocka_unit_test(same_length_twice_is_fine),
        cmocka_unit_test(malformed_heads_are_refused),
        cmocka_unit_test(too_many_headers_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
