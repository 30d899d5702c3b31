/* test_gateway_letter.c -- unit tests for gateway/letter.c: a dead letter
 * as the API shows it, from a message built the way the queue worker
 * builds one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../gateway/letter.h"
#include "../../lib/base64.h"

static natsMsg *letter(const char *data, int len)
{
    natsMsg *m = NULL;
    assert_int_equal(natsMsg_Create(&m, "faas-dead-letter", NULL, data, len), NATS_OK);
    natsMsgHeader_Set(m, "Faasbus-Function", "rev.team");
    natsMsgHeader_Set(m, "Faasbus-Method", "PUT");
    natsMsgHeader_Set(m, "Faasbus-Path", "/a%20b");
    natsMsgHeader_Set(m, "Faasbus-Query", "x=1&y=2");
    natsMsgHeader_Set(m, "Faasbus-Queued-At", "1796400000123");
    natsMsgHeader_Set(m, "Faasbus-Retry-Attempts", "3");
    natsMsgHeader_Set(m, "Faasbus-Reason", "function failed after 3 attempts: status 502");
    natsMsgHeader_Set(m, "X-Function-Status", "502");
    natsMsgHeader_Set(m, "X-Attempts", "3");
    natsMsgHeader_Set(m, "Nats-Msg-Id", "rev.team/c-1");
    natsMsgHeader_Set(m, "X-Call-Id", "c-1");
    natsMsgHeader_Set(m, "Content-Type", "text/plain");
    natsMsgHeader_Add(m, "X-Tag", "a");
    natsMsgHeader_Add(m, "X-Tag", "b");
    return m;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void test_the_call_and_the_workers_verdict(void **state)
{
    (void)state;
    natsMsg *m = letter("hello", 5);
    json_t *o = gw_letter_json(m, false);
    assert_string_equal(str(o, "function"), "rev.team");
    assert_string_equal(str(o, "method"), "PUT");
    assert_string_equal(str(o, "path"), "/a%20b"); /* as sent: a replay sends it back */
    assert_string_equal(str(o, "query"), "x=1&y=2");
    assert_string_equal(str(o, "reason"), "function failed after 3 attempts: status 502");
    assert_int_equal(json_integer_value(json_object_get(o, "status")), 502);
    assert_int_equal(json_integer_value(json_object_get(o, "attempts")), 3);
    assert_string_equal(str(o, "call_id"), "c-1");
    assert_string_equal(str(o, "queued_at"), "2026-12-04T16:00:00.123Z");
    assert_true(json_is_null(json_object_get(o, "callback_url")));
    assert_int_equal(json_integer_value(json_object_get(o, "size")), 5);
    assert_string_equal(str(o, "preview"), "hello");
    assert_true(json_is_false(json_object_get(o, "truncated")));
    assert_null(json_object_get(o, "body"));
    json_decref(o);
    natsMsg_Destroy(m);
}

static void test_headers_are_the_callers_only(void **state)
{
    (void)state;
    natsMsg *m = letter("", 0);
    json_t *o = gw_letter_json(m, false);
    json_t *h = json_object_get(o, "headers");
    assert_int_equal(json_object_size(h), 3);
    assert_string_equal(str(h, "X-Call-Id"), "c-1");
    assert_string_equal(str(h, "Content-Type"), "text/plain");
    assert_string_equal(str(h, "X-Tag"), "a, b");
    /* An empty path and query read as "", not as missing. */
    natsMsgHeader_Delete(m, "Faasbus-Path");
    natsMsgHeader_Delete(m, "Faasbus-Query");
    json_decref(o);
    o = gw_letter_json(m, false);
    assert_string_equal(str(o, "path"), "");
    assert_string_equal(str(o, "query"), "");
    json_decref(o);
    natsMsg_Destroy(m);
}

