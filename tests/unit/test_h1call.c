/* test_h1call.c -- lib/h1call.c against a real socket server on a
 * thread (tests/unit/tserver.h), which answers as each test scripted.
 *
 * Every test arms a safety timer that stops the loop after a few
 * seconds, so a bug cannot hang the suite, and asserts that it was not
 * the safety timer that ended the run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1call.h"
#include "loop.h"
#include "tserver.h"
#include "uppool.h"

#define SAFETY_MS 5000

/* --- the client side ------------------------------------------------------- */

struct ctx {
    struct loop *lp;
    struct uppool *pool;
    struct loop_timer *safety;
    bool timed_out;
    char url[64];
    struct h1call call;
    int done;       /* callbacks so far */
    int stop_after; /* the loop stops at this many */
    struct h1call_result last;
    char body[64];
    size_t len;
    char error[400];
    char reply_topic[64];
    bool has_reply_topic;
};

static void safety_fired(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    c->timed_out = true;
    c->safety = NULL;
    loop_stop(lp);
}

static void ctx_init(struct ctx *c, int port)
{
    memset(c, 0, sizeof *c);
    c->lp = loop_new();
    c->pool = uppool_new(c->lp);
    c->safety = loop_timer_add(c->lp, SAFETY_MS, safety_fired, c);
    c->stop_after = 1;
    snprintf(c->url, sizeof c->url, "http://127.0.0.1:%d/function/echo", port);
    h1call_init(&c->call);
}

static void ctx_free(struct ctx *c)
{
    h1call_cleanup(&c->call);
    loop_timer_cancel(c->lp, c->safety);
    uppool_free(c->pool);
    loop_free(c->lp);
}

/* Keeps what the callback saw: the result is valid during it only. */
static void on_done(void *arg, const struct h1call_result *r)
{
    struct ctx *c = arg;

    c->done++;
    c->last = *r;
    c->last.head = NULL;
    c->len = r->len < sizeof c->body ? r->len : sizeof c->body - 1;
    memcpy(c->body, r->body ? r->body : "", c->len);
    c->body[c->len] = '\0';
    snprintf(c->error, sizeof c->error, "%s", r->error ? r->error : "");
    c->has_reply_topic = h1call_header(r, "x-reply-topic", c->reply_topic, sizeof c->reply_topic);
    if (c->done >= c->stop_after)
        loop_stop(c->lp);
}

static void start(struct ctx *c, const char *body, size_t len, int64_t timeout_ms,
                  size_t max_response)
{
    static const char lines[] = "X-Topic: in\r\nContent-Type: text/plain\r\n";
    struct h1call_request r = {
        .method = "POST",
        .url = c->url,
        .lines = lines,
        .lines_len = sizeof lines - 1,
        .body = body,
        .len = len,
        .timeout_ms = timeout_ms,
        .connect_timeout_ms = 1000,
        .max_response = max_response,
    };
    h1call_start(&c->call, c->pool, c->lp, &r, on_done, c);
}

static void run(struct ctx *c)
{
    loop_run(c->lp);
    assert_false(c->timed_out);
}

/* --- tests ----------------------------------------------------------------- */

static void an_answer_with_a_length_comes_back_whole(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_CANNED,
              "HTTP/1.1 200 OK\r\nX-Reply-Topic: out\r\nContent-Length: 5\r\n\r\nhello", false);
    ctx_init(&c, s.port);
    start(&c, "hi", 2, 2000, 0);
    assert_int_equal(c.done, 0); /* never inside the start */
    run(&c);
    assert_int_equal(c.done, 1);
    assert_int_equal(c.last.kind, H1CALL_ANSWERED);
    assert_int_equal(c.last.status, 200);
    assert_string_equal(c.body, "hello");
    assert_true(c.has_reply_topic);
    assert_string_equal(c.reply_topic, "out");
    /* What went out: the method and path, Host, the length, our lines. */
    assert_non_null(strstr(s.last_head, "POST /function/echo HTTP/1.1\r\n"));
    assert_non_null(strstr(s.last_head, "\r\nContent-Length: 2\r\n"));
    assert_non_null(strstr(s.last_head, "\r\nX-Topic: in\r\n"));
    char host[64];
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", s.port);
    assert_non_null(strstr(s.last_head, host));
    ctx_free(&c);
    srv_stop(&s);
}

