/* test_buf.c -- unit tests for lib/buf.c (bounded FIFO byte buffer). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* The unread content must be exactly want[0..n). */
static void assert_content(const struct buf *b, const void *want, size_t n)
{
    assert_int_equal(b->len, n);
    if (n)
        assert_memory_equal(buf_peek(b), want, n);
}

/* Small deterministic generator, so a failure can be reproduced. */
static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void init_is_empty(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 100);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 100);
    assert_int_equal(buf_space(&b), 100);
    buf_cleanup(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void append_up_to_max_then_fails(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "abcd", 4), 0);
    assert_int_equal(buf_space(&b), 6);
    assert_int_equal(buf_append(&b, "efghij", 6), 0);
    assert_int_equal(buf_space(&b), 0);
    assert_content(&b, "abcdefghij", 10);

    /* Full: even one byte is refused, and nothing changes. */
    assert_int_equal(buf_append(&b, "k", 1), -1);
    assert_content(&b, "abcdefghij", 10);
    assert_int_equal(buf_space(&b), 0);

    /* An empty append always fits. */
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_content(&b, "abcdefghij", 10);
    buf_cleanup(&b);
}

static void append_too_big_changes_nothing(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 8);
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    /* 3 + 6 > 8: refused whole, not partially appended. */
    assert_int_equal(buf_append(&b, "defghi", 6), -1);
    assert_content(&b, "abc", 3);
    assert_int_equal(buf_space(&b), 5);
    /* Exactly the remaining room fits. */
    assert_int_equal(buf_append(&b, "defgh", 5), 0);
    assert_content(&b, "abcdefgh", 8);
    buf_cleanup(&b);

    /* A single append larger than max into an empty buffer. */
    buf_init(&b, 4);
    assert_int_equal(buf_append(&b, "12345", 5), -1);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_space(&b), 4);
    buf_cleanup(&b);
}

static void consume_and_take(void **state)
{
    struct buf b;
    char out[16];

    (void)state;
    buf_init(&b, 64);
    assert_int_equal(buf_append(&b, "hello world", 11), 0);

    buf_consume(&b, 6);
    assert_content(&b, "world", 5);
    /* Consumed bytes free up room. */
    assert_int_equal(buf_space(&b), 64 - 5);

    memset(out, 0, sizeof out);
    assert_int_equal(buf_take(&b, out, 3), 3);
    assert_memory_equal(out, "wor", 3);
    assert_content(&b, "ld", 2);

    /* Taking more than is there returns what there is. */
    memset(out, 'x', sizeof out);
    assert_int_equal(buf_take(&b, out, sizeof out), 2);
    assert_memory_equal(out, "ld", 2);
    assert_int_equal(out[2], 'x'); /* nothing written past the count */
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_space(&b), 64);

    /* Empty: take returns 0. */
    assert_int_equal(buf_take(&b, out, sizeof out), 0);

    /* Consuming more than there is empties the buffer. */
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    buf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_space(&b), 64);
    assert_int_equal(buf_append(&b, "xyz", 3), 0);
    assert_content(&b, "xyz", 3);
    buf_cleanup(&b);
}

/* After consuming, the freed room can be filled again up to max, and the
 * order of the unread bytes survives the compaction that requires. */
static void refill_after_consume_keeps_order(void **state)
{
    struct buf b;
    char full[32];

    (void)state;
    buf_init(&b, 32);
    for (int i = 0; i < 32; i++)
        full[i] = (char)('A' + i % 26);
    assert_int_equal(buf_append(&b, full, 32), 0);
    buf_consume(&b, 20);
    assert_content(&b, full + 20, 12);
    assert_int_equal(buf_append(&b, "0123456789abcdefghij", 20), 0);
    assert_int_equal(b.len, 32);
    assert_memory_equal(buf_peek(&b), full + 20, 12);
    assert_memory_equal(buf_peek(&b) + 12, "0123456789abcdefghij", 20);
    assert_int_equal(buf_append(&b, "!", 1), -1);
    buf_cleanup(&b);
}

/* Many append/take cycles of random sizes against a reference stream:
 * every byte taken must be the next byte of the stream. */
