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

/* Decodes all of in, fed in pieces of `piece` bytes; returns the last
 * result and appends the body to out. *rest gets the bytes after the end. */
static enum h1chunk_result decode(const char *in, size_t len, size_t piece, char *out,
                                  size_t *outlen, size_t *rest)
{
    struct h1chunk c;
    h1chunk_init(&c);
    *outlen = 0;
    size_t pos = 0;
    enum h1chunk_result res = H1C_MORE;
    while (pos < len) {
        size_t n = len - pos < piece ? len - pos : piece;
        size_t done = 0;
        while (done < n) {
            size_t used, off, dlen;
            res = h1chunk_next(&c, in + pos + done, n - done, &used, &off, &dlen);
            if (res == H1C_DATA) {
                memcpy(out + *outlen, in + pos + done + off, dlen);
                *outlen += dlen;
            }
            done += used;
            if (res == H1C_END || res == H1C_ERROR) {
                *rest = len - pos - done;
                return res;
            }
        }
        pos += n;
    }
    *rest = 0;
    return res;
}

static void chunked_body_in_any_pieces(void **state)
{
    (void)state;
    const char *in = "5;ext=1\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\n"
                     "Trailer: x\r\n\r\nNEXT";
    for (size_t piece = 1; piece <= strlen(in); piece++) {
        char out[64];
        size_t outlen, rest;
        assert_int_equal(decode(in, strlen(in), piece, out, &outlen, &rest), H1C_END);
        assert_int_equal(outlen, 31);
        assert_memory_equal(out, "hello abcdefghijklmnopqrstuvwxy", 31);
        assert_int_equal(rest, 4);
    }
}

static void chunked_bare_lf_and_empty(void **state)
{
    (void)state;
    char out[16];
    size_t outlen, rest;
    assert_int_equal(decode("3\nabc\n0\n\n", 10, 100, out, &outlen, &rest), H1C_END);
    assert_int_equal(outlen, 3);
    assert_int_equal(decode("0\r\n\r\n", 5, 100, out, &outlen, &rest), H1C_END);
    assert_int_equal(outlen, 0);
    assert_int_equal(decode("0\r\n", 3, 100, out, &outlen, &rest), H1C_MORE);
}

static void chunked_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "x\r\n", "\r\n", "3\r\nabcX", "3\r\nabc\rX", "5;\x01\r\n", "3\rX",
        "1000000000000000000\r\n", "0\r\n\x01", "0\r\n\rX",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char out[16];
        size_t outlen, rest;
        if (decode(bad[i], strlen(bad[i]), 100, out, &outlen, &rest) != H1C_ERROR)
            fail_msg("accepted chunked: %zu", i);
    }
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
        cmocka_unit_test(chunked_body_in_any_pieces),
        cmocka_unit_test(chunked_bare_lf_and_empty),
        cmocka_unit_test(chunked_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
