/* test_connector_config.c -- the connector's settings file: the option
 * table, the hand-read routes and librdkafka groups, and cfg's skip list
 * that lets the two share one file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../connector/config.h"
#include "../../connector/subject.h"
#include "cfg.h"

static char path[64];

static const char *write_conf(const char *text)
{
    if (path[0])
        unlink(path);
    snprintf(path, sizeof path, "/tmp/test_connector_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int cleanup(void **state)
{
    (void)state;
    if (path[0])
        unlink(path);
    path[0] = '\0';
    return 0;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

/* --- cfg_load_skipping ---------------------------------------------------- */

struct small {
    int64_t port;
};

static const struct cfg_option small_opts[] = {
    { "port", "TEST_CN_PORT", CFG_INT, offsetof(struct small, port), "1", 0, 65535, NULL, "" },
    { NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static void test_skip_list_leaves_named_settings_alone(void **state)
{
    static const char *const skip[] = { "routes", "extra", NULL };
    struct small s = { 0 };
    char err[256];
    (void)state;

    write_conf("port = 7;\nroutes = ( { a = 1; } );\nextra = { b = 2; };\n");
    assert_int_equal(cfg_load_skipping(small_opts, &s, path, skip, err, sizeof err), 0);
    assert_int_equal(s.port, 7);
    /* Without the list the same file is an error, as cfg_load() has it. */
    assert_int_equal(cfg_load(small_opts, &s, path, err, sizeof err), -1);
    assert_contains(err, ":2: unknown setting \"routes\"");
    assert_int_equal(cfg_load_skipping(small_opts, &s, path, NULL, err, sizeof err), -1);
    /* A skipped name is still checked if it is also an option. */
    static const char *const skip_port[] = { "port", NULL };
    write_conf("port = \"x\";\n");
    assert_int_equal(cfg_load_skipping(small_opts, &s, path, skip_port, err, sizeof err), -1);
    assert_contains(err, "port: expected an integer");
}

/* --- the connector's file -------------------------------------------------- */

static void test_defaults(void **state)
{
    struct cn_config cfg;
    char err[512];
    (void)state;

    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_string_equal(cfg.gateway_url, "http://127.0.0.1:8080");
    assert_int_equal(cfg.port, 8081);
    assert_int_equal(cfg.rebuild_interval_ms, 3000);
    assert_int_equal(cfg.max_inflight, 256);
    assert_int_equal(cfg.defaults.ordering, CN_ORDER_KEY);
    assert_int_equal(cfg.defaults.retry.attempts, 5);
    assert_true(retry_status(&cfg.defaults.retry, 429));
    assert_false(retry_status(&cfg.defaults.retry, 404));
    assert_null(cfg.auth);
    assert_int_equal(cfg.nroutes, 0);
    cn_config_free(&cfg);
}

static void test_routes_and_kafka_groups(void **state)
{
    struct cn_config cfg;
    char err[512];
    (void)state;

    write_conf("ordering = \"none\";\n"
               "routes = (\n"
               "  { topic = \"a, b\"; function = \"fn.team\"; reply_topic = \"out\";\n"
               "    retry-attempts = 2; retry-max-wait = \"1s\"; },\n"
               "  { topic = \"c\"; function = \"g\"; namespace = \"ns\"; ordering = \"key\"; }\n"
               ");\n"
               "kafka = { security_protocol = \"SASL_SSL\";\n  socket_timeout_ms = 5000; };\n"
               "kafka_producer = { linger_ms = 1; };\n");
    assert_int_equal(cn_config_load(&cfg, path, err, sizeof err), 0);
    assert_int_equal(cfg.nroutes, 3);
    assert_string_equal(cfg.routes[0].topic, "a");
    assert_string_equal(cfg.routes[1].topic, "b");
    assert_string_equal(cfg.routes[0].function, "fn");
    assert_string_equal(cfg.routes[0].ns, "team");
    assert_string_equal(cfg.routes[0].reply_topic, "out");
    assert_int_equal(cfg.routes[0].retry.attempts, 2);
    assert_int_equal(cfg.routes[0].retry.max_wait_ms, 1000);
    assert_int_equal(cfg.routes[0].retry.min_wait_ms, 500);
    assert_int_equal(cfg.routes[0].ordering, CN_ORDER_NONE); /* the file's default */
    assert_int_equal(cfg.routes[2].ordering, CN_ORDER_KEY);
    assert_string_equal(cfg.routes[2].ns, "ns");
    assert_int_equal(cfg.routes[2].origin, CN_ROUTE_CONFIG);
    assert_int_equal(cfg.kafka[CN_KAFKA_BOTH].n, 2);
    assert_string_equal(cfg.kafka[CN_KAFKA_BOTH].v[0].name, "security_protocol");
    assert_string_equal(cfg.kafka[CN_KAFKA_BOTH].v[0].value, "SASL_SSL");
    assert_int_equal(cfg.kafka[CN_KAFKA_BOTH].v[1].line, 8);
    assert_string_equal(cfg.kafka[CN_KAFKA_BOTH].v[1].value, "5000");
    assert_int_equal(cfg.kafka[CN_KAFKA_PRODUCER].n, 1);
    assert_int_equal(cfg.kafka[CN_KAFKA_CONSUMER].n, 0);
    cn_config_free(&cfg);
}

static void expect_error(const char *text, const char *needle)
{
    struct cn_config cfg;
    char err[512];

    write_conf(text);
    assert_int_equal(cn_config_load(&cfg, path, err, sizeof err), -1);
    assert_contains(err, path);
    assert_contains(err, needle);
    cn_config_free(&cfg);
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    expect_error("max_inflight = 0;\n", ":1: max_inflight: 0 is out of range 1..100000");
    expect_error("routes = ( { topic = \"a\"; function = \"f\"; },\n"
                 "  { topic = \"b\";\n    function = \"f\"; ordering = 3; } );\n",
                 ":3: routes: ordering: expected key, partition or none");
    expect_error("routes = { topic = \"a\"; };\n", ":1: routes: expected a list");
    expect_error("routes = ( \"a\" );\n", ":1: routes: each route is a group");
    expect_error("routes = ( { topic = \"a\"; function = \"f\";\n"
                 "  retry-min-wait = \"5s\"; retry-max-wait = \"1s\"; } );\n",
                 ":1: routes: retry min_wait 5s is above max_wait 1s");
    expect_error("kafka_consumer = { nested = { a = 1; }; };\n",
                 ":1: kafka_consumer: nested: expected a string, number or boolean");
}

static void test_gateway_url(void **state)
{
    struct cn_config cfg;
    char err[512];
    (void)state;

    setenv("gateway_url", "http://gw:8080//", 1);
    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_string_equal(cfg.gateway_url, "http://gw:8080");
    cn_config_free(&cfg);
    setenv("gateway_url", "gw:8080", 1);
    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), -1);
    assert_contains(err, "gateway_url: expected an http:// or https:// URL");
    cn_config_free(&cfg);
    unsetenv("gateway_url");
}