static void test_previews_cut_at_a_character(void **state)
{
    (void)state;
    /* 255 ASCII bytes then "é" (2 bytes): byte 256 falls inside it. */
    char text[300];
    memset(text, 'a', 255);
    snprintf(text + 255, sizeof text - 255, "\xc3\xa9tail");
    natsMsg *m = letter(text, 261);
    json_t *o = gw_letter_json(m, false);
    assert_int_equal(strlen(str(o, "preview")), 255);
    assert_true(json_is_true(json_object_get(o, "truncated")));
    json_decref(o);
    natsMsg_Destroy(m);
    /* Not text: no preview, the size all the same. */
    m = letter("\xff\xfe\x00\x01", 4);
    o = gw_letter_json(m, false);
    assert_true(json_is_null(json_object_get(o, "preview")));
    assert_int_equal(json_integer_value(json_object_get(o, "size")), 4);
    json_decref(o);
    natsMsg_Destroy(m);
}

static void test_whole_letters_carry_the_exact_body(void **state)
{
    (void)state;
    unsigned char bytes[1000];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 7);
    natsMsg *m = letter((const char *)bytes, sizeof bytes);
    json_t *o = gw_letter_json(m, true);
    const char *b64 = str(o, "body");
    size_t len = 0, bad = 0;
    unsigned char *back = base64_decode(b64, strlen(b64), &len, &bad);
    assert_non_null(back);
    assert_int_equal(len, sizeof bytes);
    assert_memory_equal(back, bytes, sizeof bytes);
    assert_null(json_object_get(o, "preview"));
    free(back);
    json_decref(o);
    natsMsg_Destroy(m);
}

static void test_missing_or_bad_numbers_are_null(void **state)
{
    (void)state;
    natsMsg *m = letter("x", 1);
    natsMsgHeader_Set(m, "X-Function-Status", "soon");
    natsMsgHeader_Delete(m, "X-Attempts");
    natsMsgHeader_Set(m, "Faasbus-Queued-At", "yesterday");
    json_t *o = gw_letter_json(m, false);
    assert_true(json_is_null(json_object_get(o, "status")));
    assert_true(json_is_null(json_object_get(o, "attempts")));
    assert_true(json_is_null(json_object_get(o, "queued_at")));
    json_decref(o);
    natsMsg_Destroy(m);
}

static void test_the_cache_keeps_entries_by_sequence(void **state)
{
    (void)state;
    struct gw_letter_cache *c = gw_letter_cache_new();
    gw_letter_cache_epoch(c, 111);
    json_t *a = json_string("a"), *b = json_string("b"), *z = json_string("z");
    assert_null(gw_letter_cache_get(c, 5));
    assert_null(gw_letter_cache_get(c, 0));
    gw_letter_cache_put(c, 5, a);
    assert_ptr_equal(gw_letter_cache_get(c, 5), a);
    /* Another sequence on the same slot takes it. */
    gw_letter_cache_put(c, 5 + 1024, b);
    assert_null(gw_letter_cache_get(c, 5));
    assert_ptr_equal(gw_letter_cache_get(c, 5 + 1024), b);
    /* The same epoch keeps them; a new one forgets them all. */
    gw_letter_cache_put(c, 7, z);
    gw_letter_cache_epoch(c, 111);
    assert_ptr_equal(gw_letter_cache_get(c, 7), z);
    gw_letter_cache_epoch(c, 222);
    assert_null(gw_letter_cache_get(c, 7));
    assert_null(gw_letter_cache_get(c, 5 + 1024));
    json_decref(a);
    json_decref(b);
    json_decref(z);
    gw_letter_cache_free(c);
}

/* Messages are freed through cnats' collector, which needs the library
 * open. */
static int setup(void **state)
{
    (void)state;
    return nats_Open(-1) == NATS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_call_and_the_workers_verdict),
        cmocka_unit_test(test_headers_are_the_callers_only),
        cmocka_unit_test(test_previews_cut_at_a_character),
        cmocka_unit_test(test_whole_letters_carry_the_exact_body),
        cmocka_unit_test(test_missing_or_bad_numbers_are_null),
        cmocka_unit_test(test_the_cache_keeps_entries_by_sequence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
