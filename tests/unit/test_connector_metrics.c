/* test_connector_metrics.c -- metric_clear(), which the connector uses for
 * per-partition gauges whose partitions come and go. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void test_clear_drops_every_series_of_one_family(void **state)
{
    struct metrics *m = metrics_new();
    struct metric *lag = metrics_gauge(m, "lag", "Lag.", "topic,partition");
    struct metric *other = metrics_counter(m, "other", "Other.", NULL);
    size_t len;
    char *text;
    (void)state;

    metric_set(lag, (const char *[]){ "t", "0" }, 5);
    metric_set(lag, (const char *[]){ "t", "1" }, 7);
    metric_add(other, NULL, 3);
    metric_clear(lag);
    text = metrics_render(m, &len);
    assert_null(strstr(text, "lag{"));
    assert_non_null(strstr(text, "other 3"));
    free(text);
    assert_int_equal(metric_value(lag, (const char *[]){ "t", "0" }), 0);
    /* Series come back when set again. */
    metric_set(lag, (const char *[]){ "t", "1" }, 2);
    text = metrics_render(m, &len);
    assert_non_null(strstr(text, "lag{topic=\"t\",partition=\"1\"} 2"));
    assert_null(strstr(text, "partition=\"0\""));
    free(text);
    metric_clear(lag);
    metric_clear(lag); /* clearing an empty family is harmless */
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_drops_every_series_of_one_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
