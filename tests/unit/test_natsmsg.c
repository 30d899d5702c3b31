/* test_natsmsg.c -- lib/natsmsg.c against the linked cnats: it finds the
 * collector's own free (else every NATS event pays two context switches
 * again, silently), and freeing in place takes every part of a message
 * (headers, payload), once: the sanitized and valgrind runs see leaks
 * and double frees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "natsmsg.h"

static void test_the_collectors_free_is_found(void **state)
{
    (void)state;
    assert_true(natsmsg_in_place());
}

static void test_a_message_with_headers_is_freed_whole(void **state)
{
    (void)state;
    /* The collector thread runs once the library is open, as in a daemon. */
    assert_int_equal(nats_Open(-1), NATS_OK);
    for (int i = 0; i < 100; i++) {
        natsMsg *msg = NULL;
        assert_int_equal(natsMsg_Create(&msg, "in.subject", "reply.to", "payload", 7), NATS_OK);
        assert_int_equal(natsMsgHeader_Set(msg, "X-Key", "k"), NATS_OK);
        assert_int_equal(natsMsgHeader_Add(msg, "X-Multi", "one"), NATS_OK);
        assert_int_equal(natsMsgHeader_Add(msg, "X-Multi", "two"), NATS_OK);
        const char *v = NULL;
        assert_int_equal(natsMsgHeader_Get(msg, "X-Key", &v), NATS_OK);
        assert_string_equal(v, "k");
        natsmsg_free(msg);
    }
    natsmsg_free(NULL);
    nats_CloseAndWait(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_collectors_free_is_found),
        cmocka_unit_test(test_a_message_with_headers_is_freed_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
