/* test_connector_routes.c -- route options and the routing table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../connector/routes.h"
#include "../../connector/subject.h"

static const struct cn_route_defaults *defaults(void)
{
    static struct cn_route_defaults d;
    static bool ready;
    char err[128];

    if (!ready) {
        d.ordering = CN_ORDER_KEY;
        retry_policy_init(&d.retry, 5, 500, 30000);
        assert_int_equal(retry_policy_set(&d.retry, "codes", "408,429,500-599", err, sizeof err),
                         0);
        ready = true;
    }
    return &d;
}

static void test_annotation_and_config_spellings(void **state)
{
    struct cn_route r;
    char err[256];
    (void)state;

    cn_route_init(&r, defaults());
    assert_int_equal(cn_route_option(&r, "reply-topic", "out", err, sizeof err), 1);
    assert_int_equal(cn_route_option(&r, "error_topic", "dlq", err, sizeof err), 1);
    assert_int_equal(cn_route_option(&r, "com.openfaas.retry.attempts", "3", err, sizeof err), 1);
    assert_int_equal(cn_route_option(&r, "retry-min-wait", "250ms", err, sizeof err), 1);
    assert_int_equal(cn_route_option(&r, "com.openfaas.retry.max_wait", "2s", err, sizeof err), 1);
    assert_int_equal(cn_route_option(&r, "retry_codes", "502,503", err, sizeof err), 1);
    assert_int_equal(cn_route_option(&r, "ordering", "partition", err, sizeof err), 1);
    assert_int_equal(cn_route_option(&r, "max_inflight", "7", err, sizeof err), 1);
    assert_int_equal(cn_route_option(&r, "invoke", "async", err, sizeof err), 1);
    /* Other annotations are none of ours. */
    assert_int_equal(cn_route_option(&r, "prometheus.io.scrape", "true", err, sizeof err), 0);
    assert_string_equal(r.reply_topic, "out");
    assert_string_equal(r.error_topic, "dlq");
    assert_int_equal(r.retry.attempts, 3);
    assert_int_equal(r.retry.min_wait_ms, 250);
    assert_int_equal(r.retry.max_wait_ms, 2000);
    assert_true(retry_status(&r.retry, 502));
    assert_false(retry_status(&r.retry, 500));
    assert_int_equal(r.ordering, CN_ORDER_PARTITION);
    assert_int_equal(r.max_inflight, 7);
    assert_int_equal(r.invoke, CN_INVOKE_ASYNC);
    cn_route_cleanup(&r);
}

static void test_bad_values_are_refused_and_leave_the_option(void **state)
{
    struct cn_route r;
    char err[256];
    (void)state;

    cn_route_init(&r, defaults());
    assert_int_equal(cn_route_option(&r, "ordering", "random", err, sizeof err), -1);
    assert_non_null(strstr(err, "expected key, partition or none"));
    assert_int_equal(r.ordering, CN_ORDER_KEY);
    assert_int_equal(cn_route_option(&r, "retry-attempts", "0", err, sizeof err), -1);
    assert_int_equal(r.retry.attempts, 5);
    assert_int_equal(cn_route_option(&r, "retry-codes", "5xx", err, sizeof err), -1);
    assert_true(retry_status(&r.retry, 503));
    assert_int_equal(cn_route_option(&r, "retry-codes", "600", err, sizeof err), -1);
    assert_int_equal(cn_route_option(&r, "retry-codes", "503-500", err, sizeof err), -1);
    assert_int_equal(cn_route_option(&r, "reply-topic", "no spaces", err, sizeof err), -1);
    assert_null(r.reply_topic);
    assert_int_equal(cn_route_option(&r, "invoke", "later", err, sizeof err), -1);
    assert_non_null(strstr(err, "expected sync or async"));
    assert_int_equal(r.invoke, CN_INVOKE_SYNC);
    assert_int_equal(cn_route_option(&r, "retry-min-wait", "1m", err, sizeof err), 1);
    assert_int_equal(cn_route_check(&r, err, sizeof err), -1);
    assert_non_null(strstr(err, "above max_wait"));
    cn_route_cleanup(&r);
}

static void test_topic_names(void **state)
{
    char long_name[300];
    (void)state;

    assert_true(cn_topic_valid("orders.v1_new-x"));
    assert_false(cn_topic_valid(""));
    assert_false(cn_topic_valid("a b"));
    assert_false(cn_topic_valid("a/b"));
    memset(long_name, 'a', 250);
    long_name[250] = '\0';
    assert_false(cn_topic_valid(long_name));
}

static void collect_warning(void *arg, const char *msg)
{
    char *out = arg;

    strncat(out, msg, 1023 - strlen(out));
    strncat(out, "\n", 1023 - strlen(out));
}

static json_t *function(const char *name, const char *ns, json_t *annotations)
{
    return json_pack("{s:s, s:s, s:o}", "name", name, "namespace", ns, "annotations", annotations);
}

