/* test_connector_callsign.c -- signatures of async call ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../connector/callsign.h"

/* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?". */
static const char
    *const JEFE_SIG = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

static const char *sig_of(const char *url)
{
    const char *p = strstr(url, "sig=");

    return p ? p + 4 : "";
}

static void test_url_carries_the_hmac_of_the_call_id(void **state)
{
    struct cn_callsign s;
    char err[128];
    char *url;
    (void)state;

    assert_int_equal(cn_callsign_init(&s, "Jefe", err, sizeof err), 0);
    assert_false(s.generated);
    url = cn_callsign_url(&s, "http://h:1/callback", "what do ya want for nothing?");
    assert_string_equal(sig_of(url), JEFE_SIG);
    assert_non_null(strstr(url, "/callback?sig="));
    free(url);
    url = cn_callsign_url(&s, "http://h:1/callback?x=1", "id");
    assert_non_null(strstr(url, "?x=1&sig="));
    free(url);
    cn_callsign_wipe(&s);
}

static void test_check_refuses_all_but_the_right_signature(void **state)
{
    struct cn_callsign s, other;
    char err[128], bad[80];
    char *url;
    (void)state;

    assert_int_equal(cn_callsign_init(&s, "secret", err, sizeof err), 0);
    assert_int_equal(cn_callsign_init(&other, "secret2", err, sizeof err), 0);
    url = cn_callsign_url(&s, "http://h/cb", "kafka-t-0-7");
    assert_true(cn_callsign_check(&s, "kafka-t-0-7", sig_of(url)));
    assert_false(cn_callsign_check(&other, "kafka-t-0-7", sig_of(url)));
    assert_false(cn_callsign_check(&s, "kafka-t-0-8", sig_of(url)));
    assert_false(cn_callsign_check(&s, "kafka-t-0-7", NULL));
    assert_false(cn_callsign_check(&s, "kafka-t-0-7", ""));
    snprintf(bad, sizeof bad, "%s", sig_of(url));
    bad[strlen(bad) - 1] = '\0'; /* too short */
    assert_false(cn_callsign_check(&s, "kafka-t-0-7", bad));
    snprintf(bad, sizeof bad, "%s0", sig_of(url)); /* too long */
    assert_false(cn_callsign_check(&s, "kafka-t-0-7", bad));
    free(url);
}

static void test_without_a_secret_each_process_draws_its_own(void **state)
{
    struct cn_callsign a, b;
    char err[128];
    char *url;
    (void)state;

    assert_int_equal(cn_callsign_init(&a, NULL, err, sizeof err), 0);
    assert_int_equal(cn_callsign_init(&b, "", err, sizeof err), 0);
    assert_true(a.generated && b.generated);
    url = cn_callsign_url(&a, "http://h/cb", "id");
    assert_true(cn_callsign_check(&a, "id", sig_of(url)));
    assert_false(cn_callsign_check(&b, "id", sig_of(url)));
    free(url);
}

static void test_a_secret_too_long_is_refused(void **state)
{
    struct cn_callsign s;
    char err[128], big[CN_CALLSIGN_KEY_MAX + 2];
    (void)state;

    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(cn_callsign_init(&s, big, err, sizeof err), -1);
    assert_non_null(strstr(err, "callback_secret"));
}

static void test_query_param(void **state)
{
    char out[8];
    (void)state;

    assert_string_equal(cn_query_param("a=1&sig=ab&b=2", "sig", out, sizeof out), "ab");
    assert_string_equal(cn_query_param("sig=", "sig", out, sizeof out), "");
    assert_null(cn_query_param("xsig=ab", "sig", out, sizeof out));
    assert_null(cn_query_param("sigx=ab", "sig", out, sizeof out));
    assert_null(cn_query_param("sig=toolongvalue", "sig", out, sizeof out));
    assert_null(cn_query_param(NULL, "sig", out, sizeof out));
    assert_null(cn_query_param("&&", "sig", out, sizeof out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_carries_the_hmac_of_the_call_id),
        cmocka_unit_test(test_check_refuses_all_but_the_right_signature),
        cmocka_unit_test(test_without_a_secret_each_process_draws_its_own),
        cmocka_unit_test(test_a_secret_too_long_is_refused),
        cmocka_unit_test(test_query_param),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
