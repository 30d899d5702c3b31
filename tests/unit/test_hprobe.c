/* test_hprobe.c -- lib/hprobe against a small HTTP server on the same
 * loop: statuses, keep-alive reuse, the retry after a kept connection
 * died, refused connects, silence, garbage, a bad URL and cancelling.
 *
 * A safety timer stops the loop after 3 s, so a bug cannot hang the
 * suite; each test checks it was not what ended the run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hprobe.h"
#include "loop.h"
#include "uppool.h"

#define SAFETY_MS 3000
#define MAX_CLIENTS 8

enum mode {
    ANSWER,      /* every request: the canned answer */
    SILENT,      /* reads, never answers */
    DROP_SECOND, /* the second request on a connection: closed unanswered */
};

struct server {
    int fd;
    int port;
    enum mode mode;
    const char *answer;
    int accepts;
    int clients[MAX_CLIENTS];
    int requests[MAX_CLIENTS]; /* per client slot */
};

struct ctx {
    struct loop *lp;
    struct uppool *pool;
    struct server srv;
    bool timed_out;
    int calls;
    int status[4];
    char error[4][512];
    int more; /* probes still to start after this one ends */
    const char *url;
    bool in_start; /* hprobe_start is running */
    bool called_in_start;
};

static void safety(struct loop *lp, void *arg)
{
    ((struct ctx *)arg)->timed_out = true;
    loop_stop(lp);
}

static void on_client(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)events;
    struct server *s = arg;
    int slot = 0;
    while (slot < MAX_CLIENTS && s->clients[slot] != fd)
        slot++;
    char buf[2048];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) {
        loop_unwatch(lp, fd);
        close(fd);
        s->clients[slot] = -1;
        return;
    }
    buf[n] = '\0';
    assert_non_null(strstr(buf, "GET /_/health HTTP/1.1\r\n"));
    s->requests[slot]++;
    if (s->mode == SILENT)
        return;
    if (s->mode == DROP_SECOND && s->requests[slot] == 2) {
        loop_unwatch(lp, fd);
        close(fd);
        s->clients[slot] = -1;
        return;
    }
    assert_int_equal(send(fd, s->answer, strlen(s->answer), MSG_NOSIGNAL),
                     (ssize_t)strlen(s->answer));
}

static void on_accept(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)events;
    struct server *s = arg;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return;
    assert_true(s->accepts < MAX_CLIENTS);
    s->clients[s->accepts] = c;
    s->accepts++;
    assert_int_equal(loop_watch(lp, c, LOOP_READ, on_client, s), 0);
}

static void server_start(struct ctx *c, enum mode mode, const char *answer)
{
    struct server *s = &c->srv;
    s->mode = mode;
    s->answer = answer;
    for (int i = 0; i < MAX_CLIENTS; i++)
        s->clients[i] = -1;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(loop_watch(c->lp, s->fd, LOOP_READ, on_accept, s), 0);
}

/* A port nothing listens on: bound, then closed. */
static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void ctx_init(struct ctx *c)
{
    memset(c, 0, sizeof *c);
    c->srv.fd = -1;
    c->lp = loop_new();
    c->pool = uppool_new(c->lp);
    loop_timer_add(c->lp, SAFETY_MS, safety, c);
}

static void ctx_done(struct ctx *c)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (c->srv.clients[i] >= 0 && c->srv.fd >= 0) {
            loop_unwatch(c->lp, c->srv.clients[i]);
            close(c->srv.clients[i]);
        }
    if (c->srv.fd >= 0) {
        loop_unwatch(c->lp, c->srv.fd);
        close(c->srv.fd);
    }
    uppool_free(c->pool);
    loop_free(c->lp);
}

static void start(struct ctx *c);

static void on_probe(void *arg, int status, const char *error)
{
    struct ctx *c = arg;
    if (c->in_start)
        c->called_in_start = true;
    assert_true(c->calls < 4);
    c->status[c->calls] = status;
    snprintf(c->error[c->calls], sizeof c->error[0], "%s", error ? error : "");
    if (status)
        assert_null(error);
    else
        assert_non_null(error);
    c->calls++;
    if (c->more-- > 0)
        start(c);
    else
        loop_stop(c->lp);
}

static void start(struct ctx *c)
{
    c->in_start = true;
    assert_non_null(hprobe_start(c->lp, c->pool, c->url, NULL, 1000, on_probe, c));
    c->in_start = false;
}

/* Probes url `n` times one after another; runs until the last ends. */
static void probe_n(struct ctx *c, const char *url, int n)
{
    c->url = url;
    c->more = n - 1;
    start(c);
    loop_run(c->lp);
    assert_false(c->timed_out);
    assert_false(c->called_in_start);
    assert_int_equal(c->calls, n);
}

