/* test_metrics.c -- unit tests for lib/metrics.c (Prometheus text 0.0.4). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"

/* Renders and checks that the reported length matches the string, so
 * every test also exercises the *len contract. */
static char *render(struct metrics *m)
{
    size_t len = 0;
    char *text = metrics_render(m, &len);

    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    return text;
}

/* Prints the whole text on a miss: a bare NULL check says nothing. */
static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("missing:\n%s\n--- in:\n%s", needle, text);
}

static void counter_without_labels(void **state)
{
    struct metrics *m = metrics_new();
    struct metric *c = metrics_counter(m, "jobs_total", "Jobs run.", NULL);
    char *text;

    (void)state;
    /* A label-less series exists (as 0) before the first update. */
    text = render(m);
    assert_contains(text, "\njobs_total 0\n");
    free(text);

    metric_add(c, NULL, 1);
    metric_add(c, NULL, 2);
    text = render(m);
    assert_string_equal(text, "# HELP jobs_total Jobs run.\n"
                              "# TYPE jobs_total counter\n"
                              "jobs_total 3\n");
    free(text);
    metrics_free(m);
}

static void counter_with_labels_two_series(void **state)
{
    struct metrics *m = metrics_new();
    struct metric *c = metrics_counter(m, "http_requests_total", "Requests.", "code, method");
    const char *const ok_get[] = { "200", "GET" };
    const char *const err_post[] = { "500", "POST" };
    char *text;

    (void)state;
    /* Labelled families have no series until first use. */
    text = render(m);
    assert_null(strstr(text, "http_requests_total{"));
    free(text);

    metric_add(c, err_post, 1);
    metric_add(c, ok_get, 2);
    metric_add(c, err_post, 0.5);
    text = render(m);
    /* Creation order: POST first, although GET was updated last. */
    assert_string_equal(text, "# HELP http_requests_total Requests.\n"
                              "# TYPE http_requests_total counter\n"
                              "http_requests_total{code=\"500\",method=\"POST\"} 1.5\n"
                              "http_requests_total{code=\"200\",method=\"GET\"} 2\n");
    free(text);
    metrics_free(m);
}

static void gauge_set_and_add(void **state)
{
    struct metrics *m = metrics_new();
    struct metric *g = metrics_gauge(m, "inflight", "In flight.", NULL);
    char *text;

    (void)state;
    metric_set(g, NULL, 5);
    metric_add(g, NULL, -2.5);
    assert_true(metric_value(g, NULL) == 2.5);
    text = render(m);
    assert_contains(text, "# TYPE inflight gauge\ninflight 2.5\n");
    free(text);

    metric_set(g, NULL, -7);
    assert_true(metric_value(g, NULL) == -7);
    text = render(m);
    assert_contains(text, "\ninflight -7\n");
    free(text);
    metrics_free(m);
}

static void gauge_special_numbers(void **state)
{
    struct metrics *m = metrics_new();
    struct metric *g = metrics_gauge(m, "g", "G.", "k");
    const char *const a[] = { "a" }, *const b[] = { "b" }, *const c[] = { "c" };
    const char *const d[] = { "d" }, *const e[] = { "e" }, *const f[] = { "f" };
    char *text;

    (void)state;
    metric_set(g, a, INFINITY);
    metric_set(g, b, -INFINITY);
    metric_set(g, c, NAN);
    metric_set(g, d, 0.1);
    metric_set(g, e, 1e-9);
    /* Needs all 17 digits: a shorter form would read back differently. */
    metric_set(g, f, 0.1 + 0.2);
    text = render(m);
    assert_contains(text, "g{k=\"a\"} +Inf\n"
                          "g{k=\"b\"} -Inf\n"
                          "g{k=\"c\"} NaN\n"
                          "g{k=\"d\"} 0.1\n"
                          "g{k=\"e\"} 1e-09\n"
                          "g{k=\"f\"} 0.30000000000000004\n");
    free(text);
    metrics_free(m);
}

