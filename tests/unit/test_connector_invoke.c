/* test_connector_invoke.c -- connector/invoke.c over both of its
 * clients: our own (lib/h1call, for an http:// gateway) and libcurl (for
 * an https:// one, chosen here by giving no connection pool). Each case
 * runs once through each against the same real server thread
 * (tests/unit/tserver.h), and both must send the same request and read
 * the same answer: a record's metadata and headers (an empty one
 * included), basic auth, no "Expect: 100-continue", and the answer's
 * status, body, Content-Type, X-Reply-Topic and Retry-After. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../connector/invoke.h"
#include "../../connector/record.h"
#include "curlloop.h"
#include "loop.h"
#include "tserver.h"
#include "uppool.h"

#define SAFETY_MS 5000

struct ctx {
    struct loop *lp;
    struct curlloop *curl;
    struct uppool *conns;
    struct loop_timer *safety;
    bool timed_out, done;
    char url[64];
    struct cn_invoke_opts opts;
    enum cn_invoke_kind kind;
    long status;
    char body[64], content_type[64], reply_topic[64], retry_after[64], error[400];
};

static void safety_fired(struct loop *lp, void *arg)
{
    struct ctx *c = arg;
    c->timed_out = true;
    c->safety = NULL;
    loop_stop(lp);
}

static void copy(char *out, size_t len, const char *s)
{
    snprintf(out, len, "%s", s ? s : "");
}

static void on_result(void *arg, const struct cn_invoke_result *r)
{
    struct ctx *c = arg;

    c->done = true;
    c->kind = r->kind;
    c->status = r->status;
    snprintf(c->body, sizeof c->body, "%.*s", (int)r->len, (const char *)r->body);
    copy(c->content_type, sizeof c->content_type, r->content_type);
    copy(c->reply_topic, sizeof c->reply_topic, r->reply_topic);
    copy(c->retry_after, sizeof c->retry_after, r->retry_after);
    copy(c->error, sizeof c->error, r->error);
    loop_stop(c->lp);
}

/* One call of function "echo" for a Kafka record, through libcurl when
 * over_curl, else through our own client. */
static void call(struct ctx *c, int port, bool over_curl, size_t max_response)
{
    static char topic[] = "in", name_a[] = "trace", name_e[] = "empty";
    static unsigned char key[] = "k1", value[] = "hello", trace[] = "t-1";
    struct cn_header headers[] = { { name_a, trace, 3 }, { name_e, (unsigned char *)"", 0 } };
    struct cn_record rec = {
        .topic = topic,
        .partition = 3,
        .offset = 42,
        .timestamp_ms = -1,
        .key = key,
        .key_len = 2,
        .value = value,
        .len = 5,
        .headers = headers,
        .nheaders = 2,
        .call_id = (char *)"id-1",
    };

    memset(c, 0, sizeof *c);
    c->lp = loop_new();
    c->curl = curlloop_new(c->lp);
    c->conns = over_curl ? NULL : uppool_new(c->lp);
    c->safety = loop_timer_add(c->lp, SAFETY_MS, safety_fired, c);
    snprintf(c->url, sizeof c->url, "http://127.0.0.1:%d", port);
    c->opts = (struct cn_invoke_opts){
        .lp = c->lp,
        .gateway_url = c->url,
        .auth = "u:p",
        .content_type = "text/plain",
        .timeout_ms = 2000,
        .max_response = max_response,
        .conns = c->conns,
    };
    cn_invoke_start(c->curl, &c->opts, "echo", &rec, on_result, c);
    loop_run(c->lp);
    assert_false(c->timed_out);
    assert_true(c->done);
    loop_timer_cancel(c->lp, c->safety);
    uppool_free(c->conns);
    curlloop_free(c->curl);
    loop_free(c->lp);
}

static const char answer_text[] = "HTTP/1.1 202 Accepted\r\n"
                                  "Content-Type: application/json\r\n"
                                  "X-Reply-Topic: out\r\n"
                                  "Retry-After: 7\r\n"
                                  "Content-Length: 8\r\n\r\n"
                                  "{\"a\":1}\n";

static void the_request_and_the_answer(bool over_curl)
{
    struct srv s;
    struct ctx c;

    srv_start(&s, ANSWER_CANNED, answer_text, false);
    call(&c, s.port, over_curl, 1024);
    srv_stop(&s);
    assert_int_equal(c.kind, CN_INVOKE_ANSWERED);
    assert_int_equal(c.status, 202);
    assert_string_equal(c.body, "{\"a\":1}\n");
    assert_string_equal(c.content_type, "application/json");
    assert_string_equal(c.reply_topic, "out");
    assert_string_equal(c.retry_after, "7");
    const char *want[] = {
        "POST /function/echo HTTP/1.1\r\n",
        "\r\nContent-Length: 5\r\n",
        "\r\nX-Topic: in\r\n",
        "\r\nX-Connector: faasbus-connector\r\n",
        "\r\nX-Call-Id: id-1\r\n",
        "\r\nX-Kafka-Partition: 3\r\n",
        "\r\nX-Kafka-Offset: 42\r\n",
        "\r\nX-Kafka-Key: k1\r\n",
        "\r\nX-Kafka-trace: t-1\r\n",
        "\r\nX-Kafka-empty:",
        "\r\nContent-Type: text/plain\r\n",
        "\r\nAuthorization: Basic dTpw\r\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (!strstr(s.last_head, want[i]))
            fail_msg("no \"%s\" in the request:\n%s", want[i], s.last_head);
    }
    assert_null(strcasestr(s.last_head, "\r\nExpect:"));
    assert_null(strstr(s.last_head, "\r\nX-Kafka-Timestamp:")); /* it has none */
}

static void both_clients_send_and_read_the_same(void **state)
{
    (void)state;
    the_request_and_the_answer(false);
    the_request_and_the_answer(true);
}

static void a_large_answer_is_too_large_over_both(void **state)
{
    (void)state;
    for (int over_curl = 0; over_curl <= 1; over_curl++) {
        struct srv s;
        struct ctx c;
        srv_start(&s, ANSWER_CANNED, answer_text, false);
        call(&c, s.port, over_curl, 4);
        srv_stop(&s);
        assert_int_equal(c.kind, CN_INVOKE_TOO_LARGE);
        assert_string_equal(c.error, "the response is larger than max_response_size");
    }
}

static void a_closed_port_is_unreachable_over_both(void **state)
{
    (void)state;
    struct srv s;
    srv_start(&s, ANSWER_NONE, NULL, false);
    int port = s.port;
    srv_stop(&s); /* nothing listens there now */
    for (int over_curl = 0; over_curl <= 1; over_curl++) {
        struct ctx c;
        call(&c, port, over_curl, 1024);
        assert_int_equal(c.kind, CN_INVOKE_UNREACHABLE);
        /* libcurl words it its own way ("Couldn't connect to server") */
        assert_non_null(strstr(c.error, over_curl ? "onnect" : "Connection refused"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_clients_send_and_read_the_same),
        cmocka_unit_test(a_large_answer_is_too_large_over_both),
        cmocka_unit_test(a_closed_port_is_unreachable_over_both),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
