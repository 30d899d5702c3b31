/* test_wdutil.c -- unit tests for the watchdog's small pure helpers:
 * wd_canonical_header (watchdog/env.c) and base64_encode (lib/base64.c).
 * (wd_env_build and wd_marshal_request need a live request: not here.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../watchdog/env.h"
#include "../../watchdog/marshal.h"
#include "base64.h"

/* --- wd_canonical_header --------------------------------------------------- */

static void check_canon(const char *name, const char *want)
{
    char out[256];

    memset(out, 'Z', sizeof out);
    wd_canonical_header(name, out, sizeof out);
    if (strcmp(out, want) != 0)
        fail_msg("canonical(\"%s\") = \"%s\", expected \"%s\"", name, out, want);
}

static void canonical_basic(void **state)
{
    (void)state;
    check_canon("content-type", "Content-Type");
    check_canon("X-CALL-ID", "X-Call-Id");
    check_canon("x", "X");
    check_canon("Content-Type", "Content-Type");
    check_canon("cOnTeNt-lEnGtH", "Content-Length");
    check_canon("x-forwarded-for", "X-Forwarded-For");
    check_canon("accept", "Accept");
}

static void canonical_edges(void **state)
{
    (void)state;
    check_canon("", "");
    /* Every letter after a '-' is upper case, even after several. */
    check_canon("a--b", "A--B");
    check_canon("-a", "-A");
    check_canon("a-", "A-");
    /* Digits are kept; the letter after a digit is lower case (as Go). */
    check_canon("x-1abc", "X-1abc");
    check_canon("x-b3-traceid", "X-B3-Traceid");
    /* Only '-' starts a new word: '_' does not (as Go). */
    check_canon("accept_encoding", "Accept_encoding");
}

/* outlen bounds the write, including the NUL. */
static void canonical_truncates(void **state)
{
    char out[16];

    (void)state;
    memset(out, 'Z', sizeof out);
    wd_canonical_header("content-type", out, 4);
    assert_string_equal(out, "Con");
    assert_int_equal(out[4], 'Z'); /* nothing past outlen */

    memset(out, 'Z', sizeof out);
    wd_canonical_header("content-type", out, 1);
    assert_string_equal(out, "");
    assert_int_equal(out[1], 'Z');

    /* Exactly enough room. */
    memset(out, 'Z', sizeof out);
    wd_canonical_header("x-id", out, 5);
    assert_string_equal(out, "X-Id");
    assert_int_equal(out[5], 'Z');
}

/* --- base64_encode ------------------------------------------------------------- */

static void check_b64(const void *data, size_t len, const char *want)
{
    char *got = base64_encode(data, len);

    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("base64 of %zu bytes = \"%s\", expected \"%s\"", len, got, want);
    free(got);
}

/* RFC 4648, section 10. */
static void base64_rfc4648_vectors(void **state)
{
    (void)state;
    check_b64("", 0, "");
    check_b64("f", 1, "Zg==");
    check_b64("fo", 2, "Zm8=");
    check_b64("foo", 3, "Zm9v");
    check_b64("foob", 4, "Zm9vYg==");
    check_b64("fooba", 5, "Zm9vYmE=");
    check_b64("foobar", 6, "Zm9vYmFy");
}

static void base64_binary(void **state)
{
    static const unsigned char zero_ff[] = { 0x00, 0xff };
    static const unsigned char ffs[] = { 0xff, 0xff, 0xff };
    static const unsigned char zeros[] = { 0, 0, 0, 0 };
    static const unsigned char plus_slash[] = { 0xfb, 0xff, 0xbf };
    static const unsigned char nul_mid[] = { 'a', 0x00, 'b' };
    static const unsigned char one_ff[] = { 0xff };

    (void)state;
    check_b64(zero_ff, sizeof zero_ff, "AP8=");
    check_b64(ffs, sizeof ffs, "////");
    check_b64(zeros, sizeof zeros, "AAAAAA==");
    check_b64(plus_slash, sizeof plus_slash, "+/+/");
    /* An embedded NUL does not end the input. */
    check_b64(nul_mid, sizeof nul_mid, "YQBi");
    check_b64(one_ff, sizeof one_ff, "/w==");
}

/* An independent, bit-at-a-time encoder as the reference. */
static char *ref_base64(const unsigned char *d, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t bits = len * 8, nchars = (bits + 5) / 6, o = 0;
    char *out = malloc(nchars + 4);

    assert_non_null(out);
    for (size_t c = 0; c < nchars; c++) {
        unsigned v = 0;
        for (size_t b = 0; b < 6; b++) {
            size_t bit = c * 6 + b;
            unsigned x = 0;
            if (bit < bits)
                x = (d[bit / 8] >> (7 - bit % 8)) & 1u;
            v = v << 1 | x;
        }
        out[o++] = abc[v];
    }
    while (o % 4)
        out[o++] = '=';
    out[o] = '\0';
    return out;
}

/* Every length from 0 to 300 over all byte values: matches the
 * reference, and the length is 4 * ceil(n / 3). */
static void base64_matches_reference(void **state)
{
    unsigned char data[300];
    uint32_t s = 99;

    (void)state;
    for (size_t i = 0; i < sizeof data; i++) {
        s = s * 1103515245u + 12345u;
        data[i] = (unsigned char)(i < 256 ? i : s >> 16);
    }
    for (size_t len = 0; len <= sizeof data; len++) {
        char *want = ref_base64(data, len);
        char *got = base64_encode(data, len);
        assert_non_null(got);
        assert_int_equal(strlen(got), (len + 2) / 3 * 4);
        if (strcmp(got, want) != 0)
            fail_msg("base64 of %zu bytes:\n got %s\nwant %s", len, got, want);
        free(want);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canonical_basic),     cmocka_unit_test(canonical_edges),
        cmocka_unit_test(canonical_truncates), cmocka_unit_test(base64_rfc4648_vectors),
        cmocka_unit_test(base64_binary),       cmocka_unit_test(base64_matches_reference),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