static void calls_one_after_another_share_a_connection(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_LENGTH, NULL, false);
    ctx_init(&c, s.port);
    for (int i = 1; i <= 3; i++) {
        start(&c, "abc", 3, 2000, 0);
        c.stop_after = i;
        run(&c);
        assert_int_equal(c.last.status, 200);
        assert_string_equal(c.body, "3");
    }
    assert_int_equal(atomic_load(&s.conns), 1);
    assert_int_equal(atomic_load(&s.requests), 3);
    ctx_free(&c);
    srv_stop(&s);
}

/* The second call starts inside the first one's callback, on the
 * connection the server closes after its one answer: it is sent again
 * on a fresh connection, and answered. */
static void start_again(void *arg, const struct h1call_result *r)
{
    struct ctx *c = arg;

    on_done(c, r);
    if (c->done == 1)
        start(c, "second", 6, 2000, 0);
}

static void a_reused_connection_the_server_closed_is_replayed(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_LENGTH, NULL, true);
    ctx_init(&c, s.port);
    c.stop_after = 2;
    struct h1call_request r = {
        .method = "POST", .url = c.url, .body = "first", .len = 5, .timeout_ms = 2000
    };
    h1call_start(&c.call, c.pool, c.lp, &r, start_again, &c);
    run(&c);
    assert_int_equal(c.done, 2);
    assert_int_equal(c.last.kind, H1CALL_ANSWERED);
    assert_string_equal(c.body, "6");
    assert_int_equal(atomic_load(&s.conns), 2);
    assert_int_equal(atomic_load(&s.requests), 2);
    ctx_free(&c);
    srv_stop(&s);
}

static void a_chunked_answer_is_decoded(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_CANNED,
              "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
              "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
              false);
    ctx_init(&c, s.port);
    start(&c, "", 0, 2000, 0);
    run(&c);
    assert_int_equal(c.last.status, 201);
    assert_string_equal(c.body, "hello world");
    assert_false(c.has_reply_topic);
    ctx_free(&c);
    srv_stop(&s);
}

static void an_answer_without_a_length_ends_at_the_close(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_CANNED, "HTTP/1.1 200 OK\r\n\r\nuntil the end", true);
    ctx_init(&c, s.port);
    start(&c, "x", 1, 2000, 0);
    run(&c);
    assert_int_equal(c.last.kind, H1CALL_ANSWERED);
    assert_string_equal(c.body, "until the end");
    ctx_free(&c);
    srv_stop(&s);
}

static void an_interim_answer_is_skipped(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_CANNED,
              "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\n"
              "Retry-After: 2\r\nContent-Length: 4\r\n\r\nbusy",
              false);
    ctx_init(&c, s.port);
    start(&c, "x", 1, 2000, 0);
    run(&c);
    assert_int_equal(c.last.status, 503);
    assert_string_equal(c.body, "busy");
    ctx_free(&c);
    srv_stop(&s);
}

static void a_large_body_arrives_whole(void **state)
{
    struct srv s;
    struct ctx c;
    size_t len = 3 * 1024 * 1024 + 7; /* far past one write and the socket's buffer */
    char *body = malloc(len), want[32];
    (void)state;
    memset(body, 'b', len);
    srv_start(&s, ANSWER_LENGTH, NULL, false);
    ctx_init(&c, s.port);
    start(&c, body, len, 5000, 0);
    run(&c);
    snprintf(want, sizeof want, "%zu", len);
    assert_int_equal(c.last.status, 200);
    assert_string_equal(c.body, want);
    ctx_free(&c);
    srv_stop(&s);
    free(body);
}

