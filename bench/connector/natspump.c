/* natspump.c -- the two loads of the connector benchmark's NATS rows that
 * run while it is measured, in C so that the load costs the shared cores
 * little beside what it loads (as kcat and watch do for the Kafka rows):
 * natsload.py, in Python, cost 4 to 17 µs of CPU a message, as much as
 * nats-server. natsload.py keeps the rest (streams, watch, one, last,
 * count, consumer), none of it per message.
 *
 * It speaks the NATS client protocol over one plain socket: many frames a
 * write, many a read. Every message carries the header X-Key: r<TAG>-<i>
 * (i from 1), a distinct key each, so that the connector's default
 * ordering=key never holds one back; its payload is "hello".
 *
 * Usage: natspump URL core IN OUT N WINDOW TAG TIMEOUT_S
 *   subscribes to OUT, publishes N messages to IN keeping at most WINDOW
 *   of them unanswered (published minus messages seen on OUT), and times
 *   the replies:
 *   -> n=<replies> sent=<> first_ms=<> t10_ms=<> t50_ms=<> t90_ms=<>
 *      last_ms=<> (ms after the first publish; -1: not reached)
 *   It gives up TIMEOUT_S after the start, or 5 s after the last reply once
 *   everything is sent.
 *        natspump URL publish SUBJECT N TAG
 *   publishes N messages into the stream that captures SUBJECT, each
 *   acknowledged by JetStream (at most 20,000 unacknowledged; a subject no
 *   stream captures is refused at once, as no responders)
 *   -> acked=<> errors=<> seconds=<>
 *   It gives up 10 s after the last acknowledgement.
 * Exit status 0, 1 when the work is incomplete (fewer replies or acks
 * than asked), 2 on a usage or connection error. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "parse.h"

#define WRITE_AHEAD (256 << 10) /* frames built before the next write */
#define READ_CHUNK (1 << 20)
#define BUF_MAX (64 << 20)
#define PUBLISH_UNACKED 20000
#define PAYLOAD "hello"

struct pump {
    int fd;
    struct buf in, out;
    const char *subject, *reply; /* what is published; reply may be NULL */
    char prefix[64];             /* r<TAG>- */
    int64_t n, sent, seen, errors;
    int64_t pongs; /* PONGs read: the handshake's, then any */
    bool want_payload;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "natspump: %s: %s\n", what, why);
    exit(2);
}

/* nats://host:port (or host:port) to a connected TCP socket. */
static int dial(const char *url)
{
    const char *hp = strstr(url, "://") ? strstr(url, "://") + 3 : url;
    char host[256];
    const char *colon = strrchr(hp, ':');
    if (!colon || (size_t)(colon - hp) >= sizeof host)
        die(url, "expected nats://host:port");
    memcpy(host, hp, (size_t)(colon - hp));
    host[colon - hp] = '\0';

    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0)
        die(url, gai_strerror(rc));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        die(url, strerror(errno));
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Non-blocking once connected: a write that waited for all of a large
     * batch while the server waits for its replies to be read would stall
     * both. */
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void put(struct buf *b, const char *s)
{
    if (buf_append(b, s, strlen(s)) < 0)
        die("write buffer", "full");
}

/* One HPUB of PAYLOAD with the X-Key header of message i. */
static void frame(struct pump *p, int64_t i)
{
    char hdr[128], line[512];
    int hl = snprintf(hdr, sizeof hdr, "NATS/1.0\r\nX-Key: %s%lld\r\n\r\n", p->prefix,
                      (long long)i);
    int ll = snprintf(line, sizeof line, "HPUB %s%s%s %d %d\r\n", p->subject, p->reply ? " " : "",
                      p->reply ? p->reply : "", hl, hl + (int)strlen(PAYLOAD));
    if (hl >= (int)sizeof hdr || ll >= (int)sizeof line)
        die(p->subject, "subject too long for a frame");
    if (buf_append(&p->out, line, (size_t)ll) < 0 || buf_append(&p->out, hdr, (size_t)hl) < 0)
        die("write buffer", "full");
    put(&p->out, PAYLOAD "\r\n");
}