static void histogram_buckets_sum_count(void **state)
{
    struct metrics *m = metrics_new();
    struct metric *h = metrics_histogram(m, "latency_seconds", "Latency.", NULL,
                                         metrics_default_buckets, metrics_default_nbuckets);
    char *text;

    (void)state;
    assert_int_equal(metrics_default_nbuckets, 11);
    metric_observe(h, NULL, 0.003);
    metric_observe(h, NULL, 0.3);
    metric_observe(h, NULL, 7);
    text = render(m);
    assert_string_equal(text, "# HELP latency_seconds Latency.\n"
                              "# TYPE latency_seconds histogram\n"
                              "latency_seconds_bucket{le=\"0.005\"} 1\n"
                              "latency_seconds_bucket{le=\"0.01\"} 1\n"
                              "latency_seconds_bucket{le=\"0.025\"} 1\n"
                              "latency_seconds_bucket{le=\"0.05\"} 1\n"
                              "latency_seconds_bucket{le=\"0.1\"} 1\n"
                              "latency_seconds_bucket{le=\"0.25\"} 1\n"
                              "latency_seconds_bucket{le=\"0.5\"} 2\n"
                              "latency_seconds_bucket{le=\"1\"} 2\n"
                              "latency_seconds_bucket{le=\"2.5\"} 2\n"
                              "latency_seconds_bucket{le=\"5\"} 2\n"
                              "latency_seconds_bucket{le=\"10\"} 3\n"
                              "latency_seconds_bucket{le=\"+Inf\"} 3\n"
                              "latency_seconds_sum 7.303\n"
                              "latency_seconds_count 3\n");
    free(text);
    metrics_free(m);
}

/* An observation equal to a bound belongs to that bucket (le = "<="), and
 * one above every bound counts only in +Inf. */
static void histogram_bounds_and_labels(void **state)
{
    static const double bounds[] = { 1, 2 };
    struct metrics *m = metrics_new();
    struct metric *h = metrics_histogram(m, "size", "S.", "fn", bounds, 2);
    const char *const fn[] = { "echo" };
    char *text;

    (void)state;
    metric_observe(h, fn, 1);
    metric_observe(h, fn, 2);
    metric_observe(h, fn, 3);
    text = render(m);
    assert_contains(text, "size_bucket{fn=\"echo\",le=\"1\"} 1\n"
                          "size_bucket{fn=\"echo\",le=\"2\"} 2\n"
                          "size_bucket{fn=\"echo\",le=\"+Inf\"} 3\n"
                          "size_sum{fn=\"echo\"} 6\n"
                          "size_count{fn=\"echo\"} 3\n");
    free(text);
    metrics_free(m);
}

static void escaping(void **state)
{
    struct metrics *m = metrics_new();
    struct metric *c = metrics_counter(m, "esc_total", "a \\ b\nc \"q\"", "path");
    const char *const v[] = { "a\\b\"c\nd" };
    char *text;

    (void)state;
    metric_add(c, v, 1);
    text = render(m);
    /* HELP escapes backslash and newline but leaves the quote alone. */
    assert_string_equal(text, "# HELP esc_total a \\\\ b\\nc \"q\"\n"
                              "# TYPE esc_total counter\n"
                              "esc_total{path=\"a\\\\b\\\"c\\nd\"} 1\n");
    free(text);
    metrics_free(m);
}

static void value_lookup(void **state)
{
    struct metrics *m = metrics_new();
    struct metric *c = metrics_counter(m, "v_total", "V.", "a,b");
    const char *const x[] = { "1", "2" };
    const char *const y[] = { "1", "3" };
    char *text;

    (void)state;
    metric_add(c, x, 4);
    assert_true(metric_value(c, x) == 4);
    /* Differs in the last label only: must not match x. */
    assert_true(metric_value(c, y) == 0);
    /* Looking up must not create the series. */
    text = render(m);
    assert_null(strstr(text, "b=\"3\""));
    free(text);
    metrics_free(m);
}

enum { NTHREADS = 4, NINCR = 100000 };