static void an_answer_past_the_limit_is_too_large(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_CANNED, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", false);
    ctx_init(&c, s.port);
    start(&c, "x", 1, 2000, 10);
    run(&c);
    assert_int_equal(c.last.kind, H1CALL_TOO_LARGE);
    assert_int_equal(c.last.status, 0);
    assert_non_null(strstr(c.error, "larger than 10 bytes"));
    ctx_free(&c);
    srv_stop(&s);
}

static void a_malformed_answer_is_broken(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_CANNED, "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", false);
    ctx_init(&c, s.port);
    start(&c, "x", 1, 2000, 0);
    run(&c);
    assert_int_equal(c.last.kind, H1CALL_BROKEN);
    assert_non_null(strstr(c.error, "malformed answer"));
    ctx_free(&c);
    srv_stop(&s);
}

static void no_answer_in_time_is_broken(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_NONE, NULL, false);
    ctx_init(&c, s.port);
    int64_t t0 = loop_now_ms();
    start(&c, "x", 1, 150, 0);
    run(&c);
    assert_int_equal(c.last.kind, H1CALL_BROKEN);
    assert_non_null(strstr(c.error, "within 150 ms"));
    assert_true(loop_now_ms() - t0 >= 150);
    assert_int_equal(atomic_load(&s.requests), 1);
    ctx_free(&c);
    srv_stop(&s);
}

static void a_closed_port_is_unreachable(void **state)
{
    struct srv s;
    struct ctx c;
    int port;
    (void)state;
    srv_start(&s, ANSWER_NONE, NULL, false);
    port = s.port;
    srv_stop(&s); /* nothing listens there now */
    ctx_init(&c, port);
    start(&c, "x", 1, 2000, 0);
    run(&c);
    assert_int_equal(c.last.kind, H1CALL_UNREACHABLE);
    assert_non_null(strstr(c.error, "Connection refused"));
    ctx_free(&c);
}

static void a_url_that_is_not_http_fails_later(void **state)
{
    struct ctx c;
    (void)state;
    ctx_init(&c, 1);
    snprintf(c.url, sizeof c.url, "https://127.0.0.1:1/x");
    start(&c, "x", 1, 2000, 0);
    assert_int_equal(c.done, 0);
    run(&c);
    assert_int_equal(c.last.kind, H1CALL_UNREACHABLE);
    assert_non_null(strstr(c.error, "https"));
    ctx_free(&c);
}

static void stop_soon(struct loop *lp, void *arg)
{
    (void)arg;
    loop_stop(lp);
}

static void a_cancelled_call_never_reports(void **state)
{
    struct srv s;
    struct ctx c;
    (void)state;
    srv_start(&s, ANSWER_LENGTH, NULL, false);
    ctx_init(&c, s.port);
    start(&c, "x", 1, 2000, 0);
    h1call_cancel(&c.call);
    h1call_cancel(&c.call); /* twice: a no-op */
    loop_timer_add(c.lp, 100, stop_soon, NULL);
    run(&c);
    assert_int_equal(c.done, 0);
    assert_int_equal(uppool_open(c.pool), 0); /* its connection went with it */
    ctx_free(&c);
    srv_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_answer_with_a_length_comes_back_whole),
        cmocka_unit_test(calls_one_after_another_share_a_connection),
        cmocka_unit_test(a_reused_connection_the_server_closed_is_replayed),
        cmocka_unit_test(a_chunked_answer_is_decoded),
        cmocka_unit_test(an_answer_without_a_length_ends_at_the_close),
        cmocka_unit_test(an_interim_answer_is_skipped),
        cmocka_unit_test(a_large_body_arrives_whole),
        cmocka_unit_test(an_answer_past_the_limit_is_too_large),
        cmocka_unit_test(a_malformed_answer_is_broken),
        cmocka_unit_test(no_answer_in_time_is_broken),
        cmocka_unit_test(a_closed_port_is_unreachable),
        cmocka_unit_test(a_url_that_is_not_http_fails_later),
        cmocka_unit_test(a_cancelled_call_never_reports),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