/* Reads what the socket holds; 0, or -1 once the server has closed it. */
static int fill_in(struct pump *p)
{
    size_t room;
    char *at = buf_tail(&p->in, READ_CHUNK, &room);
    if (!at || room == 0)
        die("read buffer", "full");
    ssize_t got = read(p->fd, at, room);
    if (got > 0) {
        buf_commit(&p->in, (size_t)got);
        return 0;
    }
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return -1;
}

/* A publish's acknowledgement that refuses it: JetStream's error in
 * JSON, or the server's 503 when no stream captures the subject (no
 * responders). The first one is shown, by its first line. */
static void count_refusal(struct pump *p, const char *body, size_t size)
{
    if (!memmem(body, size, "\"error\"", 7) &&
        !(size >= 12 && memcmp(body, "NATS/1.0 503", 12) == 0))
        return;
    size_t shown = size < 300 ? size : 300;
    const char *cr = memchr(body, '\r', shown);
    if (++p->errors == 1)
        fprintf(stderr, "natspump: JetStream refused a message: %.*s\n",
                (int)(cr ? (size_t)(cr - body) : shown), body);
}

/* Takes the complete frames read so far; returns how many MSG/HMSG there
 * were (refused publishes among them counted in p->errors). PINGs are
 * answered, PONGs counted; +OK and INFO skipped; -ERR ends the run. */
static int64_t take_frames(struct pump *p)
{
    const char *d = buf_peek(&p->in);
    size_t pos = 0, end = p->in.len;
    int64_t count = 0;

    for (;;) {
        const char *nl = memmem(d + pos, end - pos, "\r\n", 2);
        if (!nl)
            break;
        size_t ll = (size_t)(nl - (d + pos));
        const char *line = d + pos;
        if ((ll > 4 && memcmp(line, "MSG ", 4) == 0) || (ll > 5 && memcmp(line, "HMSG ", 5) == 0)) {
            const char *sp = memrchr(line, ' ', ll);
            size_t size = strtoul(sp + 1, NULL, 10), stop = pos + ll + 2 + size + 2;
            if (stop > end)
                break;
            if (p->want_payload)
                count_refusal(p, nl + 2, size);
            count++;
            pos = stop;
        } else if (ll == 4 && memcmp(line, "PING", 4) == 0) {
            put(&p->out, "PONG\r\n");
            pos += ll + 2;
        } else if (ll == 4 && memcmp(line, "PONG", 4) == 0) {
            p->pongs++;
            pos += ll + 2;
        } else if (ll >= 4 && memcmp(line, "-ERR", 4) == 0) {
            fprintf(stderr, "natspump: nats-server said %.*s\n", (int)ll, line);
            exit(2);
        } else {
            pos += ll + 2;
        }
    }
    buf_consume(&p->in, pos);
    return count;
}

/* Writes what the out buffer holds, as far as the socket takes it. */
static void flush_out(struct pump *p)
{
    ssize_t put_n = write(p->fd, buf_peek(&p->out), p->out.len);
    if (put_n > 0)
        buf_consume(&p->out, (size_t)put_n);
    else if (put_n < 0 && errno != EAGAIN && errno != EINTR)
        die("nats-server", strerror(errno));
}

/* INFO in, CONNECT and SUB OUT out, then a PING whose PONG says the
 * subscription is in place before anything is published. */
static void handshake(struct pump *p, const char *sub)
{
    char line[512];
    put(&p->out, "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,"
                 "\"no_responders\":true,\"protocol\":1,\"name\":\"natspump\"}\r\n");
    snprintf(line, sizeof line, "SUB %s 1\r\nPING\r\n", sub);
    put(&p->out, line);
    double deadline = now_s() + 10;
    while (p->out.len)
        flush_out(p);
    for (;;) {
        take_frames(p); /* an -ERR ends the run there */
        if (p->pongs)
            return;
        struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
        int left_ms = (int)((deadline - now_s()) * 1e3);
        if (left_ms <= 0 || poll(&pfd, 1, left_ms) <= 0 || fill_in(p) < 0)
            die("nats-server", "no answer to CONNECT in 10 s");
    }
}

/* One turn: what may be published is framed and written, what arrived is
 * read. Returns how many messages arrived (errors among them counted in
 * p->errors). in_flight is what counts against the window. */
