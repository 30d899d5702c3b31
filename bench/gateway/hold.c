/* hold.c -- keeps N slow HTTP calls in flight at once.
 *
 * Opens N nonblocking TCP connections to HOST:PORT (at most BATCH of them
 * connecting at a time, so a short listen backlog does not refuse them),
 * sends `GET PATH HTTP/1.1` with `Connection: close` on each as soon as it
 * is connected, then waits with poll() until every answer has arrived
 * (end of the headers plus Content-Length bytes, or EOF). A connect that
 * fails before the request went out is retried (up to 5 times); a call
 * that fails after it is counted as failed.
 *
 * Usage: hold HOST PORT PATH N [TIMEOUT_S [BATCH]]   (defaults 30, 256)
 * Prints, as soon as every request has been written (stdout is flushed):
 *   sent=<N> t_ms=<since start> retries=<connect retries>
 * and at the end:
 *   ok=<answers with 200> n=<N> other=<answers with another status>
 *   failed=<no answer: reset, refused, timeout> elapsed_s=<start to the
 *   last answer> min_ms=<> max_ms=<> (per call, request written to answer)
 *   first_error=<errno text of the first failure, or ->
 * Exits 0 when it ran (whatever the answers were), 1 on a local error
 * (no memory, no sockets), 2 on bad usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RETRIES 5
#define HEAD_MAX 4096

enum state { ST_IDLE, ST_CONNECTING, ST_READING, ST_DONE, ST_FAILED };

struct call {
    enum state st;
    int fd;
    int retries;
    double not_before; /* ms: a retried connect waits a little */
    double sent_ms;
    double done_ms;
    int status;
    size_t head_len;     /* bytes of head[] used */
    bool head_done;      /* the blank line after the headers was seen */
    long long body_want; /* Content-Length, -1 if none (read to EOF) */
    long long body_got;
    char head[HEAD_MAX];
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: hold HOST PORT PATH N [TIMEOUT_S [BATCH]]\n");
    exit(2);
}

static long parse_long(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        usage();
    return v;
}

static struct sockaddr_in addr;
static char request[1024];
static size_t request_len;
static char first_error[128] = "-";
static int n_retries;

static void note_error(const char *what, int err)
{
    if (strcmp(first_error, "-") == 0)
        snprintf(first_error, sizeof first_error, "%s:%s", what, strerror(err));
}

static void close_call(struct call *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* A connect failed before the request went out: try again later, or give up. */
static void retry_or_fail(struct call *c, const char *what, int err, double now)
{
    close_call(c);
    if (c->retries < MAX_RETRIES) {
        c->retries++;
        n_retries++;
        c->st = ST_IDLE;
        c->not_before = now + 20.0 * c->retries;
    } else {
        note_error(what, err);
        c->st = ST_FAILED;
    }
}

/* Starts a nonblocking connect; returns -1 on a local error (no fds). */
static int start_connect(struct call *c, double now)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("hold: socket");
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->st = ST_CONNECTING;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 || errno == EINPROGRESS)
        return 0;
    retry_or_fail(c, "connect", errno, now);
    return 0;
}

/* The connect finished: check it, then write the whole request (it is
 * small enough for an empty socket buffer). */
static void on_connected(struct call *c, double now)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        retry_or_fail(c, "connect", err, now);
        return;
    }
    ssize_t w = send(c->fd, request, request_len, MSG_NOSIGNAL);
    if (w != (ssize_t)request_len) {
        retry_or_fail(c, "send", w < 0 ? errno : EMSGSIZE, now);
        return;
    }
    c->sent_ms = now;
    c->st = ST_READING;
}

static void finish(struct call *c, double now)
{
    close_call(c);
    c->done_ms = now;
    c->st = c->status > 0 ? ST_DONE : ST_FAILED;
    if (c->status <= 0)
        note_error("answer", EPROTO);
}

/* Parses the status line and Content-Length once the headers are in. */
static void parse_head(struct call *c, size_t head_end)
{
    c->head[head_end] = '\0';
    int status = 0;
    if (sscanf(c->head, "HTTP/1.%*d %d", &status) == 1)
        c->status = status;
    c->body_want = -1;
    for (char *p = strstr(c->head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, "content-length:", 15) == 0) {
            c->body_want = strtoll(p + 17, NULL, 10);
            break;
        }
    }
}

