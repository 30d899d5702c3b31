/* tserver.h -- a scripted HTTP/1.1 server on a thread, for the unit
 * tests of HTTP clients: it accepts on a loopback port, reads each
 * request whole (head and Content-Length body), keeps the last head, and
 * answers as the test said, so every byte a client sends and reads
 * crosses the kernel as it would from the gateway. Header-only (each test
 * binary is one source file); include it after cmocka.h. */
#ifndef TSERVER_H
#define TSERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQ_MAX (4 * 1024 * 1024)

enum answer {
    ANSWER_CANNED, /* srv.canned, as it is */
    ANSWER_LENGTH, /* 200 with the request body's length as the body */
    ANSWER_NONE,   /* read the request, never answer */
};

struct srv {
    int lfd, port;
    pthread_t thread;
    enum answer answer;
    const char *canned;
    bool close_after; /* close each connection after its first answer */
    atomic_int conns, requests;
    char last_head[4096];
};

/* Reads one request: its head into last_head, its body counted. Returns
 * the body's length, or -1 when the client went away. */
static long read_request(struct srv *s, int fd, char *buf)
{
    size_t len = 0;
    char *end = NULL;

    while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
        ssize_t n = read(fd, buf + len, REQ_MAX - len);
        if (n <= 0)
            return -1;
        len += (size_t)n;
    }
    size_t head = (size_t)(end + 4 - buf);
    snprintf(s->last_head, sizeof s->last_head, "%.*s", (int)head, buf);
    const char *cl = strcasestr(s->last_head, "\r\nContent-Length: ");
    long want = cl ? strtol(cl + 18, NULL, 10) : 0;
    while ((long)(len - head) < want) {
        ssize_t n = read(fd, buf + len, REQ_MAX - len);
        if (n <= 0)
            return -1;
        len += (size_t)n;
    }
    return want;
}

static void answer(struct srv *s, int fd, long body_len)
{
    char out[256];

    if (s->answer == ANSWER_CANNED) {
        (void)!write(fd, s->canned, strlen(s->canned));
    } else if (s->answer == ANSWER_LENGTH) {
        char body[32];
        int n = snprintf(body, sizeof body, "%ld", body_len);
        int m = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", n,
                         body);
        (void)!write(fd, out, (size_t)m);
    }
}

static void *serve(void *arg)
{
    struct srv *s = arg;
    char *buf = malloc(REQ_MAX);
    int fd;

    while ((fd = accept(s->lfd, NULL, NULL)) >= 0) {
        atomic_fetch_add(&s->conns, 1);
        long body_len;
        while ((body_len = read_request(s, fd, buf)) >= 0) {
            atomic_fetch_add(&s->requests, 1);
            answer(s, fd, body_len);
            if (s->close_after)
                break;
        }
        close(fd);
    }
    free(buf);
    return NULL;
}

static void srv_start(struct srv *s, enum answer a, const char *canned, bool close_after)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t salen = sizeof sa;

    memset(s, 0, sizeof *s);
    s->answer = a;
    s->canned = canned;
    s->close_after = close_after;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s->lfd, 16), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &salen), 0);
    s->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void srv_stop(struct srv *s)
{
    shutdown(s->lfd, SHUT_RDWR); /* accept() returns */
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

#endif