static void many_cycles_match_reference(void **state)
{
    enum { MAX = 10000, TOTAL = 3 * 1000 * 1000 };
    unsigned char *ref = malloc(TOTAL);
    unsigned char *out = malloc(MAX);
    size_t written = 0, readpos = 0;
    uint32_t seed = 12345;
    struct buf b;

    (void)state;
    assert_non_null(ref);
    assert_non_null(out);
    for (size_t i = 0; i < TOTAL; i++)
        ref[i] = (unsigned char)(rnd(&seed) ^ (i >> 8));

    buf_init(&b, MAX);
    while (readpos < TOTAL) {
        size_t n = rnd(&seed) % 3000;
        if (n > TOTAL - written)
            n = TOTAL - written;
        size_t before = b.len;
        if (n <= buf_space(&b)) {
            assert_int_equal(buf_append(&b, ref + written, n), 0);
            written += n;
        } else {
            assert_int_equal(buf_append(&b, ref + written, n), -1);
            assert_int_equal(b.len, before);
        }
        assert_true(b.len <= MAX);
        assert_int_equal(b.len, written - readpos);

        size_t want = rnd(&seed) % 3000;
        if (rnd(&seed) & 1) {
            size_t got = buf_take(&b, out, want);
            assert_int_equal(got, want < written - readpos ? want : written - readpos);
            assert_memory_equal(out, ref + readpos, got);
            readpos += got;
        } else {
            size_t c = want < b.len ? want : b.len;
            if (c)
                assert_memory_equal(buf_peek(&b), ref + readpos, c);
            buf_consume(&b, want);
            readpos += c;
        }
        assert_int_equal(b.len, written - readpos);
        if (b.len)
            assert_int_equal(*(const unsigned char *)buf_peek(&b), ref[readpos]);
        if (written == TOTAL && b.len == 0)
            break;
    }
    assert_int_equal(readpos, TOTAL);
    assert_int_equal(written, TOTAL);
    /* Memory never grew past max (+1 for buf_cstr's NUL). */
    assert_true(b.cap <= MAX + 1);
    buf_cleanup(&b);
    free(ref);
    free(out);
}

static void cstr_terminates(void **state)
{
    struct buf b;
    char *s;

    (void)state;
    buf_init(&b, 64);
    s = buf_cstr(&b);
    assert_non_null(s);
    assert_string_equal(s, "");

    assert_int_equal(buf_append(&b, "key=value", 9), 0);
    s = buf_cstr(&b);
    assert_non_null(s);
    assert_string_equal(s, "key=value");
    assert_int_equal(b.len, 9); /* the NUL is not counted */

    buf_consume(&b, 4);
    s = buf_cstr(&b);
    assert_non_null(s);
    assert_string_equal(s, "value");
    assert_int_equal(b.len, 5);

    /* Appending after buf_cstr overwrites the NUL, not the content. */
    assert_int_equal(buf_append(&b, "!!", 2), 0);
    s = buf_cstr(&b);
    assert_string_equal(s, "value!!");
    buf_cleanup(&b);
}

/* Exactly max bytes held: there is still room for the NUL. Checked for
 * several max values, including ones at and around the growth steps. */
static void cstr_at_exactly_max(void **state)
{
    static const size_t maxes[] = { 1, 7, 4095, 4096, 4097, 8192, 8193, 10000 };

    (void)state;
    for (size_t k = 0; k < sizeof maxes / sizeof maxes[0]; k++) {
        size_t max = maxes[k];
        char *want = malloc(max + 1);
        struct buf b;
        char *s;

        assert_non_null(want);
        for (size_t i = 0; i < max; i++)
            want[i] = (char)('a' + i % 26);
        want[max] = '\0';

        /* Filled in one append. */
        buf_init(&b, max);
        assert_int_equal(buf_append(&b, want, max), 0);
        assert_int_equal(buf_space(&b), 0);
        s = buf_cstr(&b);
        if (!s)
            fail_msg("buf_cstr returned NULL at exactly max=%zu", max);
        assert_int_equal(strlen(s), max);
        assert_string_equal(s, want);
        assert_int_equal(b.len, max);
        buf_cleanup(&b);

        /* Filled byte by byte, after a consume moved the head. */
        buf_init(&b, max);
        assert_int_equal(buf_append(&b, "#", 1), 0);
        buf_consume(&b, 1);
        for (size_t i = 0; i < max; i++)
            assert_int_equal(buf_append(&b, want + i, 1), 0);
        assert_int_equal(buf_append(&b, "z", 1), -1);
        s = buf_cstr(&b);
        if (!s)
            fail_msg("buf_cstr returned NULL at max=%zu after consume", max);
        assert_string_equal(s, want);
        buf_cleanup(&b);

        /* Head in the middle of the storage, content at max. */
        if (max >= 4) {
            buf_init(&b, max);
            assert_int_equal(buf_append(&b, want, max), 0);
            buf_consume(&b, max / 2);
            assert_int_equal(buf_append(&b, want, max / 2), 0);
            assert_int_equal(b.len, max);
            s = buf_cstr(&b);
            assert_non_null(s);
            assert_int_equal(strlen(s), max);
            assert_memory_equal(s, want + max / 2, max - max / 2);
            assert_memory_equal(s + (max - max / 2), want, max / 2);
            buf_cleanup(&b);
        }
        free(want);
    }
}

static void zero_max(void **state)
{
    struct buf b;
    char *s;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_space(&b), 0);
    assert_int_equal(buf_append(&b, "a", 1), -1);
    assert_int_equal(buf_append(&b, "", 0), 0);
    s = buf_cstr(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_is_empty),
        cmocka_unit_test(append_up_to_max_then_fails),
        cmocka_unit_test(append_too_big_changes_nothing),
        cmocka_unit_test(consume_and_take),
        cmocka_unit_test(refill_after_consume_keeps_order),
        cmocka_unit_test(many_cycles_match_reference),
        cmocka_unit_test(cstr_terminates),
        cmocka_unit_test(cstr_at_exactly_max),
        cmocka_unit_test(zero_max),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
