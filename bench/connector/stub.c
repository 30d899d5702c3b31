/* stub.c -- the trivial gateway of the connector benchmark: every call
 * answered 200 at once, so that the connector is all that is measured.
 * The benchmark also runs it as the function behind a watchdog (http
 * mode), where it is an echo.
 *
 *   GET  /system/namespaces  ["openfaas-fn"]   (the connector lists the
 *   GET  /system/functions   []                 functions before it consumes;
 *                                               its routes come from its
 *                                               config file)
 *   POST /reset[?skip=N]     zeroes the counters and forgets the latencies;
 *                            the next N latencies are not kept either (the
 *                            warm-up of a paced run)
 *   POST <any other path>    a call (/function/<name> from the connector):
 *                            200 with the request body as the answer;
 *                            counted. A body that is a decimal number of
 *                            microseconds of CLOCK_REALTIME (what
 *                            bench/connector/pace.py sends) also gives a
 *                            latency: now minus it
 *   GET  /count              the line below
 *
 * The line: calls=<calls since the reset> lat_n=<calls with a timestamp>
 *   lat_p50_us=<> lat_p99_us=<> lat_max_us=<> (-1 without any) now_ms=<ms
 *   since the reset>
 *
 * Usage: stub PORT   (PORT 0: any free port; prints
 *        "stub listening on 127.0.0.1:<port>" once it serves) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "parse.h"
#include "signals.h"
#include "xalloc.h"

static uint64_t calls;
static int64_t skip; /* latencies still to leave out */
static int64_t *lat; /* microseconds, in arrival order */
static size_t nlat, lat_cap;
static double t0; /* loop_now_s() at the reset */

static int64_t realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A plausible timestamp: digits only, after the year 2001. */
static bool body_timestamp(const char *body, size_t len, int64_t *us)
{
    char num[24];
    if (len == 0 || len >= sizeof num)
        return false;
    memcpy(num, body, len);
    num[len] = '\0';
    return parse_int64(num, us) == 0 && *us > INT64_C(1000000000000000);
}

static void on_call(struct httpd_req *req)
{
    size_t len;
    const char *body = httpd_req_body(req, &len);
    int64_t sent;

    calls++;
    if (body_timestamp(body, len, &sent) && skip-- <= 0) {
        if (nlat == lat_cap) {
            lat_cap = lat_cap ? 2 * lat_cap : 4096;
            lat = xrealloc(lat, lat_cap * sizeof *lat);
        }
        lat[nlat++] = realtime_us() - sent;
    }
    httpd_add_header(req, "Content-Type", "text/plain");
    httpd_respond(req, 200, body, len);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void on_count(struct httpd_req *req)
{
    int64_t p50 = -1, p99 = -1, max = -1;

    if (nlat) {
        int64_t *s = xmalloc(nlat * sizeof *s);
        memcpy(s, lat, nlat * sizeof *s);
        qsort(s, nlat, sizeof *s, cmp_i64);
        p50 = s[(nlat - 1) / 2];
        p99 = s[(size_t)((double)(nlat - 1) * 0.99)];
        max = s[nlat - 1];
        free(s);
    }
    httpd_add_header(req, "Content-Type", "text/plain");
    httpd_respondf(req, 200,
                   "calls=%llu lat_n=%zu lat_p50_us=%lld lat_p99_us=%lld lat_max_us=%lld "
                   "now_ms=%.1f\n",
                   (unsigned long long)calls, nlat, (long long)p50, (long long)p99, (long long)max,
                   (loop_now_s() - t0) * 1e3);
}

static void on_request(struct httpd_req *req, void *arg)
{
    (void)arg;
    const char *method = httpd_req_method(req);
    const char *path = httpd_req_path(req);
    bool post = strcmp(method, "POST") == 0;

    if (post && strcmp(path, "/reset") == 0) {
        char *n = httpd_query_arg(req, "skip");
        if (!n || parse_int64(n, &skip) < 0 || skip < 0)
            skip = 0;
        free(n);
        calls = 0;
        nlat = 0;
        t0 = loop_now_s();
        httpd_respond(req, 200, "reset\n", 6);
    } else if (post) {
        on_call(req);
    } else if (!post && strcmp(path, "/system/namespaces") == 0) {
        httpd_add_header(req, "Content-Type", "application/json");
        httpd_respondf(req, 200, "[\"openfaas-fn\"]");
    } else if (!post && strcmp(path, "/system/functions") == 0) {
        httpd_add_header(req, "Content-Type", "application/json");
        httpd_respondf(req, 200, "[]");
    } else if (!post && strcmp(path, "/count") == 0) {
        on_count(req);
    } else {
        httpd_respondf(req, 404,
                       "POST a call or /reset, GET /system/namespaces, "
                       "/system/functions or /count\n");
    }
}

static void on_signal(struct loop *l, int signo, void *arg)
{
    (void)signo;
    (void)arg;
    loop_stop(l);
}

int main(int argc, char **argv)
{
    int64_t port;
    if (argc != 2 || parse_int64(argv[1], &port) < 0 || port < 0 || port > 65535) {
        fprintf(stderr, "usage: stub PORT\n");
        return 2;
    }
    log_init("stub", LOGL_WARN);
    struct loop *lp = loop_new();
    if (signals_watch(lp, on_signal, NULL) < 0) {
        perror("stub: signalfd");
        return 1;
    }
    char err[256];
    struct httpd_opts o = { .name = "stub",
                            .addr = "127.0.0.1",
                            .port = (int)port,
                            .listen_fd = -1,
                            .max_body = (size_t)1 << 20,
                            .idle_timeout_ms = 120000 };
    struct httpd *h = httpd_start(lp, &o, err, sizeof err);
    if (!h) {
        fprintf(stderr, "stub: %s\n", err);
        return 1;
    }
    httpd_route(h, "*", HTTPD_BODY_BUFFER, on_request, NULL);
    t0 = loop_now_s();
    printf("stub listening on 127.0.0.1:%d\n", httpd_port(h));
    fflush(stdout);
    loop_run(lp);
    httpd_stop(h);
    free(lat);
    loop_free(lp);
    return 0;
}