static const char *url_of(struct ctx *c, char *buf, size_t len)
{
    snprintf(buf, len, "http://127.0.0.1:%d/_/health", c->srv.port);
    return buf;
}

static void test_status_and_reuse(void **state)
{
    (void)state;
    struct ctx c;
    ctx_init(&c);
    server_start(&c, ANSWER, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
    char url[64];
    probe_n(&c, url_of(&c, url, sizeof url), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(c.status[i], 200);
    assert_int_equal(c.srv.accepts, 1); /* one kept-alive connection */
    assert_int_equal(c.srv.requests[0], 3);
    ctx_done(&c);
}

static void test_other_status(void **state)
{
    (void)state;
    struct ctx c;
    ctx_init(&c);
    server_start(&c, ANSWER, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    char url[64];
    probe_n(&c, url_of(&c, url, sizeof url), 1);
    assert_int_equal(c.status[0], 503);
    ctx_done(&c);
}

/* An answer whose end is its close: the status counts, the connection
 * is not kept. */
static void test_close_delimited_not_kept(void **state)
{
    (void)state;
    struct ctx c;
    ctx_init(&c);
    server_start(&c, ANSWER, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nOK");
    char url[64];
    probe_n(&c, url_of(&c, url, sizeof url), 2);
    assert_int_equal(c.status[0], 200);
    assert_int_equal(c.status[1], 200);
    assert_int_equal(c.srv.accepts, 2);
    ctx_done(&c);
}

/* The kept connection is closed by the server when the next request
 * comes: that probe goes again on a fresh one, and succeeds. */
static void test_retry_after_kept_connection_died(void **state)
{
    (void)state;
    struct ctx c;
    ctx_init(&c);
    server_start(&c, DROP_SECOND, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
    char url[64];
    probe_n(&c, url_of(&c, url, sizeof url), 2);
    assert_int_equal(c.status[0], 200);
    assert_int_equal(c.status[1], 200);
    assert_int_equal(c.srv.accepts, 2);
    ctx_done(&c);
}

static void test_refused(void **state)
{
    (void)state;
    struct ctx c;
    ctx_init(&c);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/_/health", dead_port());
    probe_n(&c, url, 1);
    assert_int_equal(c.status[0], 0);
    assert_non_null(strstr(c.error[0], "connect to 127.0.0.1"));
    ctx_done(&c);
}

static void test_silence_times_out(void **state)
{
    (void)state;
    struct ctx c;
    ctx_init(&c);
    server_start(&c, SILENT, NULL);
    char url[64];
    int64_t t0 = loop_now_ms();
    probe_n(&c, url_of(&c, url, sizeof url), 1);
    assert_int_equal(c.status[0], 0);
    assert_non_null(strstr(c.error[0], "no answer within 1000 ms"));
    assert_true(loop_now_ms() - t0 >= 1000);
    ctx_done(&c);
}

static void test_garbage(void **state)
{
    (void)state;
    struct ctx c;
    ctx_init(&c);
    server_start(&c, ANSWER, "SSH-2.0-OpenSSH\r\n\r\n");
    char url[64];
    probe_n(&c, url_of(&c, url, sizeof url), 1);
    assert_int_equal(c.status[0], 0);
    assert_non_null(strstr(c.error[0], "malformed"));
    ctx_done(&c);
}

/* A URL it cannot use fails from the loop, not inside hprobe_start. */
static void test_bad_url(void **state)
{
    (void)state;
    struct ctx c;
    ctx_init(&c);
    probe_n(&c, "https://127.0.0.1:1/_/health", 1);
    assert_int_equal(c.status[0], 0);
    assert_true(c.error[0][0] != '\0');
    ctx_done(&c);
}

static void stop_soon(struct loop *lp, void *arg)
{
    (void)arg;
    loop_stop(lp);
}

static void test_cancel(void **state)
{
    (void)state;
    struct ctx c;
    ctx_init(&c);
    server_start(&c, SILENT, NULL);
    char url[64];
    struct hprobe *p = hprobe_start(c.lp, c.pool, url_of(&c, url, sizeof url), NULL, 200, on_probe,
                                    &c);
    loop_timer_add(c.lp, 50, stop_soon, NULL);
    loop_run(c.lp); /* connected and sent by now */
    hprobe_cancel(p);
    loop_timer_add(c.lp, 400, stop_soon, NULL); /* past its deadline */
    loop_run(c.lp);
    assert_int_equal(c.calls, 0);
    hprobe_cancel(NULL);
    ctx_done(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_and_reuse),
        cmocka_unit_test(test_other_status),
        cmocka_unit_test(test_close_delimited_not_kept),
        cmocka_unit_test(test_retry_after_kept_connection_died),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_silence_times_out),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_bad_url),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