static void test_credentials_from_files(void **state)
{
    struct cn_config cfg;
    char err[512], user[64], pass[64];
    (void)state;

    snprintf(user, sizeof user, "/tmp/test_connector_user_XXXXXX");
    snprintf(pass, sizeof pass, "/tmp/test_connector_pass_XXXXXX");
    int fu = mkstemp(user), fp = mkstemp(pass);
    assert_int_equal(write(fu, "admin\n", 6), 6);
    assert_int_equal(write(fp, "s3cret\r\n", 8), 8);
    close(fu);
    close(fp);
    setenv("basic_auth_user_file", user, 1);
    setenv("basic_auth_password_file", pass, 1);
    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_string_equal(cfg.auth, "admin:s3cret");
    cn_config_free(&cfg);
    unlink(pass);
    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), -1);
    assert_contains(err, "cannot read");
    cn_config_free(&cfg);
    unsetenv("basic_auth_user_file");
    unsetenv("basic_auth_password_file");
    unlink(user);
}

/* --- buses ------------------------------------------------------------------ */

static void with_buses(const char *brokers, const char *nats_url)
{
    if (brokers)
        setenv("brokers", brokers, 1);
    else
        unsetenv("brokers");
    if (nats_url)
        setenv("nats_url", nats_url, 1);
    else
        unsetenv("nats_url");
}

static void test_no_bus_at_all_is_refused(void **state)
{
    struct cn_config cfg;
    char err[512];
    (void)state;

    with_buses(NULL, NULL);
    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), -1);
    assert_contains(err, "configure a bus (brokers for Kafka, nats_url for NATS)");
    cn_config_free(&cfg);
    with_buses("127.0.0.1:9092", NULL);
}