static void *bump(void *arg)
{
    static const char *const lbl[] = { "x" };
    struct metric *c = arg;

    for (int i = 0; i < NINCR; i++)
        metric_add(c, lbl, 1);
    return NULL;
}

static void threads_exact_total(void **state)
{
    struct metrics *m = metrics_new();
    struct metric *c = metrics_counter(m, "t_total", "T.", "k");
    const char *const lbl[] = { "x" };
    pthread_t tid[NTHREADS];
    char *text;

    (void)state;
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, bump, c), 0);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(tid[i], NULL), 0);
    assert_true(metric_value(c, lbl) == (double)NTHREADS * NINCR);
    text = render(m);
    /* One series, even though all threads raced to create it. */
    assert_string_equal(text, "# HELP t_total T.\n"
                              "# TYPE t_total counter\n"
                              "t_total{k=\"x\"} 400000\n");
    free(text);
    metrics_free(m);
}

static void negative_counter_add_aborts(void **state)
{
    int status = 0;
    pid_t pid;

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct metrics *m = metrics_new();
        struct metric *c = metrics_counter(m, "n_total", "N.", NULL);
        int fd = open("/dev/null", O_WRONLY);

        if (fd >= 0)
            dup2(fd, 2); /* keep the assert message out of the report */
        metric_add(c, NULL, -1);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void full_registry_text(void **state)
{
    static const double bounds[] = { 0.1, 1 };
    struct metrics *m = metrics_new();
    struct metric *req = metrics_counter(m, "gw_requests_total", "Requests handled.", "code");
    struct metric *up = metrics_gauge(m, "gw_up", "1 when serving.", NULL);
    struct metric *lat = metrics_histogram(m, "gw_latency_seconds", "Upstream latency.", "fn",
                                           bounds, 2);
    const char *const c200[] = { "200" };
    const char *const c502[] = { "502" };
    const char *const echo[] = { "echo" };
    char *text;

    (void)state;
    metric_add(req, c200, 10);
    metric_add(req, c502, 1);
    metric_set(up, NULL, 1);
    metric_observe(lat, echo, 0.05);
    metric_observe(lat, echo, 0.5);
    text = render(m);
    assert_string_equal(text, "# HELP gw_requests_total Requests handled.\n"
                              "# TYPE gw_requests_total counter\n"
                              "gw_requests_total{code=\"200\"} 10\n"
                              "gw_requests_total{code=\"502\"} 1\n"
                              "# HELP gw_up 1 when serving.\n"
                              "# TYPE gw_up gauge\n"
                              "gw_up 1\n"
                              "# HELP gw_latency_seconds Upstream latency.\n"
                              "# TYPE gw_latency_seconds histogram\n"
                              "gw_latency_seconds_bucket{fn=\"echo\",le=\"0.1\"} 1\n"
                              "gw_latency_seconds_bucket{fn=\"echo\",le=\"1\"} 2\n"
                              "gw_latency_seconds_bucket{fn=\"echo\",le=\"+Inf\"} 2\n"
                              "gw_latency_seconds_sum{fn=\"echo\"} 0.55\n"
                              "gw_latency_seconds_count{fn=\"echo\"} 2\n");
    free(text);
    metrics_free(m);
}

static void empty_registry(void **state)
{
    struct metrics *m = metrics_new();
    size_t len = 99;
    char *text = metrics_render(m, &len);

    (void)state;
    assert_string_equal(text, "");
    assert_int_equal(len, 0);
    free(text);
    metrics_free(m);
    metrics_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counter_without_labels),
        cmocka_unit_test(counter_with_labels_two_series),
        cmocka_unit_test(gauge_set_and_add),
        cmocka_unit_test(gauge_special_numbers),
        cmocka_unit_test(histogram_buckets_sum_count),
        cmocka_unit_test(histogram_bounds_and_labels),
        cmocka_unit_test(escaping),
        cmocka_unit_test(value_lookup),
        cmocka_unit_test(threads_exact_total),
        cmocka_unit_test(negative_counter_add_aborts),
        cmocka_unit_test(full_registry_text),
        cmocka_unit_test(empty_registry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