static int64_t turn(struct pump *p, int64_t in_flight, int64_t window)
{
    while (p->sent < p->n && in_flight < window && p->out.len < WRITE_AHEAD) {
        frame(p, ++p->sent);
        in_flight++;
    }
    struct pollfd pfd = { .fd = p->fd, .events = POLLIN | (p->out.len ? POLLOUT : 0) };
    if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
        die("poll", strerror(errno));
    if (pfd.revents & POLLOUT)
        flush_out(p);
    int64_t got = 0;
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
        if (fill_in(p) < 0)
            die("nats-server", "closed the connection");
        got = take_frames(p);
    }
    return got;
}

static double ms_since(double t0, double t)
{
    return t < 0 ? -1.0 : (t - t0) * 1e3;
}

static int run_core(struct pump *p, int64_t window, double timeout_s)
{
    int64_t levels[5] = { 1, p->n / 10, p->n / 2, 9 * p->n / 10, p->n };
    double marks[5] = { -1, -1, -1, -1, -1 };
    int li = 0;
    double t0 = now_s(), last_reply = t0;

    for (int i = 0; i < 5; i++)
        levels[i] = levels[i] < 1 ? 1 : levels[i];
    while (p->seen < p->n) {
        double now = now_s();
        if (now - t0 > timeout_s || (p->sent == p->n && now - last_reply > 5))
            break;
        int64_t got = turn(p, p->sent - p->seen, window);
        if (got == 0)
            continue;
        p->seen += got;
        last_reply = now_s();
        while (li < 5 && p->seen >= levels[li])
            marks[li++] = last_reply;
    }
    printf("n=%lld sent=%lld first_ms=%.1f t10_ms=%.1f t50_ms=%.1f t90_ms=%.1f last_ms=%.1f\n",
           (long long)p->seen, (long long)p->sent, ms_since(t0, marks[0]), ms_since(t0, marks[1]),
           ms_since(t0, marks[2]), ms_since(t0, marks[3]), ms_since(t0, marks[4]));
    return p->seen >= p->n ? 0 : 1;
}

static int run_publish(struct pump *p)
{
    double t0 = now_s(), last = t0;

    while (p->seen < p->n && now_s() - last < 10) {
        int64_t got = turn(p, p->sent - p->seen, PUBLISH_UNACKED);
        if (got) {
            p->seen += got;
            last = now_s();
        }
    }
    printf("acked=%lld errors=%lld seconds=%.3f\n", (long long)(p->seen - p->errors),
           (long long)p->errors, now_s() - t0);
    return p->seen == p->n && p->errors == 0 ? 0 : 1;
}

static int64_t count_arg(const char *s, const char *what)
{
    int64_t v;
    if (parse_int64(s, &v) < 0 || v < 1)
        die(what, "expected a whole number of at least 1");
    return v;
}

static int usage(void)
{
    fputs("usage: natspump URL core IN OUT N WINDOW TAG TIMEOUT_S\n"
          "       natspump URL publish SUBJECT N TAG\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    struct pump p = { .fd = -1 };
    char inbox[64];
    bool core = argc == 9 && strcmp(argv[2], "core") == 0;

    if (!core && !(argc == 6 && strcmp(argv[2], "publish") == 0))
        return usage();
    p.subject = argv[3];
    p.n = count_arg(argv[core ? 5 : 4], "N");
    snprintf(p.prefix, sizeof p.prefix, "r%s-", argv[core ? 7 : 5]);
    if (!core) {
        snprintf(inbox, sizeof inbox, "_INBOX.natspump%lld", (long long)getpid());
        p.reply = inbox;
        p.want_payload = true;
    }
    buf_init(&p.in, BUF_MAX);
    buf_init(&p.out, BUF_MAX);
    p.fd = dial(argv[1]);
    handshake(&p, core ? argv[4] : inbox);
    int rc;
    if (core) {
        int64_t ms;
        if (parse_duration_ms(argv[8], &ms) < 0)
            die("TIMEOUT_S", "expected seconds");
        rc = run_core(&p, count_arg(argv[6], "WINDOW"), (double)ms / 1e3);
    } else {
        rc = run_publish(&p);
    }
    close(p.fd);
    buf_cleanup(&p.in);
    buf_cleanup(&p.out);
    return rc;
}