static void test_nats_only_takes_bare_names_and_no_kafka(void **state)
{
    struct cn_config cfg;
    char err[512];
    (void)state;

    with_buses(NULL, "nats://127.0.0.1:4222");
    write_conf("routes = ( { topic = \"jobs.count\"; function = \"f\"; } );\n");
    assert_int_equal(cn_config_load(&cfg, path, err, sizeof err), 0);
    assert_string_equal(cfg.brokers, "");
    assert_string_equal(cn_nats_name("jobs.count"), "jobs.count");
    assert_null(cn_kafka_name("jobs.count"));
    assert_null(cn_bus_unresolved("jobs.count", err, sizeof err));
    cn_config_free(&cfg);
    /* A kafka: name has no bus to go to: the route says so, and the fix. */
    write_conf("routes = ( { topic = \"a\"; function = \"f\";\n"
               "  reply_topic = \"kafka:out\"; } );\n");
    assert_int_equal(cn_config_load(&cfg, path, err, sizeof err), -1);
    assert_contains(err, ":1: routes: route a -> f: reply-topic \"kafka:out\" is on Kafka, "
                         "but brokers is not set");
    cn_config_free(&cfg);
    with_buses("127.0.0.1:9092", NULL);
}

static void test_kafka_only_takes_bare_names(void **state)
{
    struct cn_config cfg;
    char err[512];
    (void)state;

    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_string_equal(cn_kafka_name("orders"), "orders");
    assert_null(cn_nats_name("orders"));
    assert_non_null(cn_bus_unresolved("nats:orders", err, sizeof err));
    assert_contains(err, "nats_url is not set");
    cn_config_free(&cfg);
}

static void test_both_buses_need_a_default_for_bare_names(void **state)
{
    struct cn_config cfg;
    char err[512];
    (void)state;

    with_buses("127.0.0.1:9092", "nats://127.0.0.1:4222");
    write_conf("routes = ( { topic = \"nats:a.b\"; function = \"f\"; },\n"
               "  { topic = \"jobs\"; function = \"g\"; } );\n");
    assert_int_equal(cn_config_load(&cfg, path, err, sizeof err), -1);
    assert_contains(err, ":2: routes: route jobs -> g: topic \"jobs\" is a bare name, and "
                         "both Kafka (brokers) and NATS (nats_url) are configured: write "
                         "kafka:jobs or nats:jobs, or set default_bus");
    cn_config_free(&cfg);
    setenv("default_bus", "kafka", 1);
    assert_int_equal(cn_config_load(&cfg, path, err, sizeof err), 0);
    assert_string_equal(cn_kafka_name("jobs"), "jobs");
    assert_string_equal(cn_nats_name("nats:a.b"), "a.b");
    cn_config_free(&cfg);
    setenv("default_bus", "nats", 1);
    assert_int_equal(cn_config_load(&cfg, path, err, sizeof err), 0);
    assert_string_equal(cn_nats_name("jobs"), "jobs");
    assert_string_equal(cn_kafka_name("kafka:jobs"), "jobs");
    cn_config_free(&cfg);
    /* A default bus must be configured. */
    with_buses("127.0.0.1:9092", NULL);
    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), -1);
    assert_contains(err, "default_bus: nats, but nats_url is not set");
    cn_config_free(&cfg);
    unsetenv("default_bus");
}

static void test_callback_secret_from_a_file(void **state)
{
    struct cn_config cfg;
    char err[512];
    (void)state;

    setenv("callback_secret", "from the value", 1);
    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_string_equal(cfg.callback_secret, "from the value");
    cn_config_free(&cfg);
    write_conf("mounted secret\nsecond line\n");
    setenv("callback_secret_file", path, 1);
    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_string_equal(cfg.callback_secret, "mounted secret"); /* the file wins */
    cn_config_free(&cfg);
    setenv("callback_secret_file", "/nonexistent/secret", 1);
    assert_int_equal(cn_config_load(&cfg, NULL, err, sizeof err), -1);
    assert_contains(err, "cannot read /nonexistent/secret");
    cn_config_free(&cfg);
    unsetenv("callback_secret_file");
    unsetenv("callback_secret");
}

#define T(fn) cmocka_unit_test_teardown(fn, cleanup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_skip_list_leaves_named_settings_alone),
        T(test_defaults),
        T(test_routes_and_kafka_groups),
        T(test_errors_name_the_line),
        T(test_gateway_url),
        T(test_credentials_from_files),
        T(test_no_bus_at_all_is_refused),
        T(test_nats_only_takes_bare_names_and_no_kafka),
        T(test_kafka_only_takes_bare_names),
        T(test_both_buses_need_a_default_for_bare_names),
        T(test_callback_secret_from_a_file),
    };
    /* Most tests need a bus: Kafka, as the environment says. */
    with_buses("127.0.0.1:9092", NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
