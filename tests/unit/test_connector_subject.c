/* test_connector_subject.c -- NATS subjects, wildcard matching, bus
 * prefixes, the routes a record from either bus goes to, and the
 * `streams` setting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../connector/bus.h"
#include "../../connector/nats_config.h"
#include "../../connector/subject.h"

static void test_subject_syntax(void **state)
{
    (void)state;
    assert_true(cn_subject_valid("orders", false));
    assert_true(cn_subject_valid("orders.eu.created", false));
    assert_true(cn_subject_valid("_INBOX.abc123.x", false));
    assert_false(cn_subject_valid("", true));
    assert_false(cn_subject_valid("a..b", true));
    assert_false(cn_subject_valid(".a", true));
    assert_false(cn_subject_valid("a.", true));
    assert_false(cn_subject_valid("a b", true));
    assert_false(cn_subject_valid("a\tb", true));
    /* Wildcards only where allowed, only as whole tokens, > only last. */
    assert_true(cn_subject_valid("orders.*.created", true));
    assert_true(cn_subject_valid("orders.>", true));
    assert_true(cn_subject_valid(">", true));
    assert_false(cn_subject_valid("orders.*", false));
    assert_false(cn_subject_valid("orders.>", false));
    assert_false(cn_subject_valid("orders.>.x", true));
    assert_false(cn_subject_valid("ord*", true));
    assert_false(cn_subject_valid("a.b>", true));
}

static void test_matching(void **state)
{
    (void)state;
    assert_true(cn_subject_match("orders.created", "orders.created"));
    assert_false(cn_subject_match("orders.created", "orders.created.x"));
    assert_false(cn_subject_match("orders.created.x", "orders.created"));
    assert_true(cn_subject_match("orders.*", "orders.eu"));
    assert_false(cn_subject_match("orders.*", "orders.eu.x"));
    assert_false(cn_subject_match("orders.*", "orders"));
    assert_true(cn_subject_match("orders.*.created", "orders.eu.created"));
    assert_true(cn_subject_match("orders.>", "orders.eu"));
    assert_true(cn_subject_match("orders.>", "orders.eu.created.x"));
    assert_false(cn_subject_match("orders.>", "orders"));
    assert_true(cn_subject_match(">", "anything.at.all"));
    assert_false(cn_subject_match("order", "orders"));
}

static void test_prefixes(void **state)
{
    (void)state;
    assert_string_equal(cn_nats_name("nats:orders.x"), "orders.x");
    assert_null(cn_nats_name("orders"));
    assert_string_equal(cn_kafka_name("orders"), "orders");
    assert_string_equal(cn_kafka_name("kafka:orders"), "orders");
    assert_null(cn_kafka_name("nats:orders"));
    assert_true(cn_source_valid("orders-v1"));
    assert_true(cn_source_valid("kafka:orders-v1"));
    assert_true(cn_source_valid("nats:orders.*"));
    assert_false(cn_source_valid("kafka:orders.*"));
    assert_false(cn_source_valid("nats:"));
    assert_false(cn_source_valid("kafka:"));
    assert_true(cn_dest_valid("nats:orders.valid"));
    assert_false(cn_dest_valid("nats:orders.>"));
    assert_false(cn_dest_valid("nats:a b"));
}

static struct cn_table *table_of(const char *const *topics)
{
    struct cn_table *t = cn_table_new();
    struct cn_route r;

    for (size_t i = 0; topics[i]; i++) {
        cn_route_init(&r, &(struct cn_route_defaults){ 0 });
        r.topic = strdup(topics[i]);
        r.function = strdup("fn");
        cn_table_add(t, &r);
        cn_route_cleanup(&r);
    }
    cn_table_seal(t);
    return t;
}

static size_t routes_of(const struct cn_table *t, enum cn_bus bus, const char *topic)
{
    struct cn_record rec = { .bus = bus, .topic = (char *)topic };
    const struct cn_route **out;
    size_t n = cn_bus_routes(t, &rec, &out);

    free(out);
    return n;
}

static void test_routes_by_bus(void **state)
{
    static const char *const topics[] = {
        "orders", "kafka:orders", "nats:orders", "nats:orders.*", "nats:orders.>", "other", NULL
    };
    struct cn_table *t = table_of(topics);
    char *kafka = cn_bus_kafka_topics(t);
    (void)state;

    assert_int_equal(routes_of(t, CN_BUS_KAFKA, "orders"), 2);
    assert_int_equal(routes_of(t, CN_BUS_KAFKA, "orders.eu"), 0);
    assert_int_equal(routes_of(t, CN_BUS_NATS, "orders"), 1);
    assert_int_equal(routes_of(t, CN_BUS_NATS, "orders.eu"), 2);
    assert_int_equal(routes_of(t, CN_BUS_NATS, "orders.eu.x"), 1);
    assert_int_equal(routes_of(t, CN_BUS_NATS, "other"), 0);
    /* Kafka subscribes to its own topics only, each once. */
    assert_string_equal(kafka, "orders,other");
    free(kafka);
    cn_table_unref(t);
}

static void test_streams_setting(void **state)
{
    struct cn_stream_spec *v;
    char why[300];
    char *durable;
    int n = cn_streams_parse("ORDERS:orders.>, EVENTS", &v, why, sizeof why);
    (void)state;

    assert_int_equal(n, 2);
    assert_string_equal(v[0].stream, "ORDERS");
    assert_string_equal(v[0].filter, "orders.>");
    assert_string_equal(v[1].stream, "EVENTS");
    assert_null(v[1].filter);
    /* Durable names cannot hold dots or wildcards. */
    durable = cn_stream_durable("my.group", &v[0]);
    assert_null(strpbrk(durable, ".*> "));
    free(durable);
    cn_streams_free(v, n);
    assert_int_equal(cn_streams_parse("", &v, why, sizeof why), 0);
    assert_int_equal(cn_streams_parse("OR.DERS", &v, why, sizeof why), -1);
    assert_non_null(strstr(why, "stream name"));
    assert_int_equal(cn_streams_parse("ORDERS:a..b", &v, why, sizeof why), -1);
    assert_non_null(strstr(why, "subject"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject_syntax),  cmocka_unit_test(test_matching),
        cmocka_unit_test(test_prefixes),        cmocka_unit_test(test_routes_by_bus),
        cmocka_unit_test(test_streams_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
