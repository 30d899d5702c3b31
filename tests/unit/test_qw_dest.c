/* test_qw_dest.c -- the queue worker's callback destination policy:
 * allow-list syntax, the ranges refused by default, the gateway's own
 * address, and the URL checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../../gateway/worker/dest.h"

static struct sockaddr_storage v4(const char *ip, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage v6(const char *ip, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
    return ss;
}

static bool allowed(const struct qw_dest *d, struct sockaddr_storage ss)
{
    char why[200];
    return qw_dest_addr_ok(d, (const struct sockaddr *)&ss, why, sizeof why);
}

static void test_rule_syntax(void **state)
{
    (void)state;
    struct qw_dest_rule r;
    assert_int_equal(qw_dest_parse_rule("127.0.0.1", &r), 0);
    assert_int_equal(r.prefix, 32);
    assert_int_equal(r.port, 0);
    assert_int_equal(qw_dest_parse_rule("10.0.0.0/8:8081", &r), 0);
    assert_int_equal(r.prefix, 8);
    assert_int_equal(r.port, 8081);
    assert_int_equal(qw_dest_parse_rule("[::1]:9000", &r), 0);
    assert_int_equal(r.family, AF_INET6);
    assert_int_equal(r.port, 9000);
    assert_int_equal(qw_dest_parse_rule("fd00::/8", &r), 0);
    assert_int_equal(r.prefix, 8);
    const char *bad[] = { "",     "localhost",   "1.2.3.4/33", "1.2.3.4:0", "1.2.3.4:70000",
                          "[::1", "1.2.3.4:80x", "[::1]/129",  "300.1.1.1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(qw_dest_parse_rule(bad[i], &r), -1);
}

static void test_refused_by_default(void **state)
{
    (void)state;
    struct qw_dest d;
    char err[200];
    assert_int_equal(qw_dest_init(&d, "", NULL, "http://192.0.2.10:8080", err, sizeof err), 0);
    assert_false(allowed(&d, v4("127.0.0.1", 8080)));
    assert_false(allowed(&d, v4("127.9.9.9", 1)));
    assert_false(allowed(&d, v4("169.254.169.254", 80)));
    assert_false(allowed(&d, v4("0.0.0.0", 80)));
    assert_false(allowed(&d, v4("224.0.0.1", 80)));
    assert_false(allowed(&d, v6("::1", 80)));
    assert_false(allowed(&d, v6("fe80::1", 80)));
    assert_false(allowed(&d, v6("::ffff:127.0.0.1", 80))); /* mapped loopback */
    assert_false(allowed(&d, v4("192.0.2.10", 8080)));     /* the gateway itself */
    assert_true(allowed(&d, v4("192.0.2.10", 9000)));      /* same host, other port */
    assert_true(allowed(&d, v4("10.1.2.3", 8080)));
    assert_true(allowed(&d, v6("2001:db8::1", 443)));
    qw_dest_free(&d);
}

static void test_allow_list_wins(void **state)
{
    (void)state;
    struct qw_dest d;
    char err[200];
    assert_int_equal(
        qw_dest_init(&d, "127.0.0.1:8081, [::1]", NULL, "http://127.0.0.1:8080", err, sizeof err),
        0);
    assert_true(allowed(&d, v4("127.0.0.1", 8081)));
    assert_false(allowed(&d, v4("127.0.0.1", 8080)));
    assert_false(allowed(&d, v4("127.0.0.2", 8081)));
    assert_true(allowed(&d, v6("::1", 1234)));
    qw_dest_free(&d);
    assert_int_equal(qw_dest_init(&d, "127.0.0.1, nonsense", NULL, "http://x", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "nonsense"));
}

static void test_url_checks(void **state)
{
    (void)state;
    struct qw_dest d;
    char err[200], why[200];
    assert_int_equal(qw_dest_init(&d, "", "http,https", "http://127.0.0.1:8080", err, sizeof err),
                     0);
    assert_true(qw_dest_url_ok(&d, "http://example.test/cb", why, sizeof why));
    assert_true(qw_dest_url_ok(&d, "HTTPS://example.test/systemic", why, sizeof why));
    assert_false(qw_dest_url_ok(&d, "ftp://example.test/cb", why, sizeof why));
    assert_false(qw_dest_url_ok(&d, "file:///etc/passwd", why, sizeof why));
    assert_false(qw_dest_url_ok(&d, "http://user:secret@example.test/", why, sizeof why));
    assert_null(strstr(why, "secret"));
    assert_false(qw_dest_url_ok(&d, "http://example.test/system/functions", why, sizeof why));
    assert_false(qw_dest_url_ok(&d, "not a url", why, sizeof why));
    qw_dest_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_syntax),
        cmocka_unit_test(test_refused_by_default),
        cmocka_unit_test(test_allow_list_wins),
        cmocka_unit_test(test_url_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