static void test_functions_become_routes(void **state)
{
    struct cn_table *t = cn_table_new();
    char warnings[1024] = "";
    const struct cn_route *first;
    (void)state;

    json_t *a = function(
        "a", "openfaas-fn",
        json_pack("{s:s, s:s, s:s}", "topic", "x, y", "reply-topic", "out", "ordering", "bogus"));
    json_t *b = function("b", "team", json_pack("{s:s}", "topic", "x"));
    json_t *c = function("c", "openfaas-fn", json_pack("{s:s}", "other", "1"));
    cn_table_add_function(t, a, defaults(), collect_warning, warnings);
    cn_table_add_function(t, b, defaults(), collect_warning, warnings);
    cn_table_add_function(t, c, defaults(), collect_warning, warnings);
    cn_table_seal(t);
    assert_int_equal(t->n, 3);
    assert_non_null(strstr(warnings, "function a.openfaas-fn: annotation ordering"));
    assert_int_equal(cn_table_match(t, "x", &first), 2);
    assert_string_equal(first[0].function, "a");
    assert_string_equal(first[0].reply_topic, "out");
    assert_int_equal(first[0].ordering, CN_ORDER_KEY); /* the default, after a warning */
    assert_string_equal(first[1].function, "b");
    char *target = cn_route_target(&first[1]);
    assert_string_equal(target, "b.team");
    free(target);
    target = cn_route_target(&first[0]);
    assert_string_equal(target, "a");
    free(target);
    assert_int_equal(cn_table_match(t, "y", &first), 1);
    assert_int_equal(cn_table_match(t, "z", &first), 0);
    assert_null(first);
    char *topics = cn_table_topics(t);
    assert_string_equal(topics, "x,y");
    free(topics);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    cn_table_unref(t);
}

static void add_route(struct cn_table *t, const char *topic, const char *fn,
                      enum cn_route_origin origin, const char *reply)
{
    struct cn_route r;

    cn_route_init(&r, defaults());
    r.topic = (char *)topic;
    r.function = (char *)fn;
    r.reply_topic = (char *)reply;
    r.origin = origin;
    cn_table_add(t, &r);
}

static void test_config_routes_win_over_annotations(void **state)
{
    struct cn_table *t = cn_table_new();
    const struct cn_route *first;
    (void)state;

    add_route(t, "orders", "fn", CN_ROUTE_CONFIG, "from-config");
    add_route(t, "orders", "fn", CN_ROUTE_GATEWAY, "from-annotation");
    add_route(t, "orders", "other", CN_ROUTE_GATEWAY, NULL);
    cn_table_seal(t);
    assert_int_equal(cn_table_match(t, "orders", &first), 2);
    assert_string_equal(first[0].reply_topic, "from-config");
    assert_int_equal(first[0].origin, CN_ROUTE_CONFIG);
    cn_table_unref(t);
}

struct changes {
    int added, removed;
};

static void count_change(void *arg, const char *what, const struct cn_route *r)
{
    struct changes *c = arg;
    (void)r;

    if (strcmp(what, "added") == 0)
        c->added++;
    else
        c->removed++;
}

static void test_equal_and_diff(void **state)
{
    struct cn_table *a = cn_table_new(), *b = cn_table_new();
    struct changes ch = { 0, 0 };
    (void)state;

    add_route(a, "t", "f", CN_ROUTE_GATEWAY, "r1");
    add_route(a, "t", "g", CN_ROUTE_GATEWAY, NULL);
    add_route(b, "t", "g", CN_ROUTE_GATEWAY, NULL);
    add_route(b, "t", "f", CN_ROUTE_GATEWAY, "r1");
    cn_table_seal(a);
    cn_table_seal(b);
    assert_true(cn_table_equal(a, b));
    cn_table_unref(b);
    b = cn_table_new();
    add_route(b, "t", "f", CN_ROUTE_GATEWAY, "r2"); /* changed option */
    add_route(b, "u", "h", CN_ROUTE_GATEWAY, NULL); /* new */
    cn_table_seal(b);
    assert_false(cn_table_equal(a, b));
    cn_table_diff(a, b, count_change, &ch);
    assert_int_equal(ch.removed, 2); /* t->f with r1, t->g */
    assert_int_equal(ch.added, 2);   /* t->f with r2, u->h */
    json_t *j = cn_table_json(b);
    assert_int_equal(json_array_size(j), 2);
    json_t *r0 = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "reply_topic")), "r2");
    assert_string_equal(json_string_value(json_object_get(r0, "namespace")), "openfaas-fn");
    assert_string_equal(json_string_value(json_object_get(json_object_get(r0, "retry"), "codes")),
                        "408,429,500-599");
    json_decref(j);
    cn_table_unref(a);
    cn_table_unref(b);
}

static void test_references_keep_a_table_alive(void **state)
{
    struct cn_table *t = cn_table_new();
    (void)state;

    add_route(t, "t", "f", CN_ROUTE_GATEWAY, "r");
    cn_table_seal(t);
    struct cn_table *held = cn_table_ref(t);
    cn_table_unref(t);
    assert_string_equal(held->routes[0].reply_topic, "r");
    cn_table_unref(held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_annotation_and_config_spellings),
        cmocka_unit_test(test_bad_values_are_refused_and_leave_the_option),
        cmocka_unit_test(test_topic_names),
        cmocka_unit_test(test_functions_become_routes),
        cmocka_unit_test(test_config_routes_win_over_annotations),
        cmocka_unit_test(test_equal_and_diff),
        cmocka_unit_test(test_references_keep_a_table_alive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