static void on_readable(struct call *c, double now)
{
    char buf[8192];
    for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            note_error("recv", errno);
            close_call(c);
            c->done_ms = now;
            c->st = ST_FAILED;
            return;
        }
        if (r == 0) { /* EOF: the answer is complete, if there was one */
            if (!c->head_done)
                c->status = 0;
            finish(c, now);
            return;
        }
        size_t off = 0;
        if (!c->head_done) {
            size_t take = (size_t)r;
            if (take > HEAD_MAX - 1 - c->head_len)
                take = HEAD_MAX - 1 - c->head_len;
            memcpy(c->head + c->head_len, buf, take);
            size_t old = c->head_len;
            c->head_len += take;
            c->head[c->head_len] = '\0';
            char *end = strstr(c->head, "\r\n\r\n");
            if (!end) {
                if (c->head_len >= HEAD_MAX - 1) { /* absurd headers */
                    finish(c, now);
                    c->st = ST_FAILED;
                }
                continue;
            }
            size_t head_end = (size_t)(end - c->head) + 4;
            c->head_done = true;
            parse_head(c, head_end);
            off = head_end - old; /* body bytes start here in buf */
        }
        c->body_got += (long long)((size_t)r - off);
        if (c->body_want >= 0 && c->body_got >= c->body_want) {
            finish(c, now);
            return;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 7)
        usage();
    const char *host = argv[1];
    long port = parse_long(argv[2], 1, 65535);
    const char *path = argv[3];
    long n = parse_long(argv[4], 1, 1000000);
    long timeout_s = argc > 5 ? parse_long(argv[5], 1, 3600) : 30;
    long batch = argc > 6 ? parse_long(argv[6], 1, 100000) : 256;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "hold: HOST must be an IPv4 address, got '%s'\n", host);
        return 2;
    }
    int rl = snprintf(request, sizeof request,
                      "GET %s HTTP/1.1\r\nHost: %s:%ld\r\nUser-Agent: faasbus-bench-hold\r\n"
                      "Connection: close\r\n\r\n",
                      path, host, port);
    if (rl < 0 || (size_t)rl >= sizeof request) {
        fprintf(stderr, "hold: PATH too long\n");
        return 2;
    }
    request_len = (size_t)rl;

    /* N sockets plus stdio: raise the soft open-files limit if we can. */
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < (rlim_t)n + 16) {
        lim.rlim_cur = lim.rlim_max < (rlim_t)n + 16 ? lim.rlim_max : (rlim_t)n + 16;
        setrlimit(RLIMIT_NOFILE, &lim);
    }

    struct call *calls = calloc((size_t)n, sizeof *calls);
    struct pollfd *pfd = calloc((size_t)n, sizeof *pfd);
    size_t *idx = calloc((size_t)n, sizeof *idx);
    int rc = 0;
    if (!calls || !pfd || !idx) {
        fprintf(stderr, "hold: out of memory\n");
        rc = 1;
        goto out;
    }
    for (long i = 0; i < n; i++)
        calls[i].fd = -1;

    double start = now_ms();
    double deadline = start + (double)timeout_s * 1e3;
    bool all_sent_reported = false;
    for (;;) {
        double now = now_ms();
        long connecting = 0, open = 0, idle = 0, sent = 0;
        for (long i = 0; i < n; i++) {
            if (calls[i].st == ST_CONNECTING)
                connecting++;
            else if (calls[i].st == ST_IDLE)
                idle++;
            if (calls[i].st == ST_CONNECTING || calls[i].st == ST_READING)
                open++;
            if (calls[i].sent_ms > 0)
                sent++;
        }
        if (!all_sent_reported && sent == n) {
            printf("sent=%ld t_ms=%.0f retries=%d\n", n, now - start, n_retries);
            fflush(stdout);
            all_sent_reported = true;
        }
        if (open == 0 && idle == 0)
            break;
        if (now >= deadline) {
            for (long i = 0; i < n; i++) {
                if (calls[i].st == ST_CONNECTING || calls[i].st == ST_READING ||
                    calls[i].st == ST_IDLE) {
                    close_call(&calls[i]);
                    calls[i].st = ST_FAILED;
                    note_error("timeout", ETIMEDOUT);
                }
            }
            break;
        }
        /* Start connects, at most BATCH in progress at once. */
        double wake = deadline;
        for (long i = 0; i < n && connecting < batch; i++) {
            struct call *c = &calls[i];
            if (c->st != ST_IDLE)
                continue;
            if (c->not_before > now) {
                if (c->not_before < wake)
                    wake = c->not_before;
                continue;
            }
            if (start_connect(c, now) < 0) {
                rc = 1;
                goto out;
            }
            if (c->st == ST_CONNECTING)
                connecting++;
        }
        nfds_t k = 0;
        for (long i = 0; i < n; i++) {
            struct call *c = &calls[i];
            if (c->st != ST_CONNECTING && c->st != ST_READING)
                continue;
            pfd[k].fd = c->fd;
            pfd[k].events = c->st == ST_CONNECTING ? POLLOUT : POLLIN;
            pfd[k].revents = 0;
            idx[k++] = (size_t)i;
        }
        int ms = (int)(wake - now) + 1;
        if (ms > 1000)
            ms = 1000;
        int r = poll(pfd, k, ms);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            perror("hold: poll");
            rc = 1;
            goto out;
        }
        now = now_ms();
        for (nfds_t j = 0; j < k && r > 0; j++) {
            if (!pfd[j].revents)
                continue;
            struct call *c = &calls[idx[j]];
            if (c->st == ST_CONNECTING)
                on_connected(c, now);
            else
                on_readable(c, now);
        }
    }

    double end = start;
    double min_ms = 0, max_ms = 0;
    long ok = 0, other = 0, failed = 0;
    bool first = true;
    for (long i = 0; i < n; i++) {
        struct call *c = &calls[i];
        if (c->st != ST_DONE) {
            failed++;
            continue;
        }
        if (c->status == 200)
            ok++;
        else
            other++;
        if (c->done_ms > end)
            end = c->done_ms;
        double lat = c->done_ms - c->sent_ms;
        if (first || lat < min_ms)
            min_ms = lat;
        if (first || lat > max_ms)
            max_ms = lat;
        first = false;
    }
    printf("ok=%ld n=%ld other=%ld failed=%ld elapsed_s=%.2f min_ms=%.0f max_ms=%.0f "
           "retries=%d first_error=%s\n",
           ok, n, other, failed, (end - start) / 1e3, min_ms, max_ms, n_retries, first_error);
out:
    free(calls);
    free(pfd);
    free(idx);
    return rc;
}
